//! Inbenta realtime error replies: each kind of failure answers `{"id", "error": {"code",
//! "message"}}` and leaves the socket usable.

#![allow(clippy::unwrap_used)]

use crate::common::inbenta as common;

use common::{World, create_chat};
use serde_json::json;

#[tokio::test]
async fn every_kind_of_error_leaves_the_socket_usable() {
    let world = World::basic().await;
    let (bob, _, mut bob_ws) = world.user("Bob").await;
    let bob_chat = create_chat(&mut bob_ws, &bob).await;
    let (eve, _, mut ws) = world.user("Eve").await;
    let chat = create_chat(&mut ws, &eve).await;
    let cases = [
        ("users:explode", json!({}), 400),
        ("chats:get", json!({"chatId": bob_chat}), 403),
        ("chats:get", json!({"chatId": "c-none"}), 404),
        (
            "chats:create",
            json!({"room": "1", "source": 3, "creator": eve}),
            409,
        ),
    ];
    for (name, data, code) in cases {
        let frame = ws.request(name, data).await;
        assert_eq!(frame["error"]["code"], code, "{name}: {frame}");
        assert!(frame["error"]["message"].as_str().unwrap().len() > 3);
        let again = ws.ok("chats:get", json!({"chatId": chat})).await;
        assert_eq!(again["chat"]["id"], chat);
    }
}

#[tokio::test]
async fn creating_a_chat_for_another_user_is_403() {
    let world = World::basic().await;
    let (bob, _, _) = world.user("Bob").await;
    let (_, _, mut ws) = world.user("Eve").await;
    let create = json!({"room": "1", "source": 3, "creator": bob});
    assert_eq!(ws.fails("chats:create", create).await, 403);
}

#[tokio::test]
async fn creating_a_chat_in_an_unknown_room_is_400() {
    let world = World::basic().await;
    let (user, _, mut ws) = world.user("Bob").await;
    let create = json!({"room": "99", "source": 3, "creator": user});
    assert_eq!(ws.fails("chats:create", create).await, 400);
}

#[tokio::test]
async fn data_that_is_not_an_object_is_400() {
    let world = World::basic().await;
    let (user, _, mut ws) = world.user("Bob").await;
    ws.send_text(r#"{"id": "d-1", "name": "chats:get", "data": [1, 2]}"#)
        .await;
    assert_eq!(ws.reply("d-1").await["error"]["code"], 400);
    create_chat(&mut ws, &user).await;
}

#[tokio::test]
async fn an_interval_out_of_range_is_400() {
    let world = World::basic().await;
    let (user, _, mut ws) = world.user("Bob").await;
    let chat = create_chat(&mut ws, &user).await;
    let assign = json!({"chatId": chat, "interval": -1});
    assert_eq!(ws.fails("chats:assign", assign).await, 400);
    let assign = json!({"chatId": chat, "maxAttempts": 1.5});
    assert_eq!(ws.fails("chats:assign", assign).await, 400);
}
