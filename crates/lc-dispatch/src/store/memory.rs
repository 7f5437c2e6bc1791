//! [`MemoryStore`]: the store of one process.

use super::contract::{Lease, Store, StoreError};
use async_trait::async_trait;
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;
use tokio::time::Instant;

/// Expired entries are swept when a map has grown by this many since the last sweep.
const SWEEP_EVERY: usize = 1024;

/// The default store: seen keys, leases and chat state in this process's memory, for a
/// bot that runs as one process. Cheap to clone: clones share the same maps.
///
/// ```
/// use lc_dispatch::{Dispatcher, Envelope, MemoryStore};
/// let dispatcher = Dispatcher::builder(MemoryStore::new())
///     .build(|_cx, _event: String| async { Ok(()) });
/// # drop(dispatcher);
/// ```
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    inner: std::sync::Arc<Mutex<Maps>>,
}

#[derive(Debug, Default)]
struct Maps {
    seen: Expiring<()>,
    leases: Expiring<(String, u64)>,
    states: Expiring<Vec<u8>>,
    fence: u64,
}

/// A map whose entries expire.
#[derive(Debug)]
struct Expiring<V> {
    entries: HashMap<String, (Instant, V)>,
    swept_at_len: usize,
}

impl<V> Default for Expiring<V> {
    fn default() -> Self {
        Self {
            entries: HashMap::new(),
            swept_at_len: 0,
        }
    }
}

impl<V> Expiring<V> {
    fn get(&self, key: &str, now: Instant) -> Option<&V> {
        match self.entries.get(key) {
            Some((until, value)) if *until > now => Some(value),
            _ => None,
        }
    }

    fn insert(&mut self, key: &str, value: V, until: Instant, now: Instant) {
        self.entries.insert(key.to_owned(), (until, value));
        if self.entries.len() >= self.swept_at_len + SWEEP_EVERY {
            self.entries.retain(|_, (until, _)| *until > now);
            self.swept_at_len = self.entries.len();
        }
    }

    fn remove(&mut self, key: &str) {
        self.entries.remove(key);
    }
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Maps> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait]
impl Store for MemoryStore {
    async fn is_seen(&self, key: &str) -> Result<bool, StoreError> {
        Ok(self.lock().seen.get(key, Instant::now()).is_some())
    }

    async fn mark_seen(&self, key: &str, ttl: Duration) -> Result<bool, StoreError> {
        let now = Instant::now();
        let mut maps = self.lock();
        if maps.seen.get(key, now).is_some() {
            return Ok(false);
        }
        maps.seen.insert(key, (), now + ttl, now);
        Ok(true)
    }

    async fn acquire_lease(
        &self,
        chat: &str,
        owner: &str,
        ttl: Duration,
    ) -> Result<Option<Lease>, StoreError> {
        let now = Instant::now();
        let mut maps = self.lock();
        if maps.leases.get(chat, now).is_some() {
            return Ok(None);
        }
        maps.fence += 1;
        let token = maps.fence;
        maps.leases
            .insert(chat, (owner.to_owned(), token), now + ttl, now);
        Ok(Some(Lease {
            chat: chat.to_owned(),
            owner: owner.to_owned(),
            token,
        }))
    }

    async fn renew_lease(&self, lease: &Lease, ttl: Duration) -> Result<bool, StoreError> {
        let now = Instant::now();
        let mut maps = self.lock();
        if !holds(&maps, lease, now) {
            return Ok(false);
        }
        let value = (lease.owner.clone(), lease.token);
        maps.leases.insert(&lease.chat, value, now + ttl, now);
        Ok(true)
    }

    async fn release_lease(&self, lease: &Lease) -> Result<bool, StoreError> {
        let mut maps = self.lock();
        if !holds(&maps, lease, Instant::now()) {
            return Ok(false);
        }
        maps.leases.remove(&lease.chat);
        Ok(true)
    }

    async fn state(&self, chat: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.lock().states.get(chat, Instant::now()).cloned())
    }

    async fn set_state(&self, chat: &str, value: &[u8], ttl: Duration) -> Result<(), StoreError> {
        let now = Instant::now();
        self.lock()
            .states
            .insert(chat, value.to_vec(), now + ttl, now);
        Ok(())
    }

    async fn delete_state(&self, chat: &str) -> Result<(), StoreError> {
        self.lock().states.remove(chat);
        Ok(())
    }
}

/// Whether `lease` is held as granted at `now`.
fn holds(maps: &Maps, lease: &Lease, now: Instant) -> bool {
    maps.leases
        .get(&lease.chat, now)
        .is_some_and(|(owner, token)| *owner == lease.owner && *token == lease.token)
}
