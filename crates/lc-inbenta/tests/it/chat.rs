//! A whole chat against lc-sandbox over real sockets: a user creates a chat, an agent is
//! assigned and joins, they exchange messages, activity and read receipts, history is
//! imported and read back, media is uploaded, and the chat is closed.

#![allow(clippy::unwrap_used)]

use crate::common;

use common::{World, next_event, next_where, within};
use futures_util::StreamExt;
use lc_inbenta::{Chat, ChatEvent, ChatOptions, Upload, UserClient};
use lc_protocol::ErrorType;
use lc_protocol::inbenta::{
    HistoryEntry, InbentaActivityType, InbentaHistoryEntryType, InbentaMessageType,
};
use lc_sandbox::{NewInbentaAgent, NewInbentaApp};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

/// Bob's chat with Ann, as seen from both sides.
struct Conversation {
    world: World,
    bob: UserClient,
    ann: UserClient,
    chat: Chat,
    ann_chat: Chat,
}

/// Bob creates a chat and Ann, the only agent, is assigned to it.
async fn conversation() -> Conversation {
    let world = World::new(NewInbentaApp::new("app-chat")).await;
    let ann = world.agent(NewInbentaAgent::new("Ann")).await;
    let mut ann_joins = ann.subscribe("user:joined");
    let bob = world.user("Bob").await;
    let options = ChatOptions::new("1")
        .lang("en")
        .assign_max_attempts(2)
        .assign_timeout(5);
    let chat = Chat::init(&bob, options).await.unwrap();
    let data = chat.data();
    assert_eq!(data.id, chat.id());
    assert_eq!(data.creator, Some(bob.user().id.clone()));
    assert_eq!(data.lang.as_deref(), Some("en"));
    assert_eq!(data.room.as_deref(), Some("1"));
    assert!(!chat.is_closed());
    assert!(!chat.has_other_users(), "alone before the search");
    let agent = within("search", chat.search_agent()).await.unwrap();
    let agent = agent.expect("Ann is free and accepts");
    assert_eq!(agent.id, ann.user().id);
    assert!(chat.has_other_users());
    // Ann's connection is told, and she opens the chat by id.
    let chat_id = next_where(&mut ann_joins, "Ann's user:joined", |item| {
        match item.push()? {
            lc_protocol::inbenta::InbentaPush::UserJoined(joined) => joined.chat_id,
            _ => None,
        }
    })
    .await;
    assert_eq!(chat_id, chat.id());
    let ann_chat = Chat::init(&ann, ChatOptions::load(chat.id()))
        .await
        .unwrap();
    assert!(ann_chat.has_other_users(), "Bob is there");
    Conversation {
        world,
        bob,
        ann,
        chat,
        ann_chat,
    }
}

#[tokio::test]
async fn a_user_and_an_agent_chat_from_assignment_to_close() {
    let Conversation {
        world,
        bob,
        ann,
        chat,
        ann_chat,
    } = conversation().await;
    let bob_id = bob.user().id.clone();
    let ann_id = ann.user().id.clone();
    let mut bob_events = chat.events();
    let mut ann_events = ann_chat.events();

    // The join was seen by Bob's chat too (its first stream has everything since init).
    let joined = next_event(&mut bob_events, "user:joined", |e| match e {
        ChatEvent::UserJoined(j) => Some(j),
        _ => None,
    })
    .await;
    assert_eq!(joined.user.id, ann_id);
    assert_eq!(joined.chat_id.as_deref(), Some(chat.id()));

    // Typing, seen by the other side.
    let typing = chat
        .send_user_activity(InbentaActivityType::Writing)
        .await
        .unwrap();
    assert_eq!(typing.success, Some(true));
    let activity = next_event(&mut ann_events, "user:activity", |e| match e {
        ChatEvent::UserActivity(a) => Some(a),
        _ => None,
    })
    .await;
    assert_eq!(
        (activity.user_id.as_str(), activity.kind),
        (bob_id.as_str(), InbentaActivityType::Writing)
    );

    // Bob's message: the event id is known before the server answers, and comes back.
    let sending = chat.send_message("Hello, my order is late");
    let event_id = sending.event_id().to_owned();
    assert!(!event_id.is_empty());
    assert_eq!(sending.text(), "Hello, my order is late");
    let sent = within("send", sending).await.unwrap();
    assert_eq!(sent.event_id.as_deref(), Some(event_id.as_str()));
    assert_eq!(sent.message.message, Some(json!("Hello, my order is late")));
    assert_eq!(sent.message.sender, Some(json!(bob_id)));
    let received = next_event(&mut ann_events, "Bob's message", |e| match e {
        ChatEvent::MessageReceived(m) => Some(m),
        _ => None,
    })
    .await;
    assert_eq!(received.message.id, sent.message.id);
    assert_eq!(received.event_id.as_deref(), Some(event_id.as_str()));
    assert_eq!(received.message.kind, Some(InbentaMessageType::Text));

    // Ann answers; Bob reads it and Ann gets the receipt.
    let answer = ann_chat.send_message("Let me check").await.unwrap();
    let got = next_event(&mut bob_events, "Ann's message", |e| match e {
        ChatEvent::MessageReceived(m) if m.message.id == answer.message.id => Some(m),
        _ => None,
    })
    .await;
    assert_eq!(got.message.message, Some(json!("Let me check")));
    assert_eq!(got.message.sender, Some(json!(ann_id)));
    let read = chat.read_message(&got.message.id).await.unwrap();
    assert_eq!(read.message.map(|m| m.id), Some(answer.message.id.clone()));
    let receipt = next_event(&mut ann_events, "message:read", |e| match e {
        ChatEvent::MessageRead(r) => Some(r),
        _ => None,
    })
    .await;
    assert_eq!(receipt.message.id, answer.message.id);
    assert_eq!(receipt.user_id.as_deref(), Some(bob_id.as_str()));

    // And the other way round.
    ann_chat.read_message(&sent.message.id).await.unwrap();
    let receipt = next_event(&mut bob_events, "message:read", |e| match e {
        ChatEvent::MessageRead(r) => Some(r),
        _ => None,
    })
    .await;
    assert_eq!(receipt.message.id, sent.message.id);
    assert_eq!(receipt.message.sender, Some(json!(bob_id)));

    // Bob closes: both sides see it, then the ticket.
    let mut extra = serde_json::Map::new();
    extra.insert("reason".into(), json!("solved"));
    let closed = chat.close_with(Some(extra)).await.unwrap();
    assert_eq!(closed.success, Some(true));
    assert!(chat.is_closed());
    for events in [&mut bob_events, &mut ann_events] {
        let closed = next_event(events, "chat:closed", |e| match e {
            ChatEvent::ChatClosed(c) => Some(c),
            _ => None,
        })
        .await;
        assert_eq!(closed.chat_id, chat.id());
        assert_eq!(closed.user_id, bob_id);
    }
    assert!(ann_chat.is_closed(), "state follows the event");
    let info = next_event(&mut bob_events, "system:info", |e| match e {
        ChatEvent::SystemInfo(i) => Some(i),
        _ => None,
    })
    .await;
    assert!(info.data.and_then(|d| d.ticket_id).is_some());

    // A closed chat refuses more messages with the error shape.
    let refused = chat.send_message("anyone?").await.unwrap_err();
    assert!(refused.api_error().is_some(), "{refused:?}");
    world.shutdown().await;
}

#[tokio::test]
async fn history_is_imported_and_read_back() {
    let world = World::new(NewInbentaApp::new("app-history")).await;
    let bob = world.user("Bob").await;
    let bob_id = bob.user().id.clone();
    let entry = |created, sender: &str, text: &str| HistoryEntry {
        created,
        kind: InbentaHistoryEntryType::Text,
        message: Value::from(text),
        sender: sender.to_owned(),
        extra: Default::default(),
    };
    let options = ChatOptions::new("1").lang("en").history(vec![entry(
        1_700_000_000,
        "assistant",
        "How can I help?",
    )]);
    let chat = Chat::init(&bob, options).await.unwrap();
    let imported = chat
        .import_history(vec![
            entry(1_700_000_010, &bob_id, "My order is late"),
            HistoryEntry {
                kind: InbentaHistoryEntryType::Object,
                message: json!(r#"{"message":"Talk to an agent?","options":[{"label":"Yes"}]}"#),
                ..entry(1_700_000_020, "assistant", "")
            },
        ])
        .await
        .unwrap();
    let texts = |history: &[HistoryEntry]| {
        history
            .iter()
            .map(|e| (e.sender.clone(), e.message.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(imported.len(), 3, "{imported:?}");
    assert_eq!(imported[0].message, json!("How can I help?"));
    assert_eq!(imported[1].sender, bob_id);
    assert_eq!(imported[2].kind, InbentaHistoryEntryType::Object);
    let read_back = chat.history().await.unwrap();
    assert_eq!(texts(&read_back), texts(&imported));
    // The REST route has it too.
    let rest = bob
        .api_request(
            http::Method::GET,
            &format!("chats/{}/history", chat.id()),
            None,
        )
        .await
        .unwrap();
    assert!(rest.to_string().contains("My order is late"), "{rest}");
    world.shutdown().await;
}

#[tokio::test]
async fn media_is_uploaded_with_progress_and_reaches_the_agent() {
    let Conversation {
        world,
        ann,
        chat,
        ann_chat,
        ..
    } = conversation().await;
    let mut ann_events = ann_chat.events();
    let progress = Arc::new(Mutex::new(Vec::new()));
    let seen = progress.clone();
    let upload = Upload::bytes("receipt.txt", b"order #42, paid".to_vec())
        .content_type("text/plain")
        .on_progress(move |done| seen.lock().unwrap().push(done));
    let media = within("upload", chat.send_media(upload)).await.unwrap();
    assert!(media.id.is_some());
    assert_eq!(media.name.as_deref(), Some("receipt.txt"));
    assert_eq!(media.size, Some(15));
    let progress = progress.lock().unwrap().clone();
    assert_eq!(progress.last().copied(), Some(1.0), "{progress:?}");
    assert!(progress.windows(2).all(|w| w[0] <= w[1]), "{progress:?}");

    let received = next_event(&mut ann_events, "media message", |e| match e {
        ChatEvent::MessageReceived(m) if m.message.kind == Some(InbentaMessageType::Media) => {
            Some(m)
        }
        _ => None,
    })
    .await;
    let url = received.message.message.as_ref().unwrap()["url"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(url.starts_with("/media/"), "{url}");
    let bytes = ann.download_media(&url).await.unwrap();
    assert_eq!(&bytes[..], b"order #42, paid");

    // A type the app refuses: Inbenta's error shape, and the chat goes on.
    let refused = chat
        .send_media(
            Upload::bytes("tool.exe", b"MZ".to_vec()).content_type("application/x-msdownload"),
        )
        .await
        .unwrap_err();
    let lc_protocol::Error::Api {
        error, http_status, ..
    } = &refused
    else {
        panic!("not an API error: {refused:?}");
    };
    assert_eq!(*http_status, Some(403));
    assert_eq!(error.kind, ErrorType::Authorization);
    assert_eq!(error.message, "File type is not allowed");
    chat.send_message("still here").await.unwrap();
    world.shutdown().await;
}

#[tokio::test]
async fn a_chat_loaded_by_id_knows_its_users_and_follows_them() {
    let Conversation {
        world,
        bob,
        chat,
        ann_chat,
        ..
    } = conversation().await;
    let loaded = Chat::init(&bob, ChatOptions::load(chat.id()))
        .await
        .unwrap();
    assert_eq!(loaded.id(), chat.id());
    let mut ids: Vec<_> = loaded.users().into_iter().map(|u| u.id).collect();
    ids.sort();
    let mut expected: Vec<_> = ann_chat.users().into_iter().map(|u| u.id).collect();
    expected.sort();
    assert_eq!(ids, expected);
    assert!(loaded.has_other_users());
    // Another handle's events: from now on.
    let mut events = loaded.events();
    ann_chat.send_message("ping").await.unwrap();
    next_event(&mut events, "message on the loaded handle", |e| match e {
        ChatEvent::MessageReceived(m) => Some(m),
        _ => None,
    })
    .await;
    // An unknown id is a 404.
    let missing = Chat::init(&bob, ChatOptions::load("no-such-chat"))
        .await
        .unwrap_err();
    assert_eq!(
        missing.error_type(),
        Some(&ErrorType::NotFound),
        "{missing:?}"
    );
    // Closing the client ends the chat's event streams, old and new.
    bob.close();
    within("the end of the events", async {
        while events.next().await.is_some() {}
    })
    .await;
    assert!(loaded.events().next().await.is_none());
    world.shutdown().await;
}
