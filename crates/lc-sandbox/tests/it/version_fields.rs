//! Request fields as the docs define them: a field of another API version is ignored, as
//! the sandbox ignores any field it does not know (the docs name no error for them, and
//! the real service's v3.5 Python client still sends the removed login
//! `push_notifications`); the initial events of `start_chat` keep the authors listed in
//! `users` and are visible to all.

use crate::common;

use common::{Rtm, World};
use serde_json::{Value, json};

/// The ids of the chats `list_chats` answers with `filters`.
async fn listed(rtm: &mut Rtm, filters: Value) -> Vec<String> {
    let listed = rtm.ok("list_chats", json!({"filters": filters})).await;
    listed["chats_summary"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn list_chats_takes_active_in_3_6_and_include_active_before() {
    let world = World::new().await;
    let (_agent, _customer, chat_id) = world.started_chat().await;
    let mut new = world.agent_rtm("3.6").await;
    let mut old = world.agent_rtm("3.5").await;
    // Each version's own filter leaves the active chat out.
    assert!(listed(&mut new, json!({"active": false})).await.is_empty());
    assert!(
        listed(&mut old, json!({"include_active": false}))
            .await
            .is_empty()
    );
    // The other version's filter is ignored: the active chat is listed.
    assert_eq!(
        listed(&mut new, json!({"include_active": false})).await,
        std::slice::from_ref(&chat_id)
    );
    assert_eq!(listed(&mut old, json!({"active": false})).await, [chat_id]);
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn transfer_chat_takes_force_in_3_3_and_ignore_agents_availability_later() {
    let world = World::new().await;
    world
        .sandbox
        .create_agent(lc_sandbox::NewAgent::new("bob@example.com").name("Bob"));
    let (_agent, _customer, chat_id) = world.started_chat().await;
    let to_bob = |extra: Value| {
        let mut payload =
            json!({"id": chat_id, "target": {"type": "agent", "ids": ["bob@example.com"]}});
        payload
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        payload
    };
    let mut new = world.agent_rtm("3.6").await;
    // Bob is offline: 3.6 ignores `force`, and takes `ignore_agents_availability`.
    let error = new
        .fails("transfer_chat", to_bob(json!({"force": true})))
        .await;
    assert_eq!(error, "agent_offline");
    let mut old = world.agent_rtm("3.3").await;
    let error = old
        .fails(
            "transfer_chat",
            to_bob(json!({"ignore_agents_availability": true})),
        )
        .await;
    assert_eq!(error, "agent_offline");
    old.ok("transfer_chat", to_bob(json!({"force": true})))
        .await;
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn start_chat_keeps_listed_authors_and_gives_initial_events_visibility_all() {
    let world = World::new().await;
    let mut agent = world.agent_rtm("3.6").await;
    let customer = world.customer.id.as_str();
    let started = agent
        .ok(
            "start_chat",
            json!({"chat": {
                "users": [{"id": customer, "type": "customer"}],
                "thread": {"events": [
                    {"type": "message", "text": "from the customer", "author_id": customer},
                    {"type": "message", "text": "a note", "visibility": "agents"},
                ]},
            }}),
        )
        .await;
    let chat = agent
        .ok("get_chat", json!({"chat_id": started["chat_id"]}))
        .await;
    let events = chat["thread"]["events"].as_array().unwrap();
    assert_eq!(events[0]["author_id"], customer);
    assert_eq!(events[1]["author_id"], world.agent.id.as_str());
    assert_eq!(events[1]["visibility"], "all");

    // An author who is not a user of the chat is refused.
    let stranger = json!({"chat": {"thread": {"events": [
        {"type": "message", "text": "hi", "author_id": "nobody@example.com"},
    ]}}});
    assert_eq!(agent.fails("start_chat", stranger).await, "validation");
    world.sandbox.shutdown().await;
}
