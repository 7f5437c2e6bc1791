//! A request on its way through the engine, and its place in the bounded queue.

use lc_protocol::Error;
use lc_protocol::wire::typed::{Answer, ResponseDecoder};
use serde_json::value::RawValue;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::oneshot;
use tokio::time::Instant;

/// A place in the bounded queue of requests waiting for the connection; given back when
/// dropped (the request was sent, answered, or dropped).
pub(crate) struct Ticket(Arc<AtomicUsize>);

impl Ticket {
    /// A place in the queue counted by `waiting`, unless `capacity` are taken.
    pub(crate) fn take(waiting: &Arc<AtomicUsize>, capacity: usize) -> Option<Self> {
        let taken = waiting.fetch_add(1, Ordering::AcqRel);
        if taken >= capacity {
            waiting.fetch_sub(1, Ordering::AcqRel);
            return None;
        }
        Some(Self(waiting.clone()))
    }

    /// A place in the queue counted by `waiting` even over capacity: for a request that
    /// goes back to the queue after its write failed (it held a place before).
    pub(crate) fn hold(waiting: &Arc<AtomicUsize>) -> Self {
        waiting.fetch_add(1, Ordering::AcqRel);
        Self(waiting.clone())
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A request waiting to be sent or answered.
pub(crate) struct Job {
    pub(crate) action: String,
    pub(crate) payload: Box<RawValue>,
    /// The bot it is sent as (the envelope's `author_id`, API 3.5 and older).
    pub(crate) author_id: Option<String>,
    pub(crate) reply: oneshot::Sender<Result<Answer, Error>>,
    /// Decodes the response straight into the caller's type during the frame read
    /// (typed calls over LiveChat).
    pub(crate) decoder: Option<ResponseDecoder>,
    /// Its place in the queue, while it waits there.
    pub(crate) ticket: Option<Ticket>,
    /// When it was sent, once it was.
    pub(crate) sent: Option<Instant>,
}

impl Job {
    pub(crate) fn answer(self, result: Result<Answer, Error>) {
        // The caller may have timed out and gone away: nothing to do then.
        let _ = self.reply.send(result);
    }

    pub(crate) fn lost(self) {
        let action = self.action.clone();
        self.answer(Err(Error::ConnectionLost { action }));
    }
}
