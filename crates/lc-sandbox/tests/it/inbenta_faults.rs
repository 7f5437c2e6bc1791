//! Fault injection on the Inbenta side: `Sandbox::drop_connections` ends the realtime
//! sockets like a network failure, and new sockets work at once; events dropped after
//! applying, chaos plans and refused handshakes reach the realtime socket too.

#![allow(clippy::unwrap_used)]

use crate::common::inbenta as common;

use common::{World, Ws, create_chat};
use http::Method;
use lc_sandbox::Chaos;
use serde_json::json;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

/// Asserts that the socket ends without any further frame (no reply, no push, no close
/// frame).
async fn ends_abruptly(ws: &mut Ws) {
    loop {
        match ws.raw_next().await {
            None | Some(Err(_)) => return,
            Some(Ok(Message::Close(frame))) => panic!("a close frame was sent: {frame:?}"),
            Some(Ok(Message::Text(text))) => panic!("a frame after the drop: {text}"),
            Some(Ok(_)) => {}
        }
    }
}

#[tokio::test]
async fn drop_connections_ends_inbenta_sockets_without_a_close_frame() {
    let world = World::basic().await;
    let (user, _, mut ws) = world.user("Bob").await;
    create_chat(&mut ws, &user).await;
    world.sandbox.drop_connections();
    loop {
        match ws.raw_next().await {
            None | Some(Err(_)) => break,
            Some(Ok(Message::Close(frame))) => panic!("a close frame was sent: {frame:?}"),
            Some(Ok(_)) => {}
        }
    }
}

#[tokio::test]
async fn after_a_drop_new_sockets_of_the_same_session_work_and_get_pushes() {
    let world = World::basic().await;
    let (bob, bob_token, mut bob_ws) = world.user("Bob").await;
    let chat = create_chat(&mut bob_ws, &bob).await;
    let (_, eve_token, mut eve_ws) = world.user("Eve").await;
    eve_ws.ok("user:focus", json!({})).await;
    world.sandbox.drop_connections();
    while let Some(Ok(_)) = bob_ws.raw_next().await {}
    while let Some(Ok(_)) = eve_ws.raw_next().await {}

    let mut bob_ws = world.socket(&bob_token).await;
    let mut other_tab = world.socket(&bob_token).await;
    other_tab.ok("user:focus", json!({})).await;
    let sent = json!({"chatId": chat, "eventId": "after-drop", "message": "back"});
    bob_ws.ok("messages:send", sent).await;
    let pushed = other_tab.push("message:received").await;
    assert_eq!(pushed["eventId"], "after-drop");
    // The sessions survive the drop: the same token opens a socket again.
    let mut eve_ws = world.socket(&eve_token).await;
    eve_ws.ok("user:focus", json!({})).await;
}

#[tokio::test]
async fn a_message_dropped_after_applying_is_stored_and_pushed_but_never_answered() {
    let world = World::basic().await;
    let (bob, bob_token, mut bob_ws) = world.user("Bob").await;
    let chat = create_chat(&mut bob_ws, &bob).await;
    let mut other_tab = world.socket(&bob_token).await;
    other_tab.ok("user:focus", json!({})).await;
    bob_ws.ok("user:focus", json!({})).await;
    world.sandbox.drop_after_applying("messages:send", 1);

    let sent = json!({"chatId": chat, "eventId": "dropped", "message": "once"});
    bob_ws.send("messages:send", sent).await;
    ends_abruptly(&mut bob_ws).await;
    let pushed = other_tab.push("message:received").await;
    assert_eq!(pushed["eventId"], "dropped");
    let mine = [
        ("x-hyper-appid", world.app_id()),
        ("x-hyper-token", bob_token.as_str()),
    ];
    let path = format!("chats/{chat}/messages");
    let listed = world.rest.call(Method::GET, &path, &mine, None).await.ok();
    let once = listed["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["message"] == "once")
        .count();
    assert_eq!(once, 1, "{listed}");
    assert_eq!(world.sandbox.fault_stats().dropped_after_applying, 1);
}

#[tokio::test]
async fn inbenta_handshakes_are_refused_with_503_during_the_window() {
    let world = World::basic().await;
    let (_, token, mut ws) = world.user("Bob").await;
    world.sandbox.refuse_logins_for(Duration::from_millis(400));
    let url = common::ws_url(&world.sandbox, world.app_id(), &token);
    match tokio_tungstenite::connect_async(url.as_str()).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 503);
        }
        other => panic!("expected a 503, got {:?}", other.map(|_| ())),
    }
    // Open sockets are not affected.
    ws.ok("user:focus", json!({})).await;
    assert_eq!(world.sandbox.fault_stats().refused_logins, 1);
    tokio::time::sleep(Duration::from_millis(450)).await;
    world.socket(&token).await.ok("user:focus", json!({})).await;
}

#[tokio::test]
async fn a_chaos_plan_drops_inbenta_sockets_after_their_frames() {
    let world = World::basic().await;
    let (_, token, _) = world.user("Bob").await;
    world
        .sandbox
        .set_chaos(Chaos::seeded(3).drop_after_frames(3..=3));
    let mut ws = world.socket(&token).await;
    for _ in 0..3 {
        ws.ok("user:focus", json!({})).await;
    }
    // Right after the third frame written.
    ends_abruptly(&mut ws).await;
    assert_eq!(world.sandbox.fault_stats().random_connection_drops, 1);
}
