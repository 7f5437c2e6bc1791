//! The server's request slots of one connection: requests waiting for their answer,
//! requests whose callers gave up, and the heartbeat.

use super::job::Job;
use std::collections::{HashMap, HashSet};

/// The requests of one connection the server has not answered yet: each holds one of
/// the server's [`RtmConfig::max_pending`] slots.
#[derive(Default)]
pub(super) struct Slots {
    /// Requests whose callers wait.
    pub(super) pending: HashMap<String, Job>,
    /// Requests whose callers stopped waiting: the server still holds their slot.
    pub(super) abandoned: HashSet<String>,
    /// The unanswered heartbeat: a request id, or [`WS_PING`].
    pub(super) ping: Option<String>,
    /// Whether that heartbeat is a request (and so takes a slot).
    pub(super) ping_counts: bool,
    /// When that heartbeat was sent.
    pub(super) ping_sent: Option<tokio::time::Instant>,
    /// Whether the server answered a request.
    pub(super) served: bool,
}

impl Slots {
    /// Slots taken on the server.
    pub(super) fn in_use(&self) -> usize {
        let ping = usize::from(self.ping.is_some() && self.ping_counts);
        self.pending.len() + self.abandoned.len() + ping
    }

    /// Moves requests whose callers went away to `abandoned`, keeping their slot.
    pub(super) fn forget_abandoned(&mut self) {
        let gone: Vec<String> = self
            .pending
            .iter()
            .filter(|(_, job)| job.reply.is_closed())
            .map(|(id, _)| id.clone())
            .collect();
        for id in gone {
            self.pending.remove(&id);
            self.abandoned.insert(id);
        }
    }

    /// Frees the slot of the heartbeat or of an abandoned request answered as `id`;
    /// whether it was one of those.
    pub(super) fn answered(&mut self, id: &str) -> bool {
        if self.ping.as_deref() == Some(id) {
            self.ping = None;
            return true;
        }
        if self.abandoned.remove(id) {
            self.served = true;
            return true;
        }
        false
    }
}

/// The marker of an unanswered WebSocket-level ping (APIs without a ping request).
pub(super) const WS_PING: &str = "websocket-ping";
