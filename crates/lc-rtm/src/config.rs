//! Engine settings: timeouts, heartbeat, backoff, limits, TLS.

use lc_protocol::Tls;
use lc_protocol::backoff::Backoff;
use std::time::Duration;

/// How the engine behaves; the defaults follow the real service's rules.
///
/// Read the settings through the public fields; build them with the setters of the same
/// names:
///
/// ```
/// use lc_rtm::RtmConfig;
/// use std::time::Duration;
///
/// let config = RtmConfig::default()
///     .request_timeout(Duration::from_secs(5))
///     .push_buffer(64);
/// assert_eq!(config.request_timeout, Duration::from_secs(5));
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RtmConfig {
    /// How long a request waits for its response (default 15 s, the server's own limit).
    pub request_timeout: Duration,
    /// How often the heartbeat `ping` is sent after login (default 15 s); a WebSocket
    /// ping for APIs without a ping request. One left unanswered for a whole interval
    /// declares the connection dead.
    pub ping_interval: Duration,
    /// How long opening the WebSocket may take (default 10 s).
    pub connect_timeout: Duration,
    /// How long writing one frame may take (default 10 s). A peer that stops reading
    /// fills the socket's buffers; a write stuck longer ends the connection as lost
    /// (then the engine reconnects).
    pub write_timeout: Duration,
    /// How long the [`TokenProvider`](lc_protocol::auth::TokenProvider) may take to give
    /// a token, or to take one back (default 10 s). A provider that hangs fails the
    /// login attempt, which is retried with backoff.
    pub token_timeout: Duration,
    /// Requests in flight at most, the heartbeat `ping` included; more wait in a queue
    /// (default 10, the server's limit). A request the caller stopped waiting for keeps
    /// its place until the server answers it.
    pub max_pending: usize,
    /// Requests waiting for the connection at most (default 1,000); more are refused at
    /// once with [`Error::QueueFull`](lc_protocol::Error::QueueFull).
    pub max_queued: usize,
    /// The largest message (and frame) accepted from the server, in bytes (default
    /// 16 MiB). A larger one ends the connection as lost, with a reason naming its size.
    pub max_message_size: usize,
    /// Bytes read from the socket at most per read, and the read buffer each connection
    /// keeps while idle (default 16 KiB). A larger message gets room for its whole
    /// length when its header arrives, so this bounds only the idle cost and the
    /// per-read work (the buffer is zeroed up to this size before each read), not the
    /// message size.
    pub read_buffer_size: usize,
    /// How long a connection must stay up (or whether it answered a request) before the
    /// reconnection backoff starts again from its first delay (default 10 s): a server
    /// that ends every session right after login is not hit in a tight loop.
    pub stable_after: Duration,
    /// Pushes buffered per subscriber before it is told it missed some (default 1024).
    pub push_buffer: usize,
    /// Delays between reconnection attempts.
    pub backoff: Backoff,
    /// Which servers `wss://` connections trust (default: the Mozilla roots).
    pub tls: Tls,
}

impl Default for RtmConfig {
    fn default() -> Self {
        Self {
            request_timeout: Duration::from_secs(15),
            ping_interval: Duration::from_secs(15),
            connect_timeout: Duration::from_secs(10),
            write_timeout: Duration::from_secs(10),
            token_timeout: Duration::from_secs(10),
            max_pending: 10,
            max_queued: 1_000,
            max_message_size: 16 << 20,
            read_buffer_size: 16 << 10,
            stable_after: Duration::from_secs(10),
            push_buffer: 1024,
            backoff: Backoff::default(),
            tls: Tls::default(),
        }
    }
}

/// Chainable setters, one per field.
macro_rules! setters {
    ($($field:ident: $ty:ty),* $(,)?) => {
        impl RtmConfig {
            $(
                #[doc = concat!("Sets [`", stringify!($field), "`](Self::", stringify!($field), ").")]
                #[must_use]
                pub fn $field(mut self, $field: $ty) -> Self {
                    self.$field = $field;
                    self
                }
            )*
        }
    };
}

setters! {
    request_timeout: Duration,
    ping_interval: Duration,
    connect_timeout: Duration,
    write_timeout: Duration,
    token_timeout: Duration,
    max_pending: usize,
    max_queued: usize,
    max_message_size: usize,
    read_buffer_size: usize,
    stable_after: Duration,
    push_buffer: usize,
    backoff: Backoff,
    tls: Tls,
}
