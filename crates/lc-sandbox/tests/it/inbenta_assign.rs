//! Inbenta agent assignment: simulated agents (Accept, AcceptAfter, Ignore), maxAttempts
//! and interval, `forever:alone`, queue mode with `queue:update`, and inactivity expiry.

#![allow(clippy::unwrap_used)]

use crate::common::inbenta as common;

use common::{World, create_chat};
use lc_sandbox::{AgentBehaviour, NewInbentaAgent, NewInbentaApp};
use serde_json::json;
use std::time::Duration;

fn agent(name: &str, behaviour: AgentBehaviour) -> NewInbentaAgent {
    NewInbentaAgent::new(name).behaviour(behaviour)
}

#[tokio::test]
async fn an_accepting_agent_joins_and_the_reply_names_it() {
    let world = World::basic().await;
    let ann = world
        .sandbox
        .create_inbenta_agent(world.app_id(), NewInbentaAgent::new("Ann"));
    let mut ann_ws = world.socket(ann.token.expose()).await;
    let (user, _, mut ws) = world.user("Bob").await;
    let chat = create_chat(&mut ws, &user).await;
    let reply = ws
        .ok(
            "chats:assign",
            json!({"chatId": chat, "maxAttempts": 3, "interval": 30}),
        )
        .await;
    assert_eq!(reply["agent"]["id"], ann.id);
    assert_eq!(reply["agent"]["name"], "Ann");
    assert!(reply["agent"]["providerId"].is_string());
    let joined = ws.push("user:joined").await;
    assert_eq!(joined["chatId"], chat);
    assert_eq!(joined["user"]["id"], ann.id);
    assert_eq!(joined["transfer"], false);
    let seen_by_agent = ann_ws.push("user:joined").await;
    assert_eq!(seen_by_agent["chat"]["id"], chat);
}

#[tokio::test]
async fn ignoring_agents_lead_to_forever_alone_after_max_attempts() {
    let world = World::basic().await;
    let sandbox = &world.sandbox;
    sandbox.create_inbenta_agent(world.app_id(), agent("I1", AgentBehaviour::Ignore));
    sandbox.create_inbenta_agent(world.app_id(), agent("I2", AgentBehaviour::Ignore));
    // Third in line: a search of two attempts never reaches it.
    sandbox.create_inbenta_agent(world.app_id(), agent("Ann", AgentBehaviour::Accept));
    let (user, _, mut ws) = world.user("Bob").await;
    let chat = create_chat(&mut ws, &user).await;
    let reply = ws
        .ok(
            "chats:assign",
            json!({"chatId": chat, "maxAttempts": 2, "interval": 0.1}),
        )
        .await;
    assert!(reply.get("agent").is_none(), "{reply}");
    let alone = ws.push("forever:alone").await;
    assert_eq!(alone["chatId"], chat);
    ws.no_push("user:joined", Duration::from_millis(150)).await;
}

#[tokio::test]
async fn searches_waiting_on_one_chat_are_bounded() {
    let world = World::basic().await;
    let sandbox = &world.sandbox;
    sandbox.create_inbenta_agent(world.app_id(), agent("I1", AgentBehaviour::Ignore));
    let (user, _, mut ws) = world.user("Bob").await;
    let chat = create_chat(&mut ws, &user).await;
    let search = json!({"chatId": chat, "maxAttempts": 1, "interval": 30});
    let mut waiting = Vec::new();
    for _ in 0..16 {
        waiting.push(ws.send("chats:assign", search.clone()).await);
    }
    assert_eq!(ws.fails("chats:assign", search.clone()).await, 429);
    assert_eq!(
        waiting.len(),
        16,
        "each of the first 16 waits for the search"
    );
}

#[tokio::test]
async fn the_next_agent_is_invited_when_an_invitation_times_out() {
    let world = World::basic().await;
    let sandbox = &world.sandbox;
    sandbox.create_inbenta_agent(world.app_id(), agent("I1", AgentBehaviour::Ignore));
    let ann = sandbox.create_inbenta_agent(world.app_id(), agent("Ann", AgentBehaviour::Accept));
    let (user, _, mut ws) = world.user("Bob").await;
    let chat = create_chat(&mut ws, &user).await;
    let reply = ws
        .ok(
            "chats:assign",
            json!({"chatId": chat, "maxAttempts": 2, "interval": 0.1}),
        )
        .await;
    assert_eq!(reply["agent"]["id"], ann.id);
}

#[tokio::test]
async fn an_agent_accepting_after_a_delay_joins() {
    let world = World::basic().await;
    let slow = AgentBehaviour::AcceptAfter(Duration::from_millis(100));
    let sam = world
        .sandbox
        .create_inbenta_agent(world.app_id(), agent("Sam", slow));
    let (user, _, mut ws) = world.user("Bob").await;
    let chat = create_chat(&mut ws, &user).await;
    let reply = ws
        .ok(
            "chats:assign",
            json!({"chatId": chat, "maxAttempts": 1, "interval": 5}),
        )
        .await;
    assert_eq!(reply["agent"]["id"], sam.id);
    assert_eq!(ws.push("user:joined").await["user"]["id"], sam.id);
}

#[tokio::test]
async fn an_agent_slower_than_the_interval_misses_the_chat() {
    let world = World::basic().await;
    let slow = AgentBehaviour::AcceptAfter(Duration::from_secs(3));
    world
        .sandbox
        .create_inbenta_agent(world.app_id(), agent("Sam", slow));
    let (user, _, mut ws) = world.user("Bob").await;
    let chat = create_chat(&mut ws, &user).await;
    let reply = ws
        .ok(
            "chats:assign",
            json!({"chatId": chat, "maxAttempts": 1, "interval": 0.1}),
        )
        .await;
    assert!(reply.get("agent").is_none(), "{reply}");
    ws.push("forever:alone").await;
}

#[tokio::test]
async fn no_agent_online_means_forever_alone_at_once() {
    let world = World::basic().await;
    let ann = world
        .sandbox
        .create_inbenta_agent(world.app_id(), NewInbentaAgent::new("Ann"));
    world
        .sandbox
        .set_inbenta_agent_online(world.app_id(), &ann.id, false);
    let (user, _, mut ws) = world.user("Bob").await;
    let chat = create_chat(&mut ws, &user).await;
    let reply = ws.ok("chats:assign", json!({"chatId": chat})).await;
    assert!(reply.get("agent").is_none(), "{reply}");
    assert_eq!(ws.push("forever:alone").await["chatId"], chat);
}

#[tokio::test]
async fn agents_of_another_room_or_language_are_not_invited() {
    let world = World::new(NewInbentaApp::new("app-r").rooms([1, 2])).await;
    let sandbox = &world.sandbox;
    sandbox.create_inbenta_agent(world.app_id(), NewInbentaAgent::new("R2").rooms([2]));
    sandbox.create_inbenta_agent(world.app_id(), NewInbentaAgent::new("Fr").langs(["fr"]));
    let (user, _, mut ws) = world.user("Bob").await;
    let chat = create_chat(&mut ws, &user).await; // room 1, lang en
    let reply = ws.ok("chats:assign", json!({"chatId": chat})).await;
    assert!(reply.get("agent").is_none(), "{reply}");
}

#[tokio::test]
async fn an_agent_at_capacity_is_not_invited() {
    let world = World::basic().await;
    world
        .sandbox
        .create_inbenta_agent(world.app_id(), NewInbentaAgent::new("Ann").capacity(1));
    let (bob, _, mut bob_ws) = world.user("Bob").await;
    let chat = create_chat(&mut bob_ws, &bob).await;
    let first = bob_ws.ok("chats:assign", json!({"chatId": chat})).await;
    assert!(first["agent"].is_object());
    let (eve, _, mut eve_ws) = world.user("Eve").await;
    let chat = create_chat(&mut eve_ws, &eve).await;
    let second = eve_ws.ok("chats:assign", json!({"chatId": chat})).await;
    assert!(second.get("agent").is_none(), "{second}");
    eve_ws.push("forever:alone").await;
}

/// A queue-mode world with one Accept agent of capacity 1.
async fn queue_world() -> (World, lc_sandbox::InbentaUser) {
    let world = World::new(NewInbentaApp::new("app-q").queue_mode(true)).await;
    let ann = world
        .sandbox
        .create_inbenta_agent(world.app_id(), NewInbentaAgent::new("Ann"));
    (world, ann)
}

#[tokio::test]
async fn in_queue_mode_a_chat_is_assigned_on_creation_when_an_agent_is_free() {
    let (world, ann) = queue_world().await;
    let (user, _, mut ws) = world.user("Bob").await;
    let chat = create_chat(&mut ws, &user).await;
    let joined = ws.push("user:joined").await;
    assert_eq!(joined["chatId"], chat);
    assert_eq!(joined["user"]["id"], ann.id);
}

#[tokio::test]
async fn in_queue_mode_waiting_chats_get_positions_and_move_up_when_a_chat_closes() {
    let (world, ann) = queue_world().await;
    let (a, _, mut a_ws) = world.user("A").await;
    let chat_a = create_chat(&mut a_ws, &a).await;
    a_ws.push("user:joined").await;
    let (b, _, mut b_ws) = world.user("B").await;
    let chat_b = create_chat(&mut b_ws, &b).await;
    let b_update = b_ws.push("queue:update").await;
    assert_eq!(b_update["queuePosition"], 1);
    assert_eq!(b_update["chatId"], chat_b);
    assert!(b_update["waitingTime"].is_number());
    let (c, _, mut c_ws) = world.user("C").await;
    let chat_c = create_chat(&mut c_ws, &c).await;
    assert_eq!(c_ws.push("queue:update").await["queuePosition"], 2);

    a_ws.ok("chats:close", json!({"chatId": chat_a, "userId": a}))
        .await;
    let joined = b_ws.push("user:joined").await;
    assert_eq!(joined["user"]["id"], ann.id);
    assert_eq!(joined["chatId"], chat_b);
    let moved = c_ws
        .push_where("queue:update", |d| d["queuePosition"] == 1)
        .await;
    assert_eq!(moved["chatId"], chat_c);
}

#[tokio::test]
async fn in_queue_mode_chats_assign_answers_at_once_while_waiting() {
    let (world, _ann) = queue_world().await;
    let (a, _, mut a_ws) = world.user("A").await;
    create_chat(&mut a_ws, &a).await;
    let (b, _, mut b_ws) = world.user("B").await;
    let chat_b = create_chat(&mut b_ws, &b).await;
    b_ws.push("queue:update").await;
    let reply = b_ws.ok("chats:assign", json!({"chatId": chat_b})).await;
    assert!(reply.get("agent").is_none(), "{reply}");
    assert_eq!(b_ws.push("queue:update").await["queuePosition"], 1);
    b_ws.no_push("forever:alone", Duration::from_millis(100))
        .await;
}

#[tokio::test]
async fn in_queue_mode_an_agent_coming_online_takes_the_first_queued_chat() {
    let (world, ann) = queue_world().await;
    world
        .sandbox
        .set_inbenta_agent_online(world.app_id(), &ann.id, false);
    let (user, _, mut ws) = world.user("Bob").await;
    let chat = create_chat(&mut ws, &user).await;
    assert_eq!(ws.push("queue:update").await["queuePosition"], 1);
    world
        .sandbox
        .set_inbenta_agent_online(world.app_id(), &ann.id, true);
    let joined = ws.push("user:joined").await;
    assert_eq!(joined["chatId"], chat);
}

#[tokio::test]
async fn an_idle_chat_gets_an_expiry_alert_then_closes_as_system() {
    let spec = NewInbentaApp::new("app-i")
        .inactivity(Duration::from_millis(150), Duration::from_millis(150));
    let world = World::new(spec).await;
    let (user, _, mut ws) = world.user("Bob").await;
    let chat = create_chat(&mut ws, &user).await;
    let alert = ws.push("chat:timer:expiryAlert").await;
    assert_eq!(alert["chatId"], chat);
    assert_eq!(alert["timeLeft"], 1);
    let closed = ws.push("chat:closed").await;
    assert_eq!(closed["chatId"], chat);
    assert_eq!(closed["userId"], "system");
    assert_eq!(closed["extraData"]["reason"], "inactivity");
    assert!(ws.push("system:info").await["data"]["ticketId"].is_string());
}

#[tokio::test]
async fn a_message_after_the_alert_keeps_the_chat_open() {
    let spec = NewInbentaApp::new("app-i")
        .inactivity(Duration::from_millis(200), Duration::from_millis(300));
    let world = World::new(spec).await;
    let (user, _, mut ws) = world.user("Bob").await;
    let chat = create_chat(&mut ws, &user).await;
    ws.push("chat:timer:expiryAlert").await;
    ws.ok(
        "messages:send",
        json!({"chatId": chat, "eventId": "1", "message": "still here"}),
    )
    .await;
    ws.no_push("chat:closed", Duration::from_millis(350)).await;
    let read = ws.ok("chats:get", json!({"chatId": chat})).await;
    assert_eq!(read["chat"]["closed"], false);
}

#[tokio::test]
async fn a_search_longer_than_the_apps_assign_wait_answers_without_an_agent() {
    let wait = Duration::from_millis(300);
    let world = World::new(NewInbentaApp::new("").assign_wait(wait)).await;
    let sandbox = &world.sandbox;
    sandbox.create_inbenta_agent(world.app_id(), agent("Slow", AgentBehaviour::Ignore));
    let (user, _, mut ws) = world.user("Bob").await;
    let chat = create_chat(&mut ws, &user).await;
    let started = std::time::Instant::now();
    // Three invitations 30 s apart: the search would take 90 s.
    let reply = ws
        .ok(
            "chats:assign",
            json!({"chatId": chat, "maxAttempts": 3, "interval": 30}),
        )
        .await;
    assert!(reply.get("agent").is_none(), "{reply}");
    assert!(started.elapsed() >= wait, "not before the wait");
    assert!(started.elapsed() < Duration::from_secs(5), "at the wait");
}
