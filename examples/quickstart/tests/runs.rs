//! The README's main command works: the quickstart runs to its end against the embedded
//! sandbox.

#[test]
fn the_quickstart_runs_to_the_end() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_quickstart"))
        .output()
        .expect("the quickstart binary runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "exit {:?}\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("Ann got: \"Hi! Where is my order?\""),
        "{stdout}"
    );
    assert!(stdout.contains("Bob got: \"It ships today."), "{stdout}");
    assert!(stdout.contains("a file at http://127.0.0.1:"), "{stdout}");
    assert!(stdout.ends_with("Done.\n"), "{stdout}");
}
