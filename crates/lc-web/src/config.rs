//! Engine settings: where to send requests, timeouts, retries, TLS.

use lc_protocol::ApiVersion;
use lc_protocol::backoff::Backoff;
use std::sync::Arc;
use std::time::Duration;

/// The LiveChat API host.
pub const DEFAULT_BASE_URL: &str = "https://api.livechatinc.com";

/// How the HTTP engine behaves. The defaults suit the LiveChat Web APIs.
///
/// ```
/// use lc_web::{RetryPolicy, WebConfig};
/// use std::time::Duration;
///
/// let config = WebConfig::default()
///     .base_url("http://127.0.0.1:8080")
///     .timeout(Duration::from_secs(5))
///     .retry(RetryPolicy::default().max_attempts(5));
/// assert_eq!(config.get_base_url(), "http://127.0.0.1:8080");
/// ```
#[derive(Clone)]
pub struct WebConfig {
    pub(crate) base_url: String,
    pub(crate) version: ApiVersion,
    pub(crate) region: Option<String>,
    pub(crate) connect_timeout: Duration,
    pub(crate) timeout: Duration,
    pub(crate) token_timeout: Duration,
    pub(crate) retry: RetryPolicy,
    pub(crate) author_id: Option<String>,
    pub(crate) user_agent: String,
    pub(crate) tls: Option<Arc<rustls::ClientConfig>>,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.to_owned(),
            version: ApiVersion::V3_6,
            region: None,
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            token_timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
            author_id: None,
            user_agent: concat!("livechat-rs/", env!("CARGO_PKG_VERSION"), " (lc-web)").to_owned(),
            tls: None,
        }
    }
}

impl std::fmt::Debug for WebConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebConfig")
            .field("base_url", &self.base_url)
            .field("version", &self.version)
            .field("region", &self.region)
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("token_timeout", &self.token_timeout)
            .field("retry", &self.retry)
            .field("author_id", &self.author_id)
            .field("user_agent", &self.user_agent)
            .field("custom_tls", &self.tls.is_some())
            .finish()
    }
}

impl WebConfig {
    /// The scheme and host requests go to, without a trailing slash (default
    /// [`DEFAULT_BASE_URL`]); `http://` is allowed for local servers.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into().trim_end_matches('/').to_owned();
        self
    }

    /// The API version in the URL (default 3.6).
    pub fn version(mut self, version: ApiVersion) -> Self {
        self.version = version;
        self
    }

    /// The region sent as `X-Region` (`dal`, `fra`); by default the token's prefix.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// How long opening a connection may take (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long one attempt may take, from sending to the last byte of the response
    /// (default 30 s). Retries get their own time.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How long the token provider may take to give a token, or to take one back
    /// (default 10 s); a call whose provider takes longer fails with
    /// [`Error::Transport`](lc_protocol::Error::Transport) of
    /// [`TransportFailure::Token`](lc_protocol::TransportFailure::Token).
    pub fn token_timeout(mut self, timeout: Duration) -> Self {
        self.token_timeout = timeout;
        self
    }

    /// When failed requests are sent again (default [`RetryPolicy::default`]).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Acts as this bot with an agent token (`X-Author-Id`, API 3.5 and older only).
    pub fn author_id(mut self, id: impl Into<String>) -> Self {
        self.author_id = Some(id.into());
        self
    }

    /// The `User-Agent` header (default `livechat-rs/<version> (lc-web)`).
    pub fn user_agent(mut self, agent: impl Into<String>) -> Self {
        self.user_agent = agent.into();
        self
    }

    /// TLS settings, e.g. to trust a private root; by default the Mozilla roots with
    /// the `ring` provider. Verification stays on either way.
    pub fn tls_config(mut self, config: Arc<rustls::ClientConfig>) -> Self {
        self.tls = Some(config);
        self
    }

    /// The base URL.
    pub fn get_base_url(&self) -> &str {
        &self.base_url
    }

    /// The API version.
    pub fn get_version(&self) -> ApiVersion {
        self.version
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
pub struct RetryPolicy {
    pub(crate) max_attempts: u32,
    pub(crate) backoff: Backoff,
    pub(crate) max_retry_after: Duration,
    pub(crate) retry_unsafe: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            backoff: Backoff {
                initial: Duration::from_millis(200),
                max: Duration::from_secs(10),
            },
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

    /// Attempts in all, the first included (default 4; 0 counts as 1).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The delays between attempts (default 200 ms doubling up to 10 s, jittered).
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// The longest `Retry-After` to wait for (default 60 s); a longer one ends the
    /// request with its error instead.
    pub fn max_retry_after(mut self, max: Duration) -> Self {
        self.max_retry_after = max;
        self
    }

    /// Also retries requests that are not safe to repeat after they may have reached
    /// the server (timeouts, dropped connections, 500/502/504). Off by default: such a
    /// retry can, say, send a message twice.
    pub fn retry_unsafe(mut self, yes: bool) -> Self {
        self.retry_unsafe = yes;
        self
    }
}
