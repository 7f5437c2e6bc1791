//! The sandbox under clients that misbehave: it stays up, bounds what they can make it
//! hold, and keeps answering the others.

use crate::common;

use common::{Rtm, World};
use serde_json::json;
use std::time::{Duration, Instant};

/// Waits until `done` holds, up to `bound`.
async fn eventually(bound: Duration, mut done: impl FnMut() -> bool) -> bool {
    let started = Instant::now();
    while started.elapsed() < bound {
        if done() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    done()
}

#[tokio::test]
async fn a_client_that_never_reads_is_cut_and_the_others_are_served() {
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
    agent.push("incoming_chat").await;
    let connections = world.sandbox.realtime_connection_count();
    assert_eq!(connections, 2);

    // From here on the agent reads nothing; every message is pushed to it (16 KB each).
    // Its socket buffers fill, then the sandbox's queue for it (4 MiB): then it is cut.
    let text = "x".repeat(16 * 1024);
    let mut sent = 0;
    while world.sandbox.realtime_connection_count() == connections {
        assert!(sent < 3_000, "the agent was not cut after {sent} messages");
        let event = json!({"type": "message", "text": text});
        customer
            .ok("send_event", json!({"chat_id": chat_id, "event": event}))
            .await;
        sent += 1;
    }
    assert!(
        sent > 10,
        "cut only once its buffers were full ({sent} messages)"
    );

    // The customer goes on being served, and the cut agent's socket ends.
    let answered = Instant::now();
    customer.ok("list_chats", json!({})).await;
    assert!(answered.elapsed() < Duration::from_secs(2));
    agent.closed().await;
    assert!(
        eventually(Duration::from_secs(5), || world
            .sandbox
            .realtime_connection_count()
            == 1)
        .await,
        "only the customer is left"
    );
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn connections_that_never_log_in_do_not_stall_the_others() {
    let world = World::new().await;
    let mut idle = Vec::new();
    for _ in 0..200 {
        idle.push(Rtm::agent(&world.sandbox, "3.6").await);
    }
    assert_eq!(world.sandbox.realtime_connection_count(), 200);
    let started = Instant::now();
    let mut agent = world.agent_rtm("3.6").await;
    agent.ok("list_routing_statuses", json!({})).await;
    assert!(started.elapsed() < Duration::from_secs(2));
    drop(idle);
    assert!(
        eventually(Duration::from_secs(5), || world
            .sandbox
            .realtime_connection_count()
            == 1)
        .await,
        "the dropped sockets are gone"
    );
    world.sandbox.shutdown().await;
}
