//! The queue of what waits for a realtime connection's writer ([`crate::writer`]):
//! frames and orders, bounded in bytes. A client that stops reading while frames keep
//! coming for it is cut once [`MAX_QUEUED_BYTES`] wait, and everything queued for it
//! is dropped with the connection.

use crate::chaos::ConnPlan;
use crate::cutoff::Cutoff;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::mpsc;

/// A frame queued for a realtime connection (LiveChat RTM or Inbenta), or an order to
/// its writer. Dropping a connection abruptly does not go through this queue: see
/// [`Cutoff`].
#[derive(Debug)]
pub(crate) enum Outgoing {
    Text(String),
    /// Write a close frame, then stop.
    Close,
    /// Chaos: from now on, drop the connection by this plan.
    Arm(ConnPlan),
}

/// The most bytes of frames that may wait for one connection's writer.
pub(crate) const MAX_QUEUED_BYTES: usize = 4 * 1024 * 1024;

/// What an order that is not a frame counts against [`MAX_QUEUED_BYTES`].
const ORDER_COST: usize = 64;

/// The sending side of a connection's outbound queue.
#[derive(Debug, Clone)]
pub(crate) struct OutQueue {
    tx: mpsc::UnboundedSender<Outgoing>,
    queued: Arc<AtomicUsize>,
    cutoff: Arc<Cutoff>,
    limit: usize,
    /// The console's journal tap, when the console is on.
    tap: Option<crate::console::journal::ConnTap>,
}

/// The writer's side of a connection's outbound queue.
#[derive(Debug)]
pub(crate) struct OutReceiver {
    rx: mpsc::UnboundedReceiver<Outgoing>,
    queued: Arc<AtomicUsize>,
}

/// A queue for the connection that `cutoff` cuts, holding at most `limit` bytes.
pub(crate) fn out_queue(cutoff: Arc<Cutoff>, limit: usize) -> (OutQueue, OutReceiver) {
    let (tx, rx) = mpsc::unbounded_channel();
    let queued = Arc::new(AtomicUsize::new(0));
    let sender = OutQueue {
        tx,
        queued: queued.clone(),
        cutoff,
        limit,
        tap: None,
    };
    (sender, OutReceiver { rx, queued })
}

fn cost(out: &Outgoing) -> usize {
    match out {
        Outgoing::Text(text) => text.len().max(ORDER_COST),
        Outgoing::Close | Outgoing::Arm(_) => ORDER_COST,
    }
}

impl OutQueue {
    /// Records every frame queued from now on in the console's journal.
    pub(crate) fn set_tap(&mut self, tap: crate::console::journal::ConnTap) {
        self.tap = Some(tap);
    }

    /// Queues `out`; past the limit the connection is cut instead (its client does not
    /// read). Nothing happens for a connection that is cut or going away.
    pub(crate) fn send(&self, out: Outgoing) {
        if self.cutoff.is_cut() {
            return;
        }
        let cost = cost(&out);
        let before = self.queued.fetch_add(cost, Ordering::SeqCst);
        if before + cost > self.limit {
            self.queued.fetch_sub(cost, Ordering::SeqCst);
            if self.cutoff.cut() {
                tracing::info!(
                    queued = before,
                    "connection cut: its client does not read what is sent to it"
                );
            }
            return;
        }
        if let (Some(tap), Outgoing::Text(text)) = (&self.tap, &out) {
            tap.written(text);
        }
        if self.tx.send(out).is_err() {
            self.queued.fetch_sub(cost, Ordering::SeqCst);
        }
    }

    /// Bytes waiting for the writer.
    #[cfg(test)]
    pub(crate) fn queued(&self) -> usize {
        self.queued.load(Ordering::SeqCst)
    }
}

impl OutReceiver {
    /// The next queued item if there is one now (the writer's batch, the fuzzer's
    /// in-process connections).
    pub(crate) fn try_recv(&mut self) -> Option<Outgoing> {
        let out = self.rx.try_recv().ok()?;
        self.queued.fetch_sub(cost(&out), Ordering::SeqCst);
        Some(out)
    }

    /// The next queued item; `None` once every sender is gone.
    pub(crate) async fn recv(&mut self) -> Option<Outgoing> {
        let out = self.rx.recv().await?;
        self.queued.fetch_sub(cost(&out), Ordering::SeqCst);
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_queue_cuts_its_connection_and_takes_nothing_more() {
        let cutoff = Cutoff::new();
        let (queue, mut rx) = out_queue(cutoff.clone(), 1_000);
        queue.send(Outgoing::Text("x".repeat(600)));
        assert_eq!(queue.queued(), 600);
        assert!(!cutoff.is_cut());
        queue.send(Outgoing::Text("y".repeat(600)));
        assert!(cutoff.is_cut(), "the second frame does not fit");
        assert_eq!(queue.queued(), 600, "the refused frame is not counted");
        queue.send(Outgoing::Close);
        assert_eq!(queue.queued(), 600, "a cut connection takes nothing more");
        assert!(matches!(rx.recv().await, Some(Outgoing::Text(t)) if t.len() == 600));
        assert_eq!(queue.queued(), 0);
    }

    #[tokio::test]
    async fn frames_read_by_the_writer_make_room() {
        let cutoff = Cutoff::new();
        let (queue, mut rx) = out_queue(cutoff.clone(), 1_000);
        for _ in 0..10 {
            queue.send(Outgoing::Text("z".repeat(600)));
            assert!(rx.recv().await.is_some());
        }
        assert!(!cutoff.is_cut());
        assert_eq!(queue.queued(), 0);
    }
}
