//! Sessions: what a WebSocket engine needs to know about one API — where to connect, how
//! to log in, how to keep the connection alive, and what a server-initiated disconnect
//! means — beside the wire dialect they speak.
//!
//! - [`Session`]: the rules of one API over RTM, and [`Disconnect`], what to do when the
//!   server closes a connection;
//! - [`LiveChatSession`] ([`AgentSession`], [`CustomerSession`]): how to reach and log in
//!   to the LiveChat Agent and Customer Chat APIs; the same value addresses the Web API;
//!   [`ConfigurationSession`] addresses the Configuration API (Web only);
//! - [`InbentaSession`]: the Inbenta realtime channel.

mod inbenta;
mod livechat;
mod reasons;
mod rules;

pub use inbenta::InbentaSession;
pub use livechat::{
    AgentSession, ConfigurationSession, CustomerSession, DEFAULT_BASE_URL, LiveChatPush,
    LiveChatSession, NoPushes,
};
pub use reasons::DisconnectPolicy;
pub use rules::{Disconnect, Session};
