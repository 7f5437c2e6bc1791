//! The console's admin API over real sockets: the admin token, the inspector views, the
//! remote control, the journal, and the state saved and loaded.

use crate::common::web::{Reply, Web};
use crate::common::{Rtm, World};
use bytes::Bytes;
use http::{Method, StatusCode};
use lc_sandbox::{NewAgent, NewInbentaAgent, NewInbentaApp, Sandbox};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// A world whose sandbox serves the console with admin token `secret`.
async fn console_world() -> World {
    World::with(Sandbox::builder().admin_token("secret")).await
}

async fn admin(web: &Web, method: Method, path: &str, body: Value) -> Reply {
    let headers = [("authorization", "Bearer secret")];
    let body = if body.is_null() {
        Bytes::new()
    } else {
        Bytes::from(body.to_string())
    };
    web.send(method, &format!("/_sandbox/{path}"), &headers, body)
        .await
}

/// A second sandbox that imported `exported` through the admin API: the sandbox, its
/// client and the import's answer.
async fn imported_elsewhere(exported: Value) -> (Sandbox, Web, Value) {
    let other = Sandbox::builder()
        .admin_token("secret")
        .start()
        .await
        .unwrap();
    let web = Web::new(&other);
    let imported = admin(&web, Method::PUT, "state", exported).await.ok();
    (other, web, imported)
}

async fn get(web: &Web, path: &str) -> Value {
    admin(web, Method::GET, path, Value::Null).await.ok()
}

async fn post(web: &Web, path: &str, body: Value) -> Value {
    admin(web, Method::POST, path, body).await.ok()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lc-sandbox-console-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

#[tokio::test]
async fn the_admin_api_needs_the_admin_token_and_is_off_by_default() {
    let world = console_world().await;
    let web = Web::new(&world.sandbox);
    assert_eq!(world.sandbox.admin_token().as_deref(), Some("secret"));
    let builder = format!("{:?}", Sandbox::builder().admin_token("hidden-token"));
    assert!(!builder.contains("hidden-token"), "{builder}");
    let url = world.sandbox.console_url().unwrap();
    assert!(url.ends_with("/#token=secret"), "{url}");
    for auth in [
        None,
        Some("Bearer wrong"),
        Some("secret"),
        Some("Bearer secre"),
    ] {
        let headers: Vec<(&str, &str)> = auth.map(|a| ("authorization", a)).into_iter().collect();
        let reply = web
            .send(Method::GET, "/_sandbox/agents", &headers, Bytes::new())
            .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{auth:?}");
        assert!(
            reply.json()["error"]
                .as_str()
                .unwrap()
                .contains("admin token")
        );
    }
    // The page itself holds no secret: it is served to anyone.
    let page = web.send(Method::GET, "/", &[], Bytes::new()).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    let js = web
        .send(
            Method::GET,
            "/_sandbox/assets/console.js",
            &[],
            Bytes::new(),
        )
        .await;
    assert_eq!(js.status, StatusCode::OK);
    assert!(!js.body.is_empty());
    assert_eq!(
        admin(&web, Method::GET, "nope", Value::Null).await.status,
        StatusCode::NOT_FOUND
    );

    let plain = World::new().await;
    assert_eq!(plain.sandbox.admin_token(), None);
    let web = Web::new(&plain.sandbox);
    for path in ["/", "/_sandbox/agents"] {
        let headers = [("authorization", "Bearer secret")];
        let reply = web.send(Method::GET, path, &headers, Bytes::new()).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
    }
}

#[tokio::test]
async fn the_inspector_shows_agents_connections_customers_and_chats_with_their_events() {
    let world = console_world().await;
    let web = Web::new(&world.sandbox);
    let (mut agent, _customer, chat_id) = world.started_chat().await;
    agent
        .ok(
            "send_event",
            json!({"chat_id": chat_id, "event": {"type": "message", "text": "hello Jane"}}),
        )
        .await;
    agent
        .ok("tag_thread", json!({"chat_id": chat_id, "thread_id": world_thread(&web, &chat_id).await, "tag": "vip"}))
        .await;

    let agents = get(&web, "agents").await;
    let smith = &agents["agents"][0];
    assert_eq!(smith["id"], "smith@example.com");
    assert_eq!(smith["connections"].as_array().unwrap().len(), 1);
    assert_eq!(smith["connections"][0]["api"], "agent");
    assert_eq!(smith["active_chats"], 1);

    let customers = get(&web, "customers").await;
    let jane = &customers["customers"][0];
    assert_eq!(jane["name"], "Jane");
    assert_eq!(jane["chats"], json!([chat_id]));
    assert_eq!(jane["connections"].as_array().unwrap().len(), 1);

    let chats = get(&web, "chats").await;
    let chat = &chats["chats"][0];
    assert_eq!(chat["id"], chat_id.as_str());
    assert_eq!(chat["active"], true);
    let thread = &chat["threads"][0];
    let texts: Vec<&str> = thread["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["text"].as_str())
        .collect();
    assert_eq!(texts, ["hi", "hello Jane"]);
    assert_eq!(thread["tags"], json!(["vip"]));
    assert_eq!(chat["access"]["group_ids"], json!([0]));

    let connections = get(&web, "connections").await;
    assert_eq!(connections["connections"].as_array().unwrap().len(), 2);
    let info = get(&web, "info").await;
    assert_eq!(info["organization_id"], world.sandbox.organization_id());
    assert!(
        info["error_types"]
            .as_array()
            .unwrap()
            .contains(&json!("too_many_requests"))
    );

    let inbenta = get(&web, "inbenta").await;
    assert_eq!(inbenta["apps"], json!([]));
    assert_eq!(get(&web, "webhooks").await["deliveries"], json!([]));
}

/// The id of the chat's first thread, read through the admin API.
async fn world_thread(web: &Web, chat_id: &str) -> String {
    let chats = get(web, "chats").await;
    let chat = chats["chats"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == chat_id)
        .unwrap();
    chat["threads"][0]["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn agents_and_customers_made_by_the_admin_api_log_in_and_revoked_tokens_do_not() {
    let world = console_world().await;
    let web = Web::new(&world.sandbox);
    let bot = post(
        &web,
        "agents",
        json!({"id": "echo@bots", "name": "Echo", "bot": true}),
    )
    .await;
    assert_eq!(bot["id"], "echo@bots");
    let mut rtm = Rtm::agent(&world.sandbox, "3.6").await;
    let login = rtm.ok("login", json!({"token": bot["bearer"]})).await;
    assert_eq!(login["my_profile"]["id"], "echo@bots");
    let agents = get(&web, "agents").await;
    let listed = agents["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == "echo@bots")
        .unwrap()
        .clone();
    assert_eq!(listed["is_bot"], true);
    let again = admin(&web, Method::POST, "agents", json!({"id": "echo@bots"})).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);

    let customer = post(&web, "customers", json!({"name": "Page customer"})).await;
    let id = customer["id"].as_str().unwrap();
    let minted = post(&web, &format!("customers/{id}/token"), Value::Null).await;
    for token in [&customer["bearer"], &minted["bearer"]] {
        let mut rtm = Rtm::customer(&world.sandbox, "3.6").await;
        rtm.ok("login", json!({"token": token})).await;
    }
    let unknown = admin(&web, Method::POST, "customers/nobody/token", Value::Null).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);

    let revoked = post(&web, "tokens/revoke", json!({"token": minted["token"]})).await;
    assert_eq!(revoked["revoked"], true);
    let mut rtm = Rtm::customer(&world.sandbox, "3.6").await;
    let error = rtm.fails("login", json!({"token": minted["bearer"]})).await;
    assert_eq!(error, "authentication");
}

#[tokio::test]
async fn the_journal_shows_each_connections_requests_responses_and_pushes() {
    let world = console_world().await;
    let web = Web::new(&world.sandbox);
    let (_agent, mut customer, chat_id) = world.started_chat().await;
    customer
        .ok(
            "send_event",
            json!({"chat_id": chat_id, "event": {"type": "message", "text": "more"}}),
        )
        .await;
    let jane = world.customer.id.to_string();
    let entries = get(&web, &format!("journal?user={jane}")).await["entries"].clone();
    let seen: Vec<(String, String)> = entries
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap().to_owned(),
                e["action"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let login = entries
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "login" && e["kind"] == "request")
        .unwrap();
    let token = world.customer.token.expose();
    assert!(!login["frame"].as_str().unwrap().contains(token), "{login}");
    for expected in [
        ("request", "login"),
        ("response", "login"),
        ("request", "start_chat"),
        ("response", "start_chat"),
        ("request", "send_event"),
        ("response", "send_event"),
    ] {
        let expected = (expected.0.to_owned(), expected.1.to_owned());
        assert!(seen.contains(&expected), "{expected:?} not in {seen:?}");
    }
    let pushes = get(
        &web,
        "journal?user=smith%40example.com&action=incoming_event",
    )
    .await;
    let pushes = pushes["entries"].as_array().unwrap();
    assert!(!pushes.is_empty());
    assert!(
        pushes
            .iter()
            .all(|e| e["kind"] == "push" && e["direction"] == "out")
    );
    assert!(
        pushes
            .iter()
            .any(|e| e["frame"].as_str().unwrap().contains("more"))
    );
    let last = pushes.last().unwrap()["seq"].as_u64().unwrap();
    let newer = get(
        &web,
        &format!("journal?after={last}&action=incoming_event&user=smith%40example.com"),
    )
    .await;
    assert_eq!(newer["entries"], json!([]));
    let limited = get(&web, "journal?limit=2").await;
    assert_eq!(limited["entries"].as_array().unwrap().len(), 2);
    let bad = admin(&web, Method::GET, "journal?conn=x", Value::Null).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn frames_read_after_another_login_on_a_connection_are_journaled_under_its_user() {
    let world = console_world().await;
    let web = Web::new(&world.sandbox);
    let other = world
        .sandbox
        .create_agent(NewAgent::new("jones@example.com").name("Agent Jones"));
    let mut rtm = world.agent_rtm("3.6").await;
    // Request ids: 1 the login as smith, 2 and 3 read as smith (3: the login as jones),
    // 4 and 5 read as jones.
    rtm.ok("list_routing_statuses", json!({})).await;
    rtm.ok("login", json!({"token": other.bearer().expose()}))
        .await;
    rtm.ok("list_routing_statuses", json!({})).await;
    rtm.ok("list_routing_statuses", json!({})).await;
    let entries = get(&web, "journal").await["entries"].clone();
    let read: Vec<(String, String)> = entries
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "request" && e["direction"] == "in")
        .map(|e| {
            (
                e["request_id"].as_str().unwrap_or_default().to_owned(),
                e["user"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    for (id, user) in [
        ("2", "smith@example.com"),
        ("3", "smith@example.com"),
        ("4", "jones@example.com"),
        ("5", "jones@example.com"),
    ] {
        let expected = (id.to_owned(), user.to_owned());
        assert!(read.contains(&expected), "{expected:?} not in {read:?}");
    }
}

#[tokio::test]
async fn dropping_and_disconnecting_through_the_admin_api_ends_connections_as_documented() {
    let world = console_world().await;
    let web = Web::new(&world.sandbox);
    let mut customer = world.customer_rtm("3.6").await;
    let jane = world.customer.id.to_string();
    let bad = admin(
        &web,
        Method::POST,
        &format!("users/{jane}/disconnect"),
        json!({"reason": "because"}),
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let done = post(
        &web,
        &format!("users/{jane}/disconnect"),
        json!({"reason": "logged_out_remotely"}),
    )
    .await;
    assert_eq!(done["disconnected"].as_array().unwrap().len(), 1);
    let frames = customer.closed().await;
    assert_eq!(frames.last().unwrap()["action"], "customer_disconnected");
    assert_eq!(
        frames.last().unwrap()["payload"]["reason"],
        "logged_out_remotely"
    );

    let mut agent = world.agent_rtm("3.6").await;
    let conns = get(&web, "connections").await;
    let id = conns["connections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["user"] == "smith@example.com")
        .unwrap()["id"]
        .as_u64()
        .unwrap();
    post(&web, &format!("connections/{id}/drop"), Value::Null).await;
    let frames = agent.closed().await;
    assert!(
        frames.iter().all(|f| f["action"] != "agent_disconnected"),
        "a drop sends no disconnect push: {frames:?}"
    );
    let gone = admin(
        &web,
        Method::POST,
        &format!("connections/{id}/drop"),
        Value::Null,
    )
    .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn faults_armed_through_the_admin_api_fail_and_delay_requests() {
    let world = console_world().await;
    let web = Web::new(&world.sandbox);
    let mut agent = world.agent_rtm("3.6").await;
    post(
        &web,
        "faults/fail_next",
        json!({"action": "list_chats", "error": "too_many_requests"}),
    )
    .await;
    assert_eq!(
        agent.fails("list_chats", json!({})).await,
        "too_many_requests"
    );
    agent.ok("list_chats", json!({})).await;
    let unknown = admin(
        &web,
        Method::POST,
        "faults/fail_next",
        json!({"action": "ping", "error": "oops"}),
    )
    .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);

    post(
        &web,
        "faults/delay",
        json!({"ms": 300, "action": "list_chats"}),
    )
    .await;
    let started = Instant::now();
    agent.ok("list_chats", json!({})).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    post(
        &web,
        "faults/delay",
        json!({"ms": 0, "action": "list_chats"}),
    )
    .await;
}

#[tokio::test]
async fn a_state_exported_and_imported_gives_the_same_scene_and_working_tokens() {
    let world = console_world().await;
    let web = Web::new(&world.sandbox);
    let (_agent, _customer, chat_id) = world.started_chat().await;
    world
        .sandbox
        .set_group_property(0, "routing", "pinned", json!(true));
    let exported = get(&web, "state").await;
    assert_eq!(exported["format"], "lc-sandbox-state");
    assert_eq!(exported["version"], 1);

    let (other, other_web, imported) = imported_elsewhere(exported.clone()).await;
    assert_eq!(imported["imported"]["chats"], 1);
    assert_eq!(other.organization_id(), world.sandbox.organization_id());
    assert_eq!(get(&other_web, "state").await, exported);
    assert_eq!(get(&other_web, "chats").await, get(&web, "chats").await);

    // The customer's token works there, and its chat is there.
    let mut customer = Rtm::customer(&other, "3.6").await;
    customer
        .ok("login", json!({"token": world.customer.bearer().expose()}))
        .await;
    let chat = customer.ok("get_chat", json!({"chat_id": chat_id})).await;
    assert_eq!(chat["thread"]["events"][0]["text"], "hi");
    // New ids do not repeat the imported ones.
    let agent = other.create_agent(NewAgent::new("new@example.com"));
    let _ = agent;

    let mut damaged = exported.clone();
    damaged["chats"] = json!("nope");
    let refused = admin(&other_web, Method::PUT, "state", damaged).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    let mut newer = exported;
    newer["version"] = json!(2);
    let refused = admin(&other_web, Method::PUT, "state", newer).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(
        refused.json()["error"]
            .as_str()
            .unwrap()
            .contains("version 2")
    );
    other.shutdown().await;
}

#[tokio::test]
async fn a_state_file_is_written_on_shutdown_and_loaded_at_the_next_start() {
    let file = scratch("state.json");
    let sandbox = Sandbox::builder().state_file(&file).start().await.unwrap();
    let agent = sandbox.create_agent(NewAgent::new("keep@example.com").name("Kept"));
    let world_customer = sandbox.create_customer(lc_sandbox::NewCustomer::new().name("Kim"));
    let organization = sandbox.organization_id();
    {
        let mut customer = Rtm::customer(&sandbox, "3.6").await;
        customer
            .ok("login", json!({"token": world_customer.bearer().expose()}))
            .await;
        customer
            .ok(
                "start_chat",
                json!({"chat": {"thread": {"events": [{"type": "message", "text": "saved"}]}}}),
            )
            .await;
    }
    assert!(!file.exists(), "written on stop, not before");
    sandbox.shutdown().await;
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("\"lc-sandbox-state\""));

    let again = Sandbox::builder().state_file(&file).start().await.unwrap();
    assert_eq!(again.organization_id(), organization);
    let mut rtm = Rtm::agent(&again, "3.6").await;
    let login = rtm
        .ok("login", json!({"token": agent.bearer().expose()}))
        .await;
    assert_eq!(login["my_profile"]["name"], "Kept");
    let chats = rtm.ok("list_chats", json!({})).await;
    let summary = &chats["chats_summary"][0];
    assert_eq!(
        summary["last_event_per_type"]["message"]["event"]["text"],
        "saved"
    );
    again.shutdown().await;
}

#[tokio::test]
async fn a_damaged_or_foreign_state_file_stops_the_start_and_is_left_as_it_is() {
    for (name, text, says) in [
        (
            "damaged.json",
            "{\"format\": \"lc-sandbox-state\", \"version\": 1, \"agents\": 7",
            "not JSON",
        ),
        ("foreign.json", "{\"hello\": 1}", "format"),
        (
            "older.json",
            "{\"format\": \"lc-sandbox-state\", \"version\": 0}",
            "version 0",
        ),
        (
            "shape.json",
            "{\"format\": \"lc-sandbox-state\", \"version\": 1, \"agents\": 7}",
            "damaged",
        ),
    ] {
        let file = scratch(name);
        std::fs::write(&file, text).unwrap();
        let error = Sandbox::builder()
            .state_file(&file)
            .start()
            .await
            .unwrap_err();
        let message = error.to_string();
        assert!(message.contains(says), "{name}: {message}");
        assert!(message.contains(name), "{name}: {message}");
        assert_eq!(
            std::fs::read_to_string(&file).unwrap(),
            text,
            "{name} untouched"
        );
    }
}

#[tokio::test]
async fn the_binary_announces_the_console_and_writes_its_state_on_sigterm() {
    let file = scratch("binary-state.json");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_lc-sandbox"))
        .args(["--admin-token", "bin-secret", "--state"])
        .arg(&file)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let lines = tokio::task::spawn_blocking(move || {
        use std::io::BufRead;
        std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .take_while(|l| !l.starts_with("Press Ctrl-C"))
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    let console = lines
        .iter()
        .find(|l| l.trim_start().starts_with("console"))
        .unwrap();
    assert!(
        console.trim_end().ends_with("/#token=bin-secret"),
        "{console}"
    );
    assert!(
        lines.iter().any(|l| l.contains("Bearer bin-secret")),
        "{lines:?}"
    );
    let status = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(exit.success(), "{exit:?}");
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert!(
        saved["agents"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["profile"]["id"] == "agent@sandbox.local")
    );
}

#[tokio::test]
async fn the_binary_refuses_a_damaged_state_file_and_leaves_it_alone() {
    let file = scratch("damaged-binary.json");
    let text = "{\"format\": \"lc-sandbox-state\", \"version\": 1, \"chats\": [";
    std::fs::write(&file, text).unwrap();
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_lc-sandbox"));
    command.arg("--state").arg(&file);
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--state") && stderr.contains("not JSON"),
        "{stderr}"
    );
    assert!(output.stdout.is_empty(), "no banner: it did not start");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), text);
}

#[tokio::test]
async fn the_binary_without_console_serves_neither_the_page_nor_the_admin_api() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_lc-sandbox"))
        .arg("--no-console")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let banner = tokio::task::spawn_blocking(move || {
        use std::io::BufRead;
        let mut banner = Vec::new();
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            let end = line.starts_with("Press Ctrl-C");
            banner.push(line);
            if end {
                break;
            }
        }
        banner
    })
    .await
    .unwrap();
    let host = banner[0]
        .trim_start_matches("lc-sandbox listening on ")
        .to_owned();
    let mut stream = tokio::net::TcpStream::connect(&host).await.unwrap();
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        !banner
            .iter()
            .any(|l| l.contains("console") || l.contains("admin")),
        "{banner:?}"
    );
    assert!(answer.starts_with("HTTP/1.1 404"), "{answer}");
}

/// An Inbenta scene in `sandbox`: app `app-s` (secret `s3cret`), agent Ann, and end user
/// Bob's chat taken by Ann with a message and a file. Returns `(ann token, bob id, bob
/// token, chat id, file path)`.
async fn inbenta_scene(sandbox: &Sandbox) -> (String, String, String, String, String) {
    use crate::common::inbenta::{Rest, Ws, create_chat};
    let app = sandbox.create_inbenta_app(NewInbentaApp::new("app-s").secret("s3cret"));
    let ann = sandbox.create_inbenta_agent(&app.app_id, NewInbentaAgent::new("Ann"));
    let rest = Rest::new(sandbox);
    let (bob, token) = rest.new_user("app-s", "Bob").await;
    let mut ws = Ws::connect(sandbox, "app-s", &token).await;
    let chat = create_chat(&mut ws, &bob).await;
    let assigned = ws.ok("chats:assign", json!({"chatId": chat})).await;
    assert_eq!(assigned["agent"]["id"], ann.id);
    let bobs = [
        ("x-hyper-appid", "app-s"),
        ("x-hyper-token", token.as_str()),
    ];
    let path = format!("chats/{chat}/messages");
    let body = Some(json!({"chatId": chat, "sender": bob, "message": "Hello"}));
    rest.call(Method::POST, &path, &bobs, body).await.ok();
    let uploaded = rest
        .upload(
            &bobs,
            &chat,
            &bob,
            ("note.txt", "text/plain", b"kept bytes"),
        )
        .await
        .ok();
    let file = uploaded["media"]["url"]
        .as_str()
        .unwrap()
        .trim_start_matches('/')
        .to_owned();
    (ann.token.expose().to_owned(), bob, token, chat, file)
}

/// Bob's chat in `sandbox` as a loaded state gives it: read, listed, its file served, and
/// it goes on over REST and the socket.
async fn inbenta_scene_works(sandbox: &Sandbox, scene: &(String, String, String, String, String)) {
    use crate::common::inbenta::{Rest, Ws};
    let (ann_token, bob, token, chat, file) = scene;
    let rest = Rest::new(sandbox);
    let bobs = [
        ("x-hyper-appid", "app-s"),
        ("x-hyper-token", token.as_str()),
    ];
    let anns = [
        ("x-hyper-appid", "app-s"),
        ("x-hyper-token", ann_token.as_str()),
    ];
    let read = rest
        .call(Method::GET, &format!("chats/{chat}"), &bobs, None)
        .await
        .ok();
    assert_eq!(read["chat"]["creator"], *bob);
    assert_eq!(read["chat"]["status"], "active");
    let path = format!("chats/{chat}/messages");
    let listed = rest.call(Method::GET, &path, &anns, None).await.ok();
    let messages = listed["messages"].as_array().unwrap();
    assert_eq!(messages[0]["message"], "Hello");
    assert_eq!(messages[1]["type"], "media");
    let served = rest.call(Method::GET, file, &anns, None).await;
    assert_eq!(served.status, 200);
    assert_eq!(&served.body[..], b"kept bytes");
    // The chat goes on: Ann's socket gets Bob's next message, whose id is new.
    let mut ann_ws = Ws::connect(sandbox, "app-s", ann_token).await;
    let body = Some(json!({"chatId": chat, "sender": bob, "message": "Again"}));
    let sent = rest.call(Method::POST, &path, &bobs, body).await.ok();
    let pushed = ann_ws.push("message:received").await;
    assert_eq!(pushed["message"]["message"], "Again");
    let known: Vec<&Value> = messages.iter().map(|m| &m["id"]).collect();
    assert!(!known.contains(&&sent["message"]["id"]), "{sent}");
    // A new user gets a new id; the secret still works.
    let secret = [("x-hyper-appid", "app-s"), ("x-hyper-secret", "s3cret")];
    let carl = rest
        .call(
            Method::POST,
            "users",
            &secret,
            Some(json!({"name": "Carl"})),
        )
        .await
        .ok();
    assert_ne!(carl["user"]["id"], *bob);
    assert!(carl["user"]["id"].is_string());
}

#[tokio::test]
async fn an_inbenta_chat_exported_and_imported_goes_on_over_the_inbenta_api() {
    let world = console_world().await;
    let web = Web::new(&world.sandbox);
    let scene = inbenta_scene(&world.sandbox).await;
    let exported = get(&web, "state").await;
    let app = &exported["inbenta"]["apps"][0];
    assert_eq!(app["app_id"], "app-s");
    assert_eq!(app["chats"][0]["agent"], app["users"][0]["profile"]["id"]);

    let (other, other_web, imported) = imported_elsewhere(exported.clone()).await;
    assert_eq!(imported["imported"]["inbenta_apps"], 1);
    assert_eq!(get(&other_web, "state").await, exported);
    assert_eq!(
        get(&other_web, "inbenta").await["apps"][0]["chats"][0]["id"],
        json!(scene.3)
    );
    inbenta_scene_works(&other, &scene).await;

    let mut damaged = exported;
    damaged["inbenta"]["apps"][0]["media"][0]["content"] = json!("not base64!");
    let refused = admin(&other_web, Method::PUT, "state", damaged).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.json()["error"].as_str().unwrap().contains("media"));
    other.shutdown().await;
}

#[tokio::test]
async fn an_inbenta_chat_saved_on_stop_goes_on_after_the_next_start() {
    let file = scratch("inbenta-state.json");
    let sandbox = Sandbox::builder().state_file(&file).start().await.unwrap();
    let scene = inbenta_scene(&sandbox).await;
    sandbox.shutdown().await;
    let again = Sandbox::builder().state_file(&file).start().await.unwrap();
    inbenta_scene_works(&again, &scene).await;
    again.shutdown().await;
}

#[tokio::test]
async fn the_journal_shows_agent_and_customer_web_calls_without_their_tokens() {
    use crate::common::web::{agent_bearer, customer_bearer};
    let world = console_world().await;
    let web = Web::new(&world.sandbox);
    let agent_auth = agent_bearer(&world.agent);
    let customer_auth = customer_bearer(&world.customer);
    let started = web
        .customer(
            "3.6",
            "start_chat",
            &customer_auth,
            json!({"chat": {"thread": {"events": [{"type": "message", "text": "by web"}]}}}),
        )
        .await
        .ok();
    web.agent("3.6", "list_chats", &agent_auth, json!({"limit": 5}))
        .await
        .ok();
    let missing = web
        .agent("3.6", "get_chat", &agent_auth, json!({"chat_id": "NOPE"}))
        .await;
    assert_ne!(missing.status, StatusCode::OK);

    let entries = get(&web, "journal").await["entries"].clone();
    let web_entries: Vec<&Value> = entries
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["transport"] == "web")
        .collect();
    let calls: Vec<(&str, &str, &str, Option<bool>)> = web_entries
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap(),
                e["kind"].as_str().unwrap(),
                e["user"].as_str().unwrap_or(""),
                e["success"].as_bool(),
            )
        })
        .collect();
    let (jane, smith) = (world.customer.id.as_str(), world.agent.id.as_str());
    assert_eq!(
        calls,
        [
            ("start_chat", "request", jane, None),
            ("start_chat", "response", jane, Some(true)),
            ("list_chats", "request", smith, None),
            ("list_chats", "response", smith, Some(true)),
            ("get_chat", "request", smith, None),
            ("get_chat", "response", smith, Some(false)),
        ]
    );
    // A request and its response share a request id; each call has its own.
    assert_eq!(web_entries[0]["request_id"], web_entries[1]["request_id"]);
    assert_ne!(web_entries[1]["request_id"], web_entries[2]["request_id"]);
    assert!(web_entries[0]["frame"].as_str().unwrap().contains("by web"));
    let chat_id = started["chat_id"].as_str().unwrap();
    assert!(web_entries[1]["frame"].as_str().unwrap().contains(chat_id));
    assert!(
        web_entries[5]["frame"]
            .as_str()
            .unwrap()
            .contains("not_found")
    );
    // No token anywhere in the journal.
    let text = entries.to_string();
    for token in [world.agent.token.expose(), world.customer.token.expose()] {
        assert!(!text.contains(token), "a token in {text}");
    }
    // The filters apply to Web entries too.
    let filtered = get(&web, "journal?action=list_chats").await["entries"].clone();
    assert_eq!(filtered.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_queued_inbenta_chat_imported_is_taken_by_the_first_agent_online() {
    use crate::common::inbenta::{Rest, Ws, create_chat};
    let world = console_world().await;
    let web = Web::new(&world.sandbox);
    let sandbox = &world.sandbox;
    sandbox.create_inbenta_app(NewInbentaApp::new("app-q").queue_mode(true));
    let ann = sandbox.create_inbenta_agent("app-q", NewInbentaAgent::new("Ann"));
    sandbox.set_inbenta_agent_online("app-q", &ann.id, false);
    let (bob, token) = Rest::new(sandbox).new_user("app-q", "Bob").await;
    let mut ws = Ws::connect(sandbox, "app-q", &token).await;
    let chat = create_chat(&mut ws, &bob).await;
    let exported = get(&web, "state").await;
    assert_eq!(exported["inbenta"]["apps"][0]["queues"]["1"], json!([chat]));

    let (other, _, _) = imported_elsewhere(exported).await;
    let mut ws = Ws::connect(&other, "app-q", &token).await;
    ws.no_push("user:joined", Duration::from_millis(150)).await;
    other.set_inbenta_agent_online("app-q", &ann.id, true);
    let joined = ws.push("user:joined").await;
    assert_eq!(joined["chatId"], chat);
    assert_eq!(joined["user"]["id"], ann.id);
    other.shutdown().await;
}

#[tokio::test]
async fn a_state_imported_twice_into_the_same_sandbox_alerts_an_idle_chat_once() {
    use crate::common::inbenta::{Rest, Ws, create_chat};
    let world = console_world().await;
    let sandbox = &world.sandbox;
    let web = Web::new(sandbox);
    let idle =
        NewInbentaApp::new("app-t").inactivity(Duration::from_millis(300), Duration::from_secs(5));
    sandbox.create_inbenta_app(idle);
    let rest = Rest::new(sandbox);
    let (bob, token) = rest.new_user("app-t", "Bob").await;
    let mut ws = Ws::connect(sandbox, "app-t", &token).await;
    let chat = create_chat(&mut ws, &bob).await;
    let exported = get(&web, "state").await;
    // Each import replaces the chat with itself; the timers of the one replaced end.
    for _ in 0..2 {
        let put = admin(&web, Method::PUT, "state", exported.clone()).await;
        assert_eq!(put.status, StatusCode::OK, "{}", put.json());
    }
    let mut ws = Ws::connect(sandbox, "app-t", &token).await;
    let alert = ws.push("chat:timer:expiryAlert").await;
    assert_eq!(alert["chatId"], chat);
    ws.no_push("chat:timer:expiryAlert", Duration::from_millis(600))
        .await;
}
