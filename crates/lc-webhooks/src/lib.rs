//! Receives LiveChat webhooks: [`WebhookReceiver`] checks each delivery's secret in
//! constant time, answers at once (LiveChat waits about 10 s for an HTTP 200, then sends
//! the same delivery again, up to 3 times within about a minute) and hands every
//! delivery once to a [`Webhooks`] stream, typed ([`Webhook`]).
//!
//! Serve it on its own port with [`WebhookReceiver::serve`], call
//! [`WebhookReceiver::handle`] from the HTTP server you already run, or mount it as a
//! `tower` service (it implements `tower_service::Service`). With the feature `axum`,
//! `WebhookReceiver::into_router` gives an axum `Router` to merge into your app
//! (example `axum_receiver`).
//!
//! | the delivery | the answer | the stream |
//! |---|---|---|
//! | a new webhook with the right secret | 200 | gets it |
//! | a redelivery of one already given | 200 | nothing more |
//! | a wrong secret | 401 | nothing |
//! | not a webhook envelope | 400 | nothing |
//! | a body over the limit (1 MiB) | 413 | nothing |
//! | not a `POST` | 405 | nothing |
//! | the stream is full or gone | 503 (LiveChat sends it again) | nothing |
//!
//! ```no_run
//! use futures_util::StreamExt;
//! use lc_protocol::agent::AgentPush;
//! use lc_webhooks::WebhookReceiver;
//!
//! # async fn demo() -> std::io::Result<()> {
//! let (receiver, mut webhooks) = WebhookReceiver::new("the secret_key you registered");
//! let listener = tokio::net::TcpListener::bind("0.0.0.0:8080").await?;
//! tokio::spawn(receiver.serve(listener));
//! while let Some(webhook) = webhooks.next().await {
//!     if let AgentPush::IncomingEvent(incoming) = &webhook.payload {
//!         println!("{}: {:?}", incoming.chat_id, incoming.event.text());
//!     }
//! }
//! # Ok(())
//! # }
//! ```

mod receiver;
mod recent;
#[cfg(feature = "axum")]
mod router;

pub use lc_protocol::webhook::Webhook;
pub use receiver::{MAX_BODY_BYTES, WebhookReceiver, Webhooks};
