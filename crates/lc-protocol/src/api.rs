//! Which API a request belongs to, and how it travels.

use std::fmt;

/// Which API an action or push belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Api {
    /// The LiveChat Agent Chat API.
    Agent,
    /// The LiveChat Customer Chat API.
    Customer,
    /// The Inbenta Agent Chat client API.
    Inbenta,
    /// The LiveChat Configuration API (bots, webhooks, groups, agents; Web only).
    Configuration,
}

impl Api {
    /// Lower-case name, as in URLs (`agent`, `customer`, `inbenta`, `configuration`).
    pub fn as_str(self) -> &'static str {
        match self {
            Api::Agent => "agent",
            Api::Customer => "customer",
            Api::Inbenta => "inbenta",
            Api::Configuration => "configuration",
        }
    }
}

impl fmt::Display for Api {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a request travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransportKind {
    /// The WebSocket (real-time messaging) transport.
    Rtm,
    /// The HTTP (Web API) transport.
    Web,
}

impl fmt::Display for TransportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TransportKind::Rtm => "RTM",
            TransportKind::Web => "Web",
        })
    }
}
