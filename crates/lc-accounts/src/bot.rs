//! [`BotTokens`]: bot tokens from the Configuration API's `issue_bot_token`, issued
//! again ahead of their 24-hour expiry.

use crate::agent::DEFAULT_REFRESH_MARGIN;
use crate::cache::{Cache, Fresh};
use crate::error::api_error;
use crate::wire::{DEFAULT_API_URL, decode};
use async_trait::async_trait;
use http::Method;
use lc_protocol::Error;
use lc_protocol::auth::{TokenProvider, authorization};
use lc_protocol::configuration::{IssueBotToken, IssueBotTokenResponse};
use lc_protocol::id::Token;
use lc_protocol::session::ConfigurationSession;
use lc_web::{HttpEngine, HttpRequest, WebConfig};
use std::sync::Arc;
use std::time::Duration;

/// How long a bot token lives: 24 hours (the answer does not say).
pub const BOT_TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);

/// Tokens of a bot, from `issue_bot_token` (Configuration API 3.6) with the bot's id and
/// secret, the id of the app owning it and the organization id. A bot token lives 24
/// hours and cannot be revoked; it is issued again ahead of expiry (see
/// [`refresh_margin`](BotTokensBuilder::refresh_margin)) and after the server refused one
/// ([`invalidate`](TokenProvider::invalidate)). Concurrent callers share one request.
///
/// Bots use the Web API only (no RTM login). Cloning gives another handle to the same
/// provider; tokens and the secret never appear in `Debug` output or logs.
///
/// ```no_run
/// # async fn demo() -> Result<(), lc_protocol::Error> {
/// use lc_accounts::BotTokens;
/// use lc_protocol::auth::TokenProvider;
///
/// let tokens = BotTokens::builder("bot-id", "bot-secret", "my-client-id", "organization-id")
///     .build();
/// let token = tokens.token().await?;
/// # let _ = token;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct BotTokens {
    inner: Arc<Inner>,
}

struct Inner {
    engine: HttpEngine,
    url: String,
    /// The request, the same every time.
    request: IssueBotToken,
    lifetime: Duration,
    authorization: Option<Arc<dyn TokenProvider>>,
    cache: Cache,
}

impl std::fmt::Debug for BotTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BotTokens")
            .field("url", &self.inner.url)
            .field("bot_id", &self.inner.request.bot_id)
            .field("client_id", &self.inner.request.client_id)
            .finish_non_exhaustive()
    }
}

/// Settings of a [`BotTokens`]; see [`BotTokens::builder`].
pub struct BotTokensBuilder {
    bot_id: String,
    bot_secret: Token,
    client_id: String,
    organization_id: String,
    api_url: String,
    lifetime: Duration,
    margin: Duration,
    engine: Option<HttpEngine>,
    authorization: Option<Arc<dyn TokenProvider>>,
}

impl std::fmt::Debug for BotTokensBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BotTokensBuilder")
            .field("bot_id", &self.bot_id)
            .field("client_id", &self.client_id)
            .field("api_url", &self.api_url)
            .finish_non_exhaustive()
    }
}

impl BotTokens {
    /// Settings for bot `bot_id` with secret `bot_secret` (from `create_bot`), owned by
    /// the app `client_id`, in organization `organization_id`.
    pub fn builder(
        bot_id: impl Into<String>,
        bot_secret: impl Into<Token>,
        client_id: impl Into<String>,
        organization_id: impl Into<String>,
    ) -> BotTokensBuilder {
        BotTokensBuilder {
            bot_id: bot_id.into(),
            bot_secret: bot_secret.into(),
            client_id: client_id.into(),
            organization_id: organization_id.into(),
            api_url: DEFAULT_API_URL.to_owned(),
            lifetime: BOT_TOKEN_LIFETIME,
            margin: DEFAULT_REFRESH_MARGIN,
            engine: None,
            authorization: None,
        }
    }

    async fn issue(&self) -> Result<Fresh, Error> {
        let inner = &*self.inner;
        let label = "issue_bot_token";
        let mut request = HttpRequest::new(Method::POST, inner.url.clone())
            .label(label)
            .json(&inner.request)?;
        if let Some(provider) = &inner.authorization {
            let token = provider.token().await?;
            request = request.header("authorization", &authorization(&token))?;
        }
        let response = inner.engine.send(request).await?;
        if !response.status.is_success() {
            return Err(api_error(label, response.status, &response.body));
        }
        let issued: IssueBotTokenResponse = decode(label, &response)?;
        Ok(Fresh {
            token: issued.token,
            lifetime: inner.lifetime,
        })
    }
}

impl BotTokensBuilder {
    /// The API host (default `https://api.livechatinc.com`); the request goes to
    /// `{url}/v3.6/configuration/action/issue_bot_token`.
    #[must_use]
    pub fn api_url(mut self, url: impl Into<String>) -> Self {
        self.api_url = url.into().trim_end_matches('/').to_owned();
        self
    }

    /// Sends `Authorization` from `tokens` (an agent token or personal access token) with
    /// `issue_bot_token`. The bot's secret is the credential; some setups want both.
    #[must_use]
    pub fn authorization(mut self, tokens: impl TokenProvider) -> Self {
        self.authorization = Some(Arc::new(tokens));
        self
    }

    /// How long an issued token is taken to live (default and documented: 24 hours).
    #[must_use]
    pub fn lifetime(mut self, lifetime: Duration) -> Self {
        self.lifetime = lifetime;
        self
    }

    /// How long before expiry a new token is issued (default 5 minutes; never before
    /// half of a token's lifetime has passed).
    #[must_use]
    pub fn refresh_margin(mut self, margin: Duration) -> Self {
        self.margin = margin;
        self
    }

    /// The HTTP settings of the requests.
    #[must_use]
    pub fn web_config(mut self, config: WebConfig) -> Self {
        self.engine = Some(HttpEngine::new(config));
        self
    }

    /// The provider.
    pub fn build(self) -> BotTokens {
        let engine = self
            .engine
            .unwrap_or_else(|| HttpEngine::new(WebConfig::default()));
        BotTokens {
            inner: Arc::new(Inner {
                engine,
                url: ConfigurationSession::configuration()
                    .base_url(self.api_url)
                    .web_url("issue_bot_token"),
                request: IssueBotToken::new(
                    self.bot_id,
                    self.client_id,
                    self.bot_secret,
                    self.organization_id,
                ),
                lifetime: self.lifetime,
                authorization: self.authorization,
                cache: Cache::new(self.margin),
            }),
        }
    }
}

#[async_trait]
impl TokenProvider for BotTokens {
    async fn token(&self) -> Result<Token, Error> {
        self.inner.cache.get(|| self.issue()).await
    }

    async fn invalidate(&self, rejected: &Token) {
        self.inner.cache.invalidate(rejected);
    }
}
