//! Bot tokens (`issue_bot_token`): their shape, what refuses one, acting as the bot on
//! the Agent Chat Web API, expiry, deletion, secret reset, RTM, and bot routing statuses.

use crate::common;

use base64::Engine;
use common::config::{bot_token, call, call_anonymous, create_bot, oauth_bearer};
use common::web::{Web, agent_basic, customer_bearer};
use common::{Rtm, World};
use lc_sandbox::Sandbox;
use serde_json::{Value, json};
use std::time::Duration;

/// A world, a Web client, an OAuth bearer with its client id, and a bot of that client:
/// its id and secret.
async fn world_with_bot(
    builder: lc_sandbox::SandboxBuilder,
) -> (World, Web, String, String, String, String) {
    let world = World::with(builder).await;
    let web = Web::new(&world.sandbox);
    let (auth, client_id) = oauth_bearer(&world.sandbox, &world.agent);
    let (bot, secret) = create_bot(&web, &auth, json!({"name": "Bot"})).await;
    (world, web, auth, client_id, bot, secret)
}

fn b64_json(part: &str) -> Value {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .unwrap_or_else(|e| panic!("{part}: {e}"));
    serde_json::from_slice(&bytes).unwrap()
}

#[tokio::test]
async fn issue_bot_token_gives_a_jwt_without_region_prefix() {
    let (world, web, _, client_id, bot, secret) = world_with_bot(Sandbox::builder()).await;

    let token = bot_token(&web, &world.sandbox, &bot, &client_id, &secret).await;

    assert!(!token.contains(':'), "{token}");
    let parts: Vec<_> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "{token}");
    assert_eq!(b64_json(parts[0]), json!({"alg": "HS256", "typ": "JWT"}));
    let claims = b64_json(parts[1]);
    assert_eq!(claims["bot_id"], bot.as_str());
    assert_eq!(claims["client_id"], client_id.as_str());
    assert_eq!(claims["organization_id"], world.sandbox.organization_id());
    let lifetime = claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap();
    assert_eq!(lifetime, 24 * 60 * 60);
    // With credentials too (the docs' sample sends a PAT).
    let with_pat = call(
        &web,
        "3.6",
        "issue_bot_token",
        &agent_basic(&world.agent),
        json!({"bot_id": bot, "client_id": client_id, "bot_secret": secret,
               "organization_id": world.sandbox.organization_id()}),
    )
    .await;
    with_pat.ok();
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn a_wrong_secret_client_organization_or_bot_is_refused() {
    let (world, web, _, client_id, bot, secret) = world_with_bot(Sandbox::builder()).await;
    let org = world.sandbox.organization_id();
    let cases = [
        json!({"bot_id": bot, "client_id": client_id, "bot_secret": "0".repeat(32), "organization_id": org}),
        json!({"bot_id": bot, "client_id": "other", "bot_secret": secret, "organization_id": org}),
        json!({"bot_id": bot, "client_id": client_id, "bot_secret": secret, "organization_id": "other-org"}),
        json!({"bot_id": "1".repeat(32), "client_id": client_id, "bot_secret": secret, "organization_id": org}),
    ];
    for request in cases {
        let reply = call_anonymous(&web, "3.6", "issue_bot_token", request.clone()).await;
        assert_eq!(reply.error_type(), "authentication", "{request}");
    }
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn a_bot_token_acts_as_the_bot_on_the_agent_web_api() {
    let (world, web, _, client_id, bot, secret) = world_with_bot(Sandbox::builder()).await;
    let token = format!(
        "Bearer {}",
        bot_token(&web, &world.sandbox, &bot, &client_id, &secret).await
    );
    let mut agent = world.agent_rtm("3.6").await;

    web.agent(
        "3.6",
        "set_routing_status",
        &token,
        json!({"status": "accepting_chats"}),
    )
    .await
    .ok();
    let pushed = agent
        .push_where("routing_status_set", |p| {
            p["payload"]["agent_id"] == bot.as_str()
        })
        .await;
    assert_eq!(pushed["payload"]["status"], "accepting_chats");
    let started = web
        .customer(
            "3.6",
            "start_chat",
            &customer_bearer(&world.customer),
            json!({"chat": {"thread": {"events": [{"type": "message", "text": "hi"}]}}}),
        )
        .await
        .ok();
    let chat_id = started["chat_id"].as_str().unwrap();
    let sent = web
        .agent(
            "3.6",
            "send_event",
            &token,
            json!({"chat_id": chat_id, "event": {"type": "message", "text": "I am a bot"}}),
        )
        .await
        .ok();
    assert!(sent["event_id"].is_string(), "{sent}");
    let chat = web
        .agent("3.6", "get_chat", &token, json!({"chat_id": chat_id}))
        .await
        .ok();
    let events = chat["thread"]["events"].as_array().unwrap();
    assert_eq!(events.last().unwrap()["author_id"], bot.as_str(), "{chat}");
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn an_expired_bot_token_is_refused_everywhere() {
    let builder = Sandbox::builder().bot_token_lifetime(Duration::from_millis(300));
    let (world, web, _, client_id, bot, secret) = world_with_bot(builder).await;
    let token = format!(
        "Bearer {}",
        bot_token(&web, &world.sandbox, &bot, &client_id, &secret).await
    );
    web.agent("3.6", "list_routing_statuses", &token, json!({}))
        .await
        .ok();

    tokio::time::sleep(Duration::from_millis(500)).await;

    let agent_api = web
        .agent("3.6", "list_routing_statuses", &token, json!({}))
        .await;
    assert_eq!(agent_api.error_type(), "authentication");
    assert_eq!(agent_api.json()["error"]["message"], "Invalid access token");
    let config_api = call(&web, "3.6", "get_bot", &token, json!({"id": bot})).await;
    assert_eq!(config_api.error_type(), "authentication");
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn a_deleted_bots_token_stops_working_but_a_secret_reset_keeps_tokens() {
    let (world, web, auth, client_id, bot, secret) = world_with_bot(Sandbox::builder()).await;
    let token = format!(
        "Bearer {}",
        bot_token(&web, &world.sandbox, &bot, &client_id, &secret).await
    );

    let reset = call(&web, "3.6", "reset_bot_secret", &auth, json!({"id": bot}))
        .await
        .ok();
    web.agent("3.6", "list_routing_statuses", &token, json!({}))
        .await
        .ok();
    let old_secret = call_anonymous(
        &web,
        "3.6",
        "issue_bot_token",
        json!({"bot_id": bot, "client_id": client_id, "bot_secret": secret,
               "organization_id": world.sandbox.organization_id()}),
    )
    .await;
    assert_eq!(old_secret.error_type(), "authentication");
    bot_token(
        &web,
        &world.sandbox,
        &bot,
        &client_id,
        reset["secret"].as_str().unwrap(),
    )
    .await;

    call(&web, "3.6", "delete_bot", &auth, json!({"id": bot}))
        .await
        .ok();

    let refused = web
        .agent("3.6", "list_routing_statuses", &token, json!({}))
        .await;
    assert_eq!(refused.error_type(), "authentication");
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn rtm_login_with_a_bot_token_is_refused() {
    let (world, web, _, client_id, bot, secret) = world_with_bot(Sandbox::builder()).await;
    let token = bot_token(&web, &world.sandbox, &bot, &client_id, &secret).await;
    let mut rtm = Rtm::agent(&world.sandbox, "3.6").await;

    let error = rtm
        .fails("login", json!({"token": format!("Bearer {token}")}))
        .await;

    assert_eq!(error, "authentication");
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn a_bot_token_may_call_only_its_bot_actions_on_the_configuration_api() {
    let (world, web, auth, client_id, bot, secret) = world_with_bot(Sandbox::builder()).await;
    let (_, other_bot_secret) = create_bot(&web, &auth, json!({"name": "Sibling"})).await;
    drop(other_bot_secret);
    let (other_auth, _) = oauth_bearer(&world.sandbox, &world.agent);
    let (foreign, _) = create_bot(&web, &other_auth, json!({"name": "Foreign"})).await;
    let token = format!(
        "Bearer {}",
        bot_token(&web, &world.sandbox, &bot, &client_id, &secret).await
    );

    call(&web, "3.6", "get_bot", &token, json!({"id": bot}))
        .await
        .ok();
    let mine = call(&web, "3.6", "list_bots", &token, json!({})).await.ok();
    assert_eq!(mine.as_array().unwrap().len(), 2, "{mine}");
    for (action, payload) in [
        ("get_bot", json!({"id": foreign})),
        ("list_bots", json!({"all": true})),
        ("list_groups", json!({})),
        ("list_agents", json!({})),
        (
            "register_webhook",
            json!({"action": "incoming_chat", "secret_key": "s", "url": "https://x",
                   "owner_client_id": client_id, "type": "bot"}),
        ),
        (
            "create_bot",
            json!({"name": "X", "owner_client_id": "other"}),
        ),
    ] {
        let reply = call(&web, "3.6", action, &token, payload).await;
        assert_eq!(reply.error_type(), "authorization", "{action}");
    }
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn bot_routing_statuses_start_offline_and_ignore_connections() {
    let (world, web, _, client_id, bot, secret) = world_with_bot(Sandbox::builder()).await;
    let mut agent = world.agent_rtm("3.6").await;
    let status = |statuses: &Value, id: &str| {
        statuses
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["agent_id"] == id)
            .map(|s| s["status"].clone())
    };

    let before = agent.ok("list_routing_statuses", json!({})).await;
    assert_eq!(status(&before, &bot), Some(json!("offline")));
    agent
        .ok(
            "set_routing_status",
            json!({"status": "not_accepting_chats", "agent_id": bot}),
        )
        .await;
    drop(agent);
    tokio::time::sleep(Duration::from_millis(200)).await;

    let token = format!(
        "Bearer {}",
        bot_token(&web, &world.sandbox, &bot, &client_id, &secret).await
    );
    let after = web
        .agent("3.6", "list_routing_statuses", &token, json!({}))
        .await
        .ok();
    assert_eq!(status(&after, &bot), Some(json!("not_accepting_chats")));
    assert_eq!(status(&after, "smith@example.com"), Some(json!("offline")));
    let human = web
        .agent(
            "3.6",
            "set_routing_status",
            &token,
            json!({"status": "accepting_chats", "agent_id": "smith@example.com"}),
        )
        .await;
    assert_eq!(human.error_type(), "authorization");
    web.agent(
        "3.6",
        "set_routing_status",
        &token,
        json!({"status": "offline"}),
    )
    .await
    .ok();
    world.sandbox.shutdown().await;
}
