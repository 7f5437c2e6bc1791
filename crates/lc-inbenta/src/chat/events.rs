//! [`ChatEvent`]: the pushes of one chat, typed, and the stream that carries them.

use futures_util::StreamExt;
use lc_protocol::PushSet;
use lc_protocol::inbenta::{
    ChatClosed, ChatIntervened, ChatTimerExpiryAlert, ForeverAlone, InbentaPush, MessageRead,
    MessageReceived, QueueUpdate, SystemInfo, UserActivity, UserJoined, UserLeft,
};
use lc_protocol::listen::{CatchUp, EventSource};
use serde_json::Value;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;

/// One event of a chat (the events the JS Chat object's `chat.on(...)` callbacks get).
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
    /// This subscriber fell behind and missed this many events: call
    /// [`EventStream::catch_up`](lc_protocol::EventStream::catch_up) to get them.
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

/// One item of a chat's event stream: an event, and whether it was recovered.
///
/// `recovered` is `false` for an event delivered as it happened and `true` for one the
/// stream delivers late: found on the server after the connection came back (or after
/// the chat's follower fell behind), or replayed by
/// [`EventStream::catch_up`](lc_protocol::EventStream::catch_up). The JS Chat object
/// has no counterpart: its `chat.on(...)` callbacks miss what happens while offline.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatItem {
    /// The event.
    pub event: ChatEvent,
    /// Whether it is delivered late (see above).
    pub recovered: bool,
}

impl ChatItem {
    /// The event, without the flag.
    pub fn into_event(self) -> ChatEvent {
        self.event
    }
}

impl std::ops::Deref for ChatItem {
    type Target = ChatEvent;

    fn deref(&self) -> &ChatEvent {
        &self.event
    }
}

/// The events of one chat: the source of [`Chat::events`](crate::Chat::events), in
/// order and each once. A subscriber read too slowly gets [`ChatEvent::Missed`] with the
/// number of items it missed; a catch-up then returns them, in order and marked
/// recovered.
pub(crate) struct ChatEvents {
    inner: BroadcastStream<(u64, ChatItem)>,
    log: Arc<Mutex<Vec<ChatItem>>>,
    /// The index of the next item to deliver from the broadcast.
    next: u64,
    replay: VecDeque<ChatItem>,
}

impl std::fmt::Debug for ChatEvents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatEvents")
            .field("next", &self.next)
            .finish_non_exhaustive()
    }
}

impl ChatEvents {
    /// A stream from item `next` of `log` on: the items of the log from `from` to
    /// `next` are replayed first (as they were delivered), then `receiver`'s.
    pub(crate) fn new(
        receiver: tokio::sync::broadcast::Receiver<(u64, ChatItem)>,
        log: Arc<Mutex<Vec<ChatItem>>>,
        from: u64,
        next: u64,
    ) -> Self {
        let replay = {
            let items = log
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let (from, next) = (index(from), index(next).min(items.len()));
            items.get(from..next).map(<[_]>::to_vec).unwrap_or_default()
        };
        Self {
            inner: BroadcastStream::new(receiver),
            log,
            next,
            replay: replay.into(),
        }
    }

    /// Every item of the chat this stream has not delivered (those it missed by falling
    /// behind, after [`ChatEvent::Missed`]), marked recovered, in order; later items
    /// come after them, each once.
    fn missed(&mut self) -> Vec<ChatItem> {
        let items = self
            .log
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let missed: Vec<ChatItem> = items
            .get(index(self.next)..)
            .unwrap_or_default()
            .iter()
            .map(|item| ChatItem {
                event: item.event.clone(),
                recovered: true,
            })
            .collect();
        self.next = items.len() as u64;
        drop(items);
        // Items replayed from before, still queued, come before the missed ones.
        let mut all: Vec<ChatItem> = self.replay.drain(..).collect();
        all.extend(missed);
        all
    }
}

fn index(seq: u64) -> usize {
    usize::try_from(seq).unwrap_or(usize::MAX)
}

impl EventSource<ChatItem> for ChatEvents {
    fn catch_up(&mut self) -> CatchUp<'_, ChatItem> {
        Box::pin(std::future::ready(Ok(self.missed())))
    }

    fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<ChatItem>> {
        let this = self;
        if let Some(item) = this.replay.pop_front() {
            return Poll::Ready(Some(item));
        }
        loop {
            return match this.inner.poll_next_unpin(cx) {
                Poll::Pending => Poll::Pending,
                Poll::Ready(None) => Poll::Ready(None),
                Poll::Ready(Some(Ok((seq, item)))) => {
                    if seq < this.next {
                        // Delivered already, by a catch-up.
                        continue;
                    }
                    this.next = seq + 1;
                    Poll::Ready(Some(item))
                }
                Poll::Ready(Some(Err(BroadcastStreamRecvError::Lagged(missed)))) => {
                    Poll::Ready(Some(ChatItem {
                        event: ChatEvent::Missed(missed),
                        recovered: false,
                    }))
                }
            };
        }
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
