//! The Inbenta Agent Chat client (ex-HyperChat): the JS `ICF` client and Chat object
//! over the livechat-rs engines — REST through [`lc_web::HttpEngine`], the realtime
//! channel through [`lc_rtm::RtmClient`] with the Inbenta dialect
//! (`docs/inbenta-wire.md`).
//!
//! - [`InbentaConfig`]: app id, region or server URL, port (`ICF.init`).
//! - [`InbentaClient`]: the app before any login —
//!   [`create_user`](InbentaClient::create_user) (`POST /v1/users`), availability,
//!   settings, and [`login`](InbentaClient::login), which opens the realtime channel
//!   and returns a [`UserClient`].
//! - [`UserClient`]: a logged-in user — [`call`](UserClient::call) a typed client event
//!   (every documented one is a type in [`lc_protocol::inbenta`]: `ChatsAssign`,
//!   `ChatsJoin`, `UsersActivity`, `UserFocus`, `MessagesRead`, `ChatsClose`,
//!   `HistoryImport`, `ChatsGet`, `ChatsCreate`, `UsersChats`), [`call_raw`](UserClient::call_raw)
//!   any event by name, [`events`](UserClient::events), [`subscribe`](UserClient::subscribe)
//!   and [`on`](UserClient::on) for pushes.
//! - [`Chat`]: [`init`](Chat::init), [`search_agent`](Chat::search_agent),
//!   [`send_user_activity`](Chat::send_user_activity),
//!   [`send_message`](Chat::send_message) (with its event id at once),
//!   [`read_message`](Chat::read_message), [`send_media`](Chat::send_media) with
//!   progress, [`close`](Chat::close), [`leave`](Chat::leave),
//!   [`has_other_users`](Chat::has_other_users),
//!   [`id`](Chat::id), [`import_history`](Chat::import_history), and
//!   [`events`](Chat::events): every chat event as a typed [`ChatEvent`] stream.
//!
//! Errors are [`lc_protocol::Error`]; a refusal from the server is [`Error::Api`]
//! whose [`ApiError`](lc_protocol::ApiError) keeps Inbenta's code in `data.code` (and,
//! over REST, the HTTP status). Tokens, secrets and domain keys never appear in `Debug`
//! output or logs; the session token travels in the `x-hyper-token` header of the
//! WebSocket upgrade, not in its URL.
//!
//! ```no_run
//! use futures_util::StreamExt;
//! use lc_inbenta::{Chat, ChatEvent, ChatOptions, InbentaClient, InbentaConfig, NewUser};
//!
//! # async fn demo() -> Result<(), lc_protocol::Error> {
//! let app = InbentaClient::new(InbentaConfig::region("my-app-id", "eu"));
//! let bob = app.create_user(NewUser::new("Bob")).await?;
//! let client = app.login(&bob.user.id, bob.token).await?;
//! let chat = Chat::init(&client, ChatOptions::new("1").lang("en")).await?;
//! let mut events = chat.events();
//! if chat.search_agent().await?.is_some() {
//!     chat.send_message("Hi, I need help with my order").await?;
//! }
//! while let Some(item) = events.next().await {
//!     // `item.recovered`: delivered late, after a reconnection.
//!     if let ChatEvent::MessageReceived(m) = item.event {
//!         println!("{:?}", m.message.message);
//!     }
//! }
//! # Ok(())
//! # }
//! ```
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
//! | JS | livechat-rs |
//! |---|---|
//! | `ICF.init({appId, region, port})` | [`InbentaClient::new`] with an [`InbentaConfig`] |
//! | `ICF.Lobby.init()` | [`InbentaClient::login`], returning the [`UserClient`] |
//! | `ICF.Lobby.close()` | [`UserClient::close`] |
//! | `ICF.Lobby.getUserChats()` | [`UserClient::user_chats`] |
//! | `ICF.Connection.me()` | [`UserClient::user`] |
//! | `ICF.Api.request(..)` | [`api_request`](InbentaClient::api_request) (on both clients) |
//! | `ICF.Events.send(name, data)` | [`UserClient::call_raw`]; typed: [`UserClient::call`] |
//! | `ICF.Events.subscribe(name, callback)` | [`UserClient::on`] (typed) returning a [`Subscription`], or the stream [`UserClient::subscribe`] (by name) / [`subscribe_to`](UserClient::subscribe_to) (typed) |
//! | `ICF.Events.unsubscribe(name, listener)` | [`Subscription::off`], [`UserClient::unsubscribe`], or dropping either |
//! | `new Chat(..).init(options, config, historyWatch)` | [`Chat::init`] with [`ChatOptions`] |
//! | `chat.on(event, callback)` | [`Chat::events`]: a stream of [`ChatItem`] |
//! | `chat.getId()` | [`Chat::id`] |
//! | `sendMessage(text, onCreate)` | [`Chat::send_message`]: the event id is [`SendMessage::event_id`] at once |
//! | `sendMedia(file, onProgress)` | [`Chat::send_media`] with [`Upload::on_progress`] |
//!
//! [`Error::Api`]: lc_protocol::Error::Api

mod api;
mod chat;
mod client;
mod config;
mod rest;
mod session;
mod subscription;
mod users;

pub use chat::{
    Chat, ChatEvent, ChatItem, ChatOptions, DEFAULT_RESOLVE_WITHIN, DEFAULT_SOURCE, Resolution,
    SendMessage, SentMessage,
};
pub use client::{InbentaClient, InbentaEvent, InbentaRtm, UserClient};
pub use config::{DEFAULT_PORT, InbentaConfig};
pub use http::Method;
pub use lc_protocol::{Call, EventStream, Subscription};
pub use lc_web::Upload;
pub use session::InbentaSession;
pub use subscription::SubscriptionItem;
pub use users::{NewUser, UserSession};
