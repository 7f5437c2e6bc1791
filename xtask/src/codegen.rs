//! `cargo xtask codegen [--check]`: spec/ → generated Rust, docs/actions.md,
//! docs/migrating-from-js.md and the livechat crate's test of the JS counterparts.

use crate::spec::{FILES, Spec};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Write the generated files, or check that they are up to date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Write,
    Check,
}

/// Runs the generator over the workspace at `root`.
pub(crate) fn run(root: &Path, mode: Mode) -> Result<(), String> {
    let spec = Spec::load(&root.join("spec"))?;
    let seeds = crate::seeds::seeds_dir(root);
    if seeds.is_dir() {
        let problems = crate::seeds::coverage_problems(&spec.seeds, &seeds)?;
        if !problems.is_empty() {
            return Err(format!(
                "spec/seeds.toml does not match {}:\n  {}",
                seeds.display(),
                problems.join("\n  ")
            ));
        }
    } else {
        eprintln!(
            "note: {} not found; seed coverage not checked",
            seeds.display()
        );
    }
    let outputs = generate(root, &spec)?;
    let mut stale = Vec::new();
    for (path, content) in &outputs {
        let current = std::fs::read_to_string(path).ok();
        if current.as_deref() == Some(content.as_str()) {
            continue;
        }
        match mode {
            Mode::Check => stale.push(relative(root, path)),
            Mode::Write => {
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
                }
                std::fs::write(path, content).map_err(|e| format!("{}: {e}", path.display()))?;
                eprintln!("wrote {}", relative(root, path));
            }
        }
    }
    let generated_dir = root.join("crates/lc-protocol/src/generated");
    for leftover in leftovers(&generated_dir, &outputs) {
        match mode {
            Mode::Check => stale.push(format!(
                "{} (no longer generated)",
                relative(root, &leftover)
            )),
            Mode::Write => {
                std::fs::remove_file(&leftover)
                    .map_err(|e| format!("{}: {e}", leftover.display()))?;
                eprintln!("removed {}", relative(root, &leftover));
            }
        }
    }
    if stale.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "generated files are stale; run `cargo xtask codegen`:\n  {}",
            stale.join("\n  ")
        ))
    }
}

/// Every generated file and its content.
fn generate(root: &Path, spec: &Spec) -> Result<Vec<(PathBuf, String)>, String> {
    let dir = root.join("crates/lc-protocol/src/generated");
    let modules: Vec<&str> = FILES.iter().map(|(_, module)| *module).collect();
    let mut outputs = Vec::new();
    for module in &modules {
        let code = crate::render::module(spec, module);
        outputs.push((dir.join(format!("{module}.rs")), rustfmt(root, &code)?));
    }
    outputs.push((
        dir.join("mod.rs"),
        rustfmt(root, &crate::render::mod_rs(&modules))?,
    ));
    outputs.push((
        dir.join("meta.rs"),
        rustfmt(root, &crate::render::meta_rs(spec))?,
    ));
    outputs.push((root.join("docs/actions.md"), crate::docs::actions_md(spec)));
    outputs.push((
        root.join("docs/migrating-from-js.md"),
        crate::migrating::migrating_md(spec)?,
    ));
    outputs.push((
        root.join("crates/livechat/tests/it/js_counterparts.rs"),
        rustfmt(root, &crate::migrating::counterparts_rs(spec)?)?,
    ));
    Ok(outputs)
}

/// Formats Rust code with the toolchain's rustfmt, so that `cargo fmt --check` agrees.
fn rustfmt(root: &Path, code: &str) -> Result<String, String> {
    let mut child = Command::new("rustfmt")
        .args(["--edition", "2024", "--emit", "stdout"])
        .current_dir(root)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run rustfmt: {e}"))?;
    let mut stdin = child.stdin.take().ok_or("rustfmt has no stdin")?;
    let input = code.to_owned();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child
        .wait_with_output()
        .map_err(|e| format!("rustfmt failed: {e}"))?;
    writer
        .join()
        .map_err(|_| "rustfmt writer panicked".to_owned())?
        .map_err(|e| format!("cannot feed rustfmt: {e}"))?;
    if !output.status.success() {
        let dump = std::env::temp_dir().join("xtask-codegen-unformatted.rs");
        let _ = std::fs::write(&dump, code);
        return Err(format!(
            "rustfmt rejected generated code (saved to {}):\n{}",
            dump.display(),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    String::from_utf8(output.stdout).map_err(|e| format!("rustfmt output is not UTF-8: {e}"))
}

/// `.rs` files in the generated directory that the generator no longer writes.
fn leftovers(dir: &Path, outputs: &[(PathBuf, String)]) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .filter(|p| !outputs.iter().any(|(o, _)| o == p))
        .collect();
    out.sort();
    out
}

fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}
