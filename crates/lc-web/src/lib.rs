//! The HTTP engine of livechat-rs: the LiveChat Web APIs (agent and customer) as a
//! [`lc_protocol::Transport`], and a plain pooled HTTP(S) client for other REST APIs.
//!
//! - [`WebClient`]: addressed by the same session value as the RTM engine
//!   ([`AgentSession`], [`CustomerSession`]), with the engine settings of a [`WebConfig`];
//!   `POST {base}/v{version}/{agent|customer}/action/{name}` (GET with a
//!   query for the GET actions), `Authorization` from a [`TokenProvider`] asked before
//!   every request, `X-Region`, typed API errors with the HTTP status, one retry with a
//!   fresh token after an `authentication` error and one after `misdirected_request` in
//!   the named region, `Legacy`/`Deprecation` headers logged once per action, and
//!   [`upload_file`](WebClient::upload_file) with progress and cancellation.
//! - [`HttpEngine`]: hyper with rustls (`ring`, Mozilla roots, verification always on),
//!   HTTP/1.1 and HTTP/2, connection pooling, connect and request timeouts, and the
//!   [`RetryPolicy`].
//!
//! ```no_run
//! # async fn demo() -> Result<(), lc_protocol::Error> {
//! use lc_protocol::Transport;
//! use lc_protocol::id::Token;
//! use lc_web::{AgentSession, RetryPolicy, WebClient, WebConfig};
//!
//! let config = WebConfig::default().retry(RetryPolicy::default().max_attempts(5));
//! let tokens = Token::basic("account-id", "personal-access-token");
//! let client = WebClient::new(AgentSession::agent(), tokens, config);
//! let statuses = client.call_raw("list_routing_statuses", serde_json::json!({})).await?;
//! println!("{statuses}");
//! # Ok(())
//! # }
//! ```

mod client;
mod config;
mod engine;
mod query;
mod upload;

pub use client::{Uploaded, WebClient};
pub use config::{DEFAULT_BASE_URL, RetryPolicy, WebConfig};
pub use engine::{HttpEngine, HttpRequest, HttpResponse, MAX_RESPONSE_BYTES};
pub use lc_protocol::Tls;
pub use lc_protocol::auth::{TokenProvider, token_fn};
pub use lc_protocol::session::{
    AgentSession, ConfigurationSession, CustomerSession, LiveChatSession,
};
pub use tokio_util::sync::CancellationToken;
pub use upload::{MAX_UPLOAD_BYTES, Upload, guess_content_type};
