//! Nothing lost, nothing duplicated, against lc-sandbox over real sockets: a send whose
//! outcome is unknown resolves to the stored message (found, or sent again with the same
//! event id) and is stored once; messages sent while a user's socket is down reach its
//! chat stream after the reconnection, once, marked recovered, in order; a subscriber
//! that falls behind gets `Missed` and catches up.

#![allow(clippy::unwrap_used)]

use crate::common;

use common::{Assigned, WAIT, id_of, next_where, within};
use futures_util::StreamExt;
use lc_inbenta::{ChatEvent, ChatItem, EventStream, Method, Resolution, UserClient};
use lc_protocol::ErrorType;
use lc_rtm::RtmEvent;
use serde_json::{Value, json};
use std::future::IntoFuture;
use std::time::Duration;

/// The texts of the messages stored in `chat_id`, oldest first.
async fn stored_texts(client: &UserClient, chat_id: &str) -> Vec<String> {
    let path = format!("chats/{chat_id}/messages");
    let listed = within("GET messages", client.api_request(Method::GET, &path, None))
        .await
        .unwrap();
    listed["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["message"].as_str().map(str::to_owned))
        .collect()
}

fn count(texts: &[String], text: &str) -> usize {
    texts.iter().filter(|t| *t == text).count()
}

/// The next `MessageReceived` of `events`, with its recovered flag.
async fn next_message(events: &mut EventStream<ChatItem>, what: &str) -> (String, String, bool) {
    next_where(events, what, |item: ChatItem| match item.event {
        ChatEvent::MessageReceived(m) => Some((
            m.message.id,
            m.message
                .message
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            item.recovered,
        )),
        _ => None,
    })
    .await
}

/// Every item `events` has ready within a short quiet period.
async fn drain(events: &mut EventStream<ChatItem>) -> Vec<ChatItem> {
    let mut items = Vec::new();
    while let Ok(Some(item)) = tokio::time::timeout(Duration::from_millis(300), events.next()).await
    {
        items.push(item);
    }
    items
}

#[tokio::test]
async fn a_send_applied_before_the_connection_dropped_resolves_to_the_stored_message() {
    let a = Assigned::new("app-rel-applied").await;
    let mut ann_events = a.ann_chat.events();
    a.world.sandbox.drop_after_applying("messages:send", 1);

    let sending = a.chat.send_message("applied, then the line dropped");
    let event_id = sending.event_id().to_owned();
    let sent = within("send", sending.resolve()).await.unwrap();
    assert_eq!(sent.resolution, Resolution::Found);
    assert_eq!(sent.attempts, 1);
    assert_eq!(sent.response.event_id.as_deref(), Some(event_id.as_str()));
    assert_eq!(sent.response.message.sender, Some(json!(id_of(&a.bob))));
    assert_eq!(a.world.sandbox.fault_stats().dropped_after_applying, 1);

    let texts = stored_texts(&a.bob, a.chat.id()).await;
    assert_eq!(
        count(&texts, "applied, then the line dropped"),
        1,
        "{texts:?}"
    );
    // The agent got it once.
    let (id, text, _) = next_message(&mut ann_events, "Bob's message").await;
    assert_eq!(
        (id.as_str(), text.as_str()),
        (
            sent.response.message.id.as_str(),
            "applied, then the line dropped"
        )
    );
    let rest = drain(&mut ann_events).await;
    assert!(
        !rest
            .iter()
            .any(|i| matches!(&i.event, ChatEvent::MessageReceived(_))),
        "{rest:?}"
    );
    a.world.shutdown().await;
}

#[tokio::test]
async fn a_send_the_server_did_not_apply_is_sent_again_with_the_same_event_id() {
    let a = Assigned::new("app-rel-resent").await;
    let mut ann_events = a.ann_chat.events();
    // A server fault before storing: a 500, which says nothing of what was stored.
    a.world
        .sandbox
        .fail_next("messages:send", ErrorType::Internal, 1);

    let sending = a.chat.send_message("not applied the first time");
    let event_id = sending.event_id().to_owned();
    let sent = within("send", sending.resolve()).await.unwrap();
    assert_eq!(sent.resolution, Resolution::Resent);
    assert_eq!(sent.attempts, 2);
    assert_eq!(sent.response.event_id.as_deref(), Some(event_id.as_str()));

    let texts = stored_texts(&a.bob, a.chat.id()).await;
    assert_eq!(count(&texts, "not applied the first time"), 1, "{texts:?}");
    // The push of the resent message carries the same event id.
    let pushed = next_where(
        &mut ann_events,
        "Bob's message",
        |item: ChatItem| match item.event {
            ChatEvent::MessageReceived(m) => Some(m),
            _ => None,
        },
    )
    .await;
    assert_eq!(pushed.event_id.as_deref(), Some(event_id.as_str()));
    assert_eq!(pushed.message.id, sent.response.message.id);
    a.world.shutdown().await;
}

#[tokio::test]
async fn a_definitive_failure_is_returned_as_is() {
    let a = Assigned::new("app-rel-definitive").await;
    a.world
        .sandbox
        .fail_next("messages:send", ErrorType::Validation, 1);
    let error = within("send", a.chat.send_message("refused"))
        .await
        .unwrap_err();
    assert_eq!(error.applied(), lc_protocol::Applied::No, "{error}");
    let texts = stored_texts(&a.bob, a.chat.id()).await;
    assert_eq!(count(&texts, "refused"), 0);
    a.world.shutdown().await;
}

#[tokio::test]
async fn messages_sent_while_the_socket_was_down_are_recovered_once_and_in_order() {
    let a = Assigned::new("app-rel-recovered").await;
    let mut bob_connection = a.bob.events();
    let mut bob_events = a.chat.events();
    let before = within("a live message", a.ann_chat.send_message("before the drop"))
        .await
        .unwrap();
    let (id, _, recovered) = next_message(&mut bob_events, "the live message").await;
    assert_eq!((id, recovered), (before.message.id.clone(), false));

    // Bob's socket drops and cannot come back for a while; Ann writes over REST meanwhile.
    a.world
        .sandbox
        .refuse_logins_for(Duration::from_millis(1500));
    a.world.sandbox.drop_connections();
    next_where(&mut bob_connection, "Bob's disconnection", |e| {
        matches!(e, RtmEvent::Disconnected { .. }).then_some(())
    })
    .await;
    let path = format!("chats/{}/messages", a.chat.id());
    let ann_id = id_of(&a.ann);
    let mut away_ids = Vec::new();
    for n in 1..=3 {
        let body =
            json!({"chatId": a.chat.id(), "sender": ann_id, "message": format!("while away {n}")});
        let posted: Value = within(
            "POST message",
            a.ann.api_request(Method::POST, &path, Some(body)),
        )
        .await
        .unwrap();
        away_ids.push(posted["message"]["id"].as_str().unwrap().to_owned());
    }

    // After the reconnection: the three, in order, marked recovered.
    for (n, expected) in away_ids.iter().enumerate() {
        let (id, text, recovered) = next_message(&mut bob_events, "a recovered message").await;
        assert_eq!(&id, expected);
        assert_eq!(text, format!("while away {}", n + 1));
        assert!(recovered, "{text} is marked recovered");
    }
    // Then live again, and nothing twice.
    let after = within("a live message", a.ann_chat.send_message("after the drop"))
        .await
        .unwrap();
    let mut seen = vec![before.message.id.clone()];
    seen.extend(away_ids.iter().cloned());
    let (id, _, recovered) = next_message(&mut bob_events, "the message after").await;
    assert_eq!((id.as_str(), recovered), (after.message.id.as_str(), false));
    for item in drain(&mut bob_events).await {
        if let ChatEvent::MessageReceived(m) = &item.event {
            panic!("delivered twice: {:?}", m.message.id);
        }
    }
    a.world.shutdown().await;
}

#[tokio::test]
async fn a_lagging_subscriber_gets_missed_and_catches_up() {
    let a = Assigned::new("app-rel-lag").await;
    let mut slow = a.chat.events();
    // The first stream starts with what happened since `init`: Ann's join.
    next_where(&mut slow, "Ann's join", |item: ChatItem| {
        matches!(item.event, ChatEvent::UserJoined(_)).then_some(())
    })
    .await;
    const COUNT: usize = 1100; // more than a subscriber's buffer (1024)
    let texts: Vec<String> = (0..COUNT).map(|n| format!("flood {n}")).collect();
    for chunk in texts.chunks(50) {
        let sends = chunk
            .iter()
            .map(|t| a.ann_chat.send_message(t.clone()).into_future());
        for result in futures_util::future::join_all(sends).await {
            result.unwrap();
        }
    }
    let stored = stored_texts(&a.bob, a.chat.id()).await;
    assert_eq!(stored.len(), COUNT);

    // The next item says how many were missed.
    let first = within("the next item", slow.next()).await.unwrap();
    let ChatEvent::Missed(missed) = first.event else {
        panic!("expected Missed first, got {first:?}");
    };
    assert!(missed > 0);
    let recovered = slow.catch_up().await.unwrap();
    assert!(!recovered.is_empty(), "{recovered:?}");
    assert!(recovered.iter().all(|item| item.recovered), "{recovered:?}");
    // Now every message, once, in the stored order: what the catch-up returned, then
    // the stream.
    let mut got: Vec<String> = recovered
        .into_iter()
        .filter_map(|item| match item.event {
            ChatEvent::MessageReceived(m) => m.message.message?.as_str().map(str::to_owned),
            _ => None,
        })
        .collect();
    let deadline = tokio::time::Instant::now() + WAIT;
    while got.len() < COUNT && tokio::time::Instant::now() < deadline {
        let item = within("an item", slow.next()).await.unwrap();
        if let ChatEvent::MessageReceived(m) = item.event {
            got.push(
                m.message
                    .message
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap(),
            );
        }
    }
    assert_eq!(got, stored, "every message once, in order");
    assert!(drain(&mut slow).await.is_empty());
    a.world.shutdown().await;
}
