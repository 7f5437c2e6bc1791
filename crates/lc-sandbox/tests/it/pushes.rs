//! Pushes the real service sends on its own: a revoked token's disconnect, group
//! statuses following the agents' routing statuses, a customer leaving, the system
//! messages of users added to and removed from a chat.

use crate::common;

use common::{Rtm, World};
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn a_revoked_token_closes_its_connections_with_access_token_revoked() {
    let world = World::new().await;
    let mut agent = world.agent_rtm("3.6").await;
    let mut customer = world.customer_rtm("3.6").await;
    // Another token of the same agent: its connection stays.
    let other = world.sandbox.mint_token_for_agent(&world.agent.id).unwrap();
    let mut kept = Rtm::agent(&world.sandbox, "3.6").await;
    kept.ok(
        "login",
        json!({"token": format!("Bearer {}", other.expose())}),
    )
    .await;

    world.sandbox.revoke_token(&world.agent.token);
    let frames = agent.closed().await;
    let last = frames.last().expect("a disconnect push");
    assert_eq!(last["action"], "agent_disconnected");
    assert_eq!(last["payload"]["reason"], "access_token_revoked");
    kept.ok("list_chats", json!({})).await;

    world.sandbox.revoke_token(&world.customer.bearer());
    let frames = customer.closed().await;
    let last = frames.last().expect("a disconnect push");
    assert_eq!(last["action"], "customer_disconnected");
    assert_eq!(last["payload"]["reason"], "access_token_revoked");

    // The revoked token no longer logs in.
    let mut again = Rtm::agent(&world.sandbox, "3.6").await;
    let error = again
        .fails("login", json!({"token": world.agent.bearer().expose()}))
        .await;
    assert_eq!(error, "authentication");
    world.sandbox.shutdown().await;
}

/// The `groups` of a `groups_status_updated` push, as (id, status) pairs.
fn groups(push: &serde_json::Value) -> Vec<(u64, String)> {
    push["payload"]["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["id"].as_u64().unwrap(),
                g["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn groups_status_updated_follows_the_agents_routing_statuses() {
    let world = World::new().await;
    let mut customer = world.customer_rtm("3.6").await;
    let mut old_customer = world.customer_rtm("3.4").await;
    let mut agent = world.agent_rtm("3.6").await;
    let online = customer.push("groups_status_updated").await;
    assert_eq!(groups(&online), [(0, "online".to_owned())]);
    let accepting = agent.push("groups_status_updated").await;
    assert_eq!(groups(&accepting), [(0, "accepting_chats".to_owned())]);

    agent
        .ok(
            "set_routing_status",
            json!({"agent_id": world.agent.id, "status": "not_accepting_chats"}),
        )
        .await;
    let queue = customer.push("groups_status_updated").await;
    assert_eq!(groups(&queue), [(0, "online_for_queue".to_owned())]);
    let not_accepting = agent.push("groups_status_updated").await;
    assert_eq!(
        groups(&not_accepting),
        [(0, "not_accepting_chats".to_owned())]
    );

    // A status that changes no group's status pushes nothing.
    agent
        .ok(
            "set_routing_status",
            json!({"agent_id": world.agent.id, "status": "not_accepting_chats"}),
        )
        .await;
    customer
        .no_push("groups_status_updated", Duration::from_millis(300))
        .await;

    drop(agent);
    let offline = customer.push("groups_status_updated").await;
    assert_eq!(groups(&offline), [(0, "offline".to_owned())]);
    // The push exists since 3.5: a 3.4 connection never gets it.
    old_customer
        .no_push("groups_status_updated", Duration::from_millis(300))
        .await;
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn customer_left_comes_when_the_customers_last_connection_goes() {
    let world = World::new().await;
    let mut agent = world.watching_agent_rtm("3.6").await;
    let first = world.customer_rtm("3.6").await;
    let second = world.customer_rtm("3.6").await;
    drop(first);
    agent
        .no_push("customer_left", Duration::from_millis(300))
        .await;
    drop(second);
    let left = agent.push("customer_left").await;
    assert_eq!(left["payload"]["id"], world.customer.id.as_str());
    assert!(left["payload"]["left_at"].as_str().unwrap().contains('T'));
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn customer_statistics_updated_follows_visits_page_views_and_chats() {
    let world = World::new().await;
    let mut agent = world.watching_agent_rtm("3.6").await;
    let mut old_agent = world.watching_agent_rtm("3.5").await;
    let mut customer = world.customer_rtm("3.6").await;
    let visit = agent.push("customer_statistics_updated").await;
    assert_eq!(visit["payload"]["customer_id"], world.customer.id.as_str());
    assert_eq!(visit["payload"]["statistics"]["visits_count"], 1);

    customer
        .ok(
            "update_customer_page",
            json!({"url": "https://example.com/a"}),
        )
        .await;
    let page = agent.push("customer_statistics_updated").await;
    let views = page["payload"]["statistics"]["page_views_count"]
        .as_u64()
        .unwrap();
    assert!(views >= 1, "{page}");

    customer
        .ok(
            "start_chat",
            json!({"chat": {"thread": {"events": [{"type": "message", "text": "hi"}]}}}),
        )
        .await;
    let chat = agent.push("customer_statistics_updated").await;
    assert_eq!(chat["payload"]["statistics"]["chats_count"], 1);
    // The push exists since 3.6.
    old_agent
        .no_push("customer_statistics_updated", Duration::from_millis(300))
        .await;
    world.sandbox.shutdown().await;
}

/// The next `system_message` of type `kind` pushed to `rtm`: its event.
async fn system_message(rtm: &mut Rtm, kind: &str) -> serde_json::Value {
    let push = rtm
        .push_where("incoming_event", |p| {
            p["payload"]["event"]["system_message_type"] == kind
        })
        .await;
    push["payload"]["event"].clone()
}

#[tokio::test]
async fn adding_and_removing_agents_writes_the_documented_system_messages() {
    let world = World::new().await;
    let bob = world
        .sandbox
        .create_agent(lc_sandbox::NewAgent::new("bob@example.com").name("Bob"));
    let (mut smith, mut customer, chat_id) = world.started_chat().await;
    let mut bob_rtm = Rtm::agent(&world.sandbox, "3.6").await;
    bob_rtm
        .ok("login", json!({"token": bob.bearer().expose()}))
        .await;
    let add = |visibility: &str| {
        json!({"chat_id": chat_id, "user_id": "bob@example.com", "user_type": "agent",
               "visibility": visibility, "ignore_requester_presence": true})
    };
    let remove = json!({"chat_id": chat_id, "user_id": "bob@example.com", "user_type": "agent"});

    smith.ok("add_user_to_chat", add("all")).await;
    let added = system_message(&mut smith, "agent_added").await;
    assert_eq!(added["text"], "Agent Smith added Bob to the chat");
    assert_eq!(added["text_vars"]["initiator"], "Agent Smith");
    assert_eq!(added["text_vars"]["agent"], "Bob");
    assert!(added.get("author_id").is_none(), "{added}");
    let seen = system_message(&mut customer, "agent_added").await;
    assert_eq!(seen["text"], "Agent Smith added Bob to the chat");

    bob_rtm.ok("remove_user_from_chat", remove.clone()).await;
    let left = system_message(&mut smith, "agent_left").await;
    assert_eq!(left["text"], "Bob left the chat");
    system_message(&mut customer, "agent_left").await;
    customer.pushes.clear();

    // Joining oneself, seen by agents only: the customer gets nothing.
    bob_rtm.ok("add_user_to_chat", add("agents")).await;
    let joined = system_message(&mut smith, "agent_joined").await;
    assert_eq!(joined["text"], "Bob joined the chat");
    assert_eq!(joined["visibility"], "agents");
    customer
        .no_push("incoming_event", Duration::from_millis(300))
        .await;

    smith.ok("remove_user_from_chat", remove).await;
    let removed = system_message(&mut smith, "agent_removed").await;
    assert_eq!(removed["text"], "Agent Smith removed Bob from the chat");
    assert_eq!(removed["text_vars"]["initiator"], "Agent Smith");

    // The messages stay in the thread.
    let chat = smith.ok("get_chat", json!({"chat_id": chat_id})).await;
    let kinds: Vec<_> = chat["thread"]["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["system_message_type"].as_str())
        .collect();
    assert_eq!(
        kinds,
        ["agent_added", "agent_left", "agent_joined", "agent_removed"]
    );
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn subscribed_customers_totals_updated_repeats_while_a_subscription_is_past_its_limit() {
    let builder = lc_sandbox::Sandbox::builder().customer_totals_period(Duration::from_millis(100));
    let world = World::with(builder).await;
    for _ in 0..2 {
        world
            .sandbox
            .create_customer(lc_sandbox::NewCustomer::new());
    }
    let mut agent = world.agent_rtm("3.6").await;
    let subscribed = agent.ok("subscribe_customers", json!({"limit": 1})).await;
    let id = subscribed["subscription_id"].as_str().unwrap().to_owned();
    assert_eq!(subscribed["customers"].as_array().unwrap().len(), 1);
    // Told at once, then again every period.
    for _ in 0..3 {
        let totals = agent.push("subscribed_customers_totals_updated").await;
        assert_eq!(totals["payload"][id.as_str()], 3, "{totals}");
    }
    // A subscription within its limit is never reported.
    let mut roomy = world.agent_rtm("3.6").await;
    roomy.ok("subscribe_customers", json!({"limit": 10})).await;
    roomy
        .no_push(
            "subscribed_customers_totals_updated",
            Duration::from_millis(400),
        )
        .await;

    agent
        .ok("unsubscribe_customers", json!({"subscription_id": id}))
        .await;
    // What was already on its way may still come; after that, nothing.
    tokio::time::sleep(Duration::from_millis(150)).await;
    agent.pushes.clear();
    while let Ok(Some(_)) =
        tokio::time::timeout(Duration::from_millis(50), agent.next_frame()).await
    {}
    agent
        .no_push(
            "subscribed_customers_totals_updated",
            Duration::from_millis(400),
        )
        .await;
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn a_chat_an_agent_starts_with_a_customer_updates_its_statistics() {
    let world = World::new().await;
    let mut agent = world.watching_agent_rtm("3.6").await;
    let _customer = world.customer_rtm("3.6").await;
    agent.push("customer_statistics_updated").await;
    let users = json!([{"id": world.customer.id, "type": "customer"}]);
    agent
        .ok("start_chat", json!({"chat": {"users": users}}))
        .await;
    let updated = agent.push("customer_statistics_updated").await;
    assert_eq!(updated["payload"]["statistics"]["chats_count"], 1);
    world.sandbox.shutdown().await;
}
