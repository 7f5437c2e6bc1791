//! Fault injection on the Inbenta side: `Sandbox::drop_connections` ends the realtime
//! sockets like a network failure, and new sockets work at once.

#![allow(clippy::unwrap_used)]

#[path = "common/inbenta.rs"]
mod common;

use common::{World, create_chat};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

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
