//! [`Context`]: what a handler knows about the event it handles, and the chat's state.

use crate::store::{Store, StoreError};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Given to the handler with each event: the chat, the key, the run number, the lease's
/// fencing token, and the chat's state (dialogue state kept between messages, in the
/// dispatcher's store, so that another replica that takes the chat over sees it).
///
/// ```
/// use lc_dispatch::{Context, Dispatcher, Envelope, MemoryStore};
/// let dispatcher = Dispatcher::builder(MemoryStore::new()).build(|cx: Context, text: String| async move {
///     let mut seen: Vec<String> = cx.state().await?.unwrap_or_default();
///     seen.push(text);
///     cx.set_state(&seen).await?;
///     Ok(())
/// });
/// # drop(dispatcher);
/// ```
#[derive(Debug, Clone)]
pub struct Context {
    pub(crate) chat: Arc<str>,
    pub(crate) key: Arc<str>,
    pub(crate) attempt: u32,
    pub(crate) fencing_token: u64,
    pub(crate) lease_lost: Arc<AtomicBool>,
    pub(crate) store: Arc<dyn Store>,
    pub(crate) state_ttl: Duration,
}

impl Context {
    /// The chat id.
    pub fn chat(&self) -> &str {
        &self.chat
    }

    /// The event's deduplication key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The run number: 1, then 2 for the first retry, ...
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// The fencing token of the chat's lease this process holds: larger than that of
    /// every earlier holder. Pass it along with effects to a system that can refuse
    /// stale writers.
    pub fn fencing_token(&self) -> u64 {
        self.fencing_token
    }

    /// Whether the lease could not be renewed while the handler ran (the store was
    /// unreachable for longer than the lease, or this process stalled): another process
    /// may now handle the chat. Check it before an effect that must not happen twice.
    pub fn lease_lost(&self) -> bool {
        self.lease_lost.load(Ordering::SeqCst)
    }

    /// The chat's state as bytes.
    ///
    /// # Errors
    /// The store failed.
    pub async fn state_bytes(&self) -> Result<Option<Vec<u8>>, StoreError> {
        self.store.state(&self.chat).await
    }

    /// Sets the chat's state as bytes (kept for the dispatcher's state time to live).
    ///
    /// # Errors
    /// The store failed.
    pub async fn set_state_bytes(&self, value: &[u8]) -> Result<(), StoreError> {
        self.store
            .set_state(&self.chat, value, self.state_ttl)
            .await
    }

    /// The chat's state, read from JSON; `None` when there is none.
    ///
    /// # Errors
    /// The store failed or the state is not a `T`.
    pub async fn state<T: DeserializeOwned>(&self) -> Result<Option<T>, StoreError> {
        match self.state_bytes().await? {
            Some(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| StoreError::new(format!("chat state: {e}"))),
            None => Ok(None),
        }
    }

    /// Sets the chat's state, written as JSON.
    ///
    /// # Errors
    /// The store failed or `value` cannot be written as JSON.
    pub async fn set_state<T: Serialize + ?Sized>(&self, value: &T) -> Result<(), StoreError> {
        let bytes =
            serde_json::to_vec(value).map_err(|e| StoreError::new(format!("chat state: {e}")))?;
        self.set_state_bytes(&bytes).await
    }

    /// Forgets the chat's state.
    ///
    /// # Errors
    /// The store failed.
    pub async fn clear_state(&self) -> Result<(), StoreError> {
        self.store.delete_state(&self.chat).await
    }
}
