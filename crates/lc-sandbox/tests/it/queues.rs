//! The chat queue: chats no agent can take wait in it with their position, the customer
//! and the agents are told as they move up, and they leave it when an agent takes them.

use crate::common;

use common::{Rtm, World};
use lc_sandbox::NewCustomer;
use serde_json::{Value, json};

/// Starts a chat for a customer connection; the chat id.
async fn start(customer: &mut Rtm) -> String {
    let started = customer
        .ok(
            "start_chat",
            json!({"chat": {"thread": {"events": [{"type": "message", "text": "hi"}]}}}),
        )
        .await;
    started["chat_id"].as_str().unwrap().to_owned()
}

/// The `queue` of the chat's thread as `rtm` reads it with `get_chat`.
async fn queue_of(rtm: &mut Rtm, chat_id: &str) -> Value {
    let chat = rtm.ok("get_chat", json!({"chat_id": chat_id})).await;
    chat["thread"]["queue"].clone()
}

#[tokio::test]
async fn chats_no_agent_can_take_are_queued_and_move_up() {
    let world = World::new().await;
    let mut agent = world.agent_rtm("3.6").await;
    let status = json!({"agent_id": world.agent.id, "status": "not_accepting_chats"});
    agent.ok("set_routing_status", status).await;
    let mut first = world.customer_rtm("3.6").await;
    let second_customer = world.sandbox.create_customer(NewCustomer::new().name("Al"));
    let mut second = Rtm::customer(&world.sandbox, "3.6").await;
    second
        .ok("login", json!({"token": second_customer.bearer().expose()}))
        .await;

    let first_chat = start(&mut first).await;
    let queued = first.push("queue_position_updated").await;
    assert_eq!(queued["payload"]["chat_id"], first_chat.as_str());
    assert_eq!(queued["payload"]["queue"]["position"], 1);
    let second_chat = start(&mut second).await;
    let queued = second.push("queue_position_updated").await;
    assert_eq!(queued["payload"]["queue"]["position"], 2);
    assert_eq!(queued["payload"]["queue"]["wait_time"], 120);

    // The thread shows it; the agents hear about each chat entering the queue.
    let queue = queue_of(&mut second, &second_chat).await;
    assert_eq!(queue["position"], 2);
    assert!(queue["queued_at"].as_str().unwrap().contains('T'));
    let told = agent
        .push_where("queue_positions_updated", |p| {
            p["payload"][0]["chat_id"] == second_chat.as_str()
        })
        .await;
    assert_eq!(told["payload"][0]["queue"]["position"], 2);

    // The first chat closes: the second moves up.
    first.ok("deactivate_chat", json!({"id": first_chat})).await;
    let moved = second.push("queue_position_updated").await;
    assert_eq!(moved["payload"]["queue"]["position"], 1);
    let told = agent
        .push_where("queue_positions_updated", |p| {
            p["payload"][0]["queue"]["position"] == 1
                && p["payload"][0]["chat_id"] == second_chat.as_str()
        })
        .await;
    assert_eq!(told["payload"].as_array().unwrap().len(), 1);

    // An agent frees up: the chat leaves the queue.
    let status = json!({"agent_id": world.agent.id, "status": "accepting_chats"});
    agent.ok("set_routing_status", status).await;
    agent
        .push_where("incoming_chat", |p| {
            p["payload"]["chat"]["id"] == second_chat.as_str()
        })
        .await;
    assert!(queue_of(&mut second, &second_chat).await.is_null());
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn a_transfer_ignoring_agents_availability_may_queue_the_chat() {
    let world = World::new().await;
    world.sandbox.create_group(1, "Sales");
    let (mut agent, mut customer, chat_id) = world.started_chat().await;
    assert!(queue_of(&mut customer, &chat_id).await.is_null());
    let to_sales = |anyway: bool| {
        json!({"id": chat_id, "target": {"type": "group", "ids": [1]},
               "ignore_agents_availability": anyway})
    };
    // Nobody of the group can take it: refused, unless availability is ignored.
    let frame = agent.request("transfer_chat", to_sales(false)).await;
    assert_eq!(frame["success"], false, "{frame}");
    assert!(queue_of(&mut customer, &chat_id).await.is_null());
    agent.ok("transfer_chat", to_sales(true)).await;
    let queued = customer.push("queue_position_updated").await;
    assert_eq!(queued["payload"]["queue"]["position"], 1);
    assert_eq!(queue_of(&mut customer, &chat_id).await["position"], 1);
    world.sandbox.shutdown().await;
}
