//! Abrupt ends of connections (fault injection): a [`Cutoff`] per connection, and the
//! frame writer of the realtime sockets (LiveChat RTM and Inbenta), which obeys it.
//!
//! Cutting a connection is immediate: frames still queued for it are never written, the
//! writer and the reader stop at once and the socket is dropped without a close frame,
//! as a network failure would end it.

use crate::chaos::ConnPlan;
use crate::server::Shared;
use crate::state::Outgoing;
use futures_util::SinkExt;
use futures_util::stream::SplitSink;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{Notify, mpsc};
use tokio::time::{Instant, sleep_until};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

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

/// Sleeps until `at`, forever without one.
async fn sleep_until_opt(at: Option<Instant>) {
    match at {
        Some(at) => sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Writes queued frames until the channel closes, a close is ordered or the connection is
/// cut. A cut ends it at once, without writing what is still queued and without a close
/// frame. [`Outgoing::Arm`] arms a chaos plan: after that many more frames, or that
/// long, the writer cuts the connection itself (counted in the fault stats).
pub(crate) async fn write_frames<S>(
    mut sink: SplitSink<WebSocketStream<S>, Message>,
    mut rx: mpsc::UnboundedReceiver<Outgoing>,
    cutoff: Arc<Cutoff>,
    shared: Arc<Shared>,
) where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut frames_left: Option<u64> = None;
    let mut dies_at: Option<Instant> = None;
    let chaos_drop = |cutoff: &Cutoff| {
        if cutoff.cut() {
            shared.faults().count_random_drop();
        }
    };
    loop {
        let out = tokio::select! {
            biased;
            () = cutoff.cut_off() => return,
            () = sleep_until_opt(dies_at) => return chaos_drop(&cutoff),
            out = rx.recv() => out,
        };
        let message = match out {
            None => break,
            Some(Outgoing::Text(text)) => Message::text(text),
            Some(Outgoing::Close) => {
                tokio::select! {
                    biased;
                    () = cutoff.cut_off() => return,
                    _ = sink.send(Message::Close(None)) => {}
                }
                break;
            }
            Some(Outgoing::Arm(ConnPlan { frames, lifetime })) => {
                frames_left = frames;
                dies_at = lifetime.map(|d| Instant::now() + d);
                continue;
            }
        };
        let sent = tokio::select! {
            biased;
            () = cutoff.cut_off() => return,
            sent = sink.send(message) => sent,
        };
        if sent.is_err() {
            break;
        }
        if let Some(left) = frames_left.as_mut() {
            *left = left.saturating_sub(1);
            if *left == 0 {
                return chaos_drop(&cutoff);
            }
        }
    }
    tokio::select! {
        biased;
        () = cutoff.cut_off() => {}
        _ = sink.close() => {}
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
