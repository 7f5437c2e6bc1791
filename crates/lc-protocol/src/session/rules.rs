//! [`Session`], the rules of one API over RTM, and [`Disconnect`].

use crate::action::Api;
use crate::id::Token;
use crate::version::ApiVersion;
use crate::wire::Dialect;
use serde_json::value::RawValue;

/// The rules of one API over RTM (LiveChat agent, LiveChat customer, Inbenta).
pub trait Session: Send + Sync + 'static {
    /// The wire dialect.
    type Dialect: Dialect;

    /// The dialect value.
    fn dialect(&self) -> &Self::Dialect;

    /// The API spoken (for the `Transport` trait).
    fn api(&self) -> Api;

    /// The API version of the connection (for the `Transport` trait).
    fn version(&self) -> ApiVersion;

    /// The URL to connect to, for `region` when the server asked to switch.
    fn url(&self, region: Option<&str>) -> String;

    /// The login request (action and payload) to send right after connecting, with a
    /// fresh `token`; `reconnect` is true after the first successful login.
    fn login(&self, token: &Token, reconnect: bool) -> Option<(String, Box<RawValue>)>;

    /// The region a token names (e.g. its `fra:` prefix), used when no region was set or
    /// asked for by the server.
    fn token_region(&self, _token: &Token) -> Option<String> {
        None
    }

    /// Extra headers of the WebSocket upgrade request, built with a fresh `token` on
    /// every connection: for APIs that authenticate when the socket opens (Inbenta's
    /// `x-hyper-token`) rather than with a login request. Header values are never logged.
    fn upgrade_headers(&self, _token: &Token) -> Vec<(&'static str, String)> {
        Vec::new()
    }

    /// The heartbeat request, if the API has one. Without one, the engine sends a
    /// WebSocket ping instead and expects its pong.
    fn ping(&self) -> Option<(String, Box<RawValue>)>;

    /// What a push means for the connection: `None` for ordinary pushes.
    fn disconnect(&self, push: &<Self::Dialect as Dialect>::Push) -> Option<Disconnect>;
}

/// What to do after the server announced a disconnect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disconnect {
    /// Connect again (after backoff) and log in again.
    Reconnect {
        /// The reason the server gave.
        reason: String,
    },
    /// Connect again and log in again, but not before `at_least` (e.g.
    /// `customer_temporarily_blocked` with a timeout in `data`); the backoff applies on
    /// top when it is longer.
    ReconnectAfter {
        /// The reason the server gave.
        reason: String,
        /// The least wait the server asked for.
        at_least: std::time::Duration,
    },
    /// The token expired or was revoked: tell the token provider
    /// ([`invalidate`](crate::auth::TokenProvider::invalidate)), then connect again
    /// and log in with a fresh token.
    RenewToken {
        /// The reason the server gave.
        reason: String,
    },
    /// Connect to another region and log in again.
    SwitchRegion {
        /// The reason the server gave.
        reason: String,
        /// The region to use.
        region: String,
    },
    /// Stop for good: reconnecting would not help.
    Stop {
        /// The reason the server gave.
        reason: String,
    },
}
