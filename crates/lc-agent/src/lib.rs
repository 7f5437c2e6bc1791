//! The LiveChat Agent Chat API client: [`AgentClient`], every method of the agent RTM
//! method set (lc-sdk-js `agent/rtm`) with Rust names, typed arguments and typed
//! responses, over any [`Transport`]: RTM with [`lc_rtm::RtmClient`], Web with
//! [`lc_web::WebClient`] (every method of the agent Web method set, `upload_file`
//! included).
//!
//! Each method takes the required arguments and returns a [`Call`]: `.await` it to send
//! the request; set optional fields on the call first (`client.list_chats().limit(5)`).
//! A method the connection's API version or transport lacks fails with
//! [`Error::Unsupported`] before anything is sent.
//!
//! ```no_run
//! use lc_agent::AgentClient;
//! use lc_protocol::agent::push::IncomingEvent;
//! use lc_protocol::id::Token;
//! use lc_protocol::types::Event;
//! use lc_rtm::{AgentSession, RtmConfig};
//!
//! # async fn demo() -> Result<(), lc_protocol::Error> {
//! let client = AgentClient::connect_rtm(
//!     AgentSession::agent(),
//!     Token::new("dal:..."),
//!     RtmConfig::default(),
//! );
//! let chats = client.list_chats().limit(5).await?;
//! for chat in &chats.chats_summary {
//!     client.send_event(chat.id.clone(), Event::message("Hello!")).await?;
//! }
//! let _subscription = client.on::<IncomingEvent>(|push| {
//!     println!("{}: {:?}", push.chat_id, push.event.text());
//! });
//! # Ok(())
//! # }
//! ```
//!
//! # Transports
//!
//! The same client works over RTM ([`AgentClient::connect_rtm`]) and over Web
//! ([`AgentClient::connect_web`]). Methods only one transport carries exist only for it:
//! `login`, `set_away_status`, `update_session`, `subscribe_customers`, `events`, `on` and `once`
//! need an RTM transport, [`upload_file`](AgentClient::upload_file) needs Web. Calling
//! them on the other does not compile:
//!
//! ```compile_fail
//! # fn demo(client: lc_agent::AgentClient<lc_web::WebClient>) {
//! let _ = client.set_away_status(true); // RTM only
//! # }
//! ```
//!
//! A method the connection's API version lacks fails with [`Error::Unsupported`]
//! before anything is sent (e.g. `grant_chat_access`, which only 3.3 has).
//!
//! # When the network misbehaves
//!
//! - [`send_event`](AgentClient::send_event) creates its event exactly once: when the
//!   outcome is ambiguous (connection lost, timeout, server error) the client looks the
//!   event up by its `custom_id` and returns it if stored, or sends it again if not
//!   ([`SendOnce`]). An error says for certain that nothing was stored, unless it is
//!   [`Error::Unresolved`].
//! - [`events`](AgentClient::events) gives every push once; after a reconnection what
//!   happened meanwhile comes as [`RtmEvent::Recovered`]
//!   items, in order. [`on`](AgentClient::on) and [`once`](AgentClient::once) handlers
//!   get those too.
//!
//! # Vocabulary
//!
//! The agent, customer and Inbenta clients use the same words for the same things:
//! `call(request)` sends a typed request (a [`Call`] to `.await`); `call_raw(action,
//! payload)` sends any action by name with a JSON payload (the JS SDKs' `send`);
//! `events()` is the stream of what happens (an [`EventStream`], whose `catch_up` gives
//! what a slow reader missed); `on` and `once` run a handler for one kind of event until
//! the [`Subscription`] they return is dropped or turned `off`.
//!
//! # Coming from the JS SDK
//!
//! Every method of lc-sdk-js `agent/rtm` and `agent/web` is here under its snake-case
//! name (`addUserToChat` → [`add_user_to_chat`](AgentClient::add_user_to_chat), ...).
//! The others:
//!
//! | lc-sdk-js | livechat-rs |
//! |---|---|
//! | `connect` | [`AgentClient::connect_rtm`] (or [`AgentClient::new`] around any transport); the engine connects, logs in, keeps the heartbeat and reconnects |
//! | `login` | the RTM engine logs in by itself on every connection; [`login`](AgentClient::login) sends the action explicitly, for other transports |
//! | `send(action, payload)` | [`call_raw`](AgentClient::call_raw); typed: [`call`](AgentClient::call) |
//! | `on(push, handler)`, `subscribePush` | [`on`](AgentClient::on) (and [`once`](AgentClient::once)), returning a [`Subscription`] |
//! | the function `on` returns, `unsubscribePush` | [`Subscription::off`], or dropping the subscription |
//! | — | [`events`](AgentClient::events): the whole push stream |
//! | `setAuthorId` | [`set_author_id`](AgentClient::set_author_id) (API 3.5 and older; on 3.6 bots log in with their own bot token) |

mod chats;
mod customers;
mod events;
mod listen;
mod recovery;
mod status;
mod web;

pub use lc_protocol::{Call, EventStream, SendOnce, Subscription};

use lc_protocol::agent::AgentPush;
use lc_protocol::{Action, CallOptions, Error, Transport};
use lc_rtm::{AgentSession, RtmClient, RtmConfig, RtmEvent, TokenProvider};
use serde_json::Value;

/// One item of [`AgentClient::events`]: a push, a push recovered after a reconnection,
/// or news of the connection.
pub type AgentEvent = RtmEvent<AgentPush>;

/// A client of the Agent Chat API over transport `T`.
#[derive(Debug, Clone)]
pub struct AgentClient<T> {
    transport: T,
    /// The push hub of RTM clients, shared by the clones of a client: started by
    /// `from_rtm`, or by the first `events`/`on`/`once` of a client built with `new`.
    hub: std::sync::Arc<std::sync::OnceLock<std::sync::Arc<recovery::Hub>>>,
    /// The bot requests are sent as (API 3.5 and older), see `set_author_id`.
    author_id: Option<String>,
}

impl<T: Transport> AgentClient<T> {
    /// A client sending its requests through `transport`. Over RTM, use
    /// [`AgentClient::from_rtm`] to get events (with catching up after reconnections).
    pub fn new(transport: T) -> Self {
        Self {
            transport,
            hub: std::sync::Arc::default(),
            author_id: None,
        }
    }

    /// The transport (e.g. the [`RtmClient`], to close it).
    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// Any action of the Agent Chat API, typed (e.g.
    /// [`agent::ListRoutingStatuses`](lc_protocol::agent::ListRoutingStatuses)):
    /// `.await` the [`Call`] to send it.
    pub fn call<A: Action>(&self, request: A) -> Call<'_, T, A> {
        Call::new(&self.transport, request).options(self.call_options())
    }

    /// Sends the following requests of this client as the bot `id`, with the agent's
    /// token; `None` sends them as the agent again. For the Agent Chat API 3.5 and
    /// older, where a bot acts through an agent's token: over RTM the requests carry
    /// `author_id`, over Web the `X-Author-Id` header. API 3.6 removed it: every request
    /// then fails before sending with [`Error::InvalidInput`], pointing to bot tokens.
    /// (JS: lc-sdk-js `setAuthorId`.)
    ///
    /// ```no_run
    /// # async fn demo(mut client: lc_agent::AgentClient<lc_rtm::RtmClient<lc_rtm::AgentSession>>)
    /// # -> Result<(), lc_protocol::Error> {
    /// use lc_protocol::types::Event;
    ///
    /// client.set_author_id(Some("5c9871d5372c824cbf22d860a707a578"));
    /// client.send_event("PJ0MRSHTDG", Event::message("Hi, I am the bot.")).await?;
    /// client.set_author_id(None);
    /// # Ok(())
    /// # }
    /// ```
    pub fn set_author_id(&mut self, id: Option<&str>) {
        self.author_id = id.map(str::to_owned);
    }

    /// The bot this client's requests are sent as, if any (see
    /// [`set_author_id`](Self::set_author_id)).
    pub fn author_id(&self) -> Option<&str> {
        self.author_id.as_deref()
    }

    /// The settings of every call of this client.
    fn call_options(&self) -> CallOptions {
        match &self.author_id {
            Some(id) => CallOptions::default().author_id(id.clone()),
            None => CallOptions::default(),
        }
    }

    /// Sends any action by name with a JSON payload and returns the JSON response: the
    /// escape hatch for actions this crate does not know (lc-sdk-js `send`).
    ///
    /// # Errors
    /// The API error, or the transport's errors (timeout, connection lost, closed).
    pub async fn call_raw(&self, action: &str, payload: Value) -> Result<Value, Error> {
        self.transport
            .call_raw_with(action, payload, self.call_options())
            .await
    }
}

impl AgentClient<RtmClient<AgentSession>> {
    /// Connects an agent over RTM (lc-sdk-js `connect`): the engine connects in the
    /// background, logs in with a token from `tokens` (again on every reconnection) and
    /// queues requests until then. Must be called within a tokio runtime.
    pub fn connect_rtm(
        session: AgentSession,
        tokens: impl TokenProvider,
        config: RtmConfig,
    ) -> Self {
        let buffer = config.push_buffer;
        Self::from_rtm(RtmClient::connect(session, tokens, config), buffer)
    }

    /// A client over an RTM connection you built; call it right after
    /// [`RtmClient::connect`], before the login completes, so that its pushes start
    /// with the login. `push_buffer` is the number of items buffered per subscriber
    /// (e.g. [`RtmConfig::push_buffer`]).
    pub fn from_rtm(rtm: RtmClient<AgentSession>, push_buffer: usize) -> Self {
        let client = Self::new(rtm);
        let _ = client
            .hub
            .set(recovery::Hub::start(&client.transport, push_buffer));
        client
    }
}
