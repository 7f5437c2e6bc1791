//! The WebSocket (RTM) engine of livechat-rs: one engine for every dialect (LiveChat
//! agent, LiveChat customer, Inbenta), implementing [`lc_protocol::Transport`].
//!
//! - many requests in flight on one connection, correlated by request id; at most
//!   [`RtmConfig::max_pending`] at once, the rest queued (not failed);
//! - a per-request timeout; every request ends with its response, the API error, a
//!   timeout, `ConnectionLost` (in flight when the socket died) or `Closed`;
//! - a heartbeat (`ping` every 15 s, or a WebSocket ping for APIs without a ping
//!   request) that declares a silent connection dead;
//! - reconnection with jittered exponential backoff, a fresh token from your
//!   [`TokenProvider`] and the same login options on every login;
//! - disconnect pushes decide between reconnecting, switching region and stopping;
//! - pushes as [`PushStream`]s that many subscribers hold at once, with lifecycle items
//!   and a count of what a slow subscriber missed.
//!
//! ```no_run
//! use futures_util::StreamExt;
//! use lc_protocol::id::Token;
//! use lc_rtm::{AgentSession, RtmClient, RtmConfig, RtmEvent};
//!
//! # async fn demo() -> Result<(), lc_protocol::Error> {
//! let client = RtmClient::connect(AgentSession::agent(), Token::new("dal:..."), RtmConfig::default());
//! let mut events = client.subscribe();
//! while let Some(event) = events.next().await {
//!     if let RtmEvent::Push { push, .. } = event {
//!         println!("{push:?}");
//!     }
//! }
//! # Ok(())
//! # }
//! ```

mod client;
mod config;
mod engine;
mod event;
mod livechat;
mod session;

pub use client::{PushStream, RtmClient, default_connector};
pub use config::RtmConfig;
pub use event::RtmEvent;
pub use lc_protocol::auth::{TokenFn, TokenProvider, region_of, token_fn};
pub use lc_protocol::backoff::Backoff;
pub use livechat::{AgentSession, CustomerSession, DEFAULT_BASE_URL, LiveChatSession};
pub use session::{Disconnect, Session};
pub use tokio_tungstenite::Connector;
