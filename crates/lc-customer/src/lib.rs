//! The LiveChat Customer Chat API client: [`CustomerClient`], every method of the customer
//! SDK's method set (lc-sdk-js `customer-sdk`) with Rust names, typed arguments and typed
//! responses, over RTM (the connection) and Web (`upload_file` and the GET actions).
//!
//! [`CustomerClient::connect`] starts the connection in the background: the RTM engine
//! logs in with a token from your provider (customer, page and session fields from the
//! [`CustomerConfig`]), keeps the heartbeat, reconnects and logs in again. Requests sent
//! meanwhile wait for it. What happens arrives as [`CustomerEvent`]s: every customer
//! push, typed, and the connection's lifecycle (connected with the customer and the
//! group's availability, disconnected with a reason, reconnecting).
//!
//! ```no_run
//! use lc_customer::{CustomerClient, CustomerConfig};
//! use lc_protocol::customer::push::IncomingEvent;
//! use lc_protocol::id::Token;
//! use lc_protocol::types::Event;
//!
//! # async fn demo() -> Result<(), lc_protocol::Error> {
//! let config = CustomerConfig::new("390e44e6-f1e6-0368-c1ba-3b48b1ba6be0");
//! let client = CustomerClient::connect(config, Token::new("dal:customer-token"));
//! let _messages = client.on::<IncomingEvent>(|incoming| {
//!     println!("{}", incoming.event.text().unwrap_or_default());
//! });
//! let chat = client.start_chat().await?;
//! client.send_event(chat.chat_id.clone(), Event::message("Hello!")).await?;
//! client.set_sneak_peek(chat.chat_id, "I would like to as");
//! client.destroy();
//! # Ok(())
//! # }
//! ```
//!
//! # When the network misbehaves
//!
//! - [`send_event`](CustomerClient::send_event) and [`send_file`](CustomerClient::send_file)
//!   create their event exactly once: when the outcome is ambiguous the client looks the
//!   event up by its `custom_id` and returns it if stored, or sends it again if not
//!   ([`SendOnce`]). An error says for certain that nothing was stored, unless it is
//!   [`Error::Unresolved`](lc_protocol::Error::Unresolved).
//! - [`events`](CustomerClient::events) gives every push once; after a reconnection
//!   what happened meanwhile comes as [`CustomerEvent::Recovered`], in order.
//!   [`on`](CustomerClient::on) and [`once`](CustomerClient::once) handlers get those
//!   too.
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
//! Every method of customer-sdk keeps its name in snake case
//! (`getChatHistory` → [`get_chat_history`](CustomerClient::get_chat_history), ...).
//! The others:
//!
//! | customer-sdk | livechat-rs |
//! |---|---|
//! | `init(config)` | [`CustomerClient::connect`] (or [`CustomerClient::new`] around any transport) |
//! | `auth` | the [`TokenProvider`](lc_protocol::auth::TokenProvider) `connect` takes |
//! | `on(name, handler)`, `once` | [`on::<K>`](CustomerClient::on), [`once::<K>`](CustomerClient::once) with the event's type (e.g. `on::<IncomingEvent>`), and [`on_any`](CustomerClient::on_any) for every event, returning a [`Subscription`] |
//! | `off(name, handler)` | [`Subscription::off`], or dropping the subscription |
//! | `$$observable` | [`observe`](CustomerClient::observe): a stream of `(name, data)`; typed: [`events`](CustomerClient::events) |
//! | `sendFile(..)` with `onProgress`, `cancel` | [`send_file`](CustomerClient::send_file), then [`SendFile::on_progress`] and [`SendFile::canceller`] |
//! | any other action | [`call`](CustomerClient::call) (typed) or [`call_raw`](CustomerClient::call_raw) (by name) |

mod call;
mod chats;
mod client;
mod config;
mod connection;
mod customer;
mod event;
mod history;
mod listeners;
mod pages;
mod pump;
mod recovery;
mod sending;
mod shared;
mod sneak_peek;
mod summaries;

pub use call::Call;
pub use chats::{Rating, RatingScore};
pub use client::CustomerClient;
pub use config::{CustomerConfig, DEFAULT_RTM_URL, DEFAULT_WEB_URL};
pub use connection::CustomerConnection;
pub use event::{
    Availability, Connected, CustomerEvent, Disconnected, EventKind, Reconnecting, Stopped,
};
pub use history::{ChatHistory, HistoryPage};
pub use lc_protocol::SendOnce;
pub use lc_protocol::{EventStream, Subscription};
pub use lc_web::{CancellationToken, Upload};
pub use pages::Pagination;
pub use sending::{SendFile, SentFile};
pub use summaries::{ChatSummary, ChatsSummary, ThreadSummary, ThreadsSummary};
