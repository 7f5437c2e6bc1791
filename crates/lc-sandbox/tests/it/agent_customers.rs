//! Agent actions on customers: get, list (3.5), create (3.5), update, ban, follow (3.3),
//! subscribe (3.6), and their version gates.

use crate::common;

use common::web::{Web, agent_bearer, customer_bearer};
use common::{Rtm, World};
use http::StatusCode;
use lc_sandbox::{NewAgent, NewCustomer};
use serde_json::{Value, json};
use std::time::Duration;

/// Starts a chat as the world's customer (over RTM, 3.6); returns the connection and the
/// chat id.
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

/// The ids of the customers of a list_customers response.
fn ids(response: &Value) -> Vec<String> {
    response["customers"]
        .as_array()
        .expect("customers")
        .iter()
        .map(|c| c["id"].as_str().expect("an id").to_owned())
        .collect()
}

#[tokio::test]
async fn ban_disconnects_the_customer() {
    let world = World::new().await;
    let mut agent = world.agent_rtm("3.6").await;
    let mut customer = world.customer_rtm("3.6").await;

    agent
        .ok(
            "ban_customer",
            json!({"id": world.customer.id.as_str(), "ban": {"days": 2}}),
        )
        .await;

    let frames = customer.closed().await;
    let disconnected = frames
        .iter()
        .find(|f| f["action"] == "customer_disconnected")
        .unwrap_or_else(|| panic!("no customer_disconnected in {frames:?}"));
    assert_eq!(
        disconnected["payload"]["reason"],
        "customer_temporarily_blocked"
    );
}

#[tokio::test]
async fn a_banned_customer_cannot_log_in() {
    let world = World::new().await;
    let mut agent = world.agent_rtm("3.6").await;
    agent
        .ok(
            "ban_customer",
            json!({"id": world.customer.id.as_str(), "ban": {"days": 1}}),
        )
        .await;

    let mut customer = Rtm::customer(&world.sandbox, "3.6").await;
    let error = customer
        .fails("login", json!({"token": world.customer.bearer().expose()}))
        .await;
    assert_eq!(error, "customer_banned");
}

#[tokio::test]
async fn a_banned_customer_cannot_use_the_web_api() {
    let world = World::new().await;
    let web = Web::new(&world.sandbox);
    let auth = customer_bearer(&world.customer);
    let path = web.customer_path("3.6", "list_chats", "");
    let before = web.post_json(&path, &auth, &json!({})).await;
    assert_eq!(before.status, StatusCode::OK, "{:?}", before.json());
    let mut agent = world.agent_rtm("3.6").await;
    agent
        .ok(
            "ban_customer",
            json!({"id": world.customer.id.as_str(), "ban": {"days": 1}}),
        )
        .await;

    let after = web.post_json(&path, &auth, &json!({})).await;
    assert_eq!(after.error_type(), "customer_banned");
    let other = Web::new(&world.sandbox)
        .agent("3.6", "list_chats", &agent_bearer(&world.agent), json!({}))
        .await;
    assert_eq!(other.status, StatusCode::OK, "agents are not affected");
}

#[tokio::test]
async fn a_customer_coming_online_is_announced_to_agents_that_monitor_online_customers() {
    let world = World::new().await;
    let mut watching = Rtm::agent(&world.sandbox, "3.6").await;
    let login =
        json!({"token": world.agent.bearer().expose(), "customer_monitoring_level": "online"});
    watching.ok("login", login).await;
    let other = world
        .sandbox
        .create_agent(NewAgent::new("other@example.com"));
    let mut mine_only = Rtm::agent(&world.sandbox, "3.6").await;
    mine_only
        .ok("login", json!({"token": other.bearer().expose()}))
        .await;

    let mut customer = world.customer_rtm("3.6").await;
    let pushed = watching.push("incoming_customer").await;
    assert_eq!(pushed["payload"]["id"], world.customer.id.as_str());
    mine_only
        .no_push("incoming_customer", Duration::from_millis(300))
        .await;

    // A second connection of the same customer announces nothing more.
    let mut again = world.customer_rtm("3.6").await;
    watching
        .no_push("incoming_customer", Duration::from_millis(300))
        .await;
    customer.ok("list_chats", json!({})).await;
    again.ok("list_chats", json!({})).await;
}

#[tokio::test]
async fn ban_pushes_customer_banned_to_the_requester() {
    let world = World::new().await;
    let mut agent = world.agent_rtm("3.6").await;

    agent
        .ok(
            "ban_customer",
            json!({"id": world.customer.id.as_str(), "ban": {"days": 3}}),
        )
        .await;

    let push = agent.push("customer_banned").await;
    assert_eq!(
        push["payload"],
        json!({"customer_id": world.customer.id.as_str(), "ban": {"days": 3}})
    );
}

#[tokio::test]
async fn update_customer_pushes_only_the_changed_fields() {
    let world = World::new().await;
    let mut agent = world.agent_rtm("3.6").await;

    agent
        .ok(
            "update_customer",
            json!({"id": world.customer.id.as_str(), "name": "Jane", "email": "jane@example.com"}),
        )
        .await;

    let push = agent.push("customer_updated").await;
    assert_eq!(
        push["payload"],
        json!({"id": world.customer.id.as_str(), "email": "jane@example.com"}),
        "the unchanged name is left out"
    );
}

#[tokio::test]
async fn update_customer_reaches_the_customers_own_connection() {
    let world = World::new().await;
    let mut agent = world.agent_rtm("3.6").await;
    let mut customer = world.customer_rtm("3.6").await;

    agent
        .ok(
            "update_customer",
            json!({"id": world.customer.id.as_str(), "name": "Janet"}),
        )
        .await;

    let push = customer.push("customer_updated").await;
    assert_eq!(push["payload"]["name"], "Janet");
}

#[tokio::test]
async fn update_customer_merges_session_fields_by_key() {
    let world = World::new().await;
    let mut agent = world.agent_rtm("3.6").await;
    let id = world.customer.id.as_str();
    agent
        .ok(
            "update_customer",
            json!({"id": id, "session_fields": [{"a": "1"}, {"b": "2"}]}),
        )
        .await;

    agent
        .ok(
            "update_customer",
            json!({"id": id, "session_fields": [{"b": "3"}, {"c": "4"}]}),
        )
        .await;

    let customer = agent.ok("get_customer", json!({"id": id})).await;
    assert_eq!(
        customer["session_fields"],
        json!([{"a": "1"}, {"b": "3"}, {"c": "4"}])
    );
}

#[tokio::test]
async fn update_customer_without_a_field_is_a_validation_error() {
    let world = World::new().await;
    let mut agent = world.agent_rtm("3.6").await;

    let error = agent
        .fails("update_customer", json!({"id": world.customer.id.as_str()}))
        .await;
    assert_eq!(error, "validation");
}

#[tokio::test]
async fn update_customer_refuses_3_6_fields_in_3_5() {
    let world = World::new().await;
    let mut agent = world.agent_rtm("3.5").await;

    let error = agent
        .fails(
            "update_customer",
            json!({"id": world.customer.id.as_str(), "phone_number": "+48123456789"}),
        )
        .await;
    assert_eq!(error, "validation");
}

#[tokio::test]
async fn get_customer_shows_the_ids_of_its_chats() {
    let world = World::new().await;
    let mut agent = world.agent_rtm("3.6").await;
    let (_customer, chat_id) = customer_starts_chat(&world).await;

    let customer = agent
        .ok("get_customer", json!({"id": world.customer.id.as_str()}))
        .await;

    assert_eq!(customer["chat_ids"], json!([chat_id]));
    assert_eq!(customer["statistics"]["chats_count"], 1);
    assert_eq!(customer["statistics"]["threads_count"], 1);
}

#[tokio::test]
async fn get_customer_of_an_unknown_id_is_not_found() {
    let world = World::new().await;
    let mut agent = world.agent_rtm("3.6").await;

    let error = agent
        .fails(
            "get_customer",
            json!({"id": "b7eff798-f8df-4364-8059-649c35c9ed0c"}),
        )
        .await;
    assert_eq!(error, "not_found");
}

#[tokio::test]
async fn list_customers_pages_through_every_customer() {
    let world = World::new().await;
    for name in ["A", "B", "C"] {
        world.sandbox.create_customer(NewCustomer::new().name(name));
    }
    let mut agent = world.agent_rtm("3.5").await;

    let first = agent.ok("list_customers", json!({"limit": 3})).await;
    assert_eq!(first["total_customers"], 4);
    assert!(first.get("previous_page_id").is_none());
    let page_id = first["next_page_id"]
        .as_str()
        .expect("a next page")
        .to_owned();
    let second = agent
        .ok("list_customers", json!({"page_id": page_id}))
        .await;

    assert!(second.get("next_page_id").is_none());
    assert!(second["previous_page_id"].is_string());
    let mut all = ids(&first);
    all.extend(ids(&second));
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 4, "every customer once: {all:?}");
}

#[tokio::test]
async fn list_customers_refuses_a_limit_with_a_page_id() {
    let world = World::new().await;
    world.sandbox.create_customer(NewCustomer::new());
    let mut agent = world.agent_rtm("3.5").await;
    let first = agent.ok("list_customers", json!({"limit": 1})).await;
    let page_id = first["next_page_id"].as_str().unwrap().to_owned();

    let error = agent
        .fails("list_customers", json!({"page_id": page_id, "limit": 1}))
        .await;
    assert_eq!(error, "validation");
}

#[tokio::test]
async fn list_customers_filters_by_email() {
    let world = World::new().await;
    let wanted = world
        .sandbox
        .create_customer(NewCustomer::new().email("wanted@example.com"));
    world
        .sandbox
        .create_customer(NewCustomer::new().email("other@example.com"));
    let mut agent = world.agent_rtm("3.5").await;

    let response = agent
        .ok(
            "list_customers",
            json!({"filters": {"email": {"values": ["wanted@example.com"]}}}),
        )
        .await;

    assert_eq!(ids(&response), vec![wanted.id.as_str().to_owned()]);
}

#[tokio::test]
async fn list_customers_sorts_by_threads_count() {
    let world = World::new().await;
    world.sandbox.create_customer(NewCustomer::new());
    let (_customer, _chat_id) = customer_starts_chat(&world).await;
    let mut agent = world.agent_rtm("3.5").await;

    let response = agent
        .ok(
            "list_customers",
            json!({"sort_by": "threads_count", "sort_order": "desc"}),
        )
        .await;

    assert_eq!(ids(&response)[0], world.customer.id.as_str());
}

#[tokio::test]
async fn list_customers_can_leave_out_customers_without_chats() {
    let world = World::new().await;
    world.sandbox.create_customer(NewCustomer::new());
    let (_customer, _chat_id) = customer_starts_chat(&world).await;
    let mut agent = world.agent_rtm("3.5").await;

    let response = agent
        .ok(
            "list_customers",
            json!({"filters": {"include_customers_without_chats": false}}),
        )
        .await;

    assert_eq!(ids(&response), vec![world.customer.id.as_str().to_owned()]);
}

#[tokio::test]
async fn list_customers_is_refused_on_3_6() {
    let world = World::new().await;
    let mut agent = world.agent_rtm("3.6").await;

    let error = agent.fails("list_customers", json!({})).await;
    assert_eq!(error, "validation");
}

#[tokio::test]
async fn create_customer_makes_a_customer_get_customer_finds() {
    let world = World::new().await;
    let mut agent = world.agent_rtm("3.5").await;

    let created = agent
        .ok(
            "create_customer",
            json!({"name": "Created", "email": "created@example.com"}),
        )
        .await;
    let id = created["customer_id"].as_str().unwrap();

    let customer = agent.ok("get_customer", json!({"id": id})).await;
    assert_eq!(customer["name"], "Created");
    assert!(customer.get("chat_ids").is_none(), "no chats yet");
}

#[tokio::test]
async fn create_customer_pushes_incoming_customer() {
    let world = World::new().await;
    let mut agent = world.agent_rtm("3.5").await;

    let created = agent
        .ok("create_customer", json!({"name": "Created"}))
        .await;

    let push = agent.push("incoming_customer").await;
    assert_eq!(push["payload"]["id"], created["customer_id"]);
}

#[tokio::test]
async fn create_customer_is_refused_on_3_6() {
    let world = World::new().await;
    let mut agent = world.agent_rtm("3.6").await;

    let error = agent.fails("create_customer", json!({"name": "X"})).await;
    assert_eq!(error, "validation");
}

#[tokio::test]
async fn follow_customer_pushes_incoming_customer_in_3_3() {
    let world = World::new().await;
    let mut agent = world.agent_rtm("3.3").await;

    agent
        .ok("follow_customer", json!({"id": world.customer.id.as_str()}))
        .await;

    let push = agent.push("incoming_customer").await;
    assert_eq!(push["payload"]["id"], world.customer.id.as_str());
}

#[tokio::test]
async fn unfollow_customer_pushes_customer_unfollowed_in_3_3() {
    let world = World::new().await;
    let mut agent = world.agent_rtm("3.3").await;
    agent
        .ok("follow_customer", json!({"id": world.customer.id.as_str()}))
        .await;

    agent
        .ok(
            "unfollow_customer",
            json!({"id": world.customer.id.as_str()}),
        )
        .await;

    let push = agent.push("customer_unfollowed").await;
    assert_eq!(push["payload"], json!({"id": world.customer.id.as_str()}));
}

#[tokio::test]
async fn follow_customer_is_refused_after_3_3() {
    let world = World::new().await;
    let mut agent = world.agent_rtm("3.4").await;

    let error = agent
        .fails("follow_customer", json!({"id": world.customer.id.as_str()}))
        .await;
    assert_eq!(error, "validation");
}

#[tokio::test]
async fn subscribe_customers_lists_the_customers_of_the_groups() {
    let world = World::new().await;
    let sales = world.sandbox.create_customer(NewCustomer::new().group(5));
    let mut agent = world.agent_rtm("3.6").await;

    let response = agent
        .ok("subscribe_customers", json!({"group_ids": [5]}))
        .await;

    assert!(response["subscription_id"].is_string());
    assert_eq!(ids(&response), vec![sales.id.as_str().to_owned()]);
}

#[tokio::test]
async fn a_subscribed_connection_receives_customer_updated() {
    let world = World::new().await;
    let editor = world
        .sandbox
        .create_agent(NewAgent::new("editor@example.com"));
    let mut editor_rtm = Rtm::agent(&world.sandbox, "3.6").await;
    editor_rtm
        .ok("login", json!({"token": editor.bearer().expose()}))
        .await;
    let mut watcher = world.agent_rtm("3.6").await;
    let id = world.customer.id.as_str();
    editor_rtm
        .ok("update_customer", json!({"id": id, "name": "Before"}))
        .await;
    watcher
        .no_push("customer_updated", Duration::from_millis(200))
        .await;

    watcher.ok("subscribe_customers", json!({})).await;
    editor_rtm
        .ok("update_customer", json!({"id": id, "name": "After"}))
        .await;

    let push = watcher.push("customer_updated").await;
    assert_eq!(push["payload"]["name"], "After");
}

#[tokio::test]
async fn unsubscribe_customers_of_an_unknown_subscription_is_not_found() {
    let world = World::new().await;
    let mut agent = world.agent_rtm("3.6").await;

    let error = agent
        .fails("unsubscribe_customers", json!({"subscription_id": "nope"}))
        .await;
    assert_eq!(error, "not_found");
}

#[tokio::test]
async fn subscribe_customers_is_refused_on_3_5() {
    let world = World::new().await;
    let mut agent = world.agent_rtm("3.5").await;

    let error = agent.fails("subscribe_customers", json!({})).await;
    assert_eq!(error, "validation");
}
