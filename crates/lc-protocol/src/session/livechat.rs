//! [`LiveChatSession`]: how to reach and log in to the LiveChat Agent and Customer Chat
//! APIs, over RTM and over Web alike.

use super::rules::{Disconnect, Session};
use crate::action::Api;
use crate::auth::{authorization, region_of};
use crate::generated::agent_pushes::AgentPush;
use crate::generated::customer_pushes::CustomerPush;
use crate::id::Token;
use crate::push::PushSet;
use crate::version::ApiVersion;
use crate::wire::livechat::LiveChat;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// The base URL of the real service.
pub const DEFAULT_BASE_URL: &str = "https://api.livechatinc.com";

/// The real service's host for the `fra` region (RTM).
const FRA_BASE_URL: &str = "https://api-fra.livechatinc.com";

/// How to reach and log in to a LiveChat API, for agents (`P` = [`AgentPush`]) or
/// customers (`P` = [`CustomerPush`]): the one addressing value of both engines. The RTM
/// engine connects to `ws[s]://{host}/v{version}/{agent|customer}/rtm/ws`, the Web client
/// sends to `http[s]://{host}/v{version}/{agent|customer}/action/{name}`.
///
/// Read its settings through the public fields; build it with the setters of the same
/// names:
///
/// ```
/// use lc_protocol::ApiVersion;
/// use lc_protocol::session::AgentSession;
///
/// let session = AgentSession::agent()
///     .base_url("http://127.0.0.1:8080")
///     .version(ApiVersion::V3_5)
///     .region("fra");
/// assert_eq!(session.base_url, "http://127.0.0.1:8080");
/// assert_eq!(session.region.as_deref(), Some("fra"));
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub struct LiveChatSession<P> {
    /// The scheme, host and port of the service, without a trailing slash (default
    /// [`DEFAULT_BASE_URL`]). Either scheme of a pair does for both engines: `https://`
    /// and `wss://` mean TLS (RTM connects with `wss://`, Web with `https://`), `http://`
    /// and `ws://` plaintext, for a local server such as lc-sandbox.
    pub base_url: String,
    /// The API version (default 3.6).
    pub version: ApiVersion,
    /// The organization id: required for customers (sent with every connection and
    /// request); optional for agents.
    pub organization_id: Option<String>,
    /// The region (`dal` or `fra`); by default taken from the token's prefix. RTM
    /// connects to that region's host of the real service; Web sends it as `X-Region`.
    pub region: Option<String>,
    /// Act as this bot with an agent token (API 3.5 and older): Web sends it as
    /// `X-Author-Id`.
    pub author_id: Option<String>,
    api: Api,
    login: Map<String, Value>,
    dialect: LiveChat<P>,
}

impl<P> Clone for LiveChatSession<P> {
    fn clone(&self) -> Self {
        Self {
            base_url: self.base_url.clone(),
            version: self.version,
            organization_id: self.organization_id.clone(),
            region: self.region.clone(),
            author_id: self.author_id.clone(),
            api: self.api,
            login: self.login.clone(),
            dialect: LiveChat::new(),
        }
    }
}

/// An agent session.
pub type AgentSession = LiveChatSession<AgentPush>;
/// A customer session.
pub type CustomerSession = LiveChatSession<CustomerPush>;
/// A Configuration API session: Web only (it has no RTM connection, so it cannot be given
/// to the RTM engine), with agent, personal access or bot tokens.
pub type ConfigurationSession = LiveChatSession<NoPushes>;

/// The pushes of an API that has none (the Configuration API): no value exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoPushes {}

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

impl ConfigurationSession {
    /// A Configuration API session against the real service, API 3.6: the Web client
    /// sends to `https://api.livechatinc.com/v3.6/configuration/action/{name}`.
    ///
    /// ```
    /// use lc_protocol::session::ConfigurationSession;
    ///
    /// let session = ConfigurationSession::configuration().base_url("http://127.0.0.1:8080");
    /// assert_eq!(
    ///     session.web_url("list_bots"),
    ///     "http://127.0.0.1:8080/v3.6/configuration/action/list_bots"
    /// );
    /// ```
    pub fn configuration() -> Self {
        Self::new(Api::Configuration)
    }
}

impl<P> LiveChatSession<P> {
    fn new(api: Api) -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.to_owned(),
            version: ApiVersion::default(),
            organization_id: None,
            region: None,
            author_id: None,
            api,
            login: Map::new(),
            dialect: LiveChat::new(),
        }
    }

    /// Sets [`base_url`](Self::base_url) (a trailing slash is dropped).
    #[must_use]
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into().trim_end_matches('/').to_owned();
        self
    }

    /// Sets [`version`](Self::version).
    #[must_use]
    pub fn version(mut self, version: ApiVersion) -> Self {
        self.version = version;
        self
    }

    /// Sets [`organization_id`](Self::organization_id).
    #[must_use]
    pub fn organization_id(mut self, id: impl Into<String>) -> Self {
        self.organization_id = Some(id.into());
        self
    }

    /// Sets [`region`](Self::region).
    #[must_use]
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// Sets [`author_id`](Self::author_id).
    #[must_use]
    pub fn author_id(mut self, id: impl Into<String>) -> Self {
        self.author_id = Some(id.into());
        self
    }

    /// An extra login field sent on every RTM login (e.g. `pushes`, `away`, `customer`).
    #[must_use]
    pub fn login_field(mut self, name: &str, value: Value) -> Self {
        self.login.insert(name.to_owned(), value);
        self
    }

    /// The API: agent, customer or configuration.
    pub fn api(&self) -> Api {
        self.api
    }

    /// The URL of Web action `action` (`http[s]://{host}/v{version}/{api}/action/{action}`),
    /// without a query.
    pub fn web_url(&self, action: &str) -> String {
        let base = with_scheme(self.base_url.trim_end_matches('/'), "http", "https");
        format!("{base}/v{}/{}/action/{action}", self.version, self.api)
    }

    /// The RTM URL for `region` (`ws[s]://{host}/v{version}/{api}/rtm/ws`, with the
    /// organization in the query).
    fn rtm_url(&self, region: Option<&str>) -> String {
        let base = self.base_url.trim_end_matches('/');
        let base = match region.or(self.region.as_deref()) {
            Some("fra") if is_real_service(base) => FRA_BASE_URL,
            _ => base,
        };
        let mut url = format!(
            "{}/v{}/{}/rtm/ws",
            with_scheme(base, "ws", "wss"),
            self.version,
            self.api
        );
        if let Some(org) = &self.organization_id {
            url.push_str("?organization_id=");
            url.push_str(org);
        }
        url
    }
}

/// Whether `base` is the real service's default host, in either scheme.
fn is_real_service(base: &str) -> bool {
    base == DEFAULT_BASE_URL || base == "wss://api.livechatinc.com"
}

/// `url` with its scheme replaced by `plain` or `secure`, keeping whether it uses TLS;
/// unchanged when it has none of `http`, `https`, `ws`, `wss`.
fn with_scheme(url: &str, plain: &str, secure: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match scheme.to_ascii_lowercase().as_str() {
        "https" | "wss" => format!("{secure}://{rest}"),
        "http" | "ws" => format!("{plain}://{rest}"),
        _ => url.to_owned(),
    }
}

/// The pushes of a LiveChat API ([`AgentPush`], [`CustomerPush`]), which say when the
/// server closes the connection and why.
pub trait LiveChatPush: PushSet {
    /// What this push means for the connection: the decision for an `agent_disconnected`
    /// or `customer_disconnected` push (see the reasons'
    /// [`policy`](crate::types::AgentDisconnectReason::policy)), `None` for the others.
    fn disconnect(&self) -> Option<Disconnect>;
}

impl LiveChatPush for AgentPush {
    fn disconnect(&self) -> Option<Disconnect> {
        let AgentPush::AgentDisconnected(push) = self else {
            return None;
        };
        let data = push.data.as_ref();
        Some(push.reason.policy().decide(
            push.reason.as_str(),
            data.and_then(|d| d.region.as_deref()),
            data.and_then(|d| d.timeout.as_ref()),
        ))
    }
}

impl LiveChatPush for CustomerPush {
    fn disconnect(&self) -> Option<Disconnect> {
        let CustomerPush::CustomerDisconnected(push) = self else {
            return None;
        };
        let data = push.data.as_ref();
        Some(push.reason.policy().decide(
            push.reason.as_str(),
            data.and_then(|d| d.region.as_deref()),
            data.and_then(|d| d.timeout.as_ref()),
        ))
    }
}

impl<P: LiveChatPush> Session for LiveChatSession<P> {
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
        self.rtm_url(region)
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
        Some(("ping".to_owned(), crate::wire::empty_object()))
    }

    fn disconnect(&self, push: &P) -> Option<Disconnect> {
        push.disconnect()
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
        assert_eq!(
            agent.web_url("list_chats"),
            "http://127.0.0.1:9/v3.5/agent/action/list_chats"
        );
        let customer = CustomerSession::customer("org-1");
        assert_eq!(
            customer.url(None),
            "wss://api.livechatinc.com/v3.6/customer/rtm/ws?organization_id=org-1"
        );
        assert_eq!(
            customer.url(Some("fra")),
            "wss://api-fra.livechatinc.com/v3.6/customer/rtm/ws?organization_id=org-1"
        );
        assert_eq!(
            customer.web_url("get_form"),
            "https://api.livechatinc.com/v3.6/customer/action/get_form"
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
    fn regions_come_from_token_prefixes() {
        assert_eq!(region_of("Bearer fra:xyz"), Some("fra"));
        assert_eq!(region_of("dal:xyz"), Some("dal"));
        assert_eq!(region_of("plain"), None);
    }

    fn agent(payload: &str) -> Option<Disconnect> {
        let push = AgentPush::decode("agent_disconnected", payload).unwrap();
        AgentSession::agent().disconnect(&push)
    }

    fn customer(payload: &str) -> Option<Disconnect> {
        let push = CustomerPush::decode("customer_disconnected", payload).unwrap();
        CustomerSession::customer("o").disconnect(&push)
    }

    #[test]
    fn disconnect_reasons_decide_between_reconnect_switch_and_stop() {
        let reason = |r: &str| r.to_owned();
        assert_eq!(
            agent(r#"{"reason":"connection_timeout"}"#),
            Some(Disconnect::Reconnect {
                reason: reason("connection_timeout")
            })
        );
        assert_eq!(
            agent(r#"{"reason":"agent_logged_out_remotely"}"#),
            Some(Disconnect::Stop {
                reason: reason("agent_logged_out_remotely")
            })
        );
        assert_eq!(
            customer(r#"{"reason":"misdirected_connection","data":{"region":"fra"}}"#),
            Some(Disconnect::SwitchRegion {
                reason: reason("misdirected_connection"),
                region: reason("fra")
            })
        );
        assert_eq!(
            customer(r#"{"reason":"misdirected_connection"}"#),
            Some(Disconnect::Stop {
                reason: reason("misdirected_connection")
            })
        );
        assert_eq!(
            customer(r#"{"reason":"access_token_revoked"}"#),
            Some(Disconnect::RenewToken {
                reason: reason("access_token_revoked")
            })
        );
        assert_eq!(
            agent(r#"{"reason":"access_token_expired"}"#),
            Some(Disconnect::RenewToken {
                reason: reason("access_token_expired")
            })
        );
        // An agent whose token was revoked stays out.
        assert_eq!(
            agent(r#"{"reason":"access_token_revoked"}"#),
            Some(Disconnect::Stop {
                reason: reason("access_token_revoked")
            })
        );
        // Reasons this crate does not know stop.
        assert_eq!(
            agent(r#"{"reason":"brand_new"}"#),
            Some(Disconnect::Stop {
                reason: reason("brand_new")
            })
        );
        let other = AgentPush::decode("incoming_multicast", r#"{"content":{}}"#).unwrap();
        assert_eq!(AgentSession::agent().disconnect(&other), None);
    }

    #[test]
    fn waits_the_server_gives_are_kept_and_nonsense_is_ignored() {
        assert_eq!(
            customer(r#"{"reason":"customer_temporarily_blocked","data":{"timeout":"2.5"}}"#),
            Some(Disconnect::ReconnectAfter {
                reason: "customer_temporarily_blocked".into(),
                at_least: std::time::Duration::from_millis(2500)
            })
        );
        assert_eq!(
            customer(r#"{"reason":"customer_temporarily_blocked","data":{"timeout":-3}}"#),
            Some(Disconnect::Reconnect {
                reason: "customer_temporarily_blocked".into()
            })
        );
        assert_eq!(
            agent(r#"{"reason":"internal_error","data":{"timeout":1}}"#),
            Some(Disconnect::ReconnectAfter {
                reason: "internal_error".into(),
                at_least: std::time::Duration::from_secs(1)
            })
        );
    }
}
