//! What the engine tests share: settings, waiting for stream items, a session for bare
//! WebSocket servers.

use futures_util::StreamExt;
use lc_protocol::id::Token;
use lc_protocol::inbenta::InbentaPush;
use lc_protocol::wire::inbenta::Inbenta;
use lc_protocol::{Api, ApiVersion};
use lc_rtm::{Disconnect, PushStream, RtmConfig, RtmEvent, Session};
use serde_json::value::RawValue;
use std::time::Duration;

/// How long a test waits for something that should happen.
pub(crate) const WAIT: Duration = Duration::from_secs(10);

/// Engine settings with short reconnection delays.
pub(crate) fn config() -> RtmConfig {
    let mut config = RtmConfig::default();
    config.backoff.initial = Duration::from_millis(20);
    config.backoff.max = Duration::from_millis(200);
    config
}

/// The next item of `events` matching `accept`, or a panic after [`WAIT`].
pub(crate) async fn next<P: Clone + Send + 'static + std::fmt::Debug>(
    events: &mut PushStream<P>,
    what: &str,
    accept: impl Fn(&RtmEvent<P>) -> bool,
) -> RtmEvent<P> {
    tokio::time::timeout(WAIT, async {
        loop {
            let event = events
                .next()
                .await
                .unwrap_or_else(|| panic!("stream ended before {what}"));
            if accept(&event) {
                return event;
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no {what}"))
}

/// Waits for the next `Connected` item.
pub(crate) async fn connected<P: Clone + Send + 'static + std::fmt::Debug>(
    events: &mut PushStream<P>,
    what: &str,
) {
    next(events, what, |e| matches!(e, RtmEvent::Connected)).await;
}

/// Authenticates with a header when the socket opens; no login, no ping request.
pub(crate) struct HeaderSession {
    pub(crate) url: String,
    pub(crate) dialect: Inbenta<InbentaPush>,
}

impl Session for HeaderSession {
    type Dialect = Inbenta<InbentaPush>;

    fn dialect(&self) -> &Self::Dialect {
        &self.dialect
    }

    fn api(&self) -> Api {
        Api::Inbenta
    }

    fn version(&self) -> ApiVersion {
        ApiVersion::default()
    }

    fn url(&self, _region: Option<&str>) -> String {
        self.url.clone()
    }

    fn login(&self, _token: &Token, _reconnect: bool) -> Option<(String, Box<RawValue>)> {
        None
    }

    fn upgrade_headers(&self, token: &Token) -> Vec<(&'static str, String)> {
        vec![("x-test-token", token.expose().to_owned())]
    }

    fn ping(&self) -> Option<(String, Box<RawValue>)> {
        None
    }

    fn disconnect(&self, _push: &InbentaPush) -> Option<Disconnect> {
        None
    }
}
