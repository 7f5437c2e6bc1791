//! [`Cache`]: one token, refreshed ahead of its expiry by one caller at a time, while the
//! other callers wait for that refresh instead of starting their own.

use lc_protocol::Error;
use lc_protocol::id::Token;
use std::future::Future;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;
use tokio::time::Instant;

/// The longest lifetime taken from an answer (a year); longer ones are cut to it.
const MAX_LIFETIME: Duration = Duration::from_secs(365 * 24 * 60 * 60);

/// A token just obtained and how long it lives.
pub(crate) struct Fresh {
    pub(crate) token: Token,
    pub(crate) lifetime: Duration,
}

/// The token a provider holds, and when to replace it.
pub(crate) struct Cache {
    margin: Duration,
    slot: Mutex<Slot>,
    /// Held by the one caller that refreshes; the others wait on it, at most as long as
    /// the refresh request may take (the HTTP engine's timeouts bound it).
    refreshing: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct Slot {
    current: Option<Held>,
    /// How many refreshes ended, successful or not.
    attempts: u64,
    /// Why the last refresh failed, if it did.
    last_error: Option<Error>,
}

struct Held {
    token: Token,
    refresh_at: Instant,
    expires_at: Instant,
}

impl Cache {
    /// A cache that refreshes `margin` before expiry (but never before half of a token's
    /// lifetime has passed).
    pub(crate) fn new(margin: Duration) -> Self {
        Self {
            margin,
            slot: Mutex::new(Slot::default()),
            refreshing: tokio::sync::Mutex::new(()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Slot> {
        self.slot
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Stores `fresh` as the current token (e.g. the access token of a code exchange).
    pub(crate) fn store(&self, fresh: &Fresh) {
        let held = self.held(fresh);
        self.lock().current = Some(held);
    }

    fn held(&self, fresh: &Fresh) -> Held {
        let now = Instant::now();
        // A lifetime from the network is bounded, so that adding it cannot overflow.
        let lifetime = fresh.lifetime.min(MAX_LIFETIME);
        let ahead = lifetime.saturating_sub(self.margin).max(lifetime / 2);
        Held {
            token: fresh.token.clone(),
            refresh_at: now + ahead,
            expires_at: now + lifetime,
        }
    }

    /// The current token while it is fresh; otherwise one from `fetch`, run by one caller
    /// while the others wait for its outcome. When `fetch` fails with a transient error,
    /// the current token is kept until it expires.
    pub(crate) async fn get<F, Fut>(&self, fetch: F) -> Result<Token, Error>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Fresh, Error>>,
    {
        let seen = {
            let slot = self.lock();
            if let Some(token) = slot.fresh() {
                return Ok(token);
            }
            slot.attempts
        };
        let _refreshing = self.refreshing.lock().await;
        {
            let slot = self.lock();
            if let Some(token) = slot.fresh() {
                return Ok(token);
            }
            if slot.attempts != seen {
                if let Some(error) = slot.last_error.clone() {
                    // A refresh ended while this caller waited: share its outcome.
                    return slot.fall_back(error);
                }
            }
        }
        let outcome = fetch().await;
        let mut slot = self.lock();
        slot.attempts += 1;
        match outcome {
            Ok(fresh) => {
                tracing::debug!(lifetime = ?fresh.lifetime, "token refreshed");
                slot.current = Some(self.held(&fresh));
                slot.last_error = None;
                Ok(fresh.token)
            }
            Err(error) => {
                slot.last_error = Some(error.clone());
                slot.fall_back(error)
            }
        }
    }

    /// Drops the current token if it is `rejected`.
    pub(crate) fn invalidate(&self, rejected: &Token) {
        let bare = |t: &str| t.strip_prefix("Bearer ").unwrap_or(t).to_owned();
        let mut slot = self.lock();
        let matches = slot
            .current
            .as_ref()
            .is_some_and(|held| bare(held.token.expose()) == bare(rejected.expose()));
        if matches {
            tracing::debug!("token invalidated; the next call refreshes it");
            slot.current = None;
        }
    }

    /// Whether a refresh has been needed since `seen` (for tests of the sharing rule).
    #[cfg(test)]
    fn attempts(&self) -> u64 {
        self.lock().attempts
    }
}

impl Slot {
    /// The current token if it needs no refresh yet.
    fn fresh(&self) -> Option<Token> {
        let held = self.current.as_ref()?;
        (Instant::now() < held.refresh_at).then(|| held.token.clone())
    }

    /// After a failed refresh: the current token if the error is transient and the token
    /// has not expired yet, else the error.
    fn fall_back(&self, error: Error) -> Result<Token, Error> {
        match &self.current {
            Some(held) if error.is_transient() && Instant::now() < held.expires_at => {
                tracing::warn!(%error, "refreshing the token failed; using the current one until it expires");
                Ok(held.token.clone())
            }
            _ => Err(error),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn fresh(n: u32, secs: u64) -> Fresh {
        Fresh {
            token: Token::new(format!("t{n}")),
            lifetime: Duration::from_secs(secs),
        }
    }

    #[tokio::test]
    async fn concurrent_callers_share_one_refresh() {
        let cache = Arc::new(Cache::new(Duration::from_secs(1)));
        let calls = Arc::new(AtomicU32::new(0));
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let cache = cache.clone();
            let calls = calls.clone();
            tasks.push(tokio::spawn(async move {
                cache
                    .get(|| async {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        let n = calls.fetch_add(1, Ordering::SeqCst);
                        Ok(fresh(n, 60))
                    })
                    .await
                    .unwrap()
            }));
        }
        for task in tasks {
            assert_eq!(task.await.unwrap().expose(), "t0");
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(cache.attempts(), 1);
    }

    #[tokio::test]
    async fn transient_failures_keep_the_token_until_it_expires() {
        let cache = Cache::new(Duration::from_millis(1500));
        cache.store(&fresh(0, 2));
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let transient = || async { Err::<Fresh, Error>(timeout()) };
        assert_eq!(cache.get(transient).await.unwrap().expose(), "t0");
        tokio::time::sleep(Duration::from_millis(1000)).await;
        assert!(cache.get(transient).await.is_err());
    }

    fn timeout() -> Error {
        Error::Timeout {
            action: "refresh".into(),
            after: Duration::from_secs(1),
        }
    }

    #[tokio::test]
    async fn invalidate_drops_only_the_rejected_token() {
        let cache = Cache::new(Duration::ZERO);
        cache.store(&fresh(0, 60));
        cache.invalidate(&Token::new("other"));
        assert_eq!(
            cache
                .get(|| async { Ok(fresh(1, 60)) })
                .await
                .unwrap()
                .expose(),
            "t0"
        );
        cache.invalidate(&Token::new("Bearer t0"));
        // A lifetime too long to add to now is cut, not a panic.
        cache.store(&fresh(9, u64::MAX));
        cache.invalidate(&Token::new("t9"));
        assert_eq!(
            cache
                .get(|| async { Ok(fresh(1, 60)) })
                .await
                .unwrap()
                .expose(),
            "t1"
        );
    }
}
