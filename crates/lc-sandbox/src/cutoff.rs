//! Abrupt ends of connections (fault injection): a [`Cutoff`] per connection, which the
//! frame writer of the realtime sockets ([`crate::writer`]) obeys.
//!
//! Cutting a connection is immediate: frames still queued for it are never written, the
//! writer and the reader stop at once and the socket is dropped without a close frame,
//! as a network failure would end it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::Notify;

/// The switch that cuts one connection.
#[derive(Debug, Default)]
pub(crate) struct Cutoff {
    cut: AtomicBool,
    notify: Notify,
}

impl Cutoff {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Cuts the connection; `true` the first time.
    pub(crate) fn cut(&self) -> bool {
        let first = !self.cut.swap(true, Ordering::SeqCst);
        self.notify.notify_waiters();
        first
    }

    /// Whether the connection is cut.
    pub(crate) fn is_cut(&self) -> bool {
        self.cut.load(Ordering::SeqCst)
    }

    /// Resolves once the connection is cut.
    pub(crate) async fn cut_off(&self) {
        loop {
            let notified = self.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.is_cut() {
                return;
            }
            notified.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn waiters_wake_on_a_cut_and_later_waits_return_at_once() {
        let cutoff = Cutoff::new();
        let waiter = tokio::spawn({
            let cutoff = cutoff.clone();
            async move { cutoff.cut_off().await }
        });
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert!(!waiter.is_finished());
        assert!(cutoff.cut());
        assert!(!cutoff.cut());
        tokio::time::timeout(Duration::from_secs(1), waiter)
            .await
            .unwrap_or_else(|_| panic!("the waiter woke"))
            .unwrap_or_else(|e| panic!("{e}"));
        tokio::time::timeout(Duration::from_secs(1), cutoff.cut_off())
            .await
            .unwrap_or_else(|_| panic!("a wait after the cut returns"));
    }
}
