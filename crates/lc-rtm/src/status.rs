//! [`RtmStatus`] and the cheap shared cells behind [`RtmClient::status`] and
//! [`RtmClient::latency`].
//!
//! [`RtmClient::status`]: crate::RtmClient::status
//! [`RtmClient::latency`]: crate::RtmClient::latency

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::watch;

/// Where the connection of an [`RtmClient`](crate::RtmClient) stands.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RtmStatus {
    /// The first connection is being opened and logged in; requests wait in the queue.
    Connecting,
    /// Logged in: requests are sent.
    Connected,
    /// The connection was lost (or a connection attempt failed): waiting before
    /// attempt `attempt`, or making it, until logged in again; requests wait in the
    /// queue.
    Reconnecting {
        /// The attempt number, from 1 after each stable connection.
        attempt: u32,
    },
    /// Stopped for good: closed, or ended by the server or a fatal login error.
    Stopped {
        /// Why.
        reason: String,
    },
}

/// What the engine tells its handles about itself, read without waiting.
pub(crate) struct Health {
    status: watch::Sender<RtmStatus>,
    /// The last round trip in nanoseconds, plus one (0: none yet).
    latency: AtomicU64,
    /// Whether `latency` comes from a heartbeat (then requests no longer set it).
    from_ping: AtomicBool,
}

impl Health {
    pub(crate) fn new() -> Self {
        Self {
            status: watch::Sender::new(RtmStatus::Connecting),
            latency: AtomicU64::new(0),
            from_ping: AtomicBool::new(false),
        }
    }

    pub(crate) fn status(&self) -> RtmStatus {
        self.status.borrow().clone()
    }

    pub(crate) fn set_status(&self, status: RtmStatus) {
        self.status.send_replace(status);
    }

    pub(crate) fn latency(&self) -> Option<Duration> {
        match self.latency.load(Ordering::Relaxed) {
            0 => None,
            nanos => Some(Duration::from_nanos(nanos - 1)),
        }
    }

    /// Records the round trip of a heartbeat (`ping`) or of a request.
    pub(crate) fn record(&self, round_trip: Duration, ping: bool) {
        if ping {
            self.from_ping.store(true, Ordering::Relaxed);
        } else if self.from_ping.load(Ordering::Relaxed) {
            return;
        }
        let nanos = u64::try_from(round_trip.as_nanos()).unwrap_or(u64::MAX - 1);
        self.latency
            .store(nanos.saturating_add(1), Ordering::Relaxed);
    }
}
