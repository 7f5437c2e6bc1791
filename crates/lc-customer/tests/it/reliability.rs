//! Nothing lost, nothing duplicated for customers: exactly-once `send_event` and
//! `send_file` when the connection drops after the server stored the event, and agent
//! messages sent while the customer was away recovered once, in order.

#![allow(clippy::unwrap_used)]

use crate::common;

use common::{WAIT, start_chat, world};
use futures_util::StreamExt;
use lc_agent::AgentClient;
use lc_customer::{CustomerEvent, Upload};
use lc_protocol::customer::CustomerPush;
use lc_protocol::id::ChatId;
use lc_protocol::types::Event;
use lc_web::WebConfig;
use std::time::Duration;

/// The ids of the chat's events carrying `custom_id`, as the agent reads them.
async fn stored(w: &common::World, chat: &ChatId, custom_id: &str) -> Vec<String> {
    let threads = w.agent.list_threads(chat.clone()).await.unwrap();
    threads
        .threads
        .iter()
        .flat_map(|t| t.events.iter().flatten())
        .filter(|e| e.custom_id() == Some(custom_id))
        .filter_map(|e| e.id().map(|id| id.to_string()))
        .collect()
}

#[tokio::test]
async fn a_send_dropped_after_it_was_applied_returns_the_stored_event_once() {
    let mut w = world().await;
    let (chat, _) = start_chat(&w).await;
    w.sandbox.drop_after_applying("send_event", 1);
    let sending = w.client.send_event(chat.clone(), Event::message("hello"));
    let custom_id = sending.custom_id().to_owned();
    let sent = sending.await.unwrap();
    assert_eq!(
        stored(&w, &chat, &custom_id).await,
        [sent.event_id.to_string()]
    );
    // The customer saw the connection go and come back.
    common::next_of::<lc_customer::Disconnected>(&mut w.events).await;
    w.client.destroy();
}

#[tokio::test]
async fn a_file_whose_event_was_dropped_after_it_was_applied_is_sent_once() {
    let w = world().await;
    let (chat, _) = start_chat(&w).await;
    w.sandbox.drop_after_applying("send_event", 1);
    let sent = w
        .client
        .send_file(chat.clone(), Upload::bytes("notes.txt", b"hello".to_vec()))
        .custom_id("file-1")
        .await
        .unwrap();
    assert_eq!(
        stored(&w, &chat, "file-1").await,
        [sent.event_id.to_string()]
    );
    w.client.destroy();
}

#[tokio::test]
async fn agent_messages_sent_while_the_customer_was_away_are_recovered_once_in_order() {
    let mut w = world().await;
    let (chat, _) = start_chat(&w).await;
    let session = lc_rtm::AgentSession::agent().base_url(w.sandbox.http_url());
    let agent_web =
        AgentClient::connect_web(session, w.agent_handle.token.clone(), WebConfig::default());
    w.sandbox.refuse_logins_for(Duration::from_millis(800));
    w.sandbox.drop_connections();
    for text in ["one", "two", "three"] {
        agent_web
            .send_event(chat.clone(), Event::message(text))
            .await
            .unwrap();
    }
    let mut got = Vec::new();
    tokio::time::timeout(WAIT, async {
        while let Some(event) = w.events.next().await {
            let (push, recovered) = match &event {
                CustomerEvent::Push(p) => (p, false),
                CustomerEvent::Recovered(p) => (p, true),
                _ => continue,
            };
            if let CustomerPush::IncomingEvent(p) = push {
                got.push((p.event.text().unwrap_or_default().to_owned(), recovered));
                if got.len() == 4 {
                    return;
                }
                if got.len() == 3 {
                    agent_web
                        .send_event(chat.clone(), Event::message("four"))
                        .await
                        .unwrap();
                }
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("got only {got:?}"));
    // Nothing more comes (no duplicate of a recovered message).
    let extra = tokio::time::timeout(Duration::from_millis(300), async {
        loop {
            match w.events.next().await {
                Some(CustomerEvent::Push(CustomerPush::IncomingEvent(p)))
                | Some(CustomerEvent::Recovered(CustomerPush::IncomingEvent(p))) => return p,
                Some(_) => {}
                None => std::future::pending().await,
            }
        }
    })
    .await;
    assert!(extra.is_err(), "a duplicate: {extra:?}");
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
    assert_eq!(got, expected);
    w.client.destroy();
}
