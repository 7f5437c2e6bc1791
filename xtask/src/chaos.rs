//! `cargo xtask chaos`: runs the LiveChat chaos suite (`crates/lc-chaos`) and prints its
//! figures as a markdown table.
//!
//! - `cargo xtask chaos`: the full size (20 agents, 5 of them sending over Web, 200
//!   customers × 50 messages, each answered: 20,000 messages), built in release.
//! - `cargo xtask chaos --ci`: the CI size (8 agents, 40 customers × 25 messages: 2,000
//!   messages, bounded to 150 s), built in debug as the rest of CI.
//! - Options, passed on to `lc-chaos`: `--seed N`, `--agents N`, `--web-agents N`,
//!   `--customers N`, `--messages N`, `--no-faults`, `--out FILE` (the table is also
//!   written there); `--release` / `--debug` choose the build.
//!
//! Fails when anything was lost or duplicated, or a send failed.

use std::path::Path;

/// Builds and runs `lc-chaos` with `args`.
pub(crate) fn run(root: &Path, args: &[String]) -> Result<(), String> {
    let mut release = !args.iter().any(|a| a == "--ci");
    let mut forwarded = Vec::new();
    for arg in args {
        match arg.as_str() {
            "--release" => release = true,
            "--debug" => release = false,
            _ => forwarded.push(arg.clone()),
        }
    }
    let forwarded: Vec<&String> = forwarded.iter().collect();
    let status = crate::cargo_run::run_bin(root, "lc-chaos", release, &forwarded)?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "the chaos run failed ({status}): see the table above"
        ))
    }
}
