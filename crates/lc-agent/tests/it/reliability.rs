//! Nothing lost, nothing duplicated: exactly-once `send_event` over RTM and Web when the
//! outcome is ambiguous, and pushes missed during a reconnection recovered once, in
//! order — against a real lc-sandbox that drops connections and fails requests.

#![allow(clippy::unwrap_used)]

use crate::common;

use common::{CustomerChat, RtmWorld, WAIT, World};
use futures_util::StreamExt;
use lc_agent::AgentClient;
use lc_protocol::agent::{AgentPush, ListThreads};
use lc_protocol::send_once::ResolvePolicy;
use lc_protocol::types::Event;
use lc_protocol::{Applied, Error, ErrorKind, Transport, customer};
use lc_rtm::RtmEvent;
use lc_web::{CustomerSession, WebClient, WebConfig};
use std::time::Duration;

/// How many events of the chat carry `custom_id`, and their ids.
async fn stored<T: Transport>(w: &World<T>, chat: &CustomerChat, custom_id: &str) -> Vec<String> {
    let threads = w
        .rtm
        .transport()
        .call(&ListThreads::new(chat.chat_id.clone()))
        .await
        .unwrap();
    threads
        .threads
        .iter()
        .flat_map(|t| t.events.iter().flatten())
        .filter(|e| e.custom_id() == Some(custom_id))
        .filter_map(|e| e.id().map(|id| id.to_string()))
        .collect()
}

/// Sends with the client under test after the sandbox was told to drop the requester's
/// connection right after storing the event: the send returns the stored event, once.
async fn dropped_after_applying_is_found<T: Transport>(w: &World<T>, chat: &CustomerChat) {
    w.sandbox.drop_after_applying("send_event", 1);
    let sending = w
        .client
        .send_event(chat.chat_id.clone(), Event::message("applied, unanswered"));
    let custom_id = sending.custom_id().to_owned();
    assert!(custom_id.starts_with("lcrs-"), "{custom_id}");
    let sent = sending.await.unwrap();
    assert_eq!(
        stored(w, chat, &custom_id).await,
        [sent.event_id.to_string()]
    );
    assert_eq!(w.sandbox.fault_stats().dropped_after_applying, 1);
}

/// A send the server failed with `internal` (nothing stored) is looked up, not found,
/// and sent again with the same `custom_id`: stored once.
async fn failed_unapplied_is_resent<T: Transport>(w: &World<T>, chat: &CustomerChat) {
    w.sandbox.fail_next("send_event", "internal", 1);
    let policy = ResolvePolicy::default().server_deadline(Duration::from_millis(50));
    let mut event = Event::message("failed, resent");
    event.set_custom_id(Some("mine-1".into()));
    let sent = w
        .client
        .send_event(chat.chat_id.clone(), event)
        .resolve_policy(policy)
        .await
        .unwrap();
    assert_eq!(stored(w, chat, "mine-1").await, [sent.event_id.to_string()]);
}

#[tokio::test]
async fn rtm_a_send_dropped_after_it_was_applied_returns_the_stored_event_once() {
    let (w, chat) = RtmWorld::with_chat().await;
    dropped_after_applying_is_found(&w, &chat).await;
    w.shutdown().await;
}

#[tokio::test]
async fn web_a_send_dropped_after_it_was_applied_returns_the_stored_event_once() {
    let (w, chat) = World::<WebClient>::with_chat().await;
    dropped_after_applying_is_found(&w, &chat).await;
    w.shutdown().await;
}

#[tokio::test]
async fn rtm_a_send_the_server_failed_is_sent_again_with_the_same_custom_id() {
    let (w, chat) = RtmWorld::with_chat().await;
    failed_unapplied_is_resent(&w, &chat).await;
    w.shutdown().await;
}

#[tokio::test]
async fn web_a_send_the_server_failed_is_sent_again_with_the_same_custom_id() {
    let (w, chat) = World::<WebClient>::with_chat().await;
    failed_unapplied_is_resent(&w, &chat).await;
    w.shutdown().await;
}

#[tokio::test]
async fn a_definite_refusal_is_returned_as_not_applied_and_not_resent() {
    let (w, chat) = RtmWorld::with_chat().await;
    w.sandbox.fail_next("send_event", "validation", 1);
    let sending = w
        .client
        .send_event(chat.chat_id.clone(), Event::message("refused"));
    let custom_id = sending.custom_id().to_owned();
    let err = sending.await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Api);
    assert_eq!(err.applied(), Applied::No);
    assert!(stored(&w, &chat, &custom_id).await.is_empty());
    w.shutdown().await;
}

#[tokio::test]
async fn a_send_whose_outcome_cannot_be_found_out_is_unresolved() {
    let (w, chat) = RtmWorld::with_chat().await;
    w.sandbox.fail_next("send_event", "internal", 1);
    w.sandbox.fail_next("list_threads", "authorization", 1);
    let sending = w
        .client
        .send_event(chat.chat_id.clone(), Event::message("unknown"));
    let custom_id = sending.custom_id().to_owned();
    let err = sending.await.unwrap_err();
    let Error::Unresolved {
        action,
        custom_id: carried,
        source,
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(
        (action.as_str(), carried.as_str()),
        ("send_event", custom_id.as_str())
    );
    assert_eq!(
        source.error_type().map(|t| t.as_str()),
        Some("authorization")
    );
    assert_eq!(err.applied(), Applied::Unknown);
    w.shutdown().await;
}

/// The customer's Web client: it sends while every RTM connection is down.
fn customer_web<T>(w: &World<T>) -> WebClient {
    let session =
        CustomerSession::customer(w.sandbox.organization_id()).base_url(w.sandbox.http_url());
    WebClient::new(session, w.customer.token.clone(), WebConfig::default())
}

/// The texts of incoming events in `items`, with whether they were recovered.
fn texts(items: &[RtmEvent<AgentPush>]) -> Vec<(String, bool)> {
    items
        .iter()
        .filter_map(|item| match item {
            RtmEvent::Push {
                push: AgentPush::IncomingEvent(p),
                ..
            } => Some((p.event.text()?.to_owned(), false)),
            RtmEvent::Recovered {
                push: AgentPush::IncomingEvent(p),
            } => Some((p.event.text()?.to_owned(), true)),
            _ => None,
        })
        .collect()
}

/// Reads `pushes` until an incoming event with `text` came (or [`WAIT`] passed).
async fn read_until(
    pushes: &mut lc_agent::EventStream<lc_agent::AgentEvent>,
    text: &str,
) -> Vec<RtmEvent<AgentPush>> {
    let mut items = Vec::new();
    tokio::time::timeout(WAIT, async {
        while let Some(item) = pushes.next().await {
            let done = texts(std::slice::from_ref(&item))
                .iter()
                .any(|(t, _)| t == text);
            items.push(item);
            if done {
                return;
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no {text:?} in {:?}", texts(&items)));
    items
}

#[tokio::test]
async fn messages_sent_while_the_agent_was_away_are_recovered_once_in_order() {
    let (w, chat) = RtmWorld::with_chat().await;
    let mut pushes = w.client.events();
    let web = customer_web(&w);
    w.sandbox.refuse_logins_for(Duration::from_millis(800));
    w.sandbox.drop_connections();
    for text in ["one", "two", "three"] {
        let send = customer::SendEvent::new(chat.chat_id.clone(), Event::message(text));
        web.call(&send).await.unwrap();
    }
    let mut items = read_until(&mut pushes, "three").await;
    // After the catch-up, a live message comes as a push, once.
    let send = customer::SendEvent::new(chat.chat_id.clone(), Event::message("four"));
    web.call(&send).await.unwrap();
    items.extend(read_until(&mut pushes, "four").await);
    // Nothing else comes twice.
    let more = tokio::time::timeout(Duration::from_millis(300), pushes.next()).await;
    if let Ok(Some(item)) = more {
        items.push(item);
    }
    let expected = [
        ("one", true),
        ("two", true),
        ("three", true),
        ("four", false),
    ];
    let expected: Vec<_> = expected
        .iter()
        .map(|(t, r)| ((*t).to_owned(), *r))
        .collect();
    assert_eq!(texts(&items), expected);
    assert!(w.sandbox.fault_stats().refused_logins > 0);
    w.shutdown().await;
}

#[tokio::test]
async fn a_handler_registered_with_on_gets_recovered_pushes_too() {
    let (w, chat) = RtmWorld::with_chat().await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let _subscription = w
        .client
        .on::<lc_protocol::agent::push::IncomingEvent>(move |p| {
            let _ = tx.send(p.event.text().unwrap_or_default().to_owned());
        });
    let web = customer_web(&w);
    w.sandbox.refuse_logins_for(Duration::from_millis(500));
    w.sandbox.drop_connections();
    let send = customer::SendEvent::new(chat.chat_id.clone(), Event::message("while away"));
    web.call(&send).await.unwrap();
    let got = tokio::time::timeout(WAIT, rx.recv()).await.unwrap();
    assert_eq!(got.as_deref(), Some("while away"));
    w.shutdown().await;
}

#[tokio::test]
async fn a_lagging_subscriber_is_told_and_can_catch_up() {
    let w = RtmWorld::new().await;
    let session = lc_rtm::AgentSession::agent().base_url(w.sandbox.ws_url());
    let rtm = lc_rtm::RtmClient::connect(session, w.agent.token.clone(), common::rtm_config());
    let agent = AgentClient::from_rtm(rtm, 4);
    agent.list_routing_statuses().await.unwrap();
    let mut slow = agent.events();
    let chat = w.customer_chat().await;
    let web = customer_web(&w);
    let sent: Vec<String> = (0..12).map(|n| format!("m{n}")).collect();
    for text in &sent {
        let send = customer::SendEvent::new(chat.chat_id.clone(), Event::message(text.clone()));
        web.call(&send).await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let first = tokio::time::timeout(WAIT, slow.next())
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(first, RtmEvent::Missed(n) if n > 0), "{first:?}");
    let recovered = slow.catch_up().await.unwrap();
    // The chat (this subscriber never saw it) comes whole, with every message.
    let mut seen: Vec<String> = Vec::new();
    for item in &recovered {
        match item {
            RtmEvent::Recovered {
                push: AgentPush::IncomingChat(c),
            } => seen.extend(
                c.chat
                    .thread
                    .iter()
                    .flat_map(|t| t.events.iter().flatten())
                    .filter_map(|e| e.text().map(str::to_owned)),
            ),
            RtmEvent::Recovered {
                push: AgentPush::IncomingEvent(p),
            } => seen.extend(p.event.text().map(str::to_owned)),
            _ => {}
        }
    }
    for text in &sent {
        assert_eq!(
            seen.iter().filter(|s| *s == text).count(),
            1,
            "{text} in {seen:?}"
        );
    }
    agent.transport().close();
    w.shutdown().await;
}
