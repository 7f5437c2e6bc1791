//! # livechat
//!
//! A Rust SDK for the LiveChat **Agent Chat API** (RTM over WebSocket and Web over HTTPS),
//! the **Customer Chat API** (everything the JS customer SDK offers) and the **Inbenta
//! Agent Chat** client, typed end to end — with **lc-sandbox**, a local server speaking
//! the same protocols, so that a bot runs and is tested without an account.
//!
//! This crate is the front door: one dependency, the role clients behind features, and a
//! [`prelude`]. The `lc-*` crates it re-exports stay available for those who pick and
//! choose.
//!
//! | feature | default | what it brings |
//! |---|---|---|
//! | `agent` | yes | `agent::AgentClient`: the Agent Chat API over RTM and Web |
//! | `customer` | yes | `customer::CustomerClient`: the Customer Chat API |
//! | `inbenta` | no | `inbenta`: the Inbenta Agent Chat client and chat object |
//! | `sandbox` | no | `sandbox::Sandbox`: the local server, embedded |
//! | `configuration` | no | `configuration::ConfigurationClient`: bots, bot tokens, webhook registrations, groups and agents |
//! | `webhooks` | no | `webhooks::WebhookReceiver`: receives LiveChat webhooks |
//! | `webhooks-axum` | no | `WebhookReceiver::into_router`: the receiver as an axum `Router` |
//! | `accounts` | no | `accounts`: agent OAuth, customer and bot tokens that refresh themselves |
//! | `dispatch` | no | `dispatch::Dispatcher`: each chat's events in order and once, chats at once, retries |
//! | `dispatch-redis` | no | `dispatch::RedisStore`: replicas of a bot share chats through Redis |
//! | `full` | no | all of the above |
//!
#![cfg_attr(
    all(feature = "agent", feature = "customer", feature = "sandbox"),
    doc = include_str!("../front_page.md")
)]
//!
//! ## Where things are
//!
//! - `agent`, `customer`, `inbenta`: the role clients, their configuration, the
//!   requests and pushes of their API.
//! - [`types`], [`id`]: the data structures (chats, threads, events, users, properties)
//!   and typed ids shared by the APIs.
//! - [`Error`]: one error type for every call; [`Error::kind`], [`Error::is_transient`]
//!   and [`Error::applied`] say what to do with it.
//! - [`rtm`], [`web`]: the WebSocket and HTTP engines and their settings.
//! - `sandbox`: the local server; `accounts`: tokens that refresh themselves;
//!   `configuration`: bots and webhook registrations; `webhooks`: the webhook receiver;
//!   `dispatch`: each chat's events in order and once, in one process or across replicas.
//!
//! ## When the network misbehaves
//!
//! Messages are sent exactly once ([`SendOnce`]) and pushes missed while a connection
//! was down are recovered after it comes back; see the reliability notes in the
//! repository (`docs/reliability.md`).

pub mod prelude;

pub use lc_protocol::{
    ApiError, ApiVersion, Applied, Call, Error, ErrorKind, ErrorType, EventStream, SendOnce,
    Subscription, Transport, TransportFailure,
};
pub use lc_protocol::{auth, id, types, webhook};

/// Tokens that refresh themselves: [`AgentOAuth`](accounts::AgentOAuth) (agent tokens
/// from an OAuth refresh token), [`CustomerTokens`](accounts::CustomerTokens) and
/// [`BotTokens`](accounts::BotTokens), to give to the RTM and Web clients.
#[cfg(feature = "accounts")]
pub mod accounts {
    pub use lc_accounts::*;
}

/// The Agent Chat API: [`AgentClient`](agent::AgentClient), its RTM session, the requests
/// (`agent::ListChats`, ...) and the pushes (`agent::push::IncomingEvent`, ...).
#[cfg(feature = "agent")]
pub mod agent {
    pub use lc_agent::*;
    pub use lc_protocol::agent::*;
    pub use lc_rtm::AgentSession;
}

/// The Configuration API, the part a bot needs:
/// [`ConfigurationClient`](configuration::ConfigurationClient) (bots, bot tokens, webhook
/// registrations, groups and agents), its session and its requests.
#[cfg(feature = "configuration")]
pub mod configuration {
    pub use lc_configuration::*;
    pub use lc_protocol::configuration::*;
    pub use lc_protocol::session::ConfigurationSession;
}

/// The Customer Chat API: [`CustomerClient`](customer::CustomerClient), its
/// configuration and events, the requests and the pushes.
#[cfg(feature = "customer")]
pub mod customer {
    pub use lc_customer::*;
    pub use lc_protocol::customer::*;
    pub use lc_rtm::CustomerSession;
}

/// Handles events from any source — webhooks, RTM pushes, Inbenta chat pushes — with
/// your async handler: [`Dispatcher`](dispatch::Dispatcher) keeps each chat's events in
/// order and handles each once, chats at once up to a limit; its store is in memory or,
/// for replicas of a bot, on Redis (feature `dispatch-redis`).
#[cfg(feature = "dispatch")]
pub mod dispatch {
    pub use lc_dispatch::*;
}

/// The Inbenta Agent Chat client: the client, the chat object, the client events and
/// chat events.
#[cfg(feature = "inbenta")]
pub mod inbenta {
    pub use lc_inbenta::*;
    pub use lc_protocol::inbenta::*;
}

/// The local LiveChat and Inbenta server: start one in-process for tests and
/// development.
#[cfg(feature = "sandbox")]
pub mod sandbox {
    pub use lc_sandbox::*;
}

/// The webhook receiver: checks each delivery's secret, answers at once, gives every
/// delivery once.
#[cfg(feature = "webhooks")]
pub mod webhooks {
    pub use lc_webhooks::*;
}

/// The WebSocket (RTM) engine: settings, connection events, token providers.
pub mod rtm {
    pub use lc_rtm::*;
}

/// The HTTP engine: settings, retries, uploads.
pub mod web {
    pub use lc_web::*;
}
