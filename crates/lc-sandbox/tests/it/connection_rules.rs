//! RTM connection rules (§1.2–§1.9 and §8 items 12, 13, 21, 22 of the protocol notes):
//! login deadline, idle timeout, pings, the pending-request limit, request versions, the
//! login `pushes` subscription, `request_id` placement, and the fault-injection hooks.

use crate::common;

use common::{Rtm, World};
use lc_sandbox::Sandbox;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

/// A ping frame with request id `id`.
fn ping(id: &str) -> String {
    json!({"request_id": id, "action": "ping", "payload": {}}).to_string()
}

/// A customer start_chat payload with one message.
fn chat_with(text: &str) -> Value {
    json!({"chat": {"thread": {"events": [{"type": "message", "text": text}]}}})
}

/// Whether `frames` hold the disconnect push `name` with reason `connection_timeout`.
fn timed_out(frames: &[Value], name: &str) -> bool {
    frames
        .iter()
        .any(|f| f["action"] == name && f["payload"]["reason"] == "connection_timeout")
}

#[tokio::test]
async fn a_connection_that_never_logs_in_is_closed_at_the_login_deadline() {
    let builder = Sandbox::builder().login_deadline(Duration::from_millis(300));
    let world = World::with(builder).await;
    let started = Instant::now();
    let mut rtm = Rtm::agent(&world.sandbox, "3.6").await;
    let frames = rtm.closed().await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(timed_out(&frames, "agent_disconnected"), "{frames:?}");
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn pings_before_login_are_answered_but_do_not_extend_the_login_deadline() {
    let builder = Sandbox::builder().login_deadline(Duration::from_millis(600));
    let world = World::with(builder).await;
    let started = Instant::now();
    let mut rtm = Rtm::agent(&world.sandbox, "3.6").await;
    let mut answered = 0;
    while let Some(frame) = rtm.try_request("ping", json!({})).await {
        assert_eq!(frame["success"], true, "{frame}");
        answered += 1;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        answered >= 3,
        "pings were answered before login: {answered}"
    );
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "closed at the deadline despite the pings: {:?}",
        started.elapsed()
    );
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn logging_in_before_the_deadline_keeps_the_connection() {
    let builder = Sandbox::builder()
        .login_deadline(Duration::from_millis(300))
        .idle_timeout(Duration::from_secs(30));
    let world = World::with(builder).await;
    let mut rtm = world.agent_rtm("3.6").await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    rtm.ok("ping", json!({})).await;
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn an_idle_agent_gets_agent_disconnected_connection_timeout_then_is_closed() {
    let builder = Sandbox::builder().idle_timeout(Duration::from_millis(400));
    let world = World::with(builder).await;
    let mut rtm = world.agent_rtm("3.6").await;
    let frames = rtm.closed().await;
    assert!(timed_out(&frames, "agent_disconnected"), "{frames:?}");
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn an_idle_customer_gets_customer_disconnected_connection_timeout_then_is_closed() {
    let builder = Sandbox::builder().idle_timeout(Duration::from_millis(400));
    let world = World::with(builder).await;
    let mut rtm = world.customer_rtm("3.6").await;
    let frames = rtm.closed().await;
    assert!(timed_out(&frames, "customer_disconnected"), "{frames:?}");
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn ping_actions_keep_a_logged_in_connection_alive() {
    let builder = Sandbox::builder().idle_timeout(Duration::from_millis(800));
    let world = World::with(builder).await;
    let mut rtm = world.agent_rtm("3.6").await;
    for _ in 0..8 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        rtm.ok("ping", json!({})).await;
    }
    assert!(
        rtm.pushes
            .iter()
            .all(|p| p["action"] != "agent_disconnected")
    );
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn control_frame_pings_keep_a_logged_in_connection_alive() {
    let builder = Sandbox::builder().idle_timeout(Duration::from_millis(800));
    let world = World::with(builder).await;
    let mut rtm = world.agent_rtm("3.6").await;
    for _ in 0..8 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        rtm.control_ping().await;
    }
    rtm.ok("ping", json!({})).await;
    assert!(
        rtm.pushes
            .iter()
            .all(|p| p["action"] != "agent_disconnected")
    );
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn the_eleventh_pending_request_fails_with_pending_requests_limit_reached() {
    let world = World::new().await;
    let mut rtm = world.agent_rtm("3.6").await;
    world.sandbox.set_response_delay(Duration::from_millis(400));
    for id in 1..=11 {
        rtm.send_text(&ping(&id.to_string())).await;
    }
    let first = rtm.next_response().await;
    assert_eq!(
        first["request_id"], "11",
        "the refused request is answered first"
    );
    assert_eq!(
        first["payload"]["error"]["type"], "pending_requests_limit_reached",
        "{first}"
    );
    for id in 1..=10 {
        let frame = rtm.next_response().await;
        assert_eq!(frame["request_id"], id.to_string());
        assert_eq!(frame["success"], true, "{frame}");
    }
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn requests_are_accepted_again_once_pending_ones_are_answered() {
    let world = World::new().await;
    let mut rtm = world.agent_rtm("3.6").await;
    world.sandbox.set_response_delay(Duration::from_millis(200));
    for id in 1..=10 {
        rtm.send_text(&ping(&id.to_string())).await;
    }
    for _ in 1..=10 {
        assert_eq!(rtm.next_response().await["success"], true);
    }
    rtm.ok("ping", json!({})).await;
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn delayed_responses_keep_the_order_of_the_requests() {
    let world = World::new().await;
    let mut rtm = world.agent_rtm("3.6").await;
    world.sandbox.set_response_delay(Duration::from_millis(50));
    for id in 1..=8 {
        rtm.send_text(&ping(&id.to_string())).await;
    }
    for id in 1..=8 {
        assert_eq!(rtm.next_response().await["request_id"], id.to_string());
    }
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn a_response_delay_holds_the_response_back() {
    let world = World::new().await;
    let mut rtm = world.agent_rtm("3.6").await;
    world.sandbox.set_response_delay(Duration::from_millis(300));
    let started = Instant::now();
    rtm.ok("ping", json!({})).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    world.sandbox.set_response_delay(Duration::ZERO);
    let started = Instant::now();
    rtm.ok("ping", json!({})).await;
    assert!(started.elapsed() < Duration::from_millis(300));
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn an_action_delay_slows_that_action_only() {
    let world = World::new().await;
    let mut rtm = Rtm::agent(&world.sandbox, "3.6").await;
    world
        .sandbox
        .set_action_delay("ping", Duration::from_millis(300));
    let started = Instant::now();
    rtm.ok("login", json!({"token": world.agent.bearer().expose()}))
        .await;
    assert!(started.elapsed() < Duration::from_millis(300));
    let started = Instant::now();
    rtm.ok("ping", json!({})).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn a_delay_past_the_request_timeout_answers_request_timeout_without_running_the_action() {
    let builder = Sandbox::builder().request_timeout(Duration::from_millis(300));
    let world = World::with(builder).await;
    let mut agent = world.agent_rtm("3.6").await;
    let mut customer = world.customer_rtm("3.6").await;
    world.sandbox.set_response_delay(Duration::from_secs(5));
    let started = Instant::now();
    assert_eq!(
        customer.fails("start_chat", chat_with("hi")).await,
        "request_timeout"
    );
    assert!(started.elapsed() < Duration::from_secs(2));
    agent
        .no_push("incoming_chat", Duration::from_millis(300))
        .await;
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn a_request_version_lower_than_the_connection_version_is_refused() {
    let world = World::new().await;
    let mut rtm = world.agent_rtm("3.6").await;
    rtm.send_text(r#"{"request_id":"1","version":"3.5","action":"ping","payload":{}}"#)
        .await;
    let frame = rtm.next_response().await;
    assert_eq!(frame["success"], false);
    assert_eq!(frame["payload"]["error"]["type"], "validation");
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn an_unknown_request_version_is_unsupported_version() {
    let world = World::new().await;
    let mut rtm = world.agent_rtm("3.6").await;
    rtm.send_text(r#"{"request_id":"1","version":"3.9","action":"ping","payload":{}}"#)
        .await;
    let frame = rtm.next_response().await;
    assert_eq!(
        frame["payload"]["error"]["type"], "unsupported_version",
        "{frame}"
    );
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn a_higher_request_version_runs_the_action_in_that_version() {
    let world = World::new().await;
    let mut rtm = world.agent_rtm("3.5").await;
    // `list_customers` exists in 3.5 but not in 3.6: asked in 3.6, it is refused as such.
    rtm.send_text(r#"{"request_id":"1","version":"3.6","action":"list_customers"}"#)
        .await;
    let frame = rtm.next_response().await;
    assert_eq!(frame["payload"]["error"]["type"], "validation", "{frame}");
    let message = frame["payload"]["error"]["message"].as_str().unwrap();
    assert!(message.contains("3.6"), "{message}");
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn a_pushes_subscription_leaves_out_the_pushes_it_does_not_name() {
    let world = World::new().await;
    let mut agent = Rtm::agent(&world.sandbox, "3.6").await;
    let login =
        json!({"token": world.agent.bearer().expose(), "pushes": {"3.6": ["incoming_event"]}});
    agent.ok("login", login).await;
    let mut customer = world.customer_rtm("3.6").await;
    let started = customer.ok("start_chat", chat_with("hi")).await;
    let chat_id = started["chat_id"].as_str().unwrap().to_owned();
    let message = json!({"chat_id": chat_id, "event": {"type": "message", "text": "anyone?"}});
    customer.ok("send_event", message).await;
    let event = agent.push("incoming_event").await;
    assert_eq!(event["payload"]["event"]["text"], "anyone?");
    agent
        .no_push("incoming_chat", Duration::from_millis(200))
        .await;
    assert!(agent.pushes.iter().all(|p| p["action"] == "incoming_event"));
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn a_subscription_to_all_pushes_of_the_connection_version_gets_them_all() {
    let world = World::new().await;
    let mut agent = Rtm::agent(&world.sandbox, "3.6").await;
    let login = json!({"token": world.agent.bearer().expose(), "pushes": {"3.6": ["all"]}});
    agent.ok("login", login).await;
    agent.push("incoming_customers").await;
    let mut customer = world.customer_rtm("3.6").await;
    customer.ok("start_chat", chat_with("hi")).await;
    let incoming = agent.push("incoming_chat").await;
    assert_eq!(incoming["version"], "3.6");
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn pushes_subscribed_under_another_version_come_labelled_with_that_version() {
    let world = World::new().await;
    let mut agent = Rtm::agent(&world.sandbox, "3.5").await;
    let login = json!({
        "token": world.agent.bearer().expose(),
        "pushes": {"3.5": ["incoming_event"], "3.6": ["incoming_chat"]},
    });
    agent.ok("login", login).await;
    let mut customer = world.customer_rtm("3.6").await;
    let started = customer.ok("start_chat", chat_with("hi")).await;
    let incoming = agent.push("incoming_chat").await;
    assert_eq!(incoming["version"], "3.6");
    let message = json!({"chat_id": started["chat_id"], "event": {"type": "message", "text": "?"}});
    customer.ok("send_event", message).await;
    let event = agent.push("incoming_event").await;
    assert_eq!(event["version"], "3.5");
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn request_id_is_only_on_the_requesters_own_connection() {
    let world = World::new().await;
    let mut first = world.agent_rtm("3.6").await;
    let mut second = world.agent_rtm("3.6").await;
    let mut customer = world.customer_rtm("3.6").await;
    let started = customer.ok("start_chat", chat_with("hi")).await;
    let chat_id = started["chat_id"].as_str().unwrap().to_owned();
    first.push("incoming_chat").await;
    second.push("incoming_chat").await;
    let message = json!({"chat_id": chat_id, "event": {"type": "message", "text": "hello"}});
    let response = first.request("send_event", message).await;
    let own = first.push("incoming_event").await;
    assert_eq!(own["request_id"], response["request_id"]);
    let other = second.push("incoming_event").await;
    assert!(other.get("request_id").is_none(), "{other}");
    let to_customer = customer.push("incoming_event").await;
    assert!(to_customer.get("request_id").is_none(), "{to_customer}");
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn customer_rtm_needs_the_organization_id() {
    let world = World::new().await;
    let url = format!("{}/v3.6/customer/rtm/ws", world.sandbox.ws_url());
    let Err(tokio_tungstenite::tungstenite::Error::Http(response)) =
        tokio_tungstenite::connect_async(&url).await
    else {
        panic!("the handshake should fail");
    };
    assert_eq!(response.status(), 400);
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn customer_rtm_with_another_organization_id_is_refused() {
    let world = World::new().await;
    let url = format!(
        "{}/v3.6/customer/rtm/ws?organization_id=00000000-0000-0000-0000-000000000000",
        world.sandbox.ws_url()
    );
    let Err(tokio_tungstenite::tungstenite::Error::Http(response)) =
        tokio_tungstenite::connect_async(&url).await
    else {
        panic!("the handshake should fail");
    };
    assert_eq!(response.status(), 404);
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn customer_rtm_3_3_takes_the_license_id() {
    let world = World::new().await;
    let mut agent = Rtm::agent(&world.sandbox, "3.6").await;
    let login = agent
        .ok("login", json!({"token": world.agent.bearer().expose()}))
        .await;
    let license = login["license"]["id"].as_str().unwrap().to_owned();
    let url = format!(
        "{}/v3.3/customer/rtm/ws?license_id={license}",
        world.sandbox.ws_url()
    );
    let mut customer = Rtm::connect(&url).await;
    customer
        .ok("login", json!({"token": world.customer.bearer().expose()}))
        .await;
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn drop_connections_ends_sockets_without_a_close_frame_or_a_push() {
    let world = World::new().await;
    let mut rtm = world.agent_rtm("3.6").await;
    rtm.pushes.clear();
    world.sandbox.drop_connections();
    loop {
        match rtm.raw_next().await {
            None | Some(Err(_)) => break,
            Some(Ok(Message::Close(_))) => panic!("a close frame was sent"),
            Some(Ok(Message::Text(text))) => {
                let frame: Value = serde_json::from_str(text.as_str()).unwrap();
                assert_ne!(frame["action"], "agent_disconnected", "{frame}");
            }
            Some(Ok(_)) => {}
        }
    }
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn after_drop_connections_clients_can_reconnect_and_log_in() {
    let world = World::new().await;
    let mut first = world.agent_rtm("3.6").await;
    world.sandbox.drop_connections();
    while let Some(Ok(_)) = first.raw_next().await {}
    let mut again = world.agent_rtm("3.6").await;
    again.ok("ping", json!({})).await;
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn send_raw_frame_delivers_the_text_unchanged_to_the_users_connections() {
    let world = World::new().await;
    let mut agent = world.agent_rtm("3.6").await;
    let mut customer = world.customer_rtm("3.6").await;
    world
        .sandbox
        .send_raw_frame(world.agent.id.as_str(), "{\"type\":\"push\",\"act");
    let raw = loop {
        match agent.raw_next().await {
            Some(Ok(Message::Text(text))) if !text.as_str().starts_with("{\"version\"") => {
                break text.as_str().to_owned();
            }
            Some(Ok(_)) => continue,
            other => panic!("no raw frame: {other:?}"),
        }
    };
    assert_eq!(raw, "{\"type\":\"push\",\"act");
    agent.ok("ping", json!({})).await;
    let within = tokio::time::timeout(Duration::from_millis(200), customer.raw_next()).await;
    assert!(within.is_err(), "the customer got a frame: {within:?}");
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn fail_next_fails_that_many_calls_then_lets_them_through() {
    let world = World::new().await;
    let mut rtm = world.agent_rtm("3.6").await;
    world.sandbox.fail_next("ping", "service_unavailable", 2);
    assert_eq!(rtm.fails("ping", json!({})).await, "service_unavailable");
    assert_eq!(rtm.fails("ping", json!({})).await, "service_unavailable");
    rtm.ok("ping", json!({})).await;
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn a_forced_failure_changes_nothing() {
    let world = World::new().await;
    let mut agent = world.agent_rtm("3.6").await;
    let mut customer = world.customer_rtm("3.6").await;
    world.sandbox.fail_next("start_chat", "internal", 1);
    assert_eq!(
        customer.fails("start_chat", chat_with("hi")).await,
        "internal"
    );
    agent
        .no_push("incoming_chat", Duration::from_millis(300))
        .await;
    customer.ok("start_chat", chat_with("hi again")).await;
    agent.push("incoming_chat").await;
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn a_forced_login_failure_leaves_the_connection_logged_out() {
    let world = World::new().await;
    let mut rtm = Rtm::agent(&world.sandbox, "3.6").await;
    world.sandbox.fail_next("login", "service_unavailable", 1);
    let token = json!({"token": world.agent.bearer().expose()});
    assert_eq!(
        rtm.fails("login", token.clone()).await,
        "service_unavailable"
    );
    assert_eq!(rtm.fails("list_chats", json!({})).await, "authentication");
    rtm.ok("login", token).await;
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn the_rtm_handshake_of_a_legacy_version_carries_the_legacy_header() {
    let world = World::new().await;
    let url = format!("{}/v3.5/agent/rtm/ws", world.sandbox.ws_url());
    let (_ws, response) = tokio_tungstenite::connect_async(&url).await.unwrap();
    assert_eq!(
        response.headers().get("legacy").map(|v| v.as_bytes()),
        Some(&b"2026-08-07"[..])
    );
    world.sandbox.shutdown().await;
}
