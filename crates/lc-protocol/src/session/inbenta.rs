//! [`InbentaSession`]: the Inbenta realtime channel for the RTM engine.

use super::rules::{Disconnect, Session};
use crate::action::Api;
use crate::generated::inbenta::InbentaPush;
use crate::id::Token;
use crate::version::ApiVersion;
use crate::wire::inbenta::Inbenta;
use serde_json::value::RawValue;

/// How the RTM engine reaches Inbenta's realtime channel (`docs/inbenta-wire.md`): the
/// `/v1/ws` URL of the server, authenticated when the socket opens with the
/// `x-hyper-appid` and `x-hyper-token` headers (the token comes from the engine's token
/// provider on every connection). There is no login request and no ping request: the
/// engine keeps the connection alive with WebSocket pings.
///
/// The app id is also in the query string (`?appId=..`); the token never is, so that
/// URLs in logs and errors carry no secret.
#[derive(Debug)]
pub struct InbentaSession {
    app_id: String,
    ws_url: String,
    dialect: Inbenta<InbentaPush>,
}

impl InbentaSession {
    /// A session of app `app_id` at `ws_url` (`ws[s]://host:port/v1/ws`, e.g. the
    /// `ws_url()` of lc-inbenta's configuration).
    pub fn new(app_id: impl Into<String>, ws_url: impl Into<String>) -> Self {
        Self {
            app_id: app_id.into(),
            ws_url: ws_url.into(),
            dialect: Inbenta::new(),
        }
    }
}

impl Session for InbentaSession {
    type Dialect = Inbenta<InbentaPush>;

    fn dialect(&self) -> &Self::Dialect {
        &self.dialect
    }

    fn api(&self) -> Api {
        Api::Inbenta
    }

    fn version(&self) -> ApiVersion {
        // The Inbenta API has no versions in our tables; any value passes the checks.
        ApiVersion::default()
    }

    fn url(&self, _region: Option<&str>) -> String {
        format!(
            "{}?appId={}",
            self.ws_url,
            crate::percent::encode(&self.app_id)
        )
    }

    fn login(&self, _token: &Token, _reconnect: bool) -> Option<(String, Box<RawValue>)> {
        None
    }

    fn upgrade_headers(&self, token: &Token) -> Vec<(&'static str, String)> {
        vec![
            ("x-hyper-appid", self.app_id.clone()),
            ("x-hyper-token", token.expose().to_owned()),
        ]
    }

    fn ping(&self) -> Option<(String, Box<RawValue>)> {
        None
    }

    fn disconnect(&self, _push: &InbentaPush) -> Option<Disconnect> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_goes_in_headers_and_never_in_the_url() {
        let session = InbentaSession::new("app 1", "ws://127.0.0.1:9/v1/ws");
        assert_eq!(session.url(None), "ws://127.0.0.1:9/v1/ws?appId=app%201");
        let headers = session.upgrade_headers(&Token::new("t-secret"));
        assert_eq!(
            headers,
            vec![
                ("x-hyper-appid", "app 1".to_owned()),
                ("x-hyper-token", "t-secret".to_owned())
            ]
        );
        assert!(session.login(&Token::new("t"), false).is_none());
        assert!(session.ping().is_none());
        assert!(!format!("{session:?}").contains("t-secret"));
    }
}
