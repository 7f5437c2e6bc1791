//! The chat methods of the customer seed end to end against lc-sandbox, with an agent on
//! the other side seeing their effect: closing, predicting, rating, properties, last-seen
//! timestamps, and the chat and thread summaries with offset/limit windows.

#![allow(clippy::unwrap_used)]

use crate::common;

use common::{agent_push, next_of, shutdown, start_chat, world, world_with};
use lc_customer::{Pagination, Rating};
use lc_protocol::agent::AgentPush;
use lc_protocol::customer::StartChatThread;
use lc_protocol::customer::push::ChatDeactivated;
use lc_protocol::types::{Event, Properties};
use lc_protocol::{Error, ErrorType};
use lc_sandbox::Sandbox;
use serde_json::json;
use std::time::{Duration, SystemTime};

#[tokio::test]
async fn close_thread_deactivates_and_attach_to_last_thread_still_sends() {
    let mut w = world().await;
    let (chat_id, thread_id) = start_chat(&w).await;
    w.client.close_thread(chat_id.clone()).await.unwrap();
    let deactivated = next_of::<ChatDeactivated>(&mut w.events).await;
    assert_eq!(deactivated.thread_id, thread_id);
    let chat = w.client.get_chat(chat_id.clone()).await.unwrap();
    assert!(!chat.thread.unwrap().active);

    let refused = w
        .client
        .send_event(chat_id.clone(), Event::message("late"))
        .await;
    assert!(
        matches!(&refused, Err(Error::Api { error, .. }) if error.kind == ErrorType::ChatInactive),
        "{refused:?}"
    );
    w.client
        .send_event(chat_id.clone(), Event::message("late"))
        .attach_to_last_thread(true)
        .await
        .unwrap();
    shutdown(w).await;
}

#[tokio::test]
async fn get_predicted_agent_names_the_accepting_agent() {
    let w = world().await;
    let predicted = w.client.get_predicted_agent().await.unwrap();
    assert_eq!(predicted.agent.id, w.agent_handle.id);
    assert!(!predicted.queue);
    shutdown(w).await;
}

#[tokio::test]
async fn rate_chat_stores_the_rating_in_the_last_threads_properties() {
    let w = world().await;
    let (chat_id, thread_id) = start_chat(&w).await;
    let mut pushes = w.agent.events();
    w.client
        .rate_chat(
            chat_id.clone(),
            Rating::good().comment("Agent helped me a lot!"),
        )
        .await
        .unwrap();
    let pushed = agent_push(
        &mut pushes,
        "thread_properties_updated",
        |p| matches!(p, AgentPush::ThreadPropertiesUpdated(u) if u.thread_id == thread_id),
    )
    .await;
    let AgentPush::ThreadPropertiesUpdated(pushed) = pushed else {
        unreachable!()
    };
    assert_eq!(pushed.properties.get("rating", "score"), Some(&json!(1)));
    let chat = w.agent.get_chat(chat_id).await.unwrap();
    let properties = chat.thread.unwrap().properties.unwrap();
    assert_eq!(
        properties.get("rating", "comment"),
        Some(&json!("Agent helped me a lot!"))
    );
    shutdown(w).await;
}

#[tokio::test]
async fn chat_and_thread_properties_reach_the_agent() {
    let w = world().await;
    let (chat_id, thread_id) = start_chat(&w).await;
    let mut pushes = w.agent.events();
    let properties = Properties::new().with("property_namespace", "sample", "property");
    w.client
        .update_chat_properties(chat_id.clone(), properties.clone())
        .await
        .unwrap();
    agent_push(
        &mut pushes,
        "chat_properties_updated",
        |p| matches!(p, AgentPush::ChatPropertiesUpdated(u) if u.properties == properties),
    )
    .await;
    w.client
        .update_chat_thread_properties(chat_id.clone(), thread_id.clone(), properties.clone())
        .await
        .unwrap();
    agent_push(&mut pushes, "thread_properties_updated", |p| {
        matches!(p, AgentPush::ThreadPropertiesUpdated(u)
            if u.thread_id == thread_id && u.properties == properties)
    })
    .await;
    shutdown(w).await;
}

#[tokio::test]
async fn update_last_seen_timestamp_marks_events_as_seen() {
    let w = world().await;
    let (chat_id, _) = start_chat(&w).await;
    let mut pushes = w.agent.events();
    let at = SystemTime::now() + Duration::from_secs(60);
    let used = w
        .client
        .update_last_seen_timestamp(chat_id.clone(), Some(at))
        .await
        .unwrap();
    assert_eq!(used, at);
    let pushed = agent_push(
        &mut pushes,
        "events_marked_as_seen",
        |p| matches!(p, AgentPush::EventsMarkedAsSeen(s) if s.chat_id == chat_id),
    )
    .await;
    let AgentPush::EventsMarkedAsSeen(pushed) = pushed else {
        unreachable!()
    };
    let expected = time::OffsetDateTime::from(at).year().to_string();
    assert!(
        pushed.seen_up_to.starts_with(&expected),
        "{}",
        pushed.seen_up_to
    );
    let now = w
        .client
        .update_last_seen_timestamp(chat_id, None)
        .await
        .unwrap();
    assert!(now <= SystemTime::now());
    shutdown(w).await;
}

#[tokio::test]
async fn chats_summary_windows_follow_offset_and_limit() {
    let builder = Sandbox::builder().multiple_chats_per_customer(true);
    let w = world_with(builder, |c| c).await;
    let mut started = Vec::new();
    for _ in 0..12 {
        started.push(w.client.start_chat().await.unwrap().chat_id);
    }
    let first = w
        .client
        .get_chats_summary(Pagination::default())
        .await
        .unwrap();
    assert_eq!(first.total_chats, 12);
    assert_eq!(first.chats_summary.len(), 10); // the default limit
    let second = w
        .client
        .get_chats_summary(Pagination::new(10, 10))
        .await
        .unwrap();
    assert_eq!(second.chats_summary.len(), 2);
    let all = w
        .client
        .get_chats_summary(Pagination::new(0, 25))
        .await
        .unwrap();
    let ids: Vec<_> = all.chats_summary.iter().map(|c| c.id.clone()).collect();
    assert_eq!(ids.len(), 12);
    assert_eq!(ids[0], started[11], "newest first");
    let paged: Vec<_> = first
        .chats_summary
        .iter()
        .chain(&second.chats_summary)
        .map(|c| c.id.clone())
        .collect();
    assert_eq!(paged, ids);
    let middle = w
        .client
        .get_chats_summary(Pagination::new(5, 4))
        .await
        .unwrap();
    let middle: Vec<_> = middle.chats_summary.iter().map(|c| c.id.clone()).collect();
    assert_eq!(middle, ids[5..9].to_vec());
    assert!(all.chats_summary.iter().all(|c| c.active));
    let too_many = w.client.get_chats_summary(Pagination::new(0, 26)).await;
    assert!(
        matches!(too_many, Err(Error::InvalidInput(_))),
        "{too_many:?}"
    );
    shutdown(w).await;
}

#[tokio::test]
async fn thread_summaries_and_threads_by_id() {
    let w = world().await;
    let (chat_id, first_thread) = start_chat(&w).await;
    let mut threads = vec![first_thread];
    for n in 0..3 {
        w.client.close_thread(chat_id.clone()).await.unwrap();
        let resumed = w
            .client
            .resume_chat(chat_id.clone())
            .with(|mut r| {
                r.chat.thread = Some(StartChatThread {
                    events: Some(vec![Event::message(format!("again {n}"))]),
                    ..StartChatThread::default()
                });
                r
            })
            .await
            .unwrap();
        threads.push(resumed.thread_id);
    }
    let summary = w
        .client
        .get_chat_threads_summary(chat_id.clone(), Pagination::default())
        .await
        .unwrap();
    assert_eq!(summary.total_threads, 4);
    let ids: Vec<_> = summary
        .threads_summary
        .iter()
        .map(|t| t.id.clone())
        .collect();
    let newest_first: Vec<_> = threads.iter().rev().cloned().collect();
    assert_eq!(ids, newest_first);
    let orders: Vec<_> = summary.threads_summary.iter().map(|t| t.order).collect();
    assert_eq!(orders, [4, 3, 2, 1]);
    assert!(summary.threads_summary[0].active);
    assert!(summary.threads_summary[0].total_events >= 1);
    let window = w
        .client
        .get_chat_threads_summary(chat_id.clone(), Pagination::new(1, 2))
        .await
        .unwrap();
    let window: Vec<_> = window.threads_summary.iter().map(|t| t.order).collect();
    assert_eq!(window, [3, 2]);

    let read = w
        .client
        .get_chat_threads(chat_id.clone(), [threads[1].clone(), threads[3].clone()])
        .await
        .unwrap();
    assert_eq!(read.len(), 2);
    assert_eq!(read[0].id, threads[1]);
    let texts: Vec<_> = read[1]
        .events
        .iter()
        .flatten()
        .filter_map(Event::text)
        .collect();
    assert_eq!(texts, ["again 2"]);
    shutdown(w).await;
}
