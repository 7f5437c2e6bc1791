//! RTM basics over real sockets: login, ping, a chat between a customer and an agent.

use crate::common;

use common::{Rtm, World};
use serde_json::json;

#[tokio::test]
async fn a_customer_chats_with_an_agent() {
    let world = World::new().await;
    let mut agent = world.agent_rtm("3.6").await;
    let mut customer = world.customer_rtm("3.6").await;

    let started = customer
        .ok(
            "start_chat",
            json!({"chat": {"thread": {"events": [{"type": "message", "text": "hi"}]}}}),
        )
        .await;
    let chat_id = started["chat_id"].as_str().unwrap().to_owned();

    let incoming = agent.push("incoming_chat").await;
    assert_eq!(incoming["payload"]["chat"]["id"], chat_id.as_str());
    assert!(
        incoming.get("request_id").is_none(),
        "only the requester gets the request id"
    );
    let events = &incoming["payload"]["chat"]["thread"]["events"];
    assert_eq!(events[0]["text"], "hi");

    let own = customer.push("incoming_chat").await;
    assert!(
        own.get("request_id").is_some(),
        "the requester's own push carries the request id"
    );

    agent
        .ok(
            "send_event",
            json!({"chat_id": chat_id, "event": {"type": "message", "text": "hello, Jane"}}),
        )
        .await;
    let event = customer.push("incoming_event").await;
    assert_eq!(event["payload"]["event"]["text"], "hello, Jane");
    assert!(
        event["payload"]["event"].get("visibility").is_none(),
        "customers see no visibility field"
    );

    customer
        .ok(
            "send_event",
            json!({"chat_id": chat_id, "event": {"type": "message", "text": "thanks"}}),
        )
        .await;
    let from_customer =
        |p: &serde_json::Value| p["payload"]["event"]["author_id"] != world.agent.id.as_str();
    let event = agent.push_where("incoming_event", from_customer).await;
    assert_eq!(event["payload"]["event"]["text"], "thanks");
    assert_eq!(
        event["payload"]["event"]["author_id"],
        world.customer.id.as_str()
    );

    agent.ok("deactivate_chat", json!({"id": chat_id})).await;
    let closed = customer.push("chat_deactivated").await;
    assert_eq!(closed["payload"]["chat_id"], chat_id.as_str());
    assert_eq!(
        customer
            .fails(
                "send_event",
                json!({"chat_id": chat_id, "event": {"type": "message", "text": "?"}})
            )
            .await,
        "chat_inactive"
    );
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn actions_before_login_fail_and_ping_answers() {
    let world = World::new().await;
    let mut rtm = Rtm::agent(&world.sandbox, "3.6").await;
    assert_eq!(rtm.ok("ping", json!({})).await, json!({}));
    assert_eq!(rtm.fails("list_chats", json!({})).await, "authentication");
    assert_eq!(
        rtm.fails("login", json!({"token": "Bearer nope"})).await,
        "authentication"
    );
    rtm.ok("login", json!({"token": world.agent.bearer().expose()}))
        .await;
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn malformed_frames_get_an_error_and_the_connection_stays_usable() {
    let world = World::new().await;
    let mut rtm = world.agent_rtm("3.6").await;
    rtm.send_text("{not json").await;
    let frame = rtm.next_response().await;
    assert_eq!(frame["success"], false);
    assert_eq!(frame["payload"]["error"]["type"], "validation");
    assert_eq!(rtm.fails("no_such_action", json!({})).await, "validation");
    assert_eq!(
        rtm.fails("get_chat", json!({"chat_id": 42})).await,
        "validation"
    );
    assert_eq!(rtm.fails("upload_file", json!({})).await, "validation");
    rtm.ok("ping", json!({})).await;
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn pretty_printed_frames_and_control_pings_work() {
    let world = World::new().await;
    let mut rtm = Rtm::agent(&world.sandbox, "3.6").await;
    let login = json!({"action": "login", "payload": {"token": world.agent.bearer().expose()}, "request_id": "777"});
    rtm.send_text(&serde_json::to_string_pretty(&login).unwrap())
        .await;
    let frame = rtm.next_response().await;
    assert_eq!(frame["request_id"], "777");
    assert_eq!(frame["success"], true);
    rtm.control_ping().await;
    rtm.ok("ping", json!({})).await;
    world.sandbox.shutdown().await;
}
