//! `cargo xtask`: project automation for livechat-rs.
//!
//! - `cargo xtask codegen` regenerates `crates/lc-protocol/src/generated/`,
//!   `docs/actions.md`, `docs/migrating-from-js.md` and
//!   `crates/livechat/tests/it/js_counterparts.rs` from the tables in `spec/`.
//! - `cargo xtask codegen --check` regenerates in memory and fails, naming the stale
//!   files, when anything checked in differs.
//! - `cargo xtask bench [--only PARTS]` runs the in-process and process-level benchmarks
//!   and writes `docs/benchmarks.md`
//!   (each SDK figure as a ratio to its baseline from the same run).
//! - `cargo xtask chaos [--ci] [--seed N] ...` runs the LiveChat chaos suite
//!   (`crates/lc-chaos`) and prints its figures as a markdown table.
//! - `cargo xtask fuzz [--ci] [--seed N] [--inputs N]` runs the structure-aware fuzzer
//!   (`crates/lc-fuzz`): decoders and sandbox handlers, 0 panics allowed.

mod bench;
mod bench_paired;
mod bench_process;
mod cargo_run;
mod chaos;
mod codegen;
mod docs;
mod fuzz;
mod import_graph;
mod js_docs;
mod migrating;
mod names;
mod render;
mod seeds;
mod spec;

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("bench") => bench::run(&workspace_root(), &args[1..]),
        Some("chaos") => chaos::run(&workspace_root(), &args[1..]),
        Some("fuzz") => fuzz::run(&workspace_root(), &args[1..]),
        Some("codegen") => match args.get(1).map(String::as_str) {
            None => codegen::run(&workspace_root(), codegen::Mode::Write),
            Some("--check") => codegen::run(&workspace_root(), codegen::Mode::Check),
            Some(other) => Err(format!("unknown codegen option `{other}`; try --check")),
        },
        _ => Err(usage()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

fn usage() -> String {
    "usage: cargo xtask codegen [--check] | cargo xtask bench [--only PARTS] | cargo xtask chaos [--ci] \
     [--seed N] [--agents N] [--web-agents N] [--customers N] [--messages N] [--no-faults] \
     [--out FILE] [--release|--debug] | cargo xtask fuzz [--ci] [--seed N] [--inputs N] \
     [--only protocol|sandbox|sockets] [--debug]"
        .to_owned()
}

/// The workspace root: the parent of this crate's directory.
fn workspace_root() -> PathBuf {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .map(PathBuf::from)
        .unwrap_or(manifest_dir)
}
