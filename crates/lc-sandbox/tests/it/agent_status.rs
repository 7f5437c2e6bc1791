//! Agent sessions and routing statuses: login options, logout, away, routing statuses,
//! update_session, version gates.

use crate::common;

use common::web::{Web, agent_bearer};
use common::{Rtm, World};
use lc_protocol::types::Permission;
use lc_sandbox::{AgentHandle, NewAgent};
use serde_json::{Value, json};
use std::time::Duration;

/// An RTM connection of `agent` in `version`, logged in with `extra` login fields.
async fn login(world: &World, agent: &AgentHandle, version: &str, extra: Value) -> (Rtm, Value) {
    let mut rtm = Rtm::agent(&world.sandbox, version).await;
    let mut payload = json!({"token": agent.bearer().expose()});
    if let (Some(payload), Some(extra)) = (payload.as_object_mut(), extra.as_object()) {
        payload.extend(extra.clone());
    }
    let response = rtm.ok("login", payload).await;
    (rtm, response)
}

/// The status list_routing_statuses reports for `agent`.
async fn status_of(rtm: &mut Rtm, agent: &AgentHandle) -> Value {
    let list = rtm.ok("list_routing_statuses", json!({})).await;
    let entry = list
        .as_array()
        .expect("an array")
        .iter()
        .find(|e| e["agent_id"] == agent.id.as_str())
        .cloned()
        .unwrap_or_else(|| panic!("{} not listed: {list}", agent.id));
    entry["status"].clone()
}

/// Starts a chat as the world's customer (over RTM, 3.6); returns its id.
async fn customer_starts_chat(world: &World) -> (Rtm, String) {
    let mut customer = world.customer_rtm("3.6").await;
    let started = customer
        .ok(
            "start_chat",
            json!({"chat": {"thread": {"events": [{"type": "message", "text": "hi"}]}}}),
        )
        .await;
    let chat_id = started["chat_id"].as_str().expect("a chat id").to_owned();
    (customer, chat_id)
}

#[tokio::test]
async fn logout_closes_the_other_connections_with_agent_logged_out_remotely() {
    let world = World::new().await;
    let mut first = world.agent_rtm("3.6").await;
    let mut second = world.agent_rtm("3.6").await;

    first.ok("logout", json!({})).await;

    let frames = second.closed().await;
    let disconnected = frames
        .iter()
        .find(|f| f["action"] == "agent_disconnected")
        .unwrap_or_else(|| panic!("no agent_disconnected in {frames:?}"));
    assert_eq!(
        disconnected["payload"]["reason"],
        "agent_logged_out_remotely"
    );
    let own = first.closed().await;
    assert!(
        !own.iter().any(|f| f["action"] == "agent_disconnected"),
        "the requester's connection closes without a disconnect push: {own:?}"
    );
}

#[tokio::test]
async fn logging_out_another_agent_takes_an_administrator() {
    let world = World::new().await;
    let other = world
        .sandbox
        .create_agent(NewAgent::new("other@example.com"));
    let (_other_rtm, _) = login(&world, &other, "3.6", json!({})).await;
    let mut normal = world.agent_rtm("3.6").await;

    let error = normal
        .fails("logout", json!({"agent_id": other.id.as_str()}))
        .await;
    assert_eq!(error, "authorization");
}

#[tokio::test]
async fn an_administrator_logs_out_another_agent() {
    let world = World::new().await;
    let admin = world
        .sandbox
        .create_agent(NewAgent::new("admin@example.com").permission(Permission::Administrator));
    let mut target = world.agent_rtm("3.6").await;
    let (mut admin_rtm, _) = login(&world, &admin, "3.6", json!({})).await;

    admin_rtm
        .ok("logout", json!({"agent_id": world.agent.id.as_str()}))
        .await;

    let frames = target.closed().await;
    assert!(
        frames.iter().any(|f| f["action"] == "agent_disconnected"
            && f["payload"]["reason"] == "agent_logged_out_remotely"),
        "{frames:?}"
    );
    assert_eq!(status_of(&mut admin_rtm, &world.agent).await, "offline");
}

#[tokio::test]
async fn logout_over_web_closes_the_agents_connections() {
    let world = World::new().await;
    let mut rtm = world.agent_rtm("3.6").await;
    let web = Web::new(&world.sandbox);

    web.agent("3.6", "logout", &agent_bearer(&world.agent), json!({}))
        .await
        .ok();

    let frames = rtm.closed().await;
    assert!(
        frames
            .iter()
            .any(|f| f["payload"]["reason"] == "agent_logged_out_remotely"),
        "{frames:?}"
    );
}

#[tokio::test]
async fn away_on_every_connection_stops_routing() {
    let world = World::new().await;
    let mut first = world.agent_rtm("3.6").await;
    let mut second = world.agent_rtm("3.6").await;
    first.ok("set_away_status", json!({"away": true})).await;
    second.ok("set_away_status", json!({"away": true})).await;

    let (_customer, _chat_id) = customer_starts_chat(&world).await;

    first
        .no_push("incoming_chat", Duration::from_millis(300))
        .await;
    assert_eq!(
        status_of(&mut first, &world.agent).await,
        "not_accepting_chats"
    );
}

#[tokio::test]
async fn away_on_only_some_connections_keeps_routing() {
    let world = World::new().await;
    let mut first = world.agent_rtm("3.6").await;
    let _second = world.agent_rtm("3.6").await;
    first.ok("set_away_status", json!({"away": true})).await;

    let (_customer, chat_id) = customer_starts_chat(&world).await;

    let incoming = first.push("incoming_chat").await;
    assert_eq!(incoming["payload"]["chat"]["id"], chat_id.as_str());
}

#[tokio::test]
async fn coming_back_from_away_routes_the_waiting_chat() {
    let world = World::new().await;
    let (mut agent, _) = login(&world, &world.agent, "3.6", json!({"away": true})).await;
    let (_customer, chat_id) = customer_starts_chat(&world).await;
    agent
        .no_push("incoming_chat", Duration::from_millis(200))
        .await;

    agent.ok("set_away_status", json!({"away": false})).await;

    let incoming = agent.push("incoming_chat").await;
    assert_eq!(incoming["payload"]["chat"]["id"], chat_id.as_str());
}

#[tokio::test]
async fn list_routing_statuses_reflects_set_routing_status() {
    let world = World::new().await;
    let mut agent = world.agent_rtm("3.6").await;
    assert_eq!(status_of(&mut agent, &world.agent).await, "accepting_chats");

    agent
        .ok(
            "set_routing_status",
            json!({"status": "not_accepting_chats"}),
        )
        .await;

    assert_eq!(
        status_of(&mut agent, &world.agent).await,
        "not_accepting_chats"
    );
}

#[tokio::test]
async fn an_agent_without_connection_is_listed_offline() {
    let world = World::new().await;
    let absent = world
        .sandbox
        .create_agent(NewAgent::new("absent@example.com"));
    let mut agent = world.agent_rtm("3.6").await;

    assert_eq!(status_of(&mut agent, &absent).await, "offline");
}

#[tokio::test]
async fn list_routing_statuses_filters_by_group() {
    let world = World::new().await;
    let sales = world
        .sandbox
        .create_agent(NewAgent::new("sales@example.com").groups([7]));
    let mut agent = world.agent_rtm("3.6").await;

    let list = agent
        .ok(
            "list_routing_statuses",
            json!({"filters": {"group_ids": [7]}}),
        )
        .await;

    assert_eq!(
        list,
        json!([{"agent_id": sales.id.as_str(), "status": "offline"}])
    );
}

#[tokio::test]
async fn set_routing_status_pushes_routing_status_set_to_other_agents() {
    let world = World::new().await;
    let observer = world
        .sandbox
        .create_agent(NewAgent::new("observer@example.com"));
    let (mut observer_rtm, _) = login(&world, &observer, "3.6", json!({})).await;
    let mut agent = world.agent_rtm("3.6").await;

    agent
        .ok(
            "set_routing_status",
            json!({"status": "not_accepting_chats"}),
        )
        .await;

    let push = observer_rtm
        .push_where("routing_status_set", |p| {
            p["payload"]["status"] == "not_accepting_chats"
        })
        .await;
    assert_eq!(push["payload"]["agent_id"], world.agent.id.as_str());
}

#[tokio::test]
async fn humans_cannot_be_set_offline() {
    let world = World::new().await;
    let mut agent = world.agent_rtm("3.6").await;

    let error = agent
        .fails("set_routing_status", json!({"status": "offline"}))
        .await;
    assert_eq!(error, "validation");
}

#[tokio::test]
async fn bots_can_be_set_offline() {
    let world = World::new().await;
    let bot = world
        .sandbox
        .create_agent(NewAgent::new("0123456789abcdef0123456789abcdef").bot());
    let mut agent = world.agent_rtm("3.6").await;

    agent
        .ok(
            "set_routing_status",
            json!({"status": "offline", "agent_id": bot.id.as_str()}),
        )
        .await;

    assert_eq!(status_of(&mut agent, &bot).await, "offline");
}

#[tokio::test]
async fn setting_another_agents_status_takes_an_administrator() {
    let world = World::new().await;
    let other = world
        .sandbox
        .create_agent(NewAgent::new("other@example.com"));
    let (_other_rtm, _) = login(&world, &other, "3.6", json!({})).await;
    let mut agent = world.agent_rtm("3.6").await;

    let error = agent
        .fails(
            "set_routing_status",
            json!({"status": "not_accepting_chats", "agent_id": other.id.as_str()}),
        )
        .await;
    assert_eq!(error, "authorization");
}

#[tokio::test]
async fn the_last_connection_closing_makes_the_agent_offline() {
    let world = World::new().await;
    let observer = world
        .sandbox
        .create_agent(NewAgent::new("observer@example.com"));
    let (mut observer_rtm, _) = login(&world, &observer, "3.6", json!({})).await;
    let agent = world.agent_rtm("3.6").await;

    drop(agent);

    let push = observer_rtm
        .push_where("routing_status_set", |p| {
            p["payload"]["status"] == "offline"
        })
        .await;
    assert_eq!(push["payload"]["agent_id"], world.agent.id.as_str());
}

#[tokio::test]
async fn reconnect_restores_the_last_status() {
    let world = World::new().await;
    let mut agent = world.agent_rtm("3.6").await;
    agent
        .ok(
            "set_routing_status",
            json!({"status": "not_accepting_chats"}),
        )
        .await;
    agent.ok("logout", json!({})).await;
    agent.closed().await;

    let (_again, response) = login(&world, &world.agent, "3.6", json!({"reconnect": true})).await;

    assert_eq!(
        response["my_profile"]["routing_status"],
        "not_accepting_chats"
    );
}

#[tokio::test]
async fn a_new_session_without_reconnect_accepts_chats() {
    let world = World::new().await;
    let mut agent = world.agent_rtm("3.6").await;
    agent
        .ok(
            "set_routing_status",
            json!({"status": "not_accepting_chats"}),
        )
        .await;
    agent.ok("logout", json!({})).await;
    agent.closed().await;

    let (_again, response) = login(&world, &world.agent, "3.6", json!({})).await;

    assert_eq!(response["my_profile"]["routing_status"], "accepting_chats");
}

#[tokio::test]
async fn incoming_customers_at_level_my_lists_only_the_customers_of_my_chats() {
    let world = World::new().await;
    let busy = world
        .sandbox
        .create_agent(NewAgent::new("busy@example.com"));
    let (_busy_rtm, _) = login(&world, &busy, "3.6", json!({})).await;
    let (_customer, _chat_id) = customer_starts_chat(&world).await;

    let mut agent = Rtm::agent(&world.sandbox, "3.6").await;
    agent
        .ok(
            "login",
            json!({"token": world.agent.bearer().expose(), "customer_monitoring_level": "my"}),
        )
        .await;

    let push = agent.push("incoming_customers").await;
    assert_eq!(push["payload"]["customer_monitoring_level"], "my");
    assert_eq!(push["payload"]["customers"], json!([]));
}

#[tokio::test]
async fn incoming_customers_at_level_chatting_lists_customers_of_any_active_chat() {
    let world = World::new().await;
    let busy = world
        .sandbox
        .create_agent(NewAgent::new("busy@example.com"));
    let (_busy_rtm, _) = login(&world, &busy, "3.6", json!({})).await;
    let (_customer, _chat_id) = customer_starts_chat(&world).await;

    let mut agent = Rtm::agent(&world.sandbox, "3.6").await;
    agent
        .ok(
            "login",
            json!({"token": world.agent.bearer().expose(), "customer_monitoring_level": "chatting"}),
        )
        .await;

    let push = agent.push("incoming_customers").await;
    let customers = push["payload"]["customers"].as_array().unwrap();
    assert_eq!(customers.len(), 1, "{customers:?}");
    assert_eq!(customers[0]["id"], world.customer.id.as_str());
}

#[tokio::test]
async fn update_session_with_a_bad_token_fails_with_authentication() {
    let world = World::new().await;
    let mut agent = world.agent_rtm("3.6").await;

    let error = agent
        .fails("update_session", json!({"token": "Bearer dal:not-a-token"}))
        .await;
    assert_eq!(error, "authentication");
}

#[tokio::test]
async fn update_session_keeps_the_connection_usable() {
    let world = World::new().await;
    let mut agent = world.agent_rtm("3.6").await;
    let fresh = world.sandbox.mint_token_for_agent(&world.agent.id).unwrap();

    agent
        .ok(
            "update_session",
            json!({"token": format!("Bearer {}", fresh.expose())}),
        )
        .await;

    agent.ok("list_routing_statuses", json!({})).await;
}

#[tokio::test]
async fn update_session_is_refused_before_3_6() {
    let world = World::new().await;
    let mut agent = world.agent_rtm("3.5").await;

    let error = agent
        .fails(
            "update_session",
            json!({"token": world.agent.bearer().expose()}),
        )
        .await;
    assert_eq!(error, "validation");
}

#[tokio::test]
async fn change_push_notifications_is_refused_from_3_5() {
    let world = World::new().await;
    let mut agent = world.agent_rtm("3.5").await;

    let error = agent
        .fails(
            "change_push_notifications",
            json!({"firebase_token": "abc", "platform": "ios", "enabled": true}),
        )
        .await;
    assert_eq!(error, "validation");
}

#[tokio::test]
async fn change_push_notifications_is_accepted_in_3_4() {
    let world = World::new().await;
    let mut agent = world.agent_rtm("3.4").await;

    let response = agent
        .ok(
            "change_push_notifications",
            json!({"firebase_token": "abc", "platform": "ios", "enabled": true}),
        )
        .await;
    assert_eq!(response, json!({}));
}

#[tokio::test]
async fn get_license_info_answers_over_web_in_3_5() {
    let world = World::new().await;
    let web = Web::new(&world.sandbox);

    let info = web
        .agent(
            "3.5",
            "get_license_info",
            &agent_bearer(&world.agent),
            json!({}),
        )
        .await
        .ok();

    assert_eq!(info["license_id"], "104130623");
    assert_eq!(info["in_trial"], false);
    assert!(info["created_at"].as_str().unwrap() < info["expires_at"].as_str().unwrap());
}
