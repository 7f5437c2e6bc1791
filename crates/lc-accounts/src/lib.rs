//! Tokens that refresh themselves: [`TokenProvider`]s for the LiveChat accounts service
//! and bots, to give to the RTM and Web clients.
//!
//! - [`AgentOAuth`]: agent access tokens of an OAuth app from a refresh token (and
//!   [`exchange_code`](AgentOAuthBuilder::exchange_code) for the authorization-code
//!   grant); a rotated refresh token is handed to your callback for storage.
//! - [`CustomerTokens`]: customer access tokens with the `cookie` grant (as a browser) or
//!   the `agent_token` grant (a backend acting for its customers), optionally one
//!   identity per group.
//! - [`BotTokens`]: bot tokens from `issue_bot_token`, issued again before their 24 hours
//!   are up.
//!
//! Each provider holds one token and replaces it a margin before it expires (5 minutes
//! by default) and after an engine reports it refused
//! ([`invalidate`](TokenProvider::invalidate)); concurrent callers share one request.
//! A failure that may pass keeps the current token until it expires; a refused grant is
//! an error for which [`needs_reauthorization`] is true.
//!
//! Providers are cheap to clone (clones share the token), so one provider serves an RTM
//! client and a Web client at once — or wrap it in an `Arc<dyn TokenProvider>`. Tokens,
//! secrets and cookies never appear in `Debug` output or logs.
//!
//! ```no_run
//! # async fn demo() -> Result<(), lc_protocol::Error> {
//! use lc_accounts::AgentOAuth;
//! use lc_protocol::auth::TokenProvider;
//! use lc_web::{AgentSession, WebClient, WebConfig};
//!
//! let tokens = AgentOAuth::builder("my-client-id")
//!     .client_secret("my-client-secret")
//!     .build("the-stored-refresh-token");
//! let web = WebClient::new(AgentSession::agent(), tokens.clone(), WebConfig::default());
//! // ... and `tokens` again for an RTM client: both use the same access token.
//! # let _ = web;
//! # Ok(())
//! # }
//! ```

mod agent;
mod bot;
mod cache;
mod customer;
mod error;
mod wire;

pub use agent::{AgentOAuth, AgentOAuthBuilder, DEFAULT_REFRESH_MARGIN, TokenSet};
pub use bot::{BOT_TOKEN_LIFETIME, BotTokens, BotTokensBuilder};
pub use customer::{CustomerTokens, CustomerTokensBuilder};
pub use error::{accounts_error_code, needs_reauthorization};
pub use lc_protocol::auth::TokenProvider;
pub use wire::{DEFAULT_ACCOUNTS_URL, DEFAULT_API_URL};
