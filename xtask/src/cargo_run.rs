//! Runs a binary of the workspace through `cargo run`, as `chaos` and `fuzz` do.

use std::path::Path;
use std::process::{Command, ExitStatus};

/// Builds (in release or debug) and runs the binary `package` of the workspace at
/// `root` with `args`; its exit status.
pub(crate) fn run_bin(
    root: &Path,
    package: &str,
    release: bool,
    args: &[&String],
) -> Result<ExitStatus, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut command = Command::new(cargo);
    command
        .arg("run")
        .arg("--quiet")
        .arg("--manifest-path")
        .arg(root.join("Cargo.toml"))
        .args(["--package", package, "--bin", package]);
    if release {
        command.arg("--release");
    }
    command.arg("--").args(args);
    command
        .status()
        .map_err(|e| format!("could not run cargo: {e}"))
}
