//! The Inbenta realtime channel: socket authentication, chats, messages, receipts,
//! activity, history, close, and the error replies (which keep the socket usable).

#![allow(clippy::unwrap_used)]

use crate::common::inbenta as common;

use common::{World, Ws, create_chat, ws_url};
use lc_sandbox::NewInbentaAgent;
use serde_json::{Value, json};
use std::time::Duration;
use tokio_tungstenite::tungstenite;

/// A world with an Accept agent, a user with a socket and a chat assigned to the agent.
struct Assigned {
    world: World,
    user: String,
    user_token: String,
    user_ws: Ws,
    agent: String,
    agent_ws: Ws,
    chat: String,
}

async fn assigned() -> Assigned {
    let world = World::basic().await;
    let agent = world
        .sandbox
        .create_inbenta_agent(world.app_id(), NewInbentaAgent::new("Ann"));
    let mut agent_ws = world.socket(agent.token.expose()).await;
    let (user, user_token, mut user_ws) = world.user("Bob").await;
    let chat = create_chat(&mut user_ws, &user).await;
    let reply = user_ws
        .ok(
            "chats:assign",
            json!({"chatId": chat, "maxAttempts": 1, "interval": 1}),
        )
        .await;
    assert_eq!(reply["agent"]["id"], agent.id);
    agent_ws.push("user:joined").await;
    Assigned {
        world,
        user,
        user_token,
        user_ws,
        agent: agent.id,
        agent_ws,
        chat,
    }
}

#[tokio::test]
async fn a_socket_with_an_unknown_token_is_refused_with_401() {
    let world = World::basic().await;
    let url = ws_url(&world.sandbox, world.app_id(), "no-such-token");
    match tokio_tungstenite::connect_async(url).await {
        Err(tungstenite::Error::Http(response)) => {
            assert_eq!(response.status().as_u16(), 401);
            let body: Value = serde_json::from_slice(response.body().as_deref().unwrap()).unwrap();
            assert_eq!(body["error"]["code"], 401);
        }
        other => panic!("expected a 401, got {:?}", other.map(|_| ())),
    }
}

#[tokio::test]
async fn a_socket_with_an_unknown_app_is_refused_with_401() {
    let world = World::basic().await;
    let (_, token) = world.rest.new_user(world.app_id(), "Bob").await;
    let url = ws_url(&world.sandbox, "other-app", &token);
    match tokio_tungstenite::connect_async(url).await {
        Err(tungstenite::Error::Http(response)) => assert_eq!(response.status().as_u16(), 401),
        other => panic!("expected a 401, got {:?}", other.map(|_| ())),
    }
}

#[tokio::test]
async fn a_socket_authenticated_by_headers_works() {
    let world = World::basic().await;
    let (user, token) = world.rest.new_user(world.app_id(), "Bob").await;
    let mut ws = Ws::connect_with_headers(&world.sandbox, world.app_id(), &token).await;
    let chat = create_chat(&mut ws, &user).await;
    assert!(chat.starts_with('c'));
}

#[tokio::test]
async fn chats_create_answers_the_chat_with_its_creator() {
    let world = World::basic().await;
    let (user, _, mut ws) = world.user("Bob").await;
    let data = ws
        .ok(
            "chats:create",
            json!({"room": "1", "source": 3, "lang": "en", "creator": user, "externalId": "x-1"}),
        )
        .await;
    let chat = &data["chat"];
    assert_eq!(chat["creator"], user);
    assert_eq!(chat["room"], "1");
    assert_eq!(chat["lang"], "en");
    assert_eq!(chat["externalId"], "x-1");
    assert_eq!(chat["closed"], false);
    assert_eq!(chat["users"][0]["id"], user);
    assert_eq!(chat["users"][0]["name"], "Bob");
}

#[tokio::test]
async fn chats_get_returns_the_fields_asked_for() {
    let world = World::basic().await;
    let (user, _, mut ws) = world.user("Bob").await;
    let chat = create_chat(&mut ws, &user).await;
    let bare = ws.ok("chats:get", json!({"chatId": chat})).await;
    assert_eq!(bare["chat"]["id"], chat);
    assert!(bare["chat"].get("users").is_none());
    let full = ws
        .ok(
            "chats:get",
            json!({"chatId": chat, "fields": "users,history"}),
        )
        .await;
    assert_eq!(full["chat"]["users"][0]["id"], user);
    assert_eq!(full["chat"]["history"], json!([]));
}

#[tokio::test]
async fn a_second_chat_while_one_is_open_is_409_and_the_socket_stays_usable() {
    let world = World::basic().await;
    let (user, _, mut ws) = world.user("Bob").await;
    let chat = create_chat(&mut ws, &user).await;
    let frame = ws
        .request(
            "chats:create",
            json!({"room": "1", "source": 3, "creator": user}),
        )
        .await;
    assert_eq!(frame["error"]["code"], 409);
    assert_eq!(frame["error"]["message"], "User already has a chat");
    let again = ws.ok("chats:get", json!({"chatId": chat})).await;
    assert_eq!(again["chat"]["id"], chat);
}

#[tokio::test]
async fn an_unknown_event_is_400_and_the_socket_stays_usable() {
    let world = World::basic().await;
    let (user, _, mut ws) = world.user("Bob").await;
    assert_eq!(ws.fails("chats:explode", json!({})).await, 400);
    create_chat(&mut ws, &user).await;
}

#[tokio::test]
async fn missing_fields_are_400() {
    let world = World::basic().await;
    let (_, _, mut ws) = world.user("Bob").await;
    assert_eq!(ws.fails("chats:get", json!({})).await, 400);
    assert_eq!(ws.fails("chats:assign", json!({"chatId": 5})).await, 400);
}

#[tokio::test]
async fn a_frame_without_a_name_gets_a_400_for_its_id_and_garbage_gets_nothing() {
    let world = World::basic().await;
    let (user, _, mut ws) = world.user("Bob").await;
    ws.send_text("this is not json").await;
    ws.send_text(r#"{"id": "x-1", "data": {}}"#).await;
    let reply = ws.reply("x-1").await;
    assert_eq!(reply["error"]["code"], 400);
    create_chat(&mut ws, &user).await;
}

#[tokio::test]
async fn an_unknown_chat_is_404() {
    let world = World::basic().await;
    let (user, _, mut ws) = world.user("Bob").await;
    assert_eq!(
        ws.fails("chats:get", json!({"chatId": "c-none"})).await,
        404
    );
    let close = json!({"chatId": "c-none", "userId": user});
    assert_eq!(ws.fails("chats:close", close).await, 404);
}

#[tokio::test]
async fn a_non_member_is_403() {
    let world = World::basic().await;
    let (bob, _, mut bob_ws) = world.user("Bob").await;
    let (eve, _, mut eve_ws) = world.user("Eve").await;
    let chat = create_chat(&mut bob_ws, &bob).await;
    assert_eq!(
        eve_ws.fails("chats:get", json!({"chatId": chat})).await,
        403
    );
    let send = json!({"chatId": chat, "eventId": "1", "message": "hi"});
    assert_eq!(eve_ws.fails("messages:send", send).await, 403);
    let join = json!({"chatId": chat, "userId": eve});
    assert_eq!(eve_ws.fails("chats:join", join).await, 403);
    let close = json!({"chatId": chat, "userId": bob});
    assert_eq!(eve_ws.fails("chats:close", close).await, 403);
}

#[tokio::test]
async fn a_user_message_reaches_the_agent_but_not_the_sending_socket() {
    let mut a = assigned().await;
    let reply = a
        .user_ws
        .ok(
            "messages:send",
            json!({"chatId": a.chat, "eventId": "ev-1", "message": "Hello"}),
        )
        .await;
    assert_eq!(reply["eventId"], "ev-1");
    assert_eq!(reply["message"]["message"], "Hello");
    assert_eq!(reply["message"]["sender"], a.user);
    let pushed = a.agent_ws.push("message:received").await;
    assert_eq!(pushed["eventId"], "ev-1");
    assert_eq!(pushed["message"]["id"], reply["message"]["id"]);
    assert_eq!(pushed["message"]["chat"], a.chat);
    assert_eq!(pushed["message"]["type"], "text");
    a.user_ws
        .no_push("message:received", Duration::from_millis(200))
        .await;
}

#[tokio::test]
async fn every_socket_of_a_member_gets_pushes_except_the_sending_socket() {
    let world = World::basic().await;
    let (user, token, mut first) = world.user("Bob").await;
    let mut second = world.socket(&token).await;
    let chat = create_chat(&mut first, &user).await;
    first
        .ok(
            "messages:send",
            json!({"chatId": chat, "eventId": "e1", "message": "x"}),
        )
        .await;
    let pushed = second.push("message:received").await;
    assert_eq!(pushed["eventId"], "e1");
    first
        .no_push("message:received", Duration::from_millis(200))
        .await;
}

#[tokio::test]
async fn an_agent_message_reaches_the_user() {
    let mut a = assigned().await;
    let sent = json!({"chatId": a.chat, "eventId": "a-1", "message": "Hi Bob"});
    a.agent_ws.ok("messages:send", sent).await;
    let pushed = a.user_ws.push("message:received").await;
    assert_eq!(pushed["message"]["sender"], a.agent);
    assert_eq!(pushed["message"]["message"], "Hi Bob");
}

#[tokio::test]
async fn reading_a_message_pushes_message_read_to_its_sender() {
    let mut a = assigned().await;
    let sent = json!({"chatId": a.chat, "eventId": "e-9", "message": "Hello"});
    let reply = a.user_ws.ok("messages:send", sent).await;
    let id = reply["message"]["id"].as_str().unwrap().to_owned();
    let read = a
        .agent_ws
        .ok("messages:read", json!({"messageId": id, "userId": a.agent}))
        .await;
    assert_eq!(read["message"]["id"], id);
    assert_eq!(read["message"]["sender"], a.user);
    let pushed = a.user_ws.push("message:read").await;
    assert_eq!(pushed["message"]["id"], id);
    assert_eq!(pushed["userId"], a.agent);
    assert_eq!(pushed["eventId"], "e-9");
}

#[tokio::test]
async fn reading_an_unknown_message_is_404() {
    let mut a = assigned().await;
    let read = json!({"messageId": "m-none", "userId": a.agent});
    assert_eq!(a.agent_ws.fails("messages:read", read).await, 404);
}

#[tokio::test]
async fn activity_is_relayed_to_the_other_members_but_not_the_sending_socket() {
    let mut a = assigned().await;
    let mut second_tab = a.world.socket(&a.user_token).await;
    // A reply proves the server has registered the socket.
    second_tab.ok("user:focus", json!({})).await;
    let activity = json!({"chatId": a.chat, "userId": a.user, "type": "writing"});
    let reply = a.user_ws.ok("users:activity", activity).await;
    assert_eq!(reply["success"], true);
    let pushed = a.agent_ws.push("user:activity").await;
    let expected = json!({"userId": a.user, "type": "writing", "chatId": a.chat});
    assert_eq!(pushed, expected);
    // The sender's other sockets are told, like for `messages:send`.
    assert_eq!(second_tab.push("user:activity").await, expected);
    a.user_ws
        .no_push("user:activity", Duration::from_millis(200))
        .await;
}

#[tokio::test]
async fn activity_of_an_unknown_type_is_400() {
    let mut a = assigned().await;
    let activity = json!({"chatId": a.chat, "userId": a.user, "type": "dancing"});
    assert_eq!(a.user_ws.fails("users:activity", activity).await, 400);
}

#[tokio::test]
async fn user_focus_answers_success() {
    let mut a = assigned().await;
    let reply = a.user_ws.ok("user:focus", json!({"chatId": a.chat})).await;
    assert_eq!(reply["success"], true);
    assert_eq!(a.user_ws.ok("user:focus", json!({})).await["success"], true);
}

#[tokio::test]
async fn imported_history_is_read_back_with_chats_get() {
    let world = World::basic().await;
    let (user, _, mut ws) = world.user("Bob").await;
    let chat = create_chat(&mut ws, &user).await;
    let entries = json!([
        {"created": 1_700_000_000u64, "type": "text", "message": "Hi bot", "sender": user},
        {"created": 1_700_000_001u64, "type": "object", "message": "{\"message\":\"Hello\"}", "sender": "assistant"},
    ]);
    let reply = ws
        .ok(
            "history:import",
            json!({"chatId": chat, "history": entries}),
        )
        .await;
    assert_eq!(reply["history"], entries);
    let read = ws
        .ok("chats:get", json!({"chatId": chat, "fields": "history"}))
        .await;
    assert_eq!(read["chat"]["history"], entries);
}

#[tokio::test]
async fn closing_pushes_chat_closed_then_system_info_with_a_ticket() {
    let mut a = assigned().await;
    let close = json!({"chatId": a.chat, "userId": a.user, "extraData": {"why": "done"}});
    assert_eq!(a.user_ws.ok("chats:close", close).await["success"], true);
    let closed = a.agent_ws.push("chat:closed").await;
    assert_eq!(closed["chatId"], a.chat);
    assert_eq!(closed["userId"], a.user);
    assert_eq!(closed["extraData"]["why"], "done");
    let info = a.user_ws.push("system:info").await;
    assert_eq!(info["chatId"], a.chat);
    assert!(info["data"]["ticketId"].as_str().unwrap().starts_with("t-"));
    let chats = a.user_ws.ok("users:chats", json!({"userId": a.user})).await;
    assert_eq!(chats["chats"][&a.chat]["closed"], true);
}

#[tokio::test]
async fn closing_twice_is_400_and_a_new_chat_can_then_be_created() {
    let mut a = assigned().await;
    let close = json!({"chatId": a.chat, "userId": a.user});
    a.user_ws.ok("chats:close", close.clone()).await;
    assert_eq!(a.user_ws.fails("chats:close", close).await, 400);
    let chat = create_chat(&mut a.user_ws, &a.user).await;
    assert_ne!(chat, a.chat);
}

#[tokio::test]
async fn users_chats_lists_the_users_chats_by_id() {
    let world = World::basic().await;
    let (user, _, mut ws) = world.user("Bob").await;
    let chat = create_chat(&mut ws, &user).await;
    let reply = ws.ok("users:chats", json!({"userId": user})).await;
    let chats = reply["chats"].as_object().unwrap();
    assert_eq!(chats.len(), 1);
    assert_eq!(chats[&chat]["id"], chat);
    let other = json!({"userId": "u-other"});
    assert_eq!(ws.fails("users:chats", other).await, 403);
}

#[tokio::test]
async fn an_agent_can_join_a_chat_and_the_user_sees_it() {
    let world = World::basic().await;
    let agent = world.sandbox.create_inbenta_agent(
        world.app_id(),
        NewInbentaAgent::new("Ann").behaviour(lc_sandbox::AgentBehaviour::Ignore),
    );
    let mut agent_ws = world.socket(agent.token.expose()).await;
    let (user, _, mut ws) = world.user("Bob").await;
    let chat = create_chat(&mut ws, &user).await;
    let join = json!({"chatId": chat, "userId": agent.id});
    assert_eq!(agent_ws.ok("chats:join", join).await["success"], true);
    let joined = ws.push("user:joined").await;
    assert_eq!(joined["chatId"], chat);
    assert_eq!(joined["user"]["id"], agent.id);
    let assigned = ws.ok("chats:assign", json!({"chatId": chat})).await;
    assert_eq!(assigned["agent"]["id"], agent.id);
}

#[tokio::test]
async fn sending_to_a_closed_chat_is_400() {
    let mut a = assigned().await;
    let close = json!({"chatId": a.chat, "userId": a.user});
    a.user_ws.ok("chats:close", close).await;
    let send = json!({"chatId": a.chat, "eventId": "late", "message": "hello?"});
    assert_eq!(a.agent_ws.fails("messages:send", send).await, 400);
}

#[tokio::test]
async fn sending_as_another_user_is_403() {
    let mut a = assigned().await;
    let send = json!({"chatId": a.chat, "eventId": "x", "message": "hi", "sender": a.agent});
    assert_eq!(a.user_ws.fails("messages:send", send).await, 403);
}
