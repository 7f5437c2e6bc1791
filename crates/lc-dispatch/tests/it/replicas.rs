//! Dispatchers sharing one store, as replicas of a bot do: one handles a chat at a time,
//! a key is handled once among them, and a dead holder's chats are taken over when its
//! lease expires.

use crate::redis_server::RedisServer;
use lc_dispatch::{Context, Dispatcher, Envelope, Outcome, RedisStore, Store};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[tokio::test]
async fn replicas_on_redis_never_handle_a_chat_at_once_and_handle_each_key_once() {
    #[derive(Default)]
    struct Log {
        busy: HashMap<String, usize>,
        overlapped: bool,
        runs: HashMap<String, usize>,
    }
    let server = RedisServer::start().await;
    let log = Arc::new(Mutex::new(Log::default()));
    let mut replicas = Vec::new();
    for name in ["a", "b", "c"] {
        let store = RedisStore::connect(&server.url).await.unwrap();
        let log = log.clone();
        let dispatcher = Dispatcher::builder(store)
            .owner(name)
            .lease(Duration::from_secs(2), Duration::from_secs(10))
            .build(move |cx: Context, (): ()| {
                let log = log.clone();
                async move {
                    {
                        let mut log = log.lock().unwrap();
                        let busy = log.busy.entry(cx.chat().to_owned()).or_default();
                        *busy += 1;
                        let overlapped = *busy > 1;
                        log.overlapped |= overlapped;
                        *log.runs.entry(cx.key().to_owned()).or_default() += 1;
                    }
                    tokio::time::sleep(Duration::from_millis(2)).await;
                    *log.lock().unwrap().busy.get_mut(cx.chat()).unwrap() -= 1;
                    Ok(())
                }
            });
        replicas.push(dispatcher);
    }
    // Every event goes to every replica, as redelivered webhooks land anywhere.
    let mut tickets = Vec::new();
    for n in 0..30 {
        for chat in 0..5 {
            for replica in &replicas {
                let envelope = Envelope::new(format!("chat-{chat}"), format!("{chat}:{n}"), ());
                tickets.push(replica.submit(envelope).await.unwrap());
            }
        }
    }
    let (mut handled, mut duplicates) = (0, 0);
    for ticket in tickets {
        match ticket.await {
            Outcome::Handled { .. } => handled += 1,
            Outcome::Duplicate => duplicates += 1,
            other => panic!("{other:?}"),
        }
    }
    assert_eq!((handled, duplicates), (150, 300));
    {
        let log = log.lock().unwrap();
        assert!(!log.overlapped, "two replicas handled one chat at once");
        assert_eq!(log.runs.len(), 150);
        assert!(log.runs.values().all(|runs| *runs == 1));
    }
    for replica in &replicas {
        replica.shutdown().await;
    }
}

#[tokio::test]
async fn a_dead_holders_chat_is_taken_over_when_its_lease_expires() {
    let server = RedisServer::start().await;
    let store = RedisStore::connect(&server.url).await.unwrap();
    // A replica took the chat's lease and died: nobody renews or releases it.
    let dead = store
        .acquire_lease("chat", "dead", Duration::from_millis(800))
        .await
        .unwrap()
        .unwrap();
    let taker = Dispatcher::builder(store.clone())
        .owner("taker")
        .lease(Duration::from_secs(2), Duration::from_secs(5))
        .build(|cx: Context, (): ()| async move {
            cx.set_state(&cx.fencing_token()).await?;
            Ok(())
        });
    let impatient = Dispatcher::builder(store.clone())
        .owner("impatient")
        .lease(Duration::from_secs(2), Duration::from_millis(100))
        .build(|_cx: Context, (): ()| async { Ok(()) });
    let started = Instant::now();
    let busy = impatient
        .submit(Envelope::new("chat", "e0", ()))
        .await
        .unwrap();
    assert!(
        matches!(busy.await, Outcome::Busy),
        "held elsewhere past the wait"
    );
    let taken = taker.submit(Envelope::new("chat", "e1", ())).await.unwrap();
    assert!(matches!(taken.await, Outcome::Handled { .. }));
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(700), "{waited:?}");
    assert!(waited < Duration::from_secs(3), "{waited:?}");
    let token: u64 = serde_json::from_slice(&store.state("chat").await.unwrap().unwrap()).unwrap();
    assert!(token > dead.token, "the taker's fencing token is larger");
    taker.shutdown().await;
    // Released at shutdown: another replica takes the chat at once.
    let next = store
        .acquire_lease("chat", "next", Duration::from_secs(1))
        .await
        .unwrap();
    assert!(next.is_some());
}

#[tokio::test]
async fn a_long_handler_keeps_its_lease_renewed() {
    let server = RedisServer::start().await;
    let store = RedisStore::connect(&server.url).await.unwrap();
    let slow = Dispatcher::builder(store.clone())
        .owner("slow")
        .lease(Duration::from_millis(600), Duration::from_secs(1))
        .build(|cx: Context, (): ()| async move {
            tokio::time::sleep(Duration::from_millis(2000)).await;
            assert!(!cx.lease_lost());
            Ok(())
        });
    let ticket = slow
        .submit(Envelope::new("chat", "long", ()))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let stolen = store
        .acquire_lease("chat", "thief", Duration::from_secs(1))
        .await
        .unwrap();
    assert!(stolen.is_none(), "renewed past its 600 ms");
    assert!(matches!(ticket.await, Outcome::Handled { .. }));
}
