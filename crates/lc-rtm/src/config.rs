//! Engine settings: timeouts, heartbeat, backoff, limits.

use lc_protocol::backoff::Backoff;
use std::time::Duration;

/// How the engine behaves; the defaults follow the real service's rules.
#[derive(Debug, Clone)]
pub struct RtmConfig {
    /// How long a request waits for its response (default 15 s, the server's own limit).
    pub request_timeout: Duration,
    /// How often the heartbeat `ping` is sent after login (default 15 s); a WebSocket
    /// ping for APIs without a ping request. One left unanswered for a whole interval
    /// declares the connection dead.
    pub ping_interval: Duration,
    /// How long opening the WebSocket may take (default 10 s).
    pub connect_timeout: Duration,
    /// Requests in flight at most; more wait in a queue (default 10, the server's limit).
    pub max_pending: usize,
    /// Pushes buffered per subscriber before it is told it missed some (default 1024).
    pub push_buffer: usize,
    /// Delays between reconnection attempts.
    pub backoff: Backoff,
}

impl Default for RtmConfig {
    fn default() -> Self {
        Self {
            request_timeout: Duration::from_secs(15),
            ping_interval: Duration::from_secs(15),
            connect_timeout: Duration::from_secs(10),
            max_pending: 10,
            push_buffer: 1024,
            backoff: Backoff::default(),
        }
    }
}
