//! [`SendMessage`]: a message with its client-made event id, sent when awaited, exactly
//! once.

use super::state::{ChatState, Origin, Pending, event_id_of, sender_of, stored_messages};
use crate::client::UserClient;
use lc_protocol::inbenta::{InbentaMessage, MessagesSend, MessagesSendResponse};
use lc_protocol::{Applied, Error};
use serde_json::Value;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// How long a send whose outcome is unknown keeps finding it out by default (see
/// [`ChatOptions::resolve_within`](crate::ChatOptions::resolve_within)).
pub const DEFAULT_RESOLVE_WITHIN: Duration = Duration::from_secs(30);

/// The action named in [`Error::Unresolved`].
const ACTION: &str = "messages:send";

/// A message on its way, from [`Chat::send_message`](crate::Chat::send_message).
///
/// Its [`event_id`](SendMessage::event_id) is made by the client and known at once,
/// before anything is sent: it is what the JS `onCreate(eventId, text, sender)`
/// receives, to show the message right away and match it with the server's answer (and
/// with the `message:received` other connections of the same user get). `.await` sends
/// it and resolves to the server's answer `{eventId, message}` with the stored message;
/// [`resolve`](SendMessage::resolve) also says how it was resolved.
///
/// # Exactly once
///
/// When the outcome is unknown ([`Error::applied`] is [`Applied::Unknown`]: the
/// connection was lost after the message may have been written, no answer in time, a
/// server error), the send neither gives up nor sends blindly again. It lists the chat's
/// stored messages (`GET /v1/chats/{id}/messages`, which works while the realtime
/// connection is down) and returns the stored copy if it is there; otherwise it sends
/// the message again with the same event id, once the connection is back, and so on
/// until [`resolve_within`](SendMessage::resolve_within) has passed since the first
/// attempt. A definitive failure ([`Applied::No`], e.g. a closed chat) is returned as
/// is; [`Error::Unresolved`] comes only when finding out kept failing until then.
///
/// Inbenta's stored messages carry no event id (`{id, chat, sender, type, message}`),
/// so the stored copy is recognised as the oldest message with this sender and this
/// exact text that the chat has not accounted for otherwise: not there when the chat
/// was loaded, not the stored copy of another send of this handle, not delivered with
/// another event id. If the server does keep `eventId` on messages, that is used
/// instead. The limit: the same user sending the same text from another connection at
/// the same time, unseen by this one, can be taken for this message, which is then not
/// sent again (one message fewer, never a duplicate). A server that applies a request
/// after the client's request timeout, while the resend is on its way, would store it
/// twice: only a server deduplicating by event id could prevent that.
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
    client: UserClient,
    state: Arc<ChatState>,
    request: MessagesSend,
    within: Duration,
}

/// How a [`SendMessage`] got its stored message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Resolution {
    /// The server answered the first attempt.
    Answered,
    /// The outcome was unknown; the message was found stored in the chat.
    Found,
    /// The outcome was unknown and the message was not stored; it was sent again with
    /// the same event id and the server answered.
    Resent,
}

/// A sent message and how its outcome was found out, from [`SendMessage::resolve`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SentMessage {
    /// The server's answer, or the same built from the stored message when it was
    /// found: `{eventId, message}`.
    pub response: MessagesSendResponse,
    /// How it was found out.
    pub resolution: Resolution,
    /// How many times it was sent (1 unless resent).
    pub attempts: u32,
}

impl SendMessage {
    pub(crate) fn new(
        client: UserClient,
        state: Arc<ChatState>,
        request: MessagesSend,
        within: Duration,
    ) -> Self {
        Self {
            client,
            state,
            request,
            within,
        }
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

    /// How long finding out an unknown outcome may take, from the first attempt
    /// (default: the chat's [`ChatOptions::resolve_within`](crate::ChatOptions::resolve_within)).
    pub fn resolve_within(mut self, within: Duration) -> Self {
        self.within = within;
        self
    }

    /// Sends the message, exactly once (see [`SendMessage`]), and says how.
    ///
    /// # Errors
    /// The first attempt's error when the server certainly did not store it
    /// ([`Applied::No`]: e.g. [`Error::Api`] for a closed chat, [`Error::Closed`]), the
    /// resend's when that one was refused; [`Error::Unresolved`] with the last failure
    /// when the outcome could not be found out in time.
    pub async fn resolve(self) -> Result<SentMessage, Error> {
        let deadline = Instant::now() + self.within;
        let _pending = PendingGuard::new(&self.state, &self.request);
        let mut attempts = 0;
        loop {
            attempts += 1;
            let error = match self.attempt(deadline).await {
                Ok(response) => {
                    self.claim(&response.message.id);
                    let resolution = if attempts == 1 {
                        Resolution::Answered
                    } else {
                        Resolution::Resent
                    };
                    return Ok(SentMessage {
                        response,
                        resolution,
                        attempts,
                    });
                }
                Err(error) if error.applied() == Applied::No => return Err(error),
                Err(error) => error,
            };
            tracing::info!(event_id = %self.request.event_id, %error, "send outcome unknown: looking the message up");
            match self.look_up(deadline, error).await? {
                Some(message) => {
                    return Ok(SentMessage {
                        response: MessagesSendResponse {
                            event_id: Some(self.request.event_id.clone()),
                            message,
                            ..MessagesSendResponse::default()
                        },
                        resolution: Resolution::Found,
                        attempts,
                    });
                }
                None => {
                    tracing::info!(event_id = %self.request.event_id, "message not stored: sending it again");
                }
            }
        }
    }

    /// One attempt, ending by the deadline (an attempt cut short counts as a timeout).
    async fn attempt(&self, deadline: Instant) -> Result<MessagesSendResponse, Error> {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, self.client.call(self.request.clone())).await {
            Ok(result) => result,
            Err(_) => Err(Error::Timeout {
                action: ACTION.to_owned(),
                after: left,
            }),
        }
    }

    /// Looks the message up until the lookup succeeds or the deadline passes: the stored
    /// copy (claimed for this send), `None` when it is not stored, or
    /// [`Error::Unresolved`] with the last failure (`cause` if none came later).
    async fn look_up(
        &self,
        deadline: Instant,
        mut cause: Error,
    ) -> Result<Option<InbentaMessage>, Error> {
        let mut pause = Duration::from_millis(50);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(Error::Unresolved {
                    action: ACTION.to_owned(),
                    custom_id: self.request.event_id.clone(),
                    source: Box::new(cause),
                });
            }
            let chat = &self.request.chat_id;
            match tokio::time::timeout(left, stored_messages(&self.client, chat)).await {
                Ok(Ok(stored)) => return Ok(self.find(stored)),
                Ok(Err(error)) => cause = error,
                Err(_) => {
                    cause = Error::Timeout {
                        action: format!("GET /v1/chats/{chat}/messages"),
                        after: left,
                    }
                }
            }
            tracing::debug!(event_id = %self.request.event_id, error = %cause, "lookup failed");
            let left = deadline.saturating_duration_since(Instant::now());
            tokio::time::sleep(pause.min(left)).await;
            pause = (pause * 2).min(Duration::from_secs(1));
        }
    }

    /// The stored copy of this message among `stored` (oldest first), claimed.
    fn find(&self, stored: Vec<InbentaMessage>) -> Option<InbentaMessage> {
        let me = self.request.sender.as_deref();
        let event_id = &self.request.event_id;
        let content = Value::String(self.request.message.clone());
        let mut ledger = self.state.ledger();
        let found = stored.into_iter().find(|message| {
            let known = ledger.messages.get(&message.id);
            if let Some(stored_id) = event_id_of(message) {
                return stored_id == *event_id
                    && known.is_none_or(|origin| *origin != Origin::Before);
            }
            let ours_unless_known =
                sender_of(message) == me && message.message.as_ref() == Some(&content);
            ours_unless_known
                && match known {
                    None => true,
                    Some(Origin::Own(id)) => id == event_id,
                    Some(Origin::Delivered(Some(id))) => id == event_id,
                    Some(Origin::Before | Origin::Delivered(None)) => false,
                }
        })?;
        ledger
            .messages
            .insert(found.id.clone(), Origin::Own(event_id.clone()));
        Some(found)
    }

    /// Records that message `id` is this send's stored copy.
    fn claim(&self, id: &str) {
        let origin = Origin::Own(self.request.event_id.clone());
        self.state.ledger().messages.insert(id.to_owned(), origin);
    }
}

/// Marks a send in progress in the chat's ledger while it lives.
struct PendingGuard<'a> {
    state: &'a ChatState,
    event_id: String,
}

impl<'a> PendingGuard<'a> {
    fn new(state: &'a ChatState, request: &MessagesSend) -> Self {
        state.ledger().pending.push(Pending {
            event_id: request.event_id.clone(),
            content: Value::String(request.message.clone()),
        });
        Self {
            state,
            event_id: request.event_id.clone(),
        }
    }
}

impl Drop for PendingGuard<'_> {
    fn drop(&mut self) {
        let mut ledger = self.state.ledger();
        if let Some(at) = ledger
            .pending
            .iter()
            .position(|p| p.event_id == self.event_id)
        {
            ledger.pending.remove(at);
        }
    }
}

impl IntoFuture for SendMessage {
    type Output = Result<MessagesSendResponse, Error>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move { self.resolve().await.map(|sent| sent.response) })
    }
}

/// A fresh event id: random, so ids of different connections and restarts never meet.
pub(crate) fn new_event_id() -> String {
    format!("ev-{}", uuid::Uuid::new_v4().simple())
}
