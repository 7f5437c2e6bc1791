//! What runs over time: history paging through a chat with many threads, throttled sneak
//! peeks as the agent receives them, and file uploads (progress, size limit, cancel).

#![allow(clippy::unwrap_used)]

use crate::common;

use common::{agent_push, shutdown, start_chat, world};
use futures_util::StreamExt;
use lc_customer::{HistoryPage, Pagination, Upload};
use lc_protocol::Error;
use lc_protocol::agent::AgentPush;
use lc_protocol::customer::StartChatThread;
use lc_protocol::id::ThreadId;
use lc_protocol::types::Event;
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use tokio::io::AsyncWriteExt;

const THREADS: usize = 25;

/// A chat with [`THREADS`] threads of two messages each; its thread ids, oldest first.
async fn long_chat(w: &common::World) -> (lc_protocol::id::ChatId, Vec<ThreadId>) {
    let (chat_id, first) = start_chat(w).await;
    let mut threads = vec![first];
    for n in 1..THREADS {
        w.client.close_thread(chat_id.clone()).await.unwrap();
        let events = vec![
            Event::message(format!("thread {n}, first")),
            Event::message(format!("thread {n}, second")),
        ];
        let resumed = w
            .client
            .resume_chat(chat_id.clone())
            .with(|mut r| {
                r.chat.thread = Some(StartChatThread {
                    events: Some(events),
                    ..StartChatThread::default()
                });
                r
            })
            .await
            .unwrap();
        threads.push(resumed.thread_id);
    }
    (chat_id, threads)
}

fn thread_ids(page: &HistoryPage) -> Vec<ThreadId> {
    page.threads.iter().map(|t| t.id.clone()).collect()
}

#[tokio::test]
async fn history_pages_back_through_every_thread_until_done() {
    let w = world().await;
    let (chat_id, threads) = long_chat(&w).await;

    let history = w.client.get_chat_history(chat_id.clone());
    let mut pages = Vec::new();
    loop {
        let page = history.next().await.unwrap();
        let done = page.done;
        pages.push(page);
        if done {
            break;
        }
        assert!(pages.len() < 10, "the history never ends");
    }
    assert_eq!(pages.len(), 3); // 10 + 10 + 5 threads
    assert!(history.is_done().await);
    let loaded: Vec<ThreadId> = pages.iter().rev().flat_map(thread_ids).collect();
    assert_eq!(
        loaded, threads,
        "every thread once, oldest first when put together"
    );
    for page in &pages {
        let stamps: Vec<_> = page.events.iter().filter_map(Event::created_at).collect();
        assert!(
            stamps.windows(2).all(|w| w[0] <= w[1]),
            "events oldest first"
        );
        let inner: usize = page
            .threads
            .iter()
            .map(|t| t.events.iter().flatten().count())
            .sum();
        assert_eq!(page.events.len(), inner);
    }
    let newest = pages[0].events.first().and_then(Event::created_at).unwrap();
    let older = pages[1].events.last().and_then(Event::created_at).unwrap();
    assert!(older < newest, "each page is older than the one before");
    let texts: Vec<_> = pages[0].events.iter().filter_map(Event::text).collect();
    assert!(texts.contains(&"thread 24, second"));
    let after = history.next().await.unwrap();
    assert!(after.done && after.events.is_empty());

    // Concurrent calls are queued: three at once load three different pages.
    let shared = w
        .client
        .get_chat_history(chat_id.clone())
        .threads_per_page(10);
    let clone = shared.clone();
    let (a, b, c) = tokio::join!(shared.next(), clone.next(), shared.next());
    let pages = [a.unwrap(), b.unwrap(), c.unwrap()];
    let mut seen = BTreeSet::new();
    for page in &pages {
        for id in thread_ids(page) {
            assert!(seen.insert(id), "a thread loaded twice");
        }
    }
    assert_eq!(seen.len(), THREADS);
    assert_eq!(pages.iter().filter(|p| p.done).count(), 1);

    // As a stream: it ends after the page that completes the history.
    let streamed: Vec<_> = w
        .client
        .get_chat_history(chat_id.clone())
        .threads_per_page(7)
        .into_stream()
        .collect()
        .await;
    assert_eq!(streamed.len(), 4); // 7 + 7 + 7 + 4
    assert!(streamed.last().unwrap().as_ref().unwrap().done);

    let summary = w
        .client
        .get_chat_threads_summary(chat_id, Pagination::new(0, 1000))
        .await
        .unwrap();
    assert_eq!(summary.threads_summary.len(), THREADS);
    shutdown(w).await;
}

#[tokio::test]
async fn sneak_peeks_are_throttled_and_the_last_text_wins() {
    let w = world().await;
    let (chat_id, _) = start_chat(&w).await;
    let mut pushes = w.agent.events();
    for n in 0..20 {
        w.client
            .set_sneak_peek(chat_id.clone(), format!("typing {n}"));
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let peek = |p: &AgentPush| matches!(p, AgentPush::IncomingSneakPeek(_));
    let text = |p: AgentPush| match p {
        AgentPush::IncomingSneakPeek(s) => s.sneak_peek.text,
        _ => unreachable!(),
    };
    // The first text goes at once, the last one when the 2 s interval ends.
    let first = agent_push(&mut pushes, "the first sneak peek", peek).await;
    assert_eq!(text(first), "typing 0");
    let last = agent_push(&mut pushes, "the trailing sneak peek", peek).await;
    assert_eq!(text(last), "typing 19");

    // Nothing else came: count what the agent received up to a marker message.
    w.client
        .send_event(chat_id.clone(), Event::message("marker"))
        .await
        .unwrap();
    let mut count = 2;
    agent_push(&mut pushes, "the marker", |p| {
        if peek(p) {
            count += 1;
        }
        matches!(p, AgentPush::IncomingEvent(e) if e.event.text() == Some("marker"))
    })
    .await;
    assert_eq!(count, 2);
    shutdown(w).await;
}

#[tokio::test]
async fn send_file_uploads_with_progress_and_sends_a_file_event() {
    let w = world().await;
    let (chat_id, _) = start_chat(&w).await;
    let mut pushes = w.agent.events();
    let progress = Arc::new(Mutex::new(Vec::new()));
    let seen = progress.clone();
    let data = vec![7u8; 256 * 1024];
    let sent = w
        .client
        .send_file(chat_id.clone(), Upload::bytes("photo.png", data))
        .custom_id("my-file")
        .on_progress(move |p| seen.lock().unwrap().push(p))
        .await
        .unwrap();
    assert!(!sent.url.is_empty());
    let pushed = agent_push(
        &mut pushes,
        "the file event",
        |p| matches!(p, AgentPush::IncomingEvent(e) if e.event.id() == Some(&sent.event_id)),
    )
    .await;
    let AgentPush::IncomingEvent(pushed) = pushed else {
        unreachable!()
    };
    assert_eq!(pushed.event.kind(), "file");
    assert_eq!(pushed.event.custom_id(), Some("my-file"));
    let progress = progress.lock().unwrap().clone();
    assert!(!progress.is_empty());
    assert!(progress.windows(2).all(|w| w[0] <= w[1]), "{progress:?}");
    assert_eq!(progress.last().copied(), Some(1.0));
    assert!(progress.iter().all(|p| (0.0..=1.0).contains(p)));
    shutdown(w).await;
}

#[tokio::test]
async fn files_over_10_mb_are_refused_before_sending() {
    let w = world().await;
    let (chat_id, _) = start_chat(&w).await;
    // A reader that is never read: the size alone decides.
    let (reader, _writer) = tokio::io::duplex(16);
    let upload = Upload::reader("big.bin", 10 * 1024 * 1024 + 1, reader);
    let refused = w.client.send_file(chat_id, upload).await;
    assert!(
        matches!(&refused, Err(Error::InvalidInput(m)) if m.contains("10 MB")),
        "{refused:?}"
    );
    shutdown(w).await;
}

#[tokio::test]
async fn a_cancelled_upload_sends_nothing() {
    let w = world().await;
    let (chat_id, _) = start_chat(&w).await;
    let mut pushes = w.agent.events();
    // A file whose first kilobyte arrives and the rest never does.
    let (reader, mut writer) = tokio::io::duplex(4096);
    writer.write_all(&[1u8; 1024]).await.unwrap();
    let (started, mut progress) = tokio::sync::mpsc::unbounded_channel();
    let sending = w
        .client
        .send_file(
            chat_id.clone(),
            Upload::reader("slow.bin", 1024 * 1024, reader),
        )
        .on_progress(move |p| {
            let _ = started.send(p);
        });
    let cancel = sending.canceller();
    let task = async {
        tokio::time::timeout(common::WAIT, async {
            while progress.recv().await.unwrap() <= 0.0 {}
        })
        .await
        .unwrap();
        cancel.cancel();
    };
    let (result, ()) = tokio::join!(sending.into_future(), task);
    assert!(
        matches!(&result, Err(Error::Cancelled { .. })),
        "{result:?}"
    );
    drop(writer);

    // No file event reached the agent before a later message.
    w.client
        .send_event(chat_id, Event::message("marker"))
        .await
        .unwrap();
    let mut files = 0;
    agent_push(&mut pushes, "the marker", |p| {
        if matches!(p, AgentPush::IncomingEvent(e) if e.event.kind() == "file") {
            files += 1;
        }
        matches!(p, AgentPush::IncomingEvent(e) if e.event.text() == Some("marker"))
    })
    .await;
    assert_eq!(files, 0);
    shutdown(w).await;
}
