//! [`CustomerConfig`]: where to connect and what to log in with.

use lc_protocol::ApiVersion;
use lc_protocol::customer::{LoginCustomer, LoginCustomerPage};
use lc_protocol::id::GroupId;
use lc_rtm::{CustomerSession, RtmConfig};
use lc_web::WebConfig;
use serde_json::Value;
use std::time::Duration;

/// The real service's RTM base URL.
pub const DEFAULT_RTM_URL: &str = lc_rtm::DEFAULT_BASE_URL;
/// The real service's Web base URL.
pub const DEFAULT_WEB_URL: &str = lc_web::DEFAULT_BASE_URL;

/// How a [`CustomerClient`](crate::CustomerClient) connects: the organization, an optional
/// group, region and API version, the base URLs, and the fields sent with every login
/// (the customer's profile and session fields, the page it is on).
///
/// ```
/// use lc_customer::CustomerConfig;
/// use lc_protocol::customer::LoginCustomer;
///
/// let config = CustomerConfig::new("390e44e6-f1e6-0368-c1ba-3b48b1ba6be0")
///     .group(2)
///     .customer(LoginCustomer {
///         name: Some("Jane".into()),
///         ..LoginCustomer::default()
///     })
///     .page("https://example.com/pricing", Some("Pricing"));
/// # let _ = config;
/// ```
#[derive(Debug, Clone)]
pub struct CustomerConfig {
    pub(crate) organization_id: String,
    pub(crate) group: Option<GroupId>,
    pub(crate) region: Option<String>,
    pub(crate) version: ApiVersion,
    pub(crate) rtm_url: String,
    pub(crate) web_url: String,
    pub(crate) customer: Option<LoginCustomer>,
    pub(crate) page: Option<LoginCustomerPage>,
    pub(crate) login_fields: Vec<(String, Value)>,
    pub(crate) rtm: RtmConfig,
    pub(crate) web: WebConfig,
    pub(crate) sneak_peek_interval: Duration,
}

impl CustomerConfig {
    /// A configuration for `organization_id` against the real service, API 3.6.
    pub fn new(organization_id: impl Into<String>) -> Self {
        Self {
            organization_id: organization_id.into(),
            group: None,
            region: None,
            version: ApiVersion::default(),
            rtm_url: DEFAULT_RTM_URL.to_owned(),
            web_url: DEFAULT_WEB_URL.to_owned(),
            customer: None,
            page: None,
            login_fields: Vec::new(),
            rtm: RtmConfig::default(),
            web: WebConfig::default(),
            sneak_peek_interval: Duration::from_secs(2),
        }
    }

    /// The group the customer chats with (sent as the login's `group_id`).
    #[must_use]
    pub fn group(mut self, group: impl Into<GroupId>) -> Self {
        self.group = Some(group.into());
        self
    }

    /// The region (`dal` or `fra`); by default taken from the token's prefix.
    #[must_use]
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// The API version (default 3.6).
    #[must_use]
    pub fn version(mut self, version: ApiVersion) -> Self {
        self.version = version;
        self
    }

    /// The base URLs: `ws(s)://host[:port]` for RTM and `http(s)://host[:port]` for Web
    /// (e.g. a local lc-sandbox's `ws_url()` and `http_url()`).
    #[must_use]
    pub fn base_urls(mut self, rtm: impl Into<String>, web: impl Into<String>) -> Self {
        self.rtm_url = rtm.into();
        self.web_url = web.into();
        self
    }

    /// The customer's profile and session fields, sent with every login.
    #[must_use]
    pub fn customer(mut self, customer: LoginCustomer) -> Self {
        self.customer = Some(customer);
        self
    }

    /// The page the customer is on, sent with every login.
    #[must_use]
    pub fn page(mut self, url: impl Into<String>, title: Option<&str>) -> Self {
        self.page = Some(LoginCustomerPage {
            url: url.into(),
            title: title.map(str::to_owned),
        });
        self
    }

    /// Any other field of the `login` request, sent with every login (e.g. `referrer`,
    /// `is_mobile`, `application`, `customer_side_storage`).
    #[must_use]
    pub fn login_field(mut self, name: impl Into<String>, value: Value) -> Self {
        self.login_fields.push((name.into(), value));
        self
    }

    /// Settings of the RTM engine (timeouts, heartbeat, backoff).
    #[must_use]
    pub fn rtm_config(mut self, config: RtmConfig) -> Self {
        self.rtm = config;
        self
    }

    /// Settings of the HTTP engine (timeouts, retries, TLS).
    #[must_use]
    pub fn web_config(mut self, config: WebConfig) -> Self {
        self.web = config;
        self
    }

    /// The shortest time between two sneak peeks of a chat (default 2 s, as in customer-sdk).
    #[must_use]
    pub fn sneak_peek_interval(mut self, interval: Duration) -> Self {
        self.sneak_peek_interval = interval;
        self
    }

    /// The RTM session: URL, version, organization, region and login fields.
    pub(crate) fn session(&self) -> CustomerSession {
        let mut session = CustomerSession::customer(&self.organization_id)
            .base_url(&self.rtm_url)
            .version(self.version);
        if let Some(region) = &self.region {
            session = session.region(region);
        }
        if let Some(group) = self.group {
            session = session.login_field("group_id", Value::from(group.0));
        }
        if let Some(value) = self.customer.as_ref().and_then(to_value) {
            session = session.login_field("customer", value);
        }
        if let Some(value) = self.page.as_ref().and_then(to_value) {
            session = session.login_field("customer_page", value);
        }
        for (name, value) in &self.login_fields {
            session = session.login_field(name, value.clone());
        }
        session
    }

    /// Where Web requests go: the Web base URL, version, organization and region.
    pub(crate) fn web_session(&self) -> CustomerSession {
        let mut session = CustomerSession::customer(&self.organization_id)
            .base_url(&self.web_url)
            .version(self.version);
        if let Some(region) = &self.region {
            session = session.region(region);
        }
        session
    }
}

fn to_value(value: &impl serde::Serialize) -> Option<Value> {
    serde_json::to_value(value).ok()
}
