//! The store contract, the same for `MemoryStore` and `RedisStore`.

use crate::redis_server::RedisServer;
use lc_dispatch::{MemoryStore, RedisStore, Store};
use std::time::Duration;

async fn contract(store: &dyn Store) {
    // Seen keys: set if absent, expire.
    assert!(!store.is_seen("k1").await.unwrap());
    assert!(
        store
            .mark_seen("k1", Duration::from_millis(300))
            .await
            .unwrap()
    );
    assert!(
        !store
            .mark_seen("k1", Duration::from_secs(60))
            .await
            .unwrap()
    );
    assert!(store.is_seen("k1").await.unwrap());
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(!store.is_seen("k1").await.unwrap(), "the key expired");
    assert!(
        store
            .mark_seen("k1", Duration::from_secs(60))
            .await
            .unwrap()
    );

    // Leases: one holder, fencing tokens grow, renew and release only by the holder.
    let ttl = Duration::from_millis(300);
    let a = store.acquire_lease("c1", "a", ttl).await.unwrap().unwrap();
    assert!(store.acquire_lease("c1", "b", ttl).await.unwrap().is_none());
    assert!(
        store.acquire_lease("c1", "a", ttl).await.unwrap().is_none(),
        "not twice"
    );
    let other = store.acquire_lease("c2", "b", ttl).await.unwrap().unwrap();
    assert!(other.token > a.token);
    assert!(
        store
            .renew_lease(&a, Duration::from_millis(1500))
            .await
            .unwrap()
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        store.acquire_lease("c1", "b", ttl).await.unwrap().is_none(),
        "renewed"
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let b = store.acquire_lease("c1", "b", ttl).await.unwrap().unwrap();
    assert!(b.token > a.token, "a new grant has a larger token");
    assert!(
        !store.renew_lease(&a, ttl).await.unwrap(),
        "a's lease expired"
    );
    assert!(
        !store.release_lease(&a).await.unwrap(),
        "a cannot release b's lease"
    );
    assert!(store.acquire_lease("c1", "a", ttl).await.unwrap().is_none());
    assert!(store.release_lease(&b).await.unwrap());
    assert!(!store.release_lease(&b).await.unwrap(), "released once");
    assert!(store.acquire_lease("c1", "a", ttl).await.unwrap().is_some());

    // State: bytes per chat, expiring, deletable.
    assert_eq!(store.state("c1").await.unwrap(), None);
    store
        .set_state("c1", b"one", Duration::from_secs(60))
        .await
        .unwrap();
    store
        .set_state("c2", b"two", Duration::from_millis(200))
        .await
        .unwrap();
    assert_eq!(
        store.state("c1").await.unwrap().as_deref(),
        Some(&b"one"[..])
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(store.state("c2").await.unwrap(), None, "expired");
    store.delete_state("c1").await.unwrap();
    assert_eq!(store.state("c1").await.unwrap(), None);
}

#[tokio::test]
async fn memory_store_keeps_the_contract() {
    contract(&MemoryStore::new()).await;
}

#[tokio::test]
async fn redis_store_keeps_the_contract() {
    let server = RedisServer::start().await;
    let store = RedisStore::connect(&server.url).await.unwrap().prefix("t1");
    contract(&store).await;
    // Another prefix is another bot: nothing shared.
    let other = RedisStore::connect(&server.url).await.unwrap().prefix("t2");
    assert!(!other.is_seen("k1").await.unwrap());
    assert!(store.is_seen("k1").await.unwrap());
    assert!(
        !format!("{store:?}").contains("127.0.0.1"),
        "no URL in Debug"
    );
}

#[tokio::test]
async fn redis_store_reports_an_unreachable_server_as_an_error() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let error = RedisStore::connect(&format!("redis://127.0.0.1:{port}/"))
        .await
        .unwrap_err();
    assert!(error.to_string().starts_with("store: "), "{error}");
}

#[tokio::test]
async fn concurrent_lease_requests_grant_exactly_one() {
    let server = RedisServer::start().await;
    let store = RedisStore::connect(&server.url).await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..20 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store
                .acquire_lease("hot", &format!("o{i}"), Duration::from_secs(5))
                .await
                .unwrap()
        }));
    }
    let mut granted = 0;
    for task in tasks {
        granted += usize::from(task.await.unwrap().is_some());
    }
    assert_eq!(granted, 1);
}

#[tokio::test]
async fn a_store_that_fails_is_an_outcome_not_a_panic() {
    use lc_dispatch::{Dispatcher, Envelope, Outcome};
    let server = RedisServer::start().await;
    let store = RedisStore::connect(&server.url).await.unwrap();
    let dispatcher = Dispatcher::builder(store).build(|_cx, (): ()| async { Ok(()) });
    let ok = dispatcher
        .submit(Envelope::new("c", "k1", ()))
        .await
        .unwrap();
    assert!(matches!(ok.await, Outcome::Handled { .. }));
    drop(server);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let failed = dispatcher
        .submit(Envelope::new("c", "k2", ()))
        .await
        .unwrap();
    let outcome = tokio::time::timeout(std::time::Duration::from_secs(60), failed)
        .await
        .unwrap();
    assert!(matches!(outcome, Outcome::Store(_)), "{outcome:?}");
    assert!(outcome.redeliver());
}
