//! [`CustomerTokens`]: customer access tokens from the accounts service, with the
//! `cookie` grant (as a browser gets them) or the `agent_token` grant (a backend acting
//! for its customers), refreshed ahead of expiry.

use crate::agent::DEFAULT_REFRESH_MARGIN;
use crate::cache::{Cache, Fresh};
use crate::wire::{DEFAULT_ACCOUNTS_URL, send};
use async_trait::async_trait;
use http::Method;
use lc_protocol::Error;
use lc_protocol::auth::{TokenProvider, authorization};
use lc_protocol::error::ErrorType;
use lc_protocol::id::Token;
use lc_web::{HttpEngine, HttpRequest, HttpResponse, WebConfig};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// The cookie naming the customer.
const CID: &str = "__lc_cid";
/// The cookie proving it.
const CST: &str = "__lc_cst";

/// How the customer's identity is proven.
enum Grant {
    /// The `__lc_cid`/`__lc_cst` cookies the service set, kept between calls.
    Cookie,
    /// An agent access token with the `customers:own` scope.
    AgentToken(Arc<dyn TokenProvider>),
}

/// Customer access tokens for one customer identity, refreshed ahead of expiry and after
/// the server refused one ([`invalidate`](TokenProvider::invalidate)). Concurrent callers
/// share one request.
///
/// - [`cookie`](Self::cookie): what the chat widget does in a browser. The first token
///   creates a customer; the service's `__lc_cid`/`__lc_cst` cookies are kept (read them
///   with [`cookies`](Self::cookies) to store them, give them back with
///   [`CustomerTokensBuilder::cookies`]) so that later tokens are for the same customer.
/// - [`agent_token`](Self::agent_token): a backend holding many customer identities
///   with an agent token that has the `customers:own` scope (personal access tokens do
///   not work). Without [`customer_id`](CustomerTokensBuilder::customer_id) the first
///   token creates a customer; later tokens are for that customer.
///
/// [`per_group`](CustomerTokensBuilder::per_group) gives the customer a separate
/// identity in each group (when the license does not share chats between groups).
///
/// Cloning gives another handle to the same provider, so one provider serves an RTM
/// client and a Web client at once. Tokens and cookies never appear in `Debug` output or
/// logs.
///
/// ```no_run
/// # async fn demo(agent_tokens: lc_accounts::AgentOAuth) -> Result<(), lc_protocol::Error> {
/// use lc_accounts::CustomerTokens;
/// use lc_protocol::auth::TokenProvider;
///
/// let tokens = CustomerTokens::agent_token("my-client-id", agent_tokens).build();
/// let token = tokens.token().await?;
/// println!("customer {:?}", tokens.customer_id());
/// # let _ = token;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct CustomerTokens {
    inner: Arc<Inner>,
}

struct Inner {
    engine: HttpEngine,
    url: String,
    client_id: String,
    organization_id: Option<String>,
    redirect_uri: Option<String>,
    expires_in: Option<Duration>,
    grant: Grant,
    identity: Mutex<Identity>,
    cache: Cache,
}

#[derive(Default)]
struct Identity {
    customer_id: Option<String>,
    cid: Option<String>,
    cst: Option<Token>,
}

impl std::fmt::Debug for CustomerTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let grant = match self.inner.grant {
            Grant::Cookie => "cookie",
            Grant::AgentToken(_) => "agent_token",
        };
        f.debug_struct("CustomerTokens")
            .field("url", &self.inner.url)
            .field("client_id", &self.inner.client_id)
            .field("grant", &grant)
            .field("customer_id", &self.customer_id())
            .finish_non_exhaustive()
    }
}

/// Settings of a [`CustomerTokens`].
pub struct CustomerTokensBuilder {
    client_id: String,
    organization_id: Option<String>,
    group: Option<u32>,
    accounts_url: String,
    redirect_uri: Option<String>,
    expires_in: Option<Duration>,
    margin: Duration,
    engine: Option<HttpEngine>,
    grant: Grant,
    identity: Identity,
}

impl std::fmt::Debug for CustomerTokensBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CustomerTokensBuilder")
            .field("client_id", &self.client_id)
            .field("organization_id", &self.organization_id)
            .field("group", &self.group)
            .field("accounts_url", &self.accounts_url)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct CustomerAnswer {
    access_token: String,
    #[serde(default)]
    entity_id: Option<String>,
    #[serde(default)]
    expires_in: Option<u64>,
}

impl CustomerTokens {
    /// Tokens with the `cookie` grant for the app `client_id` on organization
    /// `organization_id`.
    pub fn cookie(
        client_id: impl Into<String>,
        organization_id: impl Into<String>,
    ) -> CustomerTokensBuilder {
        CustomerTokensBuilder::new(
            client_id.into(),
            Some(organization_id.into()),
            Grant::Cookie,
        )
    }

    /// Tokens with the `agent_token` grant for the app `client_id`, authorized by
    /// `agent_tokens` (an agent token with the `customers:own` scope; the organization
    /// is the agent's).
    pub fn agent_token(
        client_id: impl Into<String>,
        agent_tokens: impl TokenProvider,
    ) -> CustomerTokensBuilder {
        let agent: Arc<dyn TokenProvider> = Arc::new(agent_tokens);
        CustomerTokensBuilder::new(client_id.into(), None, Grant::AgentToken(agent))
    }

    /// The customer's id, once a token was issued (or as given).
    pub fn customer_id(&self) -> Option<String> {
        self.identity().customer_id.clone()
    }

    /// The `__lc_cid` and `__lc_cst` cookies of the `cookie` grant, once the service set
    /// them: store them to keep the customer's identity across runs.
    pub fn cookies(&self) -> Option<(String, Token)> {
        let identity = self.identity();
        Some((identity.cid.clone()?, identity.cst.clone()?))
    }

    fn identity(&self) -> MutexGuard<'_, Identity> {
        self.inner
            .identity
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Asks for a token; with the `agent_token` grant, once more with a fresh agent token
    /// when the service refuses the agent's.
    async fn fetch(&self) -> Result<Fresh, Error> {
        match &self.inner.grant {
            Grant::Cookie => self.request(None).await,
            Grant::AgentToken(agent) => {
                let token = agent.token().await?;
                match self.request(Some(&token)).await {
                    Err(Error::Api { error, .. }) if error.kind == ErrorType::Authentication => {
                        agent.invalidate(&token).await;
                        let token = agent.token().await?;
                        self.request(Some(&token)).await
                    }
                    other => other,
                }
            }
        }
    }

    async fn request(&self, agent_token: Option<&Token>) -> Result<Fresh, Error> {
        let inner = &*self.inner;
        let grant = if agent_token.is_some() {
            "agent_token"
        } else {
            "cookie"
        };
        let mut body = Map::new();
        let mut put = |key: &str, value: Value| {
            body.insert(key.to_owned(), value);
        };
        put("grant_type", grant.into());
        put("response_type", "token".into());
        put("client_id", inner.client_id.clone().into());
        if let Some(org) = &inner.organization_id {
            put("organization_id", org.clone().into());
        }
        if let Some(uri) = &inner.redirect_uri {
            put("redirect_uri", uri.clone().into());
        }
        if let Some(lifetime) = inner.expires_in {
            put("expires_in", lifetime.as_secs().into());
        }
        let mut request = HttpRequest::new(Method::POST, inner.url.clone())
            .label(format!("POST /v2/customer/token ({grant})"));
        {
            let identity = self.identity();
            match (
                agent_token,
                &identity.customer_id,
                &identity.cid,
                &identity.cst,
            ) {
                (Some(_), Some(id), _, _) => put("entity_id", id.clone().into()),
                (None, _, Some(cid), Some(cst)) => {
                    let cookie = format!("{CID}={cid}; {CST}={}", cst.expose());
                    request = request.header("cookie", &cookie)?;
                }
                _ => {}
            }
        }
        if let Some(token) = agent_token {
            request = request.header("authorization", &authorization(token))?;
        }
        let request = request.json(&Value::Object(body))?;
        let (answer, response) = send::<CustomerAnswer>(&inner.engine, request).await?;
        let mut identity = self.identity();
        if let Some(id) = answer.entity_id {
            identity.customer_id = Some(id);
        }
        for (name, value) in set_cookies(&response) {
            match name.as_str() {
                CID => identity.cid = Some(value),
                CST => identity.cst = Some(Token::new(value)),
                _ => {}
            }
        }
        Ok(Fresh {
            token: Token::new(answer.access_token),
            lifetime: Duration::from_secs(answer.expires_in.unwrap_or(28_800)),
        })
    }
}

/// The `name=value` of every `Set-Cookie` header.
fn set_cookies(response: &HttpResponse) -> Vec<(String, String)> {
    response
        .headers
        .get_all(http::header::SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .filter_map(|text| {
            let pair = text.split(';').next()?;
            let (name, value) = pair.split_once('=')?;
            Some((name.trim().to_owned(), value.trim().to_owned()))
        })
        .collect()
}

impl CustomerTokensBuilder {
    fn new(client_id: String, organization_id: Option<String>, grant: Grant) -> Self {
        Self {
            client_id,
            organization_id,
            group: None,
            accounts_url: DEFAULT_ACCOUNTS_URL.to_owned(),
            redirect_uri: None,
            expires_in: None,
            margin: DEFAULT_REFRESH_MARGIN,
            engine: None,
            grant,
            identity: Identity::default(),
        }
    }

    /// The customer to get tokens for (`agent_token` grant; default: a new customer,
    /// created by the first token).
    #[must_use]
    pub fn customer_id(mut self, id: impl Into<String>) -> Self {
        self.identity.customer_id = Some(id.into());
        self
    }

    /// The organization (`agent_token` grant: optional, the service takes the agent's;
    /// the `cookie` grant takes it at [`CustomerTokens::cookie`]).
    #[must_use]
    pub fn organization_id(mut self, id: impl Into<String>) -> Self {
        self.organization_id = Some(id.into());
        self
    }

    /// The `__lc_cid` and `__lc_cst` cookies of an earlier session (`cookie` grant), to
    /// go on as the same customer.
    #[must_use]
    pub fn cookies(mut self, cid: impl Into<String>, cst: impl Into<Token>) -> Self {
        self.identity.cid = Some(cid.into());
        self.identity.cst = Some(cst.into());
        self
    }

    /// Gives the customer its own identity in group `group` of organization
    /// `organization_id` (the per-group token endpoint).
    #[must_use]
    pub fn per_group(mut self, organization_id: impl Into<String>, group: u32) -> Self {
        self.organization_id = Some(organization_id.into());
        self.group = Some(group);
        self
    }

    /// The page the widget runs on (`cookie` grant; it must be on the app's whitelist).
    #[must_use]
    pub fn redirect_uri(mut self, uri: impl Into<String>) -> Self {
        self.redirect_uri = Some(uri.into());
        self
    }

    /// Asks for tokens living `lifetime` (whole seconds; default: the service's, 8
    /// hours).
    #[must_use]
    pub fn expires_in(mut self, lifetime: Duration) -> Self {
        self.expires_in = Some(lifetime);
        self
    }

    /// The accounts service (default `https://accounts.livechat.com`).
    #[must_use]
    pub fn accounts_url(mut self, url: impl Into<String>) -> Self {
        self.accounts_url = url.into().trim_end_matches('/').to_owned();
        self
    }

    /// How long before expiry the token is replaced (default 5 minutes; never before half
    /// of its lifetime has passed).
    #[must_use]
    pub fn refresh_margin(mut self, margin: Duration) -> Self {
        self.margin = margin;
        self
    }

    /// The HTTP settings of the requests to the accounts service.
    #[must_use]
    pub fn web_config(mut self, config: WebConfig) -> Self {
        self.engine = Some(HttpEngine::new(config));
        self
    }

    /// The provider.
    pub fn build(self) -> CustomerTokens {
        let url = match (&self.organization_id, self.group) {
            (Some(org), Some(group)) => {
                format!("{}/v2/customer/{org}/{group}/token", self.accounts_url)
            }
            _ => format!("{}/v2/customer/token", self.accounts_url),
        };
        let engine = self
            .engine
            .unwrap_or_else(|| HttpEngine::new(WebConfig::default()));
        CustomerTokens {
            inner: Arc::new(Inner {
                engine,
                url,
                client_id: self.client_id,
                organization_id: self.organization_id,
                redirect_uri: self.redirect_uri,
                expires_in: self.expires_in,
                grant: self.grant,
                identity: Mutex::new(self.identity),
                cache: Cache::new(self.margin),
            }),
        }
    }
}

#[async_trait]
impl TokenProvider for CustomerTokens {
    async fn token(&self) -> Result<Token, Error> {
        self.inner.cache.get(|| self.fetch()).await
    }

    async fn invalidate(&self, rejected: &Token) {
        self.inner.cache.invalidate(rejected);
    }
}
