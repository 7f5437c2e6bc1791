//! The `lc-sandbox` binary: its ready file and its command-line errors. (TLS with
//! `--self-signed` and a clean stop on SIGTERM are checked by `tests/interop/run.sh`.)

mod common;

use common::Rtm;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running sandbox binary, killed when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A fresh scratch folder.
fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lc-sandbox-bin-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

/// Starts the binary with `args` and waits (10 s at most) for its ready file.
fn start(args: &[&str], ready: &Path) -> (Running, Value) {
    let child = Command::new(env!("CARGO_BIN_EXE_lc-sandbox"))
        .args(args)
        .arg("--ready-file")
        .arg(ready)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the lc-sandbox binary starts");
    let running = Running(child);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !ready.exists() {
        assert!(Instant::now() < deadline, "no ready file within 10 s");
        std::thread::sleep(Duration::from_millis(20));
    }
    let text = std::fs::read_to_string(ready).expect("a readable ready file");
    (
        running,
        serde_json::from_str(&text).expect("a JSON ready file"),
    )
}

#[tokio::test]
async fn the_ready_file_names_a_port_where_its_agent_and_customer_log_in() {
    let dir = scratch();
    let (_running, ready) = start(&["--organization-id", "org-test"], &dir.join("ready.json"));
    assert_eq!(ready["organization_id"], "org-test");
    let port = ready["port"].as_u64().unwrap();

    let mut agent = Rtm::connect(&format!("ws://127.0.0.1:{port}/v3.6/agent/rtm/ws")).await;
    let token = format!("Bearer {}", ready["agent"]["token"].as_str().unwrap());
    let login = agent.ok("login", json!({ "token": token })).await;
    assert_eq!(login["my_profile"]["id"], ready["agent"]["id"]);

    let url = format!("ws://127.0.0.1:{port}/v3.6/customer/rtm/ws?organization_id=org-test");
    let mut customer = Rtm::connect(&url).await;
    let token = format!("Bearer {}", ready["customer"]["token"].as_str().unwrap());
    let login = customer.ok("login", json!({ "token": token })).await;
    assert_eq!(login["customer"]["id"], ready["customer"]["id"]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_unknown_flag_exits_with_status_2_naming_it() {
    let output = Command::new(env!("CARGO_BIN_EXE_lc-sandbox"))
        .arg("--bogus")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--bogus"));
}
