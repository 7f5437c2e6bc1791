//! [`ChatEvent`]: the pushes of one chat, typed, and the stream that carries them.

use futures_util::Stream;
use lc_protocol::PushSet;
use lc_protocol::inbenta::{
    ChatClosed, ChatIntervened, ChatTimerExpiryAlert, ForeverAlone, InbentaPush, MessageRead,
    MessageReceived, QueueUpdate, SystemInfo, UserActivity, UserJoined, UserLeft,
};
use serde_json::Value;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;

/// One event of a chat (the seed's `chat.on(...)` events).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ChatEvent {
    /// `user:joined`: a user (an agent after an assignment, or a watcher) joined.
    UserJoined(UserJoined),
    /// `user:left`: a user left.
    UserLeft(UserLeft),
    /// `user:activity`: a user is writing, stopped, or is not writing.
    UserActivity(UserActivity),
    /// `message:received`: a message was posted (by another connection).
    MessageReceived(MessageReceived),
    /// `message:read`: a message was read.
    MessageRead(MessageRead),
    /// `chat:closed`: the chat was closed.
    ChatClosed(ChatClosed),
    /// `chat:intervened`: a supervisor took the chat over.
    ChatIntervened(ChatIntervened),
    /// `forever:alone`: no agent is available for the chat.
    ForeverAlone(ForeverAlone),
    /// `queue:update`: the chat's position in the queue changed (queue mode).
    QueueUpdate(QueueUpdate),
    /// `chat:timer:expiryAlert`: the chat is about to expire for inactivity.
    ChatTimerExpiryAlert(ChatTimerExpiryAlert),
    /// `system:info`: a notice about the chat, e.g. the ticket created when it closed.
    SystemInfo(SystemInfo),
    /// A push of this chat that this crate does not know, as received.
    Other(InbentaPush),
    /// This subscriber fell behind and missed this many events.
    Missed(u64),
}

impl From<InbentaPush> for ChatEvent {
    fn from(push: InbentaPush) -> Self {
        match push {
            InbentaPush::UserJoined(p) => Self::UserJoined(p),
            InbentaPush::UserLeft(p) => Self::UserLeft(p),
            InbentaPush::UserActivity(p) => Self::UserActivity(p),
            InbentaPush::MessageReceived(p) => Self::MessageReceived(p),
            InbentaPush::MessageRead(p) => Self::MessageRead(p),
            InbentaPush::ChatClosed(p) => Self::ChatClosed(p),
            InbentaPush::ChatIntervened(p) => Self::ChatIntervened(p),
            InbentaPush::ForeverAlone(p) => Self::ForeverAlone(p),
            InbentaPush::QueueUpdate(p) => Self::QueueUpdate(p),
            InbentaPush::ChatTimerExpiryAlert(p) => Self::ChatTimerExpiryAlert(p),
            InbentaPush::SystemInfo(p) => Self::SystemInfo(p),
            other => Self::Other(other),
        }
    }
}

impl ChatEvent {
    /// The wire name of the event (`user:joined`, ...); `missed` for [`ChatEvent::Missed`].
    pub fn name(&self) -> &str {
        match self {
            Self::UserJoined(_) => "user:joined",
            Self::UserLeft(_) => "user:left",
            Self::UserActivity(_) => "user:activity",
            Self::MessageReceived(_) => "message:received",
            Self::MessageRead(_) => "message:read",
            Self::ChatClosed(_) => "chat:closed",
            Self::ChatIntervened(_) => "chat:intervened",
            Self::ForeverAlone(_) => "forever:alone",
            Self::QueueUpdate(_) => "queue:update",
            Self::ChatTimerExpiryAlert(_) => "chat:timer:expiryAlert",
            Self::SystemInfo(_) => "system:info",
            Self::Other(push) => push.name(),
            Self::Missed(_) => "missed",
        }
    }
}

/// The chat a push is about, where it says (`chatId`, `chat.id` or `message.chat`).
pub(crate) fn chat_of(push: &InbentaPush) -> Option<&str> {
    match push {
        InbentaPush::UserJoined(p) => p
            .chat_id
            .as_deref()
            .or(p.chat.as_ref().map(|c| c.id.as_str())),
        InbentaPush::UserLeft(p) => p.chat_id.as_deref(),
        InbentaPush::UserActivity(p) => p.chat_id.as_deref(),
        InbentaPush::MessageReceived(p) => p.message.chat.as_deref(),
        InbentaPush::MessageRead(p) => p.message.chat.as_deref(),
        InbentaPush::ChatClosed(p) => Some(&p.chat_id),
        InbentaPush::ChatIntervened(p) => p.chat.as_ref().map(|c| c.id.as_str()),
        InbentaPush::ForeverAlone(p) => p.chat_id.as_deref(),
        InbentaPush::QueueUpdate(p) => p.chat_id.as_deref(),
        InbentaPush::ChatTimerExpiryAlert(p) => Some(&p.chat_id),
        InbentaPush::SystemInfo(p) => p.chat_id.as_deref(),
        InbentaPush::Unknown { payload, .. } => ["/chatId", "/chat/id", "/message/chat"]
            .iter()
            .find_map(|pointer| payload.pointer(pointer).and_then(Value::as_str)),
        _ => None,
    }
}

/// Whether `push` belongs to chat `id`: it names that chat, or names none (a push that
/// does not say which chat it is about goes to every chat of the connection).
pub(crate) fn concerns(push: &InbentaPush, id: &str) -> bool {
    chat_of(push).is_none_or(|chat| chat == id)
}

/// The events of one chat, from [`Chat::events`](crate::Chat::events). Ends when the
/// last handle of the chat is dropped or the client's connection is closed.
#[must_use = "a stream receives nothing unless polled"]
pub struct ChatEvents {
    inner: BroadcastStream<ChatEvent>,
}

impl std::fmt::Debug for ChatEvents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatEvents").finish_non_exhaustive()
    }
}

impl ChatEvents {
    pub(crate) fn new(receiver: tokio::sync::broadcast::Receiver<ChatEvent>) -> Self {
        Self {
            inner: BroadcastStream::new(receiver),
        }
    }
}

impl Stream for ChatEvents {
    type Item = ChatEvent;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<ChatEvent>> {
        Pin::new(&mut self.inner).poll_next(cx).map(|item| {
            item.map(|result| match result {
                Ok(event) => event,
                Err(BroadcastStreamRecvError::Lagged(missed)) => ChatEvent::Missed(missed),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn push(name: &str, data: &str) -> InbentaPush {
        InbentaPush::decode(name, data).unwrap_or_else(|err| panic!("{err}"))
    }

    #[test]
    fn every_chat_event_names_its_chat() {
        let cases = [
            ("user:joined", r#"{"user":{"id":"a1"},"chatId":"c1"}"#),
            ("user:joined", r#"{"user":{"id":"a1"},"chat":{"id":"c1"}}"#),
            ("user:left", r#"{"chatId":"c1","userId":"a1"}"#),
            (
                "user:activity",
                r#"{"userId":"a1","type":"writing","chatId":"c1"}"#,
            ),
            ("message:received", r#"{"message":{"id":"m1","chat":"c1"}}"#),
            ("message:read", r#"{"message":{"id":"m1","chat":"c1"}}"#),
            ("chat:closed", r#"{"chatId":"c1","userId":"system"}"#),
            (
                "chat:intervened",
                r#"{"interventor":{"id":"s1"},"chat":{"id":"c1"}}"#,
            ),
            ("forever:alone", r#"{"chatId":"c1"}"#),
            ("queue:update", r#"{"queuePosition":2,"chatId":"c1"}"#),
            ("chat:timer:expiryAlert", r#"{"chatId":"c1","timeLeft":30}"#),
            ("system:info", r#"{"chatId":"c1","data":{"ticketId":"t"}}"#),
            ("chat:new-thing", r#"{"chatId":"c1"}"#),
        ];
        for (name, data) in cases {
            let push = push(name, data);
            assert_eq!(chat_of(&push), Some("c1"), "{name}");
            assert!(concerns(&push, "c1") && !concerns(&push, "c2"), "{name}");
            assert_eq!(ChatEvent::from(push).name(), name);
        }
    }

    #[test]
    fn pushes_that_name_no_chat_go_to_every_chat() {
        let alone = push("forever:alone", "{}");
        assert!(concerns(&alone, "c1") && concerns(&alone, "c2"));
    }
}
