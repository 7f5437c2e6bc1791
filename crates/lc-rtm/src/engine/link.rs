//! The socket of the connection being served, shared between the engine task (which
//! reads it, writes the queue and the heartbeat) and the callers (who write their own
//! request when the way is clear, saving the wake-up of the engine task).

use super::job::Job;
use super::slots::Slots;
use std::task::Waker;
use tokio::net::TcpStream;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// The WebSocket of a connection.
pub(super) type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Who may write to the socket now.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) enum Writer {
    /// Nobody is writing: a caller may write its request itself.
    #[default]
    Free,
    /// The engine task writes (the queue, the heartbeat, the close).
    Engine,
    /// Callers' frames (this request id is the last one) are buffered but not flushed
    /// yet (the socket was full, or the caller that was to flush them went away): the
    /// engine task flushes them, within the write timeout, before it reads or writes
    /// anything else.
    Owed(String),
    /// Callers' frames are buffered, not flushed yet (this request id is the last one):
    /// the caller that buffered the first flushes them all, at once or, while requests
    /// come together, once its task ran again, so that requests made together leave in
    /// one write. Others join meanwhile. If that caller goes away first, or the batch is
    /// still open at a heartbeat, the engine task flushes them (as [`Writer::Owed`]).
    Batch(String),
}

/// What became of a request its caller wrote itself (`Engine::try_write`).
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Written {
    /// Its frame opens a batch: the caller flushes it (`Engine::flush_batch`), at once
    /// while requests come one at a time, or after letting its task run once more while
    /// requests come together, so that they join (`Engine::defers_flush`).
    Leads,
    /// Its frame joined another caller's batch, which that caller flushes.
    Joined,
}

/// The connection being served and its request slots; behind a short lock that is
/// never held across an await (each poll of the socket takes it anew).
#[derive(Default)]
pub(crate) struct Link {
    /// The logged-in socket, while it is served.
    pub(super) ws: Option<Ws>,
    /// The server's request slots of this connection.
    pub(super) slots: Slots,
    /// Who may write now.
    pub(super) writer: Writer,
    /// The request whose frame was cut when a write failed or got stuck: its tail
    /// never left, so the server cannot act on it, and it is queued again after the
    /// connection ends (the requests written before it fail as lost).
    pub(super) cut: Option<String>,
    /// The engine task, when it wanted to read while a caller held the writer's place
    /// (a read may write what is buffered): woken when the caller gives the place back.
    pub(super) reader: Option<Waker>,
    /// How many frames the open batch ([`Writer::Batch`]) holds.
    pub(super) batched: usize,
}

impl Link {
    /// Starts serving `ws` with every slot free.
    pub(super) fn serve(&mut self, ws: Ws) {
        *self = Self {
            ws: Some(ws),
            ..Self::default()
        };
    }

    /// Gives the writer's place back; the engine task to wake, if it waits to read (woken
    /// by the caller once the lock is released).
    #[must_use]
    pub(super) fn free(&mut self) -> Option<Waker> {
        self.writer = Writer::Free;
        self.reader.take()
    }

    /// Ends serving: gives the requests in flight, the cut one apart, and the cut one.
    pub(super) fn end(&mut self) -> (Vec<Job>, Option<Job>, bool) {
        let mut slots = std::mem::take(&mut self.slots);
        // A frame still owed its flush has its tail in the buffer: nobody flushed it.
        let owed = match std::mem::take(&mut self.writer) {
            Writer::Owed(id) | Writer::Batch(id) => Some(id),
            _ => None,
        };
        let cut = self.cut.take().or(owed);
        let cut = cut.and_then(|id| slots.pending.remove(&id));
        self.ws = None;
        let lost = slots.pending.into_values().collect();
        (lost, cut, slots.served)
    }
}
