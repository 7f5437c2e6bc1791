//! The dispatcher in one process, on a `MemoryStore`.

use lc_dispatch::{
    Context, Dispatcher, Envelope, HandlerError, MemoryStore, Outcome, Problem, RejectReason,
    RetryPolicy, Store,
};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;

fn quick_retries(attempts: u32) -> RetryPolicy {
    RetryPolicy::new(attempts).backoff(Duration::from_millis(5), Duration::from_millis(20))
}

#[tokio::test]
async fn one_chat_in_order_chats_at_once_up_to_the_limit() {
    #[derive(Default)]
    struct Seen {
        order: HashMap<String, Vec<u32>>,
        busy_chats: HashMap<String, usize>,
        running: usize,
        max_running: usize,
        overlapped_in_a_chat: bool,
    }
    let seen = Arc::new(Mutex::new(Seen::default()));
    let log = seen.clone();
    let dispatcher = Dispatcher::builder(MemoryStore::new())
        .concurrency(4)
        .build(move |cx: Context, n: u32| {
            let log = log.clone();
            async move {
                {
                    let mut s = log.lock().unwrap();
                    let busy = s.busy_chats.entry(cx.chat().to_owned()).or_default();
                    *busy += 1;
                    let overlapped = *busy > 1;
                    s.overlapped_in_a_chat |= overlapped;
                    s.running += 1;
                    s.max_running = s.max_running.max(s.running);
                }
                // Later events of a chat finish sooner: only the dispatcher keeps order.
                tokio::time::sleep(Duration::from_millis(u64::from(20 - n % 20) / 4)).await;
                let mut s = log.lock().unwrap();
                s.order.entry(cx.chat().to_owned()).or_default().push(n);
                *s.busy_chats.get_mut(cx.chat()).unwrap() -= 1;
                s.running -= 1;
                Ok(())
            }
        });
    let mut tickets = Vec::new();
    for n in 0..20 {
        for chat in 0..10 {
            let envelope = Envelope::new(format!("chat-{chat}"), format!("{chat}-{n}"), n);
            tickets.push(dispatcher.submit(envelope).await.unwrap());
        }
    }
    for ticket in tickets {
        assert!(matches!(ticket.await, Outcome::Handled { attempts: 1 }));
    }
    dispatcher.shutdown().await;
    let seen = seen.lock().unwrap();
    assert_eq!(seen.order.len(), 10);
    for order in seen.order.values() {
        assert_eq!(*order, (0..20).collect::<Vec<_>>());
    }
    assert!(!seen.overlapped_in_a_chat);
    assert!(seen.max_running <= 4, "{}", seen.max_running);
    assert!(
        seen.max_running >= 2,
        "chats ran at once: {}",
        seen.max_running
    );
}

#[tokio::test]
async fn an_event_is_handled_once_per_key() {
    let runs = Arc::new(AtomicUsize::new(0));
    let counter = runs.clone();
    let dispatcher = Dispatcher::builder(MemoryStore::new()).build(move |_cx, (): ()| {
        counter.fetch_add(1, Ordering::SeqCst);
        async { Ok(()) }
    });
    let a = dispatcher
        .submit(Envelope::new("c", "k", ()))
        .await
        .unwrap();
    let b = dispatcher
        .submit(Envelope::new("c", "k", ()))
        .await
        .unwrap();
    let c = dispatcher
        .submit(Envelope::new("c", "other", ()))
        .await
        .unwrap();
    assert!(matches!(a.await, Outcome::Handled { .. }));
    assert!(matches!(b.await, Outcome::Duplicate));
    assert!(matches!(c.await, Outcome::Handled { .. }));
    let again = dispatcher
        .submit(Envelope::new("c", "k", ()))
        .await
        .unwrap();
    assert!(matches!(again.await, Outcome::Duplicate));
    assert_eq!(runs.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn failures_are_retried_reported_and_do_not_stop_other_chats() {
    let problems = Arc::new(Mutex::new(Vec::new()));
    let reported = problems.clone();
    let calls = Arc::new(Mutex::new(HashMap::<String, u32>::new()));
    let counted = calls.clone();
    let dispatcher = Dispatcher::builder(MemoryStore::new())
        .retry(quick_retries(3))
        .on_problem(move |problem| {
            if let Problem::HandlerFailed {
                key,
                attempt,
                will_retry,
                ..
            } = problem
            {
                reported
                    .lock()
                    .unwrap()
                    .push(((*key).to_owned(), *attempt, *will_retry));
            }
        })
        .build(move |cx: Context, fail_times: u32| {
            let mut calls = counted.lock().unwrap();
            *calls.entry(cx.key().to_owned()).or_default() += 1;
            let attempt = cx.attempt();
            async move {
                if fail_times == u32::MAX {
                    panic!("boom");
                }
                if attempt <= fail_times {
                    return Err::<(), HandlerError>(format!("failure {attempt}").into());
                }
                Ok(())
            }
        });
    let flaky = dispatcher
        .submit(Envelope::new("a", "flaky", 2))
        .await
        .unwrap();
    let broken = dispatcher
        .submit(Envelope::new("a", "broken", 5))
        .await
        .unwrap();
    let after = dispatcher
        .submit(Envelope::new("a", "after", 0))
        .await
        .unwrap();
    let panics = dispatcher
        .submit(Envelope::new("b", "panics", u32::MAX))
        .await
        .unwrap();
    let fine = dispatcher
        .submit(Envelope::new("b", "fine", 0))
        .await
        .unwrap();
    assert!(matches!(flaky.await, Outcome::Handled { attempts: 3 }));
    match broken.await {
        Outcome::Failed { attempts: 3, error } => assert_eq!(error.to_string(), "failure 3"),
        other => panic!("{other:?}"),
    }
    assert!(
        matches!(after.await, Outcome::Handled { attempts: 1 }),
        "the chat goes on"
    );
    match panics.await {
        Outcome::Failed { error, .. } => assert!(error.to_string().contains("panicked: boom")),
        other => panic!("{other:?}"),
    }
    assert!(matches!(fine.await, Outcome::Handled { .. }));
    // A failed key is not marked seen: a redelivery runs it again.
    let redelivered = dispatcher
        .submit(Envelope::new("a", "broken", 0))
        .await
        .unwrap();
    assert!(matches!(
        redelivered.await,
        Outcome::Handled { attempts: 1 }
    ));
    let problems = problems.lock().unwrap().clone();
    assert!(problems.contains(&("flaky".to_owned(), 2, true)));
    assert!(problems.contains(&("broken".to_owned(), 3, false)));
    assert_eq!(problems.iter().filter(|p| p.0 == "broken").count(), 3);
    assert_eq!(calls.lock().unwrap()["broken"], 4);
}

#[tokio::test]
async fn the_queue_is_bounded_and_submit_waits_for_room() {
    let gate = Arc::new(Notify::new());
    let open = gate.clone();
    let dispatcher = Dispatcher::builder(MemoryStore::new())
        .queue(2)
        .build(move |_cx, (): ()| {
            let open = open.clone();
            async move {
                open.notified().await;
                Ok(())
            }
        });
    let first = dispatcher.try_submit(Envelope::new("c", "1", ())).unwrap();
    let second = dispatcher.try_submit(Envelope::new("c", "2", ())).unwrap();
    let full = dispatcher
        .try_submit(Envelope::new("c", "3", ()))
        .unwrap_err();
    assert_eq!(full.reason, RejectReason::Full);
    assert_eq!(full.envelope.key, "3", "the event is given back");
    let waiting = {
        let dispatcher = dispatcher.clone();
        tokio::spawn(async move { dispatcher.submit(Envelope::new("c", "3", ())).await })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(!waiting.is_finished(), "waits while the queue is full");
    gate.notify_one();
    assert!(matches!(first.await, Outcome::Handled { .. }));
    let third = tokio::time::timeout(Duration::from_secs(5), waiting)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    gate.notify_one();
    assert!(matches!(second.await, Outcome::Handled { .. }));
    gate.notify_one();
    assert!(matches!(third.await, Outcome::Handled { .. }));
}

#[tokio::test]
async fn shutdown_finishes_what_started_and_takes_nothing_new() {
    let started = Arc::new(Notify::new());
    let gate = Arc::new(Notify::new());
    let done = Arc::new(AtomicUsize::new(0));
    let (s, g, d) = (started.clone(), gate.clone(), done.clone());
    let dispatcher = Dispatcher::builder(MemoryStore::new()).build(move |_cx, (): ()| {
        let (s, g, d) = (s.clone(), g.clone(), d.clone());
        async move {
            s.notify_one();
            g.notified().await;
            d.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
    });
    let running = dispatcher
        .submit(Envelope::new("c", "1", ()))
        .await
        .unwrap();
    let queued = dispatcher
        .submit(Envelope::new("c", "2", ()))
        .await
        .unwrap();
    started.notified().await;
    let stopping = {
        let dispatcher = dispatcher.clone();
        tokio::spawn(async move { dispatcher.shutdown().await })
    };
    assert!(matches!(queued.await, Outcome::ShutDown));
    let refused = dispatcher
        .submit(Envelope::new("d", "3", ()))
        .await
        .unwrap_err();
    assert_eq!(refused.reason, RejectReason::ShuttingDown);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(!stopping.is_finished(), "waits for the started event");
    gate.notify_one();
    assert!(matches!(running.await, Outcome::Handled { .. }));
    tokio::time::timeout(Duration::from_secs(5), stopping)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(done.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_chat_keeps_its_state_between_events() {
    let store = MemoryStore::new();
    let dispatcher =
        Dispatcher::builder(store.clone()).build(|cx: Context, text: String| async move {
            let mut said: Vec<String> = cx.state().await?.unwrap_or_default();
            said.push(text);
            if said.len() == 3 {
                cx.clear_state().await?;
            } else {
                cx.set_state(&said).await?;
            }
            Ok(())
        });
    let mut tickets = Vec::new();
    for (i, text) in ["a", "b", "c", "d", "e"].iter().enumerate() {
        let envelope = Envelope::new("c", i.to_string(), (*text).to_owned());
        tickets.push(dispatcher.submit(envelope).await.unwrap());
    }
    tickets.push(
        dispatcher
            .submit(Envelope::new("other", "x", "z".into()))
            .await
            .unwrap(),
    );
    for ticket in tickets {
        assert!(matches!(ticket.await, Outcome::Handled { .. }));
    }
    let state = |chat: &'static str| {
        let store = store.clone();
        async move { store.state(chat).await.unwrap() }
    };
    assert_eq!(state("c").await.as_deref(), Some(&br#"["d","e"]"#[..]));
    assert_eq!(state("other").await.as_deref(), Some(&br#"["z"]"#[..]));
}
