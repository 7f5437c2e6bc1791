//! Types, actions, pushes and wire codecs of the LiveChat Agent Chat API, the LiveChat
//! Customer Chat API and the Inbenta Agent Chat client — with no I/O.
//!
//! Every other crate of livechat-rs stands on this one:
//!
//! - [`agent`], [`customer`], [`inbenta`]: one request struct per action, implementing
//!   [`Action`] (its wire name, its response type, the transports and API versions that
//!   carry it), and the push enums ([`agent::AgentPush`], ...), each with an `Unknown`
//!   fallback. Generated from `spec/` by `cargo xtask codegen`.
//! - [`types`]: chats, threads, events, users, properties, access, ...
//! - [`id`]: typed ids ([`ChatId`](id::ChatId), [`ThreadId`](id::ThreadId), ...).
//! - [`error`]: the API's error object with every error type, frame errors, and the
//!   SDK-wide [`Error`].
//! - [`wire`]: envelope codecs for the LiveChat and Inbenta dialects.
//! - [`session`]: how the engines reach and log in to each API ([`session::AgentSession`],
//!   [`session::CustomerSession`], [`session::InbentaSession`]) and what a server-initiated
//!   disconnect means.
//! - [`Transport`]: what the engines (`lc-rtm`, `lc-web`) implement.
//! - [`listen`]: [`EventStream`] and [`Subscription`], what every client's `events()`,
//!   `on` and `once` return.
//!
//! ```
//! use lc_protocol::{Action, ApiVersion, TransportKind, agent};
//!
//! let request = agent::ListThreads::new("PJ0MRSHTDG").limit(5);
//! assert_eq!(agent::ListThreads::NAME, "list_threads");
//! assert_eq!(
//!     serde_json::to_string(&request).unwrap(),
//!     r#"{"chat_id":"PJ0MRSHTDG","limit":5}"#
//! );
//! assert!(agent::ListThreads::META.carried_by(TransportKind::Web));
//! assert!(agent::ListThreads::META.available_in(ApiVersion::V3_6));
//! ```

mod macros;

pub mod action;
mod api;
pub mod auth;
pub mod backoff;
pub mod call;
mod de;
pub mod error;
pub mod fanout;
mod generated;
pub mod id;
pub mod listen;
pub mod percent;
pub mod push;
pub mod recovery;
mod requests;
pub mod send_once;
pub mod session;
pub mod tls;
pub mod transport;
pub mod types;
pub mod version;
pub mod webhook;
pub mod wire;

pub use action::{Action, ActionMeta, Api, Empty, HttpMethod, PushMeta, TransportKind};
pub use call::{Call, Dispatch};
pub use error::{ApiError, Applied, Error, ErrorKind, ErrorType, FrameError, TransportFailure};
pub use listen::{EventSource, EventStream, Subscription};
pub use push::{PushPayload, PushSet};
pub use send_once::{CreatesEvent, SendOnce};
pub use session::{Disconnect, Session};
pub use tls::Tls;
pub use transport::{CallOptions, RawRequest, RtmTransport, Transport, WebTransport};
pub use version::{ApiVersion, VersionRange};

/// Lookups of action and push metadata by API and wire name.
pub mod meta {
    pub use crate::generated::meta::*;
}

/// The Agent Chat API: every action (RTM and Web) and every push.
pub mod agent {
    pub use crate::generated::agent::*;
    pub use crate::generated::agent_pushes::AgentPush;

    /// The payloads of the agent pushes.
    pub mod push {
        pub use crate::generated::agent_pushes::*;
    }
}

/// The Customer Chat API: every action (RTM and Web) and every push.
pub mod customer {
    pub use crate::generated::customer::*;
    pub use crate::generated::customer_pushes::CustomerPush;

    /// The payloads of the customer pushes.
    pub mod push {
        pub use crate::generated::customer_pushes::*;
    }
}

/// The Inbenta Agent Chat client: client events (requests with replies) and chat events.
pub mod inbenta {
    pub use crate::generated::inbenta::*;
}

/// The LiveChat Configuration API, the part bots and webhooks need: bots and bot tokens,
/// webhook registrations, groups and agents.
pub mod configuration {
    pub use crate::generated::configuration::*;
}
