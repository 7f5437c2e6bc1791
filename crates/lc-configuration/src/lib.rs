//! The LiveChat Configuration API, the part a bot needs: [`ConfigurationClient`] creates
//! bots and issues their tokens, registers the webhooks that tell a bot about chats, and
//! reads the groups and agents a bot routes chats to. It travels over the Web API
//! ([`lc_web::WebClient`]) with an agent token, a personal access token
//! (`Token::basic`) or, for what a bot may do to itself, a bot token.
//!
//! Each method takes the required arguments and returns a [`Call`]: `.await` it to send
//! the request; set optional fields on the call first
//! (`client.create_bot("Echo").max_chats_count(20)`).
//!
//! ```no_run
//! use lc_configuration::ConfigurationClient;
//! use lc_protocol::configuration::WebhookType;
//! use lc_protocol::id::Token;
//! use lc_protocol::session::ConfigurationSession;
//! use lc_web::WebConfig;
//!
//! # async fn demo() -> Result<(), lc_protocol::Error> {
//! let client_id = "my-app-client-id";
//! let config = ConfigurationClient::connect_web(
//!     ConfigurationSession::configuration(),
//!     Token::new("dal:..."),
//!     WebConfig::default(),
//! );
//! let bot = config.create_bot("Echo").owner_client_id(client_id).await?;
//! config
//!     .register_webhook("incoming_event", "s3cr3t", "https://bot.example.com/webhooks", client_id, WebhookType::Bot)
//!     .await?;
//! let token = config
//!     .issue_bot_token(bot.id.clone(), client_id, bot.secret, "my-organization-id")
//!     .await?
//!     .token;
//! # let _ = token;
//! # Ok(())
//! # }
//! ```
//!
//! A bot then answers over the Agent Chat Web API with its bot token
//! (`lc_accounts::BotTokens` issues it again before it expires) and switches itself to
//! `accepting_chats` with `set_routing_status`: a new bot is offline, and gets neither
//! chats nor its `bot` webhooks until it is not.
//!
//! # Coming from the JS SDK
//!
//! lc-sdk-js has no Configuration API client; its calls are made by hand with `fetch`.
//! Here every action has a typed method named after it (`create_bot` →
//! [`create_bot`](ConfigurationClient::create_bot), ...), and
//! [`call_raw`](ConfigurationClient::call_raw) sends any other action by name.

mod bots;
mod reads;
mod webhooks;

pub use lc_protocol::Call;

use lc_protocol::auth::TokenProvider;
use lc_protocol::session::ConfigurationSession;
use lc_protocol::{Action, Error, Transport};
use lc_web::{WebClient, WebConfig};
use serde_json::Value;

/// A client of the LiveChat Configuration API over transport `T` (the Web API).
#[derive(Debug, Clone)]
pub struct ConfigurationClient<T = WebClient> {
    transport: T,
}

impl ConfigurationClient<WebClient> {
    /// A client of the Configuration API: one HTTPS request per call, addressed by
    /// `session` (base URL, version, region), with the token from `tokens` (asked before
    /// every request; `Token::basic` for a personal access token) and `config`'s
    /// timeouts, retry policy and TLS settings.
    pub fn connect_web(
        session: ConfigurationSession,
        tokens: impl TokenProvider,
        config: WebConfig,
    ) -> Self {
        Self::new(WebClient::new(session, tokens, config))
    }
}

impl<T: Transport> ConfigurationClient<T> {
    /// A client sending its requests through `transport`.
    pub fn new(transport: T) -> Self {
        Self { transport }
    }

    /// The transport.
    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// Any action of the Configuration API, typed (e.g.
    /// [`configuration::ListBots`](lc_protocol::configuration::ListBots)): `.await` the
    /// [`Call`] to send it.
    pub fn call<A: Action>(&self, request: A) -> Call<'_, T, A> {
        Call::new(&self.transport, request)
    }

    /// Sends any action by name with a JSON payload and returns the JSON response: for
    /// actions this crate does not know.
    ///
    /// # Errors
    /// The API error, or the transport's errors (timeout, connection lost).
    pub async fn call_raw(&self, action: &str, payload: Value) -> Result<Value, Error> {
        self.transport.call_raw(action, payload).await
    }
}
