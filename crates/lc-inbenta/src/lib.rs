//! The Inbenta Agent Chat client (ex-HyperChat): the seed's `ICF` client and Chat
//! object over the livechat-rs engines — REST through [`lc_web::HttpEngine`], the
//! realtime channel through [`lc_rtm::RtmClient`] with the Inbenta dialect
//! (`docs/inbenta-wire.md`).
//!
//! - [`InbentaConfig`]: app id, region or server URL, port (the seed's `ICF.init`).
//! - [`Client`]: [`create_user`](Client::create_user) (`POST /v1/users`),
//!   [`login`](Client::login) (opens the realtime channel), [`send`](Client::send) any
//!   client event and get the server's reply, [`request`](Client::request) a typed one
//!   (every documented client event is a type in [`lc_protocol::inbenta`]:
//!   `ChatsAssign`, `ChatsJoin`, `UsersActivity`, `UserFocus`, `MessagesRead`,
//!   `ChatsClose`, `HistoryImport`, `ChatsGet`, `ChatsCreate`, `UsersChats`),
//!   [`subscribe`](Client::subscribe) / [`unsubscribe`](Client::unsubscribe) pushes.
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
//! use lc_inbenta::{Chat, ChatEvent, ChatOptions, Client, InbentaConfig, NewUser};
//!
//! # async fn demo() -> Result<(), lc_protocol::Error> {
//! let app = Client::new(InbentaConfig::region("my-app-id", "eu"));
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
    Chat, ChatEvent, ChatEvents, ChatItem, ChatOptions, DEFAULT_RESOLVE_WITHIN, DEFAULT_SOURCE,
    Resolution, SendMessage, SentMessage,
};
pub use client::Client;
pub use config::{DEFAULT_PORT, InbentaConfig};
pub use http::Method;
pub use lc_web::Upload;
pub use session::InbentaSession;
pub use subscription::{Subscription, SubscriptionItem};
pub use users::{NewUser, UserSession};
