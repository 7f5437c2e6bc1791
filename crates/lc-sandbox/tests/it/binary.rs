//! The `lc-sandbox` binary: its banner, its ready file (LiveChat and the Inbenta demo
//! app), its ready-made users reused from a `--state` file, and its command-line errors.
//! (TLS with `--self-signed` is checked by `tests/interop/run.sh`.)

#![allow(clippy::unwrap_used)]

use crate::common;

use bytes::Bytes;
use common::Rtm;
use futures_util::{SinkExt, StreamExt};
use http::{Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A running sandbox binary, killed when dropped, with its stdout line by line.
struct Running {
    child: Child,
    stdout: mpsc::Receiver<String>,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Running {
    /// The banner: the stdout lines up to `Press Ctrl-C to stop.` (10 s at most).
    fn banner(&self) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut lines = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self
                .stdout
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("no whole banner within 10 s: {lines:?}"));
            let end = line.starts_with("Press Ctrl-C");
            lines.push(line);
            if end {
                return lines;
            }
        }
    }
}

/// The value of the banner line labelled `label`: the text after it, trimmed.
fn banner_value<'a>(banner: &'a [String], label: &str) -> &'a str {
    banner
        .iter()
        .find_map(|line| line.trim_start().strip_prefix(label))
        .unwrap_or_else(|| panic!("no `{label}` line in {banner:#?}"))
        .trim()
}

/// A fresh scratch folder.
fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lc-sandbox-bin-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

/// Starts the binary with `args` and waits (10 s at most) for its ready file.
fn start(args: &[&str], ready: &Path) -> (Running, Value) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lc-sandbox"))
        .args(args)
        .arg("--ready-file")
        .arg(ready)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the lc-sandbox binary starts");
    let (lines, stdout) = mpsc::channel();
    let out = child.stdout.take().expect("a piped stdout");
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let running = Running { child, stdout };
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

/// `POST <rest>users` with `x-hyper-appid: <app>`: the status and the JSON body.
async fn create_inbenta_user(rest: &str, app: &str) -> (StatusCode, Value) {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let request = Request::builder()
        .method(Method::POST)
        .uri(format!("{rest}users"))
        .header("x-hyper-appid", app)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(r#"{"name":"Bob"}"#)))
        .unwrap();
    let response = tokio::time::timeout(Duration::from_secs(10), client.request(request))
        .await
        .expect("an answer in time")
        .unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
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

#[tokio::test]
async fn the_banner_names_the_inbenta_demo_app_and_its_agent_and_they_work() {
    let dir = scratch();
    let (running, ready) = start(&[], &dir.join("ready.json"));
    let banner = running.banner();
    let port = ready["port"].as_u64().unwrap();

    let app = banner_value(&banner, "Inbenta app id")
        .split_whitespace()
        .next()
        .unwrap();
    assert_eq!(app, "demo-app");
    let rest = banner_value(&banner, "Inbenta REST");
    assert_eq!(rest, format!("http://127.0.0.1:{port}/v1/"));
    let realtime = banner_value(&banner, "Inbenta realtime");
    assert_eq!(
        realtime,
        format!("ws://127.0.0.1:{port}/v1/ws?appId=demo-app")
    );
    let agent = banner_value(&banner, "Inbenta agent");
    let (agent_id, token) = agent
        .split_once("  token: ")
        .expect("`<id>  token: <token>`");
    assert_eq!(ready["inbenta"]["app_id"], app);
    assert_eq!(ready["inbenta"]["rest_url"], rest);
    assert_eq!(ready["inbenta"]["ws_url"], realtime);
    assert_eq!(ready["inbenta"]["agent"]["id"], agent_id);
    assert_eq!(ready["inbenta"]["agent"]["token"], token);

    // The printed app id works: POST /v1/users answers a user and a session.
    let (status, body) = create_inbenta_user(rest, app).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["user"]["name"], "Bob");
    assert!(body["session"]["token"].is_string(), "{body}");
    // So does the printed agent token, on the printed realtime URL.
    let (mut agent_socket, _) =
        tokio_tungstenite::connect_async(format!("{realtime}&token={token}"))
            .await
            .expect("the agent's socket opens");
    let request = json!({"id": "1", "name": "users:chats", "data": {"userId": agent_id}});
    agent_socket
        .send(tokio_tungstenite::tungstenite::Message::text(
            request.to_string(),
        ))
        .await
        .unwrap();
    let reply = tokio::time::timeout(Duration::from_secs(10), agent_socket.next())
        .await
        .expect("a reply in time")
        .unwrap()
        .unwrap();
    let reply: Value = serde_json::from_str(reply.to_text().unwrap()).unwrap();
    assert_eq!(reply, json!({"id": "1", "data": {"chats": {}}}));
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

/// Stops the binary with SIGTERM (a clean stop: it writes its state file) and waits.
fn stop_cleanly(mut running: Running) {
    let status = Command::new("kill")
        .args(["-TERM", &running.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = running.child.wait().unwrap();
    assert!(exit.success(), "{exit:?}");
}

/// Opens a realtime socket of app `app` as the owner of `token` and asks for
/// `users:chats` of `user`: the reply.
async fn inbenta_user_chats(realtime: &str, token: &str, user: &str) -> Value {
    let (mut socket, _) = tokio_tungstenite::connect_async(format!("{realtime}&token={token}"))
        .await
        .expect("the socket opens");
    let request = json!({"id": "1", "name": "users:chats", "data": {"userId": user}});
    socket
        .send(tokio_tungstenite::tungstenite::Message::text(
            request.to_string(),
        ))
        .await
        .unwrap();
    let reply = tokio::time::timeout(Duration::from_secs(10), socket.next())
        .await
        .expect("a reply in time")
        .unwrap()
        .unwrap();
    serde_json::from_str(reply.to_text().unwrap()).unwrap()
}

#[tokio::test]
async fn with_a_state_file_the_binary_reuses_its_ready_made_users_and_inbenta_app() {
    let dir = scratch();
    let state = dir.join("state.json");
    let state_arg = state.to_str().unwrap();
    let (running, first) = start(&["--state", state_arg], &dir.join("ready-1.json"));
    // An end user of the demo app, which the next start must keep.
    let rest = first["inbenta"]["rest_url"].as_str().unwrap();
    let (status, bob) = create_inbenta_user(rest, "demo-app").await;
    assert_eq!(status, StatusCode::OK, "{bob}");
    stop_cleanly(running);

    let (running, second) = start(&["--state", state_arg], &dir.join("ready-2.json"));
    let banner = running.banner();
    for part in ["customer", "agent"] {
        assert_eq!(second[part], first[part], "the same {part}");
    }
    assert_eq!(second["inbenta"]["agent"], first["inbenta"]["agent"]);
    let customer_token = second["customer"]["token"].as_str().unwrap();
    let customer_line = banner
        .iter()
        .find(|l| l.trim_start().starts_with("customer") && l.contains("token:"))
        .unwrap();
    assert!(customer_line.ends_with(customer_token), "{customer_line}");
    // The printed tokens work.
    let port = second["port"].as_u64().unwrap();
    let org = second["organization_id"].as_str().unwrap();
    let url = format!("ws://127.0.0.1:{port}/v3.6/customer/rtm/ws?organization_id={org}");
    let mut customer = Rtm::connect(&url).await;
    let login = customer
        .ok(
            "login",
            json!({ "token": format!("Bearer {customer_token}") }),
        )
        .await;
    assert_eq!(login["customer"]["id"], first["customer"]["id"]);
    let mut agent = Rtm::connect(&format!("ws://127.0.0.1:{port}/v3.6/agent/rtm/ws")).await;
    let token = format!("Bearer {}", second["agent"]["token"].as_str().unwrap());
    agent.ok("login", json!({ "token": token })).await;
    // Bob, made in the first run, is still a user of the demo app.
    let realtime = second["inbenta"]["ws_url"].as_str().unwrap();
    let bob_id = bob["user"]["id"].as_str().unwrap();
    let bob_token = bob["session"]["token"].as_str().unwrap();
    let reply = inbenta_user_chats(realtime, bob_token, bob_id).await;
    assert_eq!(reply, json!({"id": "1", "data": {"chats": {}}}));
    stop_cleanly(running);

    // Two starts, one of each ready-made user in the saved state.
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
    let named = |list: &Value, name: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .filter(|u| u["profile"]["name"] == name)
            .count()
    };
    assert_eq!(named(&saved["customers"], "Sandbox Customer"), 1);
    assert_eq!(named(&saved["agents"], "Sandbox Agent"), 1);
    assert_eq!(
        saved["tokens"].as_array().unwrap().len(),
        2,
        "no token piles up"
    );
    let app = &saved["inbenta"]["apps"][0];
    assert_eq!(app["app_id"], "demo-app");
    assert_eq!(named(&app["users"], "Sandbox Agent"), 1);
    assert_eq!(named(&app["users"], "Bob"), 1);
    let _ = std::fs::remove_dir_all(&dir);
}
