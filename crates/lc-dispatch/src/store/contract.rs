//! The [`Store`] trait, the [`Lease`] it grants and its error.

use async_trait::async_trait;
use std::time::Duration;

/// A store failed (the server could not be reached, answered an error, ...).
///
/// ```
/// let error = lc_dispatch::StoreError::new("connection refused");
/// assert_eq!(error.to_string(), "store: connection refused");
/// ```
#[derive(Debug, Clone, thiserror::Error)]
#[error("store: {0}")]
pub struct StoreError(String);

impl StoreError {
    /// An error with this description.
    pub fn new(description: impl Into<String>) -> Self {
        Self(description.into())
    }
}

/// A chat's lease, held by one dispatcher at a time until it is released or expires.
///
/// `token` grows with every grant of the chat's lease (a fencing token): an effect that
/// carries it can be refused by a system that has seen a larger one.
///
/// ```
/// use lc_dispatch::{Lease, MemoryStore, Store};
/// use std::time::Duration;
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let store = MemoryStore::new();
/// let ttl = Duration::from_secs(5);
/// let lease: Lease = store.acquire_lease("chat-1", "replica-a", ttl).await?.unwrap();
/// assert!(store.acquire_lease("chat-1", "replica-b", ttl).await?.is_none());
/// assert!(store.release_lease(&lease).await?);
/// let next = store.acquire_lease("chat-1", "replica-b", ttl).await?.unwrap();
/// assert!(next.token > lease.token);
/// # Ok::<(), lc_dispatch::StoreError>(()) }).unwrap();
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// The chat it is for.
    pub chat: String,
    /// Who holds it (a dispatcher's owner id).
    pub owner: String,
    /// The fencing token: larger for every new grant of this chat's lease.
    pub token: u64,
}

/// What dispatchers share: in memory for one process ([`MemoryStore`](crate::MemoryStore)), on Redis for
/// replicas (`RedisStore`, feature `redis`). Implement it to share through something
/// else; every operation must be atomic.
///
/// ```
/// use lc_dispatch::{MemoryStore, Store};
/// use std::time::Duration;
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let store = MemoryStore::new();
/// assert!(store.mark_seen("event-1", Duration::from_secs(60)).await?);
/// assert!(store.is_seen("event-1").await?);
/// assert!(!store.mark_seen("event-1", Duration::from_secs(60)).await?, "already seen");
/// # Ok::<(), lc_dispatch::StoreError>(()) }).unwrap();
/// ```
#[async_trait]
pub trait Store: std::fmt::Debug + Send + Sync + 'static {
    /// Whether `key` was marked seen and has not expired.
    async fn is_seen(&self, key: &str) -> Result<bool, StoreError>;

    /// Marks `key` seen for `ttl` if it is not already (set if absent): `true` when this
    /// call marked it.
    async fn mark_seen(&self, key: &str, ttl: Duration) -> Result<bool, StoreError>;

    /// Grants `chat`'s lease to `owner` for `ttl` if nobody holds it, with a new fencing
    /// token; `None` while someone (`owner` included) holds it.
    async fn acquire_lease(
        &self,
        chat: &str,
        owner: &str,
        ttl: Duration,
    ) -> Result<Option<Lease>, StoreError>;

    /// Extends `lease` to `ttl` from now if it is still held as granted: `false` when it
    /// expired or was granted again since.
    async fn renew_lease(&self, lease: &Lease, ttl: Duration) -> Result<bool, StoreError>;

    /// Gives `lease` up if it is still held as granted: `false` when it was not.
    async fn release_lease(&self, lease: &Lease) -> Result<bool, StoreError>;

    /// `chat`'s state, if set and not expired.
    async fn state(&self, chat: &str) -> Result<Option<Vec<u8>>, StoreError>;

    /// Sets `chat`'s state, kept for `ttl` after this write.
    async fn set_state(&self, chat: &str, value: &[u8], ttl: Duration) -> Result<(), StoreError>;

    /// Forgets `chat`'s state.
    async fn delete_state(&self, chat: &str) -> Result<(), StoreError>;
}
