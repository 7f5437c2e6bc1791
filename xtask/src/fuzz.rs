//! `cargo xtask fuzz`: runs the structure-aware fuzzer (`crates/lc-fuzz`), built in
//! release (a debug build is about twenty times slower).
//!
//! - `cargo xtask fuzz`: 200,000 inputs, a fresh seed.
//! - `cargo xtask fuzz --ci`: 1,000,000 inputs (the `.ci/run` step).
//! - Options, passed on to `lc-fuzz`: `--seed N` (replays a run), `--inputs N`,
//!   `--only protocol|sandbox|sockets`; `--debug` builds in debug.
//!
//! Fails on the first panic or malformed answer, printing the seed and the input.

use std::path::Path;

/// Builds and runs `lc-fuzz` with `args`.
pub(crate) fn run(root: &Path, args: &[String]) -> Result<(), String> {
    let release = !args.iter().any(|a| a == "--debug");
    let forwarded: Vec<&String> = args.iter().filter(|a| *a != "--debug").collect();
    let status = crate::cargo_run::run_bin(root, "lc-fuzz", release, &forwarded)?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "the fuzz run failed ({status}): the seed and the input are printed above"
        ))
    }
}
