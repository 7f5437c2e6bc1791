//! Fault injection for chaos tests, over real sockets: requests applied but never
//! answered (`drop_after_applying`), seeded random drops (`set_chaos`), refused logins
//! (`refuse_logins_for`) and the count of faults injected (`fault_stats`).

#![allow(clippy::unwrap_used)]

use crate::common;

use common::web::{Web, agent_bearer};
use common::{Rtm, World};
use lc_sandbox::{Chaos, FaultStats, Sandbox};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;

/// A chat started by the world's customer and routed to its agent.
struct Chat {
    world: World,
    agent: Rtm,
    customer: Rtm,
    chat_id: String,
}

impl Chat {
    async fn new() -> Chat {
        let world = World::new().await;
        let (agent, customer, chat_id) = world.started_chat().await;
        Chat {
            chat_id,
            world,
            agent,
            customer,
        }
    }

    /// A `send_event` payload of a message with `custom_id`.
    fn message(&self, custom_id: &str) -> Value {
        json!({"chat_id": self.chat_id, "event": {
            "type": "message", "text": custom_id, "custom_id": custom_id}})
    }
}

/// How many events of the thread of `chat_id` carry `custom_id`, as `rtm` sees them.
async fn stored(rtm: &mut Rtm, chat_id: &str, custom_id: &str) -> usize {
    let chat = rtm.ok("get_chat", json!({"chat_id": chat_id})).await;
    events_with(&chat["thread"]["events"], custom_id)
}

/// How many of `events` carry `custom_id`.
fn events_with(events: &Value, custom_id: &str) -> usize {
    events
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["custom_id"] == custom_id)
        .count()
}

/// Sends `action` as a raw frame (the answer is not awaited).
async fn send_raw(rtm: &mut Rtm, request_id: &str, action: &str, payload: Value) {
    let frame = json!({"request_id": request_id, "action": action, "payload": payload});
    rtm.send_text(&frame.to_string()).await;
}

/// Asserts that the connection ends without any further frame: no response, no push, no
/// close frame.
async fn ends_abruptly(rtm: &mut Rtm) {
    loop {
        match rtm.raw_next().await {
            None | Some(Err(_)) => return,
            Some(Ok(Message::Close(frame))) => panic!("a close frame was sent: {frame:?}"),
            Some(Ok(Message::Text(text))) => panic!("a frame after the drop: {text}"),
            Some(Ok(_)) => {}
        }
    }
}

/// A ping round trip: every frame queued before it has been read once it returns.
async fn settle(rtm: &mut Rtm) {
    rtm.ok("ping", json!({})).await;
}

#[tokio::test]
async fn an_agent_event_dropped_after_applying_is_stored_once_and_never_answered() {
    let mut chat = Chat::new().await;
    let mut other_tab = chat.world.agent_rtm("3.6").await;
    settle(&mut chat.agent).await;
    chat.world.sandbox.drop_after_applying("send_event", 1);

    let message = chat.message("c-1");
    send_raw(&mut chat.agent, "dropped", "send_event", message).await;
    ends_abruptly(&mut chat.agent).await;

    // Applied: the other connections, the sender's other one included, get the push.
    let pushed = chat.customer.push("incoming_event").await;
    assert_eq!(pushed["payload"]["event"]["custom_id"], "c-1");
    let pushed = other_tab.push("incoming_event").await;
    assert_eq!(pushed["payload"]["event"]["custom_id"], "c-1");
    assert_eq!(pushed.get("request_id"), None, "{pushed}");
    assert_eq!(stored(&mut other_tab, &chat.chat_id, "c-1").await, 1);
    let stats = chat.world.sandbox.fault_stats();
    assert_eq!(stats.dropped_after_applying, 1);
    assert_eq!(stats.random_connection_drops, 0);

    // Armed for one call only: the next one is answered.
    other_tab.ok("send_event", chat.message("c-2")).await;
    assert_eq!(stored(&mut other_tab, &chat.chat_id, "c-2").await, 1);
}

#[tokio::test]
async fn a_resent_event_is_stored_twice_as_the_service_does_not_deduplicate() {
    let mut chat = Chat::new().await;
    settle(&mut chat.customer).await;
    chat.world.sandbox.drop_after_applying("send_event", 1);
    let message = chat.message("twice");
    send_raw(&mut chat.customer, "1", "send_event", message).await;
    ends_abruptly(&mut chat.customer).await;
    let pushed = chat.agent.push("incoming_event").await;
    assert_eq!(pushed["payload"]["event"]["custom_id"], "twice");

    // A customer reconnecting and resending blindly stores the event a second time.
    let mut customer = chat.world.customer_rtm("3.6").await;
    assert_eq!(stored(&mut customer, &chat.chat_id, "twice").await, 1);
    customer.ok("send_event", chat.message("twice")).await;
    assert_eq!(stored(&mut chat.agent, &chat.chat_id, "twice").await, 2);
}

#[tokio::test]
async fn a_login_dropped_after_applying_ends_the_connection_and_the_next_login_works() {
    let world = World::new().await;
    world.sandbox.drop_after_applying("login", 1);
    let mut rtm = Rtm::agent(&world.sandbox, "3.6").await;
    let token = world.agent.bearer().expose().to_owned();
    send_raw(&mut rtm, "1", "login", json!({"token": token})).await;
    ends_abruptly(&mut rtm).await;
    let mut rtm = world.agent_rtm("3.6").await;
    settle(&mut rtm).await;
}

#[tokio::test]
async fn a_delayed_request_is_dropped_after_it_runs() {
    let mut chat = Chat::new().await;
    settle(&mut chat.agent).await;
    let sandbox = &chat.world.sandbox;
    sandbox.set_action_delay("send_event", Duration::from_millis(300));
    sandbox.drop_after_applying("send_event", 1);
    let sent = Instant::now();
    let message = chat.message("late");
    send_raw(&mut chat.agent, "1", "send_event", message).await;
    ends_abruptly(&mut chat.agent).await;
    assert!(
        sent.elapsed() >= Duration::from_millis(300),
        "dropped early"
    );
    let pushed = chat.customer.push("incoming_event").await;
    assert_eq!(pushed["payload"]["event"]["custom_id"], "late");
    sandbox.set_action_delay("send_event", Duration::ZERO);
}

#[tokio::test]
async fn a_forced_failure_wins_over_a_drop_after_applying() {
    let mut chat = Chat::new().await;
    let sandbox = &chat.world.sandbox;
    sandbox.fail_next("send_event", "internal", 1);
    sandbox.drop_after_applying("send_event", 1);
    let message = chat.message("f");
    assert_eq!(chat.agent.fails("send_event", message).await, "internal");
    assert_eq!(stored(&mut chat.agent, &chat.chat_id, "f").await, 0);
    let message = chat.message("g");
    send_raw(&mut chat.agent, "x", "send_event", message).await;
    ends_abruptly(&mut chat.agent).await;
    assert_eq!(chat.world.sandbox.fault_stats().dropped_after_applying, 1);
}

#[tokio::test]
async fn a_web_call_dropped_after_applying_closes_the_connection_without_a_response() {
    let chat = Chat::new().await;
    let sandbox = &chat.world.sandbox;
    sandbox.drop_after_applying("send_event", 1);
    let body = chat.message("web-1").to_string();
    let request = format!(
        "POST /v3.6/agent/action/send_event HTTP/1.1\r\nhost: {}\r\nauthorization: {}\r\n\
         content-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        sandbox.host(),
        agent_bearer(&chat.world.agent),
        body.len()
    );
    let mut tcp = tokio::net::TcpStream::connect(sandbox.local_addr())
        .await
        .unwrap();
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), tcp.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "the connection stays open");
    assert!(
        answer.is_empty(),
        "a response was written: {}",
        String::from_utf8_lossy(&answer)
    );

    let web = Web::new(sandbox);
    let auth = agent_bearer(&chat.world.agent);
    let got = web
        .agent("3.6", "get_chat", &auth, json!({"chat_id": chat.chat_id}))
        .await
        .ok();
    assert_eq!(events_with(&got["thread"]["events"], "web-1"), 1);
    assert_eq!(sandbox.fault_stats().dropped_after_applying, 1);
}

/// Sends `n` messages from the agent under chaos, reconnecting after each drop; returns
/// the indices of the dropped ones and checks each message is stored exactly once.
async fn chaos_run(seed: u64, n: usize) -> (Vec<usize>, FaultStats) {
    let mut chat = Chat::new().await;
    // Another connection keeps the agent online (and the chat routed) across drops.
    let _other_tab = chat.world.agent_rtm("3.6").await;
    chat.world
        .sandbox
        .set_chaos(Chaos::seeded(seed).drop_after_applying("send_event", 0.25));
    let mut dropped = Vec::new();
    for i in 0..n {
        let id = format!("m-{i}");
        if chat
            .agent
            .try_request("send_event", chat.message(&id))
            .await
            .is_none()
        {
            dropped.push(i);
            chat.agent = chat.world.agent_rtm("3.6").await;
        }
    }
    let got = chat
        .agent
        .ok("get_chat", json!({"chat_id": chat.chat_id}))
        .await;
    for i in 0..n {
        assert_eq!(events_with(&got["thread"]["events"], &format!("m-{i}")), 1);
    }
    (dropped, chat.world.sandbox.fault_stats())
}

#[tokio::test]
async fn chaos_drops_requests_at_its_rate_and_the_same_seed_drops_the_same_ones() {
    let (first, stats) = chaos_run(2024, 80).await;
    assert!(
        (10..=30).contains(&first.len()),
        "{} drops of 80",
        first.len()
    );
    assert_eq!(stats.dropped_after_applying, first.len() as u64);
    let (again, _) = chaos_run(2024, 80).await;
    assert_eq!(first, again);
    let (other, _) = chaos_run(7, 80).await;
    assert_ne!(first, other);
}

#[tokio::test]
async fn clear_chaos_stops_the_drops() {
    let mut chat = Chat::new().await;
    let sandbox = &chat.world.sandbox;
    sandbox.set_chaos(Chaos::seeded(1).drop_after_applying("send_event", 1.0));
    sandbox.clear_chaos();
    for i in 0..10 {
        let message = chat.message(&format!("k-{i}"));
        chat.agent.ok("send_event", message).await;
    }
    assert_eq!(sandbox.fault_stats(), FaultStats::default());
}

/// Logs a customer in, then counts the frames it receives until the connection ends,
/// sending the next ping only once the previous one is answered.
async fn frames_until_dropped(world: &World) -> u64 {
    let mut rtm = world.customer_rtm("3.6").await;
    rtm.pushes.clear();
    let mut answered = 0;
    while rtm.try_request("ping", json!({})).await.is_some() {
        answered += 1;
    }
    answered + rtm.pushes.len() as u64
}

#[tokio::test]
async fn chaos_drops_each_connection_after_a_number_of_frames_in_its_range() {
    async fn counts(seed: u64) -> (Vec<u64>, FaultStats) {
        let world = World::new().await;
        world
            .sandbox
            .set_chaos(Chaos::seeded(seed).drop_after_frames(2..=6));
        let mut counts = Vec::new();
        for _ in 0..12 {
            counts.push(frames_until_dropped(&world).await);
        }
        (counts, world.sandbox.fault_stats())
    }
    let (first, stats) = counts(99).await;
    assert!(first.iter().all(|n| (2..=6).contains(n)), "{first:?}");
    assert!(first.iter().any(|n| *n != first[0]), "{first:?}");
    assert_eq!(stats.random_connection_drops, 12);
    assert_eq!(stats.dropped_after_applying, 0);
    assert_eq!(counts(99).await.0, first);
}

#[tokio::test]
async fn chaos_drops_each_connection_after_a_lifetime_in_its_range() {
    let world = World::new().await;
    let (low, high) = (Duration::from_millis(300), Duration::from_millis(600));
    world
        .sandbox
        .set_chaos(Chaos::seeded(5).drop_after_lifetime(low..=high));
    let mut tasks = Vec::new();
    for i in 0..4 {
        let mut rtm = if i % 2 == 0 {
            Rtm::agent(&world.sandbox, "3.6").await
        } else {
            Rtm::customer(&world.sandbox, "3.6").await
        };
        let token = if i % 2 == 0 {
            world.agent.bearer()
        } else {
            world.customer.bearer()
        };
        // The login is answered whatever the lifetime.
        rtm.ok("login", json!({"token": token.expose()})).await;
        let logged_in = Instant::now();
        tasks.push(tokio::spawn(async move {
            loop {
                match rtm.raw_next().await {
                    None | Some(Err(_)) => return logged_in.elapsed(),
                    Some(Ok(Message::Close(frame))) => panic!("a close frame: {frame:?}"),
                    Some(Ok(_)) => {}
                }
            }
        }));
    }
    for task in tasks {
        let lived = task.await.unwrap();
        // Measured from the client's side of the login response, hence some slack.
        let slack = Duration::from_millis(250);
        assert!(
            lived + Duration::from_millis(50) >= low && lived <= high + slack,
            "lived {lived:?}"
        );
    }
    assert_eq!(world.sandbox.fault_stats().random_connection_drops, 4);
}

#[tokio::test]
async fn logins_are_refused_during_the_window_then_accepted() {
    let world = World::new().await;
    let mut logged_in = world.agent_rtm("3.6").await;
    world.sandbox.refuse_logins_for(Duration::from_millis(500));
    let refused_at = Instant::now();

    for customer in [false, true] {
        let (mut rtm, token) = if customer {
            let rtm = Rtm::customer(&world.sandbox, "3.6").await;
            (rtm, world.customer.bearer())
        } else {
            let rtm = Rtm::agent(&world.sandbox, "3.6").await;
            (rtm, world.agent.bearer())
        };
        let error = rtm.fails("login", json!({"token": token.expose()})).await;
        assert_eq!(error, "service_unavailable");
        // Then the connection is closed, with a close frame.
        loop {
            match rtm.raw_next().await {
                Some(Ok(Message::Close(_))) => break,
                Some(Ok(Message::Text(text))) => panic!("a frame after the refusal: {text}"),
                Some(Ok(_)) => {}
                other => panic!("no close frame: {other:?}"),
            }
        }
    }
    // Connections already logged in are not affected.
    settle(&mut logged_in).await;
    assert_eq!(world.sandbox.fault_stats().refused_logins, 2);

    tokio::time::sleep_until((refused_at + Duration::from_millis(550)).into()).await;
    world.agent_rtm("3.6").await;
    world.customer_rtm("3.6").await;
    assert_eq!(world.sandbox.fault_stats().refused_logins, 2);
}

#[tokio::test]
async fn drop_connections_does_not_wait_for_the_frames_still_queued() {
    let world = World::new().await;
    let mut rtm = world.agent_rtm("3.6").await;
    settle(&mut rtm).await;
    // 40 MiB queued for a client that does not read: the writer soon waits on the socket.
    let big = format!("\"{}\"", "x".repeat(1 << 20));
    for _ in 0..40 {
        world.sandbox.send_raw_frame(world.agent.id.as_str(), &big);
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    world.sandbox.drop_connections();
    let mut frames = 0;
    loop {
        match rtm.raw_next().await {
            None | Some(Err(_)) => break,
            Some(Ok(Message::Close(frame))) => panic!("a close frame was sent: {frame:?}"),
            Some(Ok(Message::Text(_))) => frames += 1,
            Some(Ok(_)) => {}
        }
    }
    // Only what was already in the sockets' buffers arrives.
    assert!(frames < 20, "{frames} of 40 frames written after the drop");
}

#[tokio::test]
async fn a_fresh_sandbox_counts_no_faults() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    assert_eq!(sandbox.fault_stats(), FaultStats::default());
    sandbox.shutdown().await;
}
