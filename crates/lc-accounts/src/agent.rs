//! [`AgentOAuth`]: agent access tokens from an OAuth refresh token, refreshed ahead of
//! expiry; [`AgentOAuthBuilder::exchange_code`] for the authorization-code grant.

use crate::cache::{Cache, Fresh};
use crate::wire::{DEFAULT_ACCOUNTS_URL, form_post, send};
use async_trait::async_trait;
use lc_protocol::Error;
use lc_protocol::auth::TokenProvider;
use lc_protocol::id::Token;
use lc_web::{HttpEngine, WebConfig};
use serde::Deserialize;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long before expiry tokens are refreshed by default.
pub const DEFAULT_REFRESH_MARGIN: Duration = Duration::from_secs(5 * 60);

/// What the accounts service gives for a code exchange or a refresh.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TokenSet {
    /// The access token (region-prefixed, e.g. `dal:...`).
    pub access_token: Token,
    /// The refresh token: store it to get access tokens later without the user. Apps
    /// without a client secret get a new one with every refresh.
    pub refresh_token: Option<Token>,
    /// How long the access token lives (8 hours by default).
    pub expires_in: Duration,
    /// The agent's account id.
    pub account_id: Option<String>,
    /// The organization id.
    pub organization_id: Option<String>,
    /// The scopes granted.
    pub scopes: Vec<String>,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    expires_in: Option<u64>,
    #[serde(default)]
    account_id: Option<String>,
    #[serde(default)]
    organization_id: Option<String>,
    #[serde(default)]
    scope: Option<String>,
}

impl From<TokenAnswer> for TokenSet {
    fn from(answer: TokenAnswer) -> Self {
        Self {
            access_token: Token::new(answer.access_token),
            refresh_token: answer.refresh_token.map(Token::new),
            // The documented default when the answer omits it.
            expires_in: Duration::from_secs(answer.expires_in.unwrap_or(28_800)),
            account_id: answer.account_id,
            organization_id: answer.organization_id,
            scopes: answer
                .scope
                .unwrap_or_default()
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
        }
    }
}

type Callback = Box<dyn Fn(&Token) + Send + Sync>;

/// Agent access tokens of an OAuth app, from a refresh token: the first
/// [`token`](TokenProvider::token) gets one, later calls reuse it until it is about to
/// expire (see [`refresh_margin`](AgentOAuthBuilder::refresh_margin)), and a token the
/// server refused ([`invalidate`](TokenProvider::invalidate)) is replaced at the next
/// call. Concurrent callers share one refresh.
///
/// Cloning gives another handle to the same provider (and the same token), so one
/// provider serves an RTM client and a Web client at once; an
/// `Arc<dyn TokenProvider>` does too.
///
/// A refused grant (`invalid_grant`: the refresh token was revoked or expired) is an
/// error for which [`needs_reauthorization`](crate::needs_reauthorization) is true; a
/// transient failure keeps the current token until it expires. Tokens never appear in
/// `Debug` output or logs.
///
/// ```no_run
/// # async fn demo() -> Result<(), lc_protocol::Error> {
/// use lc_accounts::AgentOAuth;
/// use lc_protocol::auth::TokenProvider;
///
/// let tokens = AgentOAuth::builder("my-client-id")
///     .client_secret("my-client-secret")
///     .on_refresh_token(|new| println!("store the new refresh token: {new:?}"))
///     .build("the-stored-refresh-token");
/// // Give clones to the RTM and Web clients; both share one token.
/// let token = tokens.token().await?;
/// # let _ = token;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct AgentOAuth {
    inner: Arc<Inner>,
}

struct Inner {
    engine: HttpEngine,
    accounts_url: String,
    client_id: String,
    client_secret: Option<Token>,
    refresh_token: Mutex<Token>,
    on_refresh_token: Option<Callback>,
    cache: Cache,
}

impl std::fmt::Debug for AgentOAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentOAuth")
            .field("accounts_url", &self.inner.accounts_url)
            .field("client_id", &self.inner.client_id)
            .finish_non_exhaustive()
    }
}

/// Settings of an [`AgentOAuth`]; see [`AgentOAuth::builder`].
pub struct AgentOAuthBuilder {
    client_id: String,
    client_secret: Option<Token>,
    accounts_url: String,
    margin: Duration,
    engine: Option<HttpEngine>,
    on_refresh_token: Option<Callback>,
}

impl std::fmt::Debug for AgentOAuthBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentOAuthBuilder")
            .field("client_id", &self.client_id)
            .field("accounts_url", &self.accounts_url)
            .field("margin", &self.margin)
            .finish_non_exhaustive()
    }
}

impl AgentOAuth {
    /// Settings for the app with client id `client_id`.
    pub fn builder(client_id: impl Into<String>) -> AgentOAuthBuilder {
        AgentOAuthBuilder {
            client_id: client_id.into(),
            client_secret: None,
            accounts_url: DEFAULT_ACCOUNTS_URL.to_owned(),
            margin: DEFAULT_REFRESH_MARGIN,
            engine: None,
            on_refresh_token: None,
        }
    }

    /// The refresh token in use (the latest one, when the service rotates them).
    pub fn refresh_token(&self) -> Token {
        lock(&self.inner.refresh_token).clone()
    }

    /// Gets a new access token with the refresh-token grant.
    async fn refresh(&self) -> Result<Fresh, Error> {
        let inner = &*self.inner;
        let refresh_token = self.refresh_token();
        let mut pairs = vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token.expose()),
            ("client_id", inner.client_id.as_str()),
        ];
        if let Some(secret) = &inner.client_secret {
            pairs.push(("client_secret", secret.expose()));
        }
        let url = format!("{}/v2/token", inner.accounts_url);
        let request = form_post(url, "POST /v2/token (refresh_token)", &pairs)?;
        let (answer, _) = send::<TokenAnswer>(&inner.engine, request).await?;
        let set = TokenSet::from(answer);
        if let Some(new) = &set.refresh_token {
            let rotated = {
                let mut current = lock(&inner.refresh_token);
                let rotated = current.expose() != new.expose();
                if rotated {
                    *current = new.clone();
                }
                rotated
            };
            if rotated {
                tracing::debug!("the accounts service rotated the refresh token");
                if let Some(callback) = &inner.on_refresh_token {
                    callback(new);
                }
            }
        }
        Ok(Fresh {
            token: set.access_token,
            lifetime: set.expires_in,
        })
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl AgentOAuthBuilder {
    /// The app's client secret (server-side apps). Apps without one (browser apps using
    /// PKCE) get a new refresh token with every refresh.
    #[must_use]
    pub fn client_secret(mut self, secret: impl Into<Token>) -> Self {
        self.client_secret = Some(secret.into());
        self
    }

    /// The accounts service (default `https://accounts.livechat.com`; a sandbox's
    /// `http_url()` in tests).
    #[must_use]
    pub fn accounts_url(mut self, url: impl Into<String>) -> Self {
        self.accounts_url = url.into().trim_end_matches('/').to_owned();
        self
    }

    /// How long before expiry the access token is replaced (default 5 minutes). A token
    /// is never replaced before half of its lifetime has passed.
    #[must_use]
    pub fn refresh_margin(mut self, margin: Duration) -> Self {
        self.margin = margin;
        self
    }

    /// The HTTP settings (timeouts, retries, TLS) of the requests to the accounts service.
    #[must_use]
    pub fn web_config(mut self, config: WebConfig) -> Self {
        self.engine = Some(HttpEngine::new(config));
        self
    }

    /// Calls `callback` with every new refresh token the service hands out, so that the
    /// app can store it (the old one stops working when the service rotates them).
    #[must_use]
    pub fn on_refresh_token(mut self, callback: impl Fn(&Token) + Send + Sync + 'static) -> Self {
        self.on_refresh_token = Some(Box::new(callback));
        self
    }

    /// The provider, using `refresh_token` for its first access token.
    pub fn build(self, refresh_token: impl Into<Token>) -> AgentOAuth {
        let engine = self
            .engine
            .unwrap_or_else(|| HttpEngine::new(WebConfig::default()));
        AgentOAuth {
            inner: Arc::new(Inner {
                engine,
                accounts_url: self.accounts_url,
                client_id: self.client_id,
                client_secret: self.client_secret,
                refresh_token: Mutex::new(refresh_token.into()),
                on_refresh_token: self.on_refresh_token,
                cache: Cache::new(self.margin),
            }),
        }
    }

    /// Exchanges an authorization `code` (from the redirect to `redirect_uri`) for
    /// tokens, and returns the provider, holding the new access token, with the tokens
    /// (store [`TokenSet::refresh_token`]). `code_verifier` is the PKCE verifier of
    /// apps without a client secret.
    ///
    /// # Errors
    /// An error of the accounts service (e.g. `unauthorized_client` for a code used
    /// twice or expired), or a transport failure.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), lc_protocol::Error> {
    /// use lc_accounts::AgentOAuth;
    ///
    /// let (tokens, set) = AgentOAuth::builder("my-client-id")
    ///     .client_secret("my-client-secret")
    ///     .exchange_code("dal:code-from-the-redirect", "https://my.app/callback", None)
    ///     .await?;
    /// println!("refresh token to store: {:?}", set.refresh_token);
    /// # let _ = tokens;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn exchange_code(
        self,
        code: &str,
        redirect_uri: &str,
        code_verifier: Option<&str>,
    ) -> Result<(AgentOAuth, TokenSet), Error> {
        let engine = self
            .engine
            .clone()
            .unwrap_or_else(|| HttpEngine::new(WebConfig::default()));
        let mut pairs = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("client_id", self.client_id.as_str()),
            ("redirect_uri", redirect_uri),
        ];
        if let Some(secret) = &self.client_secret {
            pairs.push(("client_secret", secret.expose()));
        }
        if let Some(verifier) = code_verifier {
            pairs.push(("code_verifier", verifier));
        }
        let url = format!("{}/v2/token", self.accounts_url);
        let request = form_post(url, "POST /v2/token (authorization_code)", &pairs)?;
        let (answer, _) = send::<TokenAnswer>(&engine, request).await?;
        let set = TokenSet::from(answer);
        let refresh_token = set.refresh_token.clone().ok_or_else(|| {
            Error::InvalidInput("the code exchange gave no refresh token".to_owned())
        })?;
        let provider = Self {
            engine: Some(engine),
            ..self
        }
        .build(refresh_token);
        provider.inner.cache.store(&Fresh {
            token: set.access_token.clone(),
            lifetime: set.expires_in,
        });
        Ok((provider, set))
    }
}

#[async_trait]
impl TokenProvider for AgentOAuth {
    async fn token(&self) -> Result<Token, Error> {
        self.inner.cache.get(|| self.refresh()).await
    }

    async fn invalidate(&self, rejected: &Token) {
        self.inner.cache.invalidate(rejected);
    }
}
