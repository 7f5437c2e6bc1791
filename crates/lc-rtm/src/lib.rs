//! The WebSocket (RTM) engine of livechat-rs: one engine for every dialect (LiveChat
//! agent, LiveChat customer, Inbenta), implementing [`lc_protocol::Transport`].
//!
//! - many requests in flight on one connection, correlated by request id; at most
//!   [`RtmConfig::max_pending`] at once (the heartbeat and requests the caller stopped
//!   waiting for included), the rest queued (not failed) up to [`RtmConfig::max_queued`];
//! - a per-request timeout; every request ends with its response, the API error, a
//!   timeout, `Decode` (an unreadable response), `ConnectionLost` (in flight when the
//!   socket died), `QueueFull`, `Closed` or why the engine stopped for good;
//! - bounded writes, messages, token-provider calls: a peer that stops reading or a
//!   provider that hangs cannot stall the engine;
//! - a heartbeat (`ping` every 15 s, or a WebSocket ping for APIs without a ping
//!   request) that declares a silent connection dead;
//! - reconnection with jittered exponential backoff (started again only after a stable
//!   connection), a fresh token from your [`TokenProvider`] and the same login options
//!   on every login; refused handshakes stop the engine (403, 404) or renew the token
//!   (401);
//! - disconnect pushes decide between reconnecting, switching region and stopping;
//! - pushes as [`PushStream`]s that many subscribers hold at once, with lifecycle items
//!   and a count of what a slow subscriber missed.
//! - [`RtmClient::status`] ([`RtmStatus`]) and [`RtmClient::latency`], read at any time
//!   without waiting.
//!
//! Requests made together (a `join_all`, several tasks) leave in one write; a lone
//! request leaves at once. A response is read by the engine's task and handed to the
//! caller's: called from a task spawned on the runtime, that hand-over stays on one
//! worker thread; called from `block_on`'s own future (the body of `#[tokio::main]`),
//! which runs outside the runtime's workers, every response wakes another thread.
//!
//! Settings are an [`RtmConfig`] (public fields, setters of the same names), TLS
//! included ([`Tls`]); where to connect and how to log in is the session
//! ([`AgentSession`], [`CustomerSession`], or any [`Session`]).
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
mod status;

pub use client::{PushStream, RtmClient};
pub use config::RtmConfig;
pub use event::RtmEvent;
pub use lc_protocol::Tls;
pub use lc_protocol::auth::{TokenFn, TokenProvider, region_of, token_fn};
pub use lc_protocol::backoff::Backoff;
pub use lc_protocol::session::{
    AgentSession, CustomerSession, DEFAULT_BASE_URL, Disconnect, LiveChatSession, Session,
};
pub use status::RtmStatus;
