//! What subscribers receive: pushes and connection lifecycle items.

use std::time::Duration;

/// One item of a push stream.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum RtmEvent<P> {
    /// The login succeeded, with the server's login response (e.g. the customer and its
    /// chats); [`Connected`](RtmEvent::Connected) follows at once. APIs without a login
    /// request go straight to `Connected`.
    LoggedIn {
        /// The payload of the login response, as received.
        response: Box<serde_json::value::RawValue>,
    },
    /// The connection is open and logged in (again).
    Connected,
    /// The connection was lost or closed by the server.
    Disconnected {
        /// Why (a server reason such as `connection_timeout`, or what failed).
        reason: String,
    },
    /// A new connection will be attempted after `delay`.
    Reconnecting {
        /// The attempt number, from 1.
        attempt: u32,
        /// The wait before it.
        delay: Duration,
    },
    /// The engine stopped for good (closed, or a fatal disconnect reason).
    Stopped {
        /// Why.
        reason: String,
    },
    /// A push.
    Push {
        /// The push.
        push: P,
        /// The request that caused it, when it was ours.
        request_id: Option<String>,
    },
    /// A push this client missed while it was disconnected (or while it fell behind),
    /// rebuilt from the server's state once connected again: the role clients (e.g.
    /// `AgentClient::pushes`) catch up after every reconnection and give each missed
    /// event once, in order. The engine's own streams never carry it.
    Recovered {
        /// The push, as the server would have sent it.
        push: P,
    },
    /// This subscriber fell behind and missed this many items.
    Missed(u64),
}
