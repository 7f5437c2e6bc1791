//! Who is in an Inbenta chat: a user leaving (`PUT /v1/chats/{id}/leave` → `user:left`)
//! and a supervisor intervening (`Sandbox::intervene_inbenta_chat` → `chat:intervened`).

#![allow(clippy::unwrap_used)]

use crate::common::inbenta as common;

use common::{World, Ws, create_chat};
use http::Method;
use lc_sandbox::{AgentBehaviour, NewInbentaAgent};
use serde_json::{Value, json};
use std::time::Duration;

/// Bob's chat, assigned to Ann, with both sockets.
struct Assigned {
    world: World,
    bob: String,
    bob_ws: Ws,
    ann: String,
    ann_token: String,
    ann_ws: Ws,
    chat: String,
}

async fn assigned() -> Assigned {
    let world = World::basic().await;
    let ann = world
        .sandbox
        .create_inbenta_agent(world.app_id(), NewInbentaAgent::new("Ann"));
    let mut ann_ws = world.socket(ann.token.expose()).await;
    let (bob, _, mut bob_ws) = world.user("Bob").await;
    let chat = create_chat(&mut bob_ws, &bob).await;
    let assign = json!({"chatId": chat, "maxAttempts": 1, "interval": 1});
    assert_eq!(
        bob_ws.ok("chats:assign", assign).await["agent"]["id"],
        ann.id
    );
    ann_ws.push("user:joined").await;
    Assigned {
        world,
        bob,
        bob_ws,
        ann: ann.id,
        ann_token: ann.token.expose().to_owned(),
        ann_ws,
        chat,
    }
}

/// The ids of `users` (a JSON array of users).
fn ids(users: &Value) -> Vec<&str> {
    users
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn an_agent_who_leaves_is_announced_to_the_members_who_stay() {
    let mut a = assigned().await;
    let headers = [
        ("x-hyper-appid", a.world.app_id()),
        ("x-hyper-token", a.ann_token.as_str()),
    ];
    let path = format!("chats/{}/leave", a.chat);
    let reply = a
        .world
        .rest
        .call(Method::PUT, &path, &headers, Some(json!({"userId": a.ann})))
        .await
        .ok();
    assert_eq!(reply, json!({"success": true}));

    let left = a.bob_ws.push("user:left").await;
    assert_eq!(left["chatId"], a.chat);
    assert_eq!(left["userId"], a.ann);
    assert_eq!(left["user"]["id"], a.ann);
    assert_eq!(left["user"]["name"], "Ann");
    a.ann_ws
        .no_push("user:left", Duration::from_millis(200))
        .await;

    // Bob is alone in a chat that waits for an agent again; Ann is out of it.
    let chat = a
        .bob_ws
        .ok("chats:get", json!({"chatId": a.chat, "fields": "users"}))
        .await;
    assert_eq!(ids(&chat["chat"]["users"]), [a.bob.as_str()]);
    assert_eq!(chat["chat"]["status"], "waiting");
    assert_eq!(
        a.ann_ws.fails("chats:get", json!({"chatId": a.chat})).await,
        403
    );
    let send = json!({"chatId": a.chat, "eventId": "e1", "message": "still there?"});
    a.bob_ws.ok("messages:send", send).await;
    a.ann_ws
        .no_push("message:received", Duration::from_millis(200))
        .await;
}

#[tokio::test]
async fn leaving_needs_membership_an_open_chat_and_a_user_id_from_servers() {
    let mut a = assigned().await;
    let (_, eve_token, _) = a.world.user("Eve").await;
    let rest = &a.world.rest;
    let app = a.world.app_id();
    let path = format!("chats/{}/leave", a.chat);
    let eve = [
        ("x-hyper-appid", app),
        ("x-hyper-token", eve_token.as_str()),
    ];
    rest.call(Method::PUT, &path, &eve, None).await.error(403);
    let secret = a.world.secret_headers();
    rest.call(Method::PUT, &path, &secret, Some(json!({})))
        .await
        .error(400);
    rest.call(
        Method::PUT,
        "chats/c-none/leave",
        &secret,
        Some(json!({"userId": a.bob})),
    )
    .await
    .error(404);
    // A server may make a member leave; the agent is told.
    rest.call(Method::PUT, &path, &secret, Some(json!({"userId": a.bob})))
        .await
        .ok();
    assert_eq!(a.ann_ws.push("user:left").await["userId"], a.bob);
    a.ann_ws
        .ok("chats:close", json!({"chatId": a.chat, "userId": a.ann}))
        .await;
    let ann = [
        ("x-hyper-appid", app),
        ("x-hyper-token", a.ann_token.as_str()),
    ];
    let closed = rest.call(Method::PUT, &path, &ann, None).await.error(400);
    assert!(closed.contains("closed"), "{closed}");
}

#[tokio::test]
async fn a_supervisor_intervenes_and_replaces_the_agent() {
    let mut a = assigned().await;
    let sue = a
        .world
        .sandbox
        .intervene_inbenta_chat(a.world.app_id(), &a.chat, NewInbentaAgent::new("Sue"))
        .expect("an open chat");

    for ws in [&mut a.bob_ws, &mut a.ann_ws] {
        let intervened = ws.push("chat:intervened").await;
        assert_eq!(intervened["interventor"]["id"], sue.id);
        assert_eq!(intervened["interventor"]["name"], "Sue");
        assert_eq!(ids(&intervened["intervenedUsers"]), [a.ann.as_str()]);
        assert_eq!(intervened["chat"]["id"], a.chat);
        assert_eq!(
            ids(&intervened["chat"]["users"]),
            [a.bob.as_str(), sue.id.as_str()]
        );
    }

    // Sue acts through her own socket; Ann is out of the chat.
    let mut sue_ws = a.world.socket(sue.token.expose()).await;
    let send = json!({"chatId": a.chat, "eventId": "s1", "message": "Supervisor here"});
    sue_ws.ok("messages:send", send).await;
    let received = a.bob_ws.push("message:received").await;
    assert_eq!(received["message"]["sender"], sue.id);
    assert_eq!(
        a.ann_ws.fails("chats:get", json!({"chatId": a.chat})).await,
        403
    );
    let chat = sue_ws.ok("chats:get", json!({"chatId": a.chat})).await;
    assert_eq!(chat["chat"]["agent"], sue.id);
    assert_eq!(chat["chat"]["status"], "active");

    // The supervisor is offline: Ann, free again, is the only agent available.
    let available = a
        .world
        .rest
        .call(
            Method::GET,
            "agents/available?roomIds=1",
            &a.world.secret_headers(),
            None,
        )
        .await
        .ok();
    assert_eq!(available["agents"]["1"], 1);
}

#[tokio::test]
async fn intervening_in_a_waiting_chat_ends_its_agent_search_with_the_supervisor() {
    let world = World::basic().await;
    world.sandbox.create_inbenta_agent(
        world.app_id(),
        NewInbentaAgent::new("Ian").behaviour(AgentBehaviour::Ignore),
    );
    let (bob, _, mut bob_ws) = world.user("Bob").await;
    let chat = create_chat(&mut bob_ws, &bob).await;
    let searching = bob_ws
        .send("chats:assign", json!({"chatId": chat, "interval": 30}))
        .await;
    bob_ws.ok("user:focus", json!({})).await; // the search has started
    let sue = world
        .sandbox
        .intervene_inbenta_chat(world.app_id(), &chat, NewInbentaAgent::new("Sue"))
        .unwrap();
    let reply = bob_ws.reply(&searching).await;
    assert_eq!(reply["data"]["agent"]["id"], sue.id, "{reply}");
    let intervened = bob_ws.push("chat:intervened").await;
    assert_eq!(intervened["intervenedUsers"], json!([]));
    assert_eq!(intervened["interventor"]["id"], sue.id);
}

#[tokio::test]
async fn intervening_needs_a_known_open_chat_and_makes_no_supervisor_otherwise() {
    let world = World::basic().await;
    let (bob, _, mut bob_ws) = world.user("Bob").await;
    let chat = create_chat(&mut bob_ws, &bob).await;
    let sandbox = &world.sandbox;
    let sue = || NewInbentaAgent::new("Sue");
    assert!(
        sandbox
            .intervene_inbenta_chat("no-app", &chat, sue())
            .is_none()
    );
    assert!(
        sandbox
            .intervene_inbenta_chat(world.app_id(), "c-none", sue())
            .is_none()
    );
    bob_ws
        .ok("chats:close", json!({"chatId": chat, "userId": bob}))
        .await;
    assert!(
        sandbox
            .intervene_inbenta_chat(world.app_id(), &chat, sue())
            .is_none()
    );
    let users = world
        .rest
        .call(Method::GET, "users", &world.secret_headers(), None)
        .await
        .ok();
    assert!(!users.to_string().contains("Sue"), "{users}");
}
