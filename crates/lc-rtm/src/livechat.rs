//! The LiveChat Agent and Customer Chat API sessions.

use crate::session::{Disconnect, Session};
use lc_protocol::agent::AgentPush;
use lc_protocol::auth::{authorization, region_of};
use lc_protocol::customer::CustomerPush;
use lc_protocol::id::Token;
use lc_protocol::wire::livechat::LiveChat;
use lc_protocol::{Api, ApiVersion, PushSet};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// The default base URL of the real service.
pub const DEFAULT_BASE_URL: &str = "wss://api.livechatinc.com";

/// How to reach and log in to the LiveChat RTM API, for agents (`P` = [`AgentPush`]) or
/// customers (`P` = [`CustomerPush`]).
#[derive(Debug)]
pub struct LiveChatSession<P> {
    api: Api,
    base_url: String,
    version: ApiVersion,
    organization_id: Option<String>,
    region: Option<String>,
    login: Map<String, Value>,
    dialect: LiveChat<P>,
}

/// An agent session.
pub type AgentSession = LiveChatSession<AgentPush>;
/// A customer session.
pub type CustomerSession = LiveChatSession<CustomerPush>;

impl AgentSession {
    /// An agent session against the real service, API 3.6.
    pub fn agent() -> Self {
        Self::new(Api::Agent)
    }
}

impl CustomerSession {
    /// A customer session of `organization_id` against the real service, API 3.6.
    pub fn customer(organization_id: impl Into<String>) -> Self {
        Self::new(Api::Customer).organization_id(organization_id)
    }
}

impl<P> LiveChatSession<P> {
    fn new(api: Api) -> Self {
        Self {
            api,
            base_url: DEFAULT_BASE_URL.to_owned(),
            version: ApiVersion::default(),
            organization_id: None,
            region: None,
            login: Map::new(),
            dialect: LiveChat::new(),
        }
    }

    /// The base URL (`wss://host[:port]` or `ws://` for a local sandbox).
    #[must_use]
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into().trim_end_matches('/').to_owned();
        self
    }

    /// The API version (default 3.6).
    #[must_use]
    pub fn version(mut self, version: ApiVersion) -> Self {
        self.version = version;
        self
    }

    /// The organization id (required for customers; optional for agents).
    #[must_use]
    pub fn organization_id(mut self, id: impl Into<String>) -> Self {
        self.organization_id = Some(id.into());
        self
    }

    /// The region (`dal` or `fra`); by default taken from the token prefix.
    #[must_use]
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// An extra login field sent on every login (e.g. `pushes`, `away`, `customer`).
    #[must_use]
    pub fn login_field(mut self, name: &str, value: Value) -> Self {
        self.login.insert(name.to_owned(), value);
        self
    }

    fn host_for(&self, region: Option<&str>) -> String {
        match region.or(self.region.as_deref()) {
            Some("fra") if self.base_url == DEFAULT_BASE_URL => {
                "wss://api-fra.livechatinc.com".to_owned()
            }
            _ => self.base_url.clone(),
        }
    }
}

impl<P: PushSet> Session for LiveChatSession<P> {
    type Dialect = LiveChat<P>;

    fn dialect(&self) -> &LiveChat<P> {
        &self.dialect
    }

    fn api(&self) -> Api {
        self.api
    }

    fn version(&self) -> ApiVersion {
        self.version
    }

    fn url(&self, region: Option<&str>) -> String {
        let mut url = format!(
            "{}/v{}/{}/rtm/ws",
            self.host_for(region),
            self.version,
            self.api
        );
        if let Some(org) = &self.organization_id {
            url.push_str("?organization_id=");
            url.push_str(org);
        }
        url
    }

    fn login(&self, token: &Token, reconnect: bool) -> Option<(String, Box<RawValue>)> {
        let mut payload = self.login.clone();
        payload.insert("token".to_owned(), Value::String(authorization(token)));
        if reconnect && self.api == Api::Agent {
            payload.insert("reconnect".to_owned(), Value::Bool(true));
        }
        let raw = serde_json::value::to_raw_value(&payload).ok()?;
        Some(("login".to_owned(), raw))
    }

    fn token_region(&self, token: &Token) -> Option<String> {
        // A region set on the session wins over the token's prefix.
        if self.region.is_some() {
            return None;
        }
        region_of(token.expose()).map(str::to_owned)
    }

    fn ping(&self) -> Option<(String, Box<RawValue>)> {
        Some(("ping".to_owned(), lc_protocol::wire::empty_object()))
    }

    fn disconnect(&self, push: &P) -> Option<Disconnect> {
        if !matches!(push.name(), "agent_disconnected" | "customer_disconnected") {
            return None;
        }
        let payload: Value = serde_json::from_str(push.encode_payload().ok()?.get()).ok()?;
        let reason = payload
            .get("reason")
            .and_then(Value::as_str)
            .unwrap_or("unknown")
            .to_owned();
        let region = payload
            .pointer("/data/region")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let wait = payload.pointer("/data/timeout").and_then(seconds);
        Some(match policy(self.api, reason, region) {
            Disconnect::Reconnect { reason } if wait.is_some() => Disconnect::ReconnectAfter {
                reason,
                at_least: wait.unwrap_or_default(),
            },
            other => other,
        })
    }
}

/// A wait the server gives in `data.timeout` (its format is undocumented): seconds, as a
/// number or a numeric string; nonsense (negative, not a number) is no wait.
fn seconds(value: &Value) -> Option<std::time::Duration> {
    let seconds = match value {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    // At most a day: `try_from_secs_f64` refuses NaN, negatives and overflow.
    std::time::Duration::try_from_secs_f64(seconds.min(86_400.0)).ok()
}

/// What a disconnect reason means (§1.9 of the protocol notes).
fn policy(api: Api, reason: String, region: Option<String>) -> Disconnect {
    if reason == "misdirected_connection" {
        return match region {
            Some(region) => Disconnect::SwitchRegion { reason, region },
            None => Disconnect::Stop { reason },
        };
    }
    let reconnect = match api {
        Api::Agent => matches!(
            reason.as_str(),
            "access_token_expired"
                | "connection_timeout"
                | "internal_error"
                | "too_many_unauthorized_connections"
                | "role_permissions_changed"
        ),
        _ => matches!(
            reason.as_str(),
            "access_token_revoked"
                | "access_token_expired"
                | "connection_evicted"
                | "connection_timeout"
                | "internal_error"
                | "service_temporarily_unavailable"
                | "too_many_unauthorized_connections"
                | "customer_temporarily_blocked"
        ),
    };
    let stale_token = matches!(
        reason.as_str(),
        "access_token_expired" | "access_token_revoked"
    );
    if reconnect && stale_token {
        Disconnect::RenewToken { reason }
    } else if reconnect {
        Disconnect::Reconnect { reason }
    } else {
        Disconnect::Stop { reason }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_follow_the_api_version_and_organization() {
        let agent = AgentSession::agent()
            .base_url("ws://127.0.0.1:9")
            .version(ApiVersion::V3_5);
        assert_eq!(agent.url(None), "ws://127.0.0.1:9/v3.5/agent/rtm/ws");
        let customer = CustomerSession::customer("org-1");
        assert_eq!(
            customer.url(None),
            "wss://api.livechatinc.com/v3.6/customer/rtm/ws?organization_id=org-1"
        );
        assert_eq!(
            customer.url(Some("fra")),
            "wss://api-fra.livechatinc.com/v3.6/customer/rtm/ws?organization_id=org-1"
        );
    }

    #[test]
    fn tokens_get_the_bearer_scheme_and_reconnects_are_flagged() {
        let session = AgentSession::agent().login_field("away", Value::Bool(true));
        let (action, payload) = session.login(&Token::new("dal:abc"), true).unwrap();
        assert_eq!(action, "login");
        let payload: Value = serde_json::from_str(payload.get()).unwrap();
        assert_eq!(payload["token"], "Bearer dal:abc");
        assert_eq!(payload["reconnect"], true);
        assert_eq!(payload["away"], true);
    }

    #[test]
    fn blocked_customers_wait_the_timeout_they_are_given() {
        use std::time::Duration;
        assert_eq!(
            seconds(&serde_json::json!(30)),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            seconds(&serde_json::json!("1.5")),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(seconds(&serde_json::json!(-1)), None);
        assert_eq!(
            seconds(&serde_json::json!(1e300)),
            Some(Duration::from_secs(86_400))
        );
        assert_eq!(seconds(&serde_json::json!({"s": 1})), None);
    }

    #[test]
    fn regions_come_from_token_prefixes() {
        assert_eq!(region_of("Bearer fra:xyz"), Some("fra"));
        assert_eq!(region_of("dal:xyz"), Some("dal"));
        assert_eq!(region_of("plain"), None);
    }

    #[test]
    fn disconnect_reasons_decide_between_reconnect_switch_and_stop() {
        assert_eq!(
            policy(Api::Agent, "connection_timeout".into(), None),
            Disconnect::Reconnect {
                reason: "connection_timeout".into()
            }
        );
        assert_eq!(
            policy(Api::Agent, "agent_logged_out_remotely".into(), None),
            Disconnect::Stop {
                reason: "agent_logged_out_remotely".into()
            }
        );
        assert_eq!(
            policy(
                Api::Customer,
                "misdirected_connection".into(),
                Some("fra".into())
            ),
            Disconnect::SwitchRegion {
                reason: "misdirected_connection".into(),
                region: "fra".into()
            }
        );
        assert_eq!(
            policy(Api::Customer, "access_token_revoked".into(), None),
            Disconnect::RenewToken {
                reason: "access_token_revoked".into()
            }
        );
        assert_eq!(
            policy(Api::Agent, "access_token_expired".into(), None),
            Disconnect::RenewToken {
                reason: "access_token_expired".into()
            }
        );
        // An agent whose token was revoked stays out.
        assert_eq!(
            policy(Api::Agent, "access_token_revoked".into(), None),
            Disconnect::Stop {
                reason: "access_token_revoked".into()
            }
        );
    }
}
