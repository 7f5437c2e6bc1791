//! The webhook registration actions of the Configuration API: register, list and
//! unregister, their validation and limit, `list_webhook_names` per version, and the
//! license webhooks state.

use crate::common;

use common::World;
use common::config::{call, call_anonymous, is_hex32, oauth_bearer};
use common::web::{Web, agent_basic};
use serde_json::{Value, json};

/// A registration request for `action` of application `owner`.
fn webhook(action: &str, owner: &str) -> Value {
    json!({"action": action, "secret_key": "s3cret", "url": "https://example.com/hook",
           "owner_client_id": owner, "type": "license"})
}

fn names(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|n| n["action"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn webhooks_are_registered_listed_without_secret_and_unregistered() {
    let world = World::new().await;
    let web = Web::new(&world.sandbox);
    let pat = agent_basic(&world.agent);
    let mut request = webhook("incoming_event", "app-1");
    request["filters"] = json!({"author_type": "customer", "source_type": ["other_clients"]});
    request["additional_data"] = json!(["chat_properties"]);
    request["description"] = json!("events");

    let registered = call(&web, "3.6", "register_webhook", &pat, request)
        .await
        .ok();
    let id = registered["id"].as_str().unwrap().to_owned();
    assert!(is_hex32(&id), "{id}");
    let listed = call(
        &web,
        "3.6",
        "list_webhooks",
        &pat,
        json!({"owner_client_id": "app-1"}),
    )
    .await
    .ok();
    let others = call(
        &web,
        "3.6",
        "list_webhooks",
        &pat,
        json!({"owner_client_id": "app-2"}),
    )
    .await
    .ok();

    let item = &listed[0];
    assert_eq!(item["id"], id.as_str());
    assert_eq!(item["action"], "incoming_event");
    assert_eq!(item["url"], "https://example.com/hook");
    assert_eq!(item["type"], "license");
    assert_eq!(item["description"], "events");
    assert_eq!(item["filters"]["author_type"], "customer");
    assert!(item.get("secret_key").is_none(), "{item}");
    assert_eq!(others, json!([]));
    let foreign = call(
        &web,
        "3.6",
        "unregister_webhook",
        &pat,
        json!({"id": id, "owner_client_id": "app-2"}),
    )
    .await;
    assert_eq!(foreign.error_type(), "not_found");
    call(
        &web,
        "3.6",
        "unregister_webhook",
        &pat,
        json!({"id": id, "owner_client_id": "app-1"}),
    )
    .await
    .ok();
    let again = call(
        &web,
        "3.6",
        "unregister_webhook",
        &pat,
        json!({"id": id, "owner_client_id": "app-1"}),
    )
    .await;
    assert_eq!(again.error_type(), "not_found");
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn at_most_three_webhooks_per_action_and_application() {
    let world = World::new().await;
    let web = Web::new(&world.sandbox);
    let pat = agent_basic(&world.agent);
    for _ in 0..3 {
        call(
            &web,
            "3.6",
            "register_webhook",
            &pat,
            webhook("incoming_chat", "app-1"),
        )
        .await
        .ok();
    }

    let fourth = call(
        &web,
        "3.6",
        "register_webhook",
        &pat,
        webhook("incoming_chat", "app-1"),
    )
    .await;
    assert_eq!(fourth.error_type(), "limit_reached");
    call(
        &web,
        "3.6",
        "register_webhook",
        &pat,
        webhook("incoming_chat", "app-2"),
    )
    .await
    .ok();
    call(
        &web,
        "3.6",
        "register_webhook",
        &pat,
        webhook("chat_deactivated", "app-1"),
    )
    .await
    .ok();
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn registrations_are_validated() {
    let world = World::new().await;
    let web = Web::new(&world.sandbox);
    let pat = agent_basic(&world.agent);
    let with = |action: &str, key: &str, value: Value| {
        let mut request = webhook(action, "app-1");
        request[key] = value;
        request
    };
    let cases = [
        (
            "3.6",
            with("incoming_chat", "filters", json!({"author_type": "agent"})),
        ),
        (
            "3.6",
            with(
                "incoming_event",
                "filters",
                json!({"chat_presence": {"user_ids": {"values": ["a"], "exclude_values": ["b"]}}}),
            ),
        ),
        (
            "3.6",
            with("incoming_chat", "filters", json!({"agent_ids": ["a"]})),
        ),
        (
            "3.6",
            with("bot_created", "filters", json!({"only_my_chats": true})),
        ),
        (
            "3.6",
            with("incoming_chat", "filters", json!({"colour": "red"})),
        ),
        ("3.6", with("incoming_chat", "url", json!(""))),
        (
            "3.6",
            with(
                "incoming_chat",
                "url",
                json!(format!("https://{}", "a".repeat(500))),
            ),
        ),
        ("3.6", with("incoming_chat", "type", json!("team"))),
        (
            "3.6",
            with(
                "agent_deleted",
                "additional_data",
                json!(["chat_properties"]),
            ),
        ),
        ("3.6", webhook("incoming_customer", "app-1")),
        ("3.5", webhook("event_deleted", "app-1")),
        ("3.5", webhook("thread_summary_set", "app-1")),
        ("3.6", webhook("no_such_action", "app-1")),
        ("3.6", webhook("incoming_chat", "")),
    ];
    for (version, request) in cases {
        let reply = call(&web, version, "register_webhook", &pat, request.clone()).await;
        assert_eq!(reply.error_type(), "validation", "{version} {request}");
    }
    call(
        &web,
        "3.5",
        "register_webhook",
        &pat,
        webhook("incoming_customer", "app-1"),
    )
    .await
    .ok();
    call(
        &web,
        "3.6",
        "register_webhook",
        &pat,
        with("routing_status_set", "filters", json!({"agent_ids": ["a"]})),
    )
    .await
    .ok();
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn list_webhook_names_serves_the_table_of_each_version_without_auth() {
    let world = World::new().await;
    let web = Web::new(&world.sandbox);

    let v36 = call_anonymous(&web, "3.6", "list_webhook_names", json!({}))
        .await
        .ok();
    let v35_param = call_anonymous(&web, "3.6", "list_webhook_names", json!({"version": "3.5"}))
        .await
        .ok();
    let v35_url = call_anonymous(&web, "3.5", "list_webhook_names", json!({}))
        .await
        .ok();

    let (n36, n35) = (names(&v36), names(&v35_param));
    assert_eq!(n36.len(), 38);
    assert_eq!(n35.len(), 37);
    assert_eq!(names(&v35_url), n35);
    for only_36 in ["event_deleted", "thread_summary_set"] {
        assert!(n36.iter().any(|n| n == only_36), "{only_36}");
        assert!(!n35.iter().any(|n| n == only_36), "{only_36}");
    }
    assert!(n35.iter().any(|n| n == "incoming_customer"));
    assert!(!n36.iter().any(|n| n == "incoming_customer"));
    let event = v36
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["action"] == "incoming_event")
        .unwrap();
    assert!(
        event["filters"]
            .as_array()
            .unwrap()
            .contains(&json!("author_type"))
    );
    assert_eq!(
        event["additional_data"],
        json!(["chat_properties", "chat_presence_user_ids"])
    );
    let deleted = v36
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["action"] == "agent_deleted")
        .unwrap();
    assert!(deleted.get("additional_data").is_none(), "{deleted}");
    let bad = call_anonymous(
        &web,
        "3.6",
        "list_webhook_names",
        json!({"version": "banana"}),
    )
    .await;
    assert_eq!(bad.error_type(), "validation");
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn license_webhooks_state_is_per_application() {
    let world = World::new().await;
    let web = Web::new(&world.sandbox);
    let (auth, client_id) = oauth_bearer(&world.sandbox, &world.agent);
    let pat = agent_basic(&world.agent);
    let state = |reply: Value| reply["license_webhooks_enabled"].clone();

    let initially = call(&web, "3.6", "get_license_webhooks_state", &auth, json!({}))
        .await
        .ok();
    call(&web, "3.6", "disable_license_webhooks", &auth, json!({}))
        .await
        .ok();
    let disabled = call(
        &web,
        "3.6",
        "get_license_webhooks_state",
        &pat,
        json!({"owner_client_id": client_id}),
    )
    .await
    .ok();
    let other = call(
        &web,
        "3.6",
        "get_license_webhooks_state",
        &pat,
        json!({"owner_client_id": "other"}),
    )
    .await
    .ok();
    call(
        &web,
        "3.6",
        "enable_license_webhooks",
        &pat,
        json!({"owner_client_id": client_id}),
    )
    .await
    .ok();
    let enabled = call(&web, "3.6", "get_license_webhooks_state", &auth, json!({}))
        .await
        .ok();

    assert_eq!(state(initially), json!(true));
    assert_eq!(state(disabled), json!(false));
    assert_eq!(state(other), json!(true));
    assert_eq!(state(enabled), json!(true));
    let pat_without_owner = call(&web, "3.6", "disable_license_webhooks", &pat, json!({})).await;
    assert_eq!(pat_without_owner.error_type(), "validation");
    world.sandbox.shutdown().await;
}
