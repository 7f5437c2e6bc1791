//! Agent search outcomes against lc-sandbox: no agent (forever alone), queue mode with
//! positions, and the inactivity timer.

#![allow(clippy::unwrap_used)]

use crate::common;

use common::{World, next_event, within};
use lc_inbenta::{Chat, ChatEvent, ChatOptions};
use lc_sandbox::{AgentBehaviour, NewInbentaAgent, NewInbentaApp};
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn no_agent_online_means_forever_alone() {
    let world = World::new(NewInbentaApp::new("app-alone")).await;
    let bob = world.user("Bob").await;
    assert_eq!(bob.agents_available("1", None).await.unwrap(), 0);
    let chat = Chat::init(&bob, ChatOptions::new("1")).await.unwrap();
    let mut events = chat.events();
    let agent = within("search", chat.search_agent_with("least-busy"))
        .await
        .unwrap();
    assert!(agent.is_none());
    let alone = next_event(&mut events, "forever:alone", |e| match e {
        ChatEvent::ForeverAlone(a) => Some(a),
        _ => None,
    })
    .await;
    assert_eq!(alone.chat_id.as_deref(), Some(chat.id()));
    assert!(!chat.has_other_users());
    world.shutdown().await;
}

#[tokio::test]
async fn agents_who_ignore_invitations_leave_the_chat_alone_after_max_attempts() {
    let world = World::new(NewInbentaApp::new("app-ignored")).await;
    for name in ["Ann", "Art"] {
        world.sandbox.create_inbenta_agent(
            &world.app.app_id,
            NewInbentaAgent::new(name).behaviour(AgentBehaviour::Ignore),
        );
    }
    let bob = world.user("Bob").await;
    assert_eq!(bob.agents_available("1", None).await.unwrap(), 2);
    let options = ChatOptions::new("1")
        .assign_max_attempts(2)
        .assign_timeout(1);
    let chat = Chat::init(&bob, options).await.unwrap();
    let mut events = chat.events();
    assert!(
        within("search", chat.search_agent())
            .await
            .unwrap()
            .is_none()
    );
    next_event(&mut events, "forever:alone", |e| match e {
        ChatEvent::ForeverAlone(a) => Some(a),
        _ => None,
    })
    .await;
    world.shutdown().await;
}

#[tokio::test]
async fn queue_mode_reports_positions_until_an_agent_is_free() {
    let world = World::new(NewInbentaApp::new("app-queue").queue_mode(true)).await;
    world
        .sandbox
        .create_inbenta_agent(&world.app.app_id, NewInbentaAgent::new("Ann").capacity(1));
    let first = world.user("First").await;
    assert!(first.queue_mode().await.unwrap());
    let first_chat = Chat::init(&first, ChatOptions::new("1")).await.unwrap();
    let mut first_events = first_chat.events();
    first_chat.search_agent().await.unwrap();
    next_event(&mut first_events, "Ann joins the first chat", |e| match e {
        ChatEvent::UserJoined(j) => Some(j),
        _ => None,
    })
    .await;

    // Ann is busy: the next two chats wait in line.
    let second = world.user("Second").await;
    let second_chat = Chat::init(&second, ChatOptions::new("1")).await.unwrap();
    let mut second_events = second_chat.events();
    second_chat.search_agent().await.unwrap();
    let third = world.user("Third").await;
    let third_chat = Chat::init(&third, ChatOptions::new("1")).await.unwrap();
    let mut third_events = third_chat.events();
    third_chat.search_agent().await.unwrap();
    let position = |wanted: u32| {
        move |e: ChatEvent| match e {
            ChatEvent::QueueUpdate(q) if q.queue_position == wanted => Some(q),
            _ => None,
        }
    };
    let update = next_event(&mut second_events, "position 1", position(1)).await;
    assert_eq!(update.chat_id.as_deref(), Some(second_chat.id()));
    let update = next_event(&mut third_events, "position 2", position(2)).await;
    assert_eq!(update.chat_id.as_deref(), Some(third_chat.id()));
    assert!(update.waiting_time.is_some());

    // The first chat ends: Ann takes the second, the third moves up.
    first_chat.close().await.unwrap();
    next_event(
        &mut second_events,
        "Ann joins the second chat",
        |e| match e {
            ChatEvent::UserJoined(j) => Some(j),
            _ => None,
        },
    )
    .await;
    assert!(second_chat.has_other_users());
    next_event(&mut third_events, "position 1", position(1)).await;
    assert!(!third_chat.has_other_users());
    world.shutdown().await;
}

#[tokio::test]
async fn an_idle_chat_is_warned_then_closed_by_the_system() {
    let app = NewInbentaApp::new("app-idle")
        .inactivity(Duration::from_millis(300), Duration::from_secs(1));
    let world = World::new(app).await;
    world
        .sandbox
        .create_inbenta_agent(&world.app.app_id, NewInbentaAgent::new("Ann"));
    let bob = world.user("Bob").await;
    let chat = Chat::init(&bob, ChatOptions::new("1")).await.unwrap();
    let mut events = chat.events();
    chat.search_agent().await.unwrap();
    chat.send_message("hello?").await.unwrap();
    let alert = next_event(&mut events, "chat:timer:expiryAlert", |e| match e {
        ChatEvent::ChatTimerExpiryAlert(a) => Some(a),
        _ => None,
    })
    .await;
    assert_eq!(alert.chat_id, chat.id());
    assert_eq!(alert.time_left, 1);
    let closed = next_event(&mut events, "chat:closed", |e| match e {
        ChatEvent::ChatClosed(c) => Some(c),
        _ => None,
    })
    .await;
    assert_eq!(closed.user_id, "system");
    assert_eq!(
        closed.extra_data.and_then(|d| d.get("reason").cloned()),
        Some(json!("inactivity"))
    );
    assert!(chat.is_closed());
    world.shutdown().await;
}
