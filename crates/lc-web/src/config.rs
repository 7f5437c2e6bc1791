//! Engine settings: timeouts, retries, user agent, TLS. Where requests go (base URL, API
//! version, region, organization, author) is the session's: see [`crate::WebClient::new`].

use lc_protocol::Tls;
use lc_protocol::backoff::Backoff;
use std::time::Duration;

pub use lc_protocol::session::DEFAULT_BASE_URL;

/// How the HTTP engine behaves. The defaults suit the LiveChat Web APIs.
///
/// Read the settings through the public fields; build them with the setters of the same
/// names:
///
/// ```
/// use lc_web::{RetryPolicy, WebConfig};
/// use std::time::Duration;
///
/// let config = WebConfig::default()
///     .timeout(Duration::from_secs(5))
///     .retry(RetryPolicy::default().max_attempts(5));
/// assert_eq!(config.timeout, Duration::from_secs(5));
/// assert_eq!(config.retry.max_attempts, 5);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct WebConfig {
    /// How long opening a connection may take (default 10 s).
    pub connect_timeout: Duration,
    /// How long one attempt may take, from sending to the last byte of the response
    /// (default 30 s). Retries get their own time.
    pub timeout: Duration,
    /// How long the token provider may take to give a token, or to take one back
    /// (default 10 s); a call whose provider takes longer fails with
    /// [`Error::Transport`](lc_protocol::Error::Transport) of
    /// [`TransportFailure::Token`](lc_protocol::TransportFailure::Token).
    pub token_timeout: Duration,
    /// When failed requests are sent again (default [`RetryPolicy::default`]).
    pub retry: RetryPolicy,
    /// The `User-Agent` header (default `livechat-rs/<version> (lc-web)`).
    pub user_agent: String,
    /// Which servers `https://` requests trust (default: the Mozilla roots).
    pub tls: Tls,
    /// Whether `https://` requests offer HTTP/2 in the TLS handshake (default on; plain
    /// `http://` always speaks HTTP/1.1). With HTTP/2 the requests to one host share a
    /// connection; off, they speak HTTP/1.1 over a pool of connections, one request at a
    /// time on each, which costs less CPU per request.
    pub http2: bool,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            token_timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
            user_agent: concat!("livechat-rs/", env!("CARGO_PKG_VERSION"), " (lc-web)").to_owned(),
            tls: Tls::default(),
            http2: true,
        }
    }
}

impl WebConfig {
    /// Sets [`connect_timeout`](Self::connect_timeout).
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sets [`timeout`](Self::timeout).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets [`token_timeout`](Self::token_timeout).
    #[must_use]
    pub fn token_timeout(mut self, timeout: Duration) -> Self {
        self.token_timeout = timeout;
        self
    }

    /// Sets [`retry`](Self::retry).
    #[must_use]
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Sets [`user_agent`](Self::user_agent).
    #[must_use]
    pub fn user_agent(mut self, agent: impl Into<String>) -> Self {
        self.user_agent = agent.into();
        self
    }

    /// Sets [`tls`](Self::tls).
    #[must_use]
    pub fn tls(mut self, tls: Tls) -> Self {
        self.tls = tls;
        self
    }

    /// Sets [`http2`](Self::http2).
    #[must_use]
    pub fn http2(mut self, yes: bool) -> Self {
        self.http2 = yes;
        self
    }
}

/// When a failed request is sent again.
///
/// Connection failures, HTTP 5xx, `429 Too Many Requests` and `503 Service Unavailable`
/// are retried with jittered exponential backoff, up to [`max_attempts`] in all. A
/// `Retry-After` header sets the least delay; the backoff's jitter is added on top, so
/// many clients told to wait the same time do not come back at once. A request that
/// is not safe to repeat (a `POST` that changes something) is retried only when the
/// server surely did not act on it (connection refused, 429, 503), unless
/// [`retry_unsafe`](RetryPolicy::retry_unsafe) is set.
///
/// [`max_attempts`]: RetryPolicy::max_attempts
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Attempts in all, the first included (default 4; 0 counts as 1).
    pub max_attempts: u32,
    /// The delays between attempts (default 200 ms doubling up to 10 s, jittered).
    pub backoff: Backoff,
    /// The longest `Retry-After` to wait for (default 60 s); a longer one ends the
    /// request with its error instead.
    pub max_retry_after: Duration,
    /// Whether requests that are not safe to repeat are also retried after they may
    /// have reached the server (timeouts, dropped connections, 500/502/504). Off by
    /// default: such a retry can, say, send a message twice.
    pub retry_unsafe: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            backoff: Backoff::new(Duration::from_millis(200), Duration::from_secs(10)),
            max_retry_after: Duration::from_secs(60),
            retry_unsafe: false,
        }
    }
}

impl RetryPolicy {
    /// Never retry.
    pub fn none() -> Self {
        Self::default().max_attempts(1)
    }

    /// Sets [`max_attempts`](Self::max_attempts).
    #[must_use]
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts;
        self
    }

    /// Sets [`backoff`](Self::backoff).
    #[must_use]
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// Sets [`max_retry_after`](Self::max_retry_after).
    #[must_use]
    pub fn max_retry_after(mut self, max: Duration) -> Self {
        self.max_retry_after = max;
        self
    }

    /// Sets [`retry_unsafe`](Self::retry_unsafe).
    #[must_use]
    pub fn retry_unsafe(mut self, yes: bool) -> Self {
        self.retry_unsafe = yes;
        self
    }
}
