//! [`SendMessage`]: a message with its client-made event id, sent when awaited.

use crate::Client;
use lc_protocol::Error;
use lc_protocol::inbenta::{MessagesSend, MessagesSendResponse};
use std::future::{Future, IntoFuture};
use std::pin::Pin;

/// A message on its way, from [`Chat::send_message`](crate::Chat::send_message).
///
/// Its [`event_id`](SendMessage::event_id) is made by the client and known at once,
/// before anything is sent: it is what the seed's `onCreate(eventId, text, sender)`
/// receives, to show the message right away and match it with the server's answer (and
/// with the `message:received` other connections of the same user get). `.await` sends
/// it and resolves to the server's answer `{eventId, message}` with the stored message.
///
/// ```no_run
/// # async fn demo(chat: lc_inbenta::Chat) -> Result<(), lc_protocol::Error> {
/// let sending = chat.send_message("Hello");
/// let event_id = sending.event_id().to_owned(); // show it as "sending..."
/// let sent = sending.await?;
/// assert_eq!(sent.event_id.as_deref(), Some(event_id.as_str()));
/// println!("stored as {}", sent.message.id);
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
#[must_use = "a message is sent only when awaited"]
pub struct SendMessage {
    client: Client,
    request: MessagesSend,
}

impl SendMessage {
    pub(crate) fn new(client: Client, request: MessagesSend) -> Self {
        Self { client, request }
    }

    /// The client-made event id of this message.
    pub fn event_id(&self) -> &str {
        &self.request.event_id
    }

    /// The text.
    pub fn text(&self) -> &str {
        &self.request.message
    }

    /// The chat it goes to.
    pub fn chat_id(&self) -> &str {
        &self.request.chat_id
    }
}

impl IntoFuture for SendMessage {
    type Output = Result<MessagesSendResponse, Error>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move { self.client.request(&self.request).await })
    }
}

/// A fresh event id: random, so ids of different connections and restarts never meet.
pub(crate) fn new_event_id() -> String {
    format!("ev-{}", uuid::Uuid::new_v4().simple())
}
