//! What a chat handle knows between calls: its data, kept current by a task that follows
//! the connection's pushes and forwards this chat's ones as [`ChatItem`]s, the log of
//! what it delivered, and the ledger of which stored messages it already accounted for
//! (delivered, or sent by this handle), so that a catch-up delivers only what was missed
//! and an ambiguous send finds its message.

use super::events::{ChatEvent, ChatItem, concerns};
use crate::client::UserClient;
use futures_util::StreamExt;
use lc_protocol::Error;
use lc_protocol::inbenta::{
    ChatClosed, ChatsGet, InbentaChat, InbentaMessage, InbentaPush, InbentaUser, MessageReceived,
    UserJoined, UserLeft,
};
use lc_rtm::{PushStream, RtmEvent};
use serde::Deserialize;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::{broadcast, oneshot};

/// Events buffered per chat subscriber before it is told it missed some.
const EVENT_BUFFER: usize = 1024;

/// How long the follower keeps trying a catch-up that fails (e.g. the connection went
/// down again: the next reconnection starts another one).
const RECOVERY_PATIENCE: Duration = Duration::from_secs(30);

/// What the chat knows of a stored message.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Origin {
    /// It was in the chat when the handle loaded it.
    Before,
    /// This handle sent it, with this event id.
    Own(String),
    /// It was delivered on the event stream (live or recovered), with the event id the
    /// push carried, if any.
    Delivered(Option<String>),
}

/// A message this handle is sending whose stored copy it may not know yet.
#[derive(Debug, Clone)]
pub(crate) struct Pending {
    pub(crate) event_id: String,
    pub(crate) content: Value,
}

/// A membership fact delivered by a catch-up, to drop the live push saying the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fact {
    Joined,
    Left,
}

/// Which stored messages and membership facts the chat accounted for.
#[derive(Debug, Default)]
pub(crate) struct Ledger {
    pub(crate) messages: HashMap<String, Origin>,
    pub(crate) pending: Vec<Pending>,
    /// The members as delivered on the stream (not the optimistic ones of `data`).
    members: Vec<String>,
    closed: bool,
    /// Facts delivered by a catch-up whose live push may still come.
    recovered: HashMap<String, Fact>,
    recovered_close: bool,
}

impl Ledger {
    /// Whether `message`, sent by `me`, may be the stored copy of a pending send: such a
    /// message is left for the send to claim, not delivered by a catch-up.
    fn awaits_claim(&self, message: &InbentaMessage, me: &str) -> bool {
        sender_of(message) == Some(me)
            && self
                .pending
                .iter()
                .any(|p| message.message.as_ref() == Some(&p.content))
    }
}

/// The live state of one chat.
#[derive(Debug)]
pub(crate) struct ChatState {
    data: Mutex<InbentaChat>,
    /// `None` once the connection stopped, which ends every event stream.
    events: Mutex<Option<broadcast::Sender<(u64, ChatItem)>>>,
    /// Every item delivered, in order; the broadcast carries each one's index.
    pub(crate) log: Arc<Mutex<Vec<ChatItem>>>,
    ledger: Mutex<Ledger>,
    /// One catch-up at a time.
    recovering: tokio::sync::Mutex<()>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A poisoned lock still holds usable data: updates are single writes.
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl ChatState {
    pub(crate) fn new() -> Arc<Self> {
        let (events, _) = broadcast::channel(EVENT_BUFFER);
        Arc::new(Self {
            data: Mutex::new(InbentaChat::default()),
            events: Mutex::new(Some(events)),
            log: Arc::new(Mutex::new(Vec::new())),
            ledger: Mutex::new(Ledger::default()),
            recovering: tokio::sync::Mutex::new(()),
        })
    }

    /// A receiver of the chat's items from now on, and the index of the next item (the
    /// log's length). The receiver has already ended once the connection stopped.
    pub(crate) fn subscribe(&self) -> (broadcast::Receiver<(u64, ChatItem)>, u64) {
        let log = lock(&self.log);
        let receiver = match &*lock(&self.events) {
            Some(sender) => sender.subscribe(),
            None => broadcast::channel(1).1,
        };
        (receiver, log.len() as u64)
    }

    fn emit(&self, event: ChatEvent, recovered: bool) {
        let item = ChatItem { event, recovered };
        let mut log = lock(&self.log);
        let seq = log.len() as u64;
        log.push(item.clone());
        if let Some(sender) = &*lock(&self.events) {
            // No subscriber is fine.
            let _ = sender.send((seq, item));
        }
    }

    /// Ends every event stream.
    fn end(&self) {
        lock(&self.events).take();
    }

    /// The chat data.
    pub(crate) fn data(&self) -> MutexGuard<'_, InbentaChat> {
        lock(&self.data)
    }

    pub(crate) fn ledger(&self) -> MutexGuard<'_, Ledger> {
        lock(&self.ledger)
    }

    /// Sets the data from `init`, and the members and messages known from the start.
    pub(crate) fn set_data(&self, chat: InbentaChat, before: Vec<InbentaMessage>) {
        let mut ledger = self.ledger();
        ledger.members = chat.users.iter().flatten().map(|u| u.id.clone()).collect();
        ledger.closed = is_closed(&chat);
        for message in before {
            ledger.messages.insert(message.id, Origin::Before);
        }
        drop(ledger);
        *self.data() = chat;
    }

    /// Records that `user` is in the chat (e.g. the agent `chats:assign` answered with).
    pub(crate) fn add_user(&self, user: &InbentaUser) {
        add_user(self.data().users.get_or_insert_with(Vec::new), user);
    }

    /// Records that user `id` is no longer in the chat.
    pub(crate) fn remove_user(&self, id: &str) {
        let mut data = self.data();
        let data = &mut *data;
        for list in [&mut data.users, &mut data.watchers].into_iter().flatten() {
            list.retain(|user| user.id != id);
        }
    }

    /// Records that the chat is closed.
    pub(crate) fn mark_closed(&self) {
        let mut data = self.data();
        data.closed = Some(true);
        data.status = Some("closed".to_owned());
    }

    /// Applies what `push` changes in the chat data.
    fn apply(&self, push: &InbentaPush) {
        let mut data = self.data();
        match push {
            InbentaPush::UserJoined(joined) => {
                let list = if joined.mode.as_deref() == Some("watch") {
                    &mut data.watchers
                } else {
                    &mut data.users
                };
                add_user(list.get_or_insert_with(Vec::new), &joined.user);
            }
            InbentaPush::UserLeft(left) => {
                if let Some(id) = left_id(left) {
                    let id = id.to_owned();
                    drop(data);
                    self.remove_user(&id);
                }
            }
            InbentaPush::ChatClosed(_) => {
                drop(data);
                self.mark_closed();
            }
            InbentaPush::ChatIntervened(intervened) => {
                let users = data.users.get_or_insert_with(Vec::new);
                for replaced in intervened.intervened_users.iter().flatten() {
                    users.retain(|user| user.id != replaced.id);
                }
                add_user(users, &intervened.interventor);
            }
            _ => {}
        }
    }

    /// Handles a live push of this chat: drops what the stream already delivered (a
    /// message by id, a membership fact a catch-up delivered first), else records it,
    /// applies it and delivers it.
    fn live(&self, push: InbentaPush) {
        let mut ledger = self.ledger();
        match &push {
            InbentaPush::MessageReceived(received) => {
                let id = &received.message.id;
                if ledger.messages.contains_key(id) {
                    return;
                }
                let origin = Origin::Delivered(received.event_id.clone());
                ledger.messages.insert(id.clone(), origin);
            }
            InbentaPush::UserJoined(joined) if joined.mode.as_deref() != Some("watch") => {
                let id = joined.user.id.clone();
                if ledger.recovered.remove(&id) == Some(Fact::Joined) {
                    return;
                }
                if !ledger.members.contains(&id) {
                    ledger.members.push(id);
                }
            }
            InbentaPush::UserLeft(left) => {
                if let Some(id) = left_id(left) {
                    if ledger.recovered.remove(id) == Some(Fact::Left) {
                        return;
                    }
                    ledger.members.retain(|m| m != id);
                }
            }
            InbentaPush::ChatClosed(_) => {
                if std::mem::take(&mut ledger.recovered_close) {
                    return;
                }
                ledger.closed = true;
            }
            InbentaPush::ChatIntervened(intervened) => {
                for replaced in intervened.intervened_users.iter().flatten() {
                    ledger.members.retain(|m| *m != replaced.id);
                }
                if !ledger.members.contains(&intervened.interventor.id) {
                    ledger.members.push(intervened.interventor.id.clone());
                }
            }
            _ => {}
        }
        self.apply(&push);
        // Emitted under the ledger's lock, so that a catch-up cannot interleave.
        self.emit(ChatEvent::from(push), false);
        drop(ledger);
    }

    /// Delivers, marked recovered, what the server has and the stream did not deliver:
    /// the messages `stored` (oldest first) the ledger does not know, then who joined and
    /// who left according to `chat`, then its close. Messages by this user that may be
    /// the stored copy of a send in progress are left to that send. Returns how many
    /// items it delivered.
    fn reconcile(&self, me: &str, stored: Vec<InbentaMessage>, chat: &InbentaChat) -> usize {
        let mut ledger = self.ledger();
        let mut delivered = 0;
        for message in stored {
            if ledger.messages.contains_key(&message.id) || ledger.awaits_claim(&message, me) {
                continue;
            }
            let event_id = event_id_of(&message);
            ledger
                .messages
                .insert(message.id.clone(), Origin::Delivered(event_id.clone()));
            let push = MessageReceived {
                message,
                event_id,
                ..MessageReceived::default()
            };
            self.emit(ChatEvent::MessageReceived(push), true);
            delivered += 1;
        }
        if let Some(users) = &chat.users {
            let now: Vec<&str> = users.iter().map(|u| u.id.as_str()).collect();
            for user in users {
                if !ledger.members.contains(&user.id) {
                    ledger.members.push(user.id.clone());
                    ledger.recovered.insert(user.id.clone(), Fact::Joined);
                    let push = UserJoined {
                        user: user.clone(),
                        chat_id: Some(chat.id.clone()),
                        ..UserJoined::default()
                    };
                    self.apply(&InbentaPush::UserJoined(push.clone()));
                    self.emit(ChatEvent::UserJoined(push), true);
                    delivered += 1;
                }
            }
            let gone: Vec<String> = ledger
                .members
                .iter()
                .filter(|m| !now.contains(&m.as_str()))
                .cloned()
                .collect();
            for id in gone {
                ledger.members.retain(|m| *m != id);
                ledger.recovered.insert(id.clone(), Fact::Left);
                let push = UserLeft {
                    chat_id: Some(chat.id.clone()),
                    user_id: Some(id.clone()),
                    ..UserLeft::default()
                };
                self.apply(&InbentaPush::UserLeft(push.clone()));
                self.emit(ChatEvent::UserLeft(push), true);
                delivered += 1;
            }
        }
        if is_closed(chat) && !ledger.closed {
            ledger.closed = true;
            ledger.recovered_close = true;
            // Who closed it is not in the chat's data.
            let push = ChatClosed {
                chat_id: chat.id.clone(),
                user_id: String::new(),
                ..ChatClosed::default()
            };
            self.mark_closed();
            self.emit(ChatEvent::ChatClosed(push), true);
            delivered += 1;
        }
        delivered
    }

    /// Asks the server what happened in chat `id` (its messages with `GET
    /// /v1/chats/{id}/messages`, which carries their ids, and its users and status with
    /// `chats:get`) and delivers what the stream missed (see [`ChatState::reconcile`]).
    pub(crate) async fn recover(
        &self,
        client: &UserClient,
        id: &str,
        me: &str,
    ) -> Result<usize, Error> {
        let _one = self.recovering.lock().await;
        let stored = stored_messages(client, id).await?;
        let chat = client.call(ChatsGet::new(id).fields("users")).await?.chat;
        Ok(self.reconcile(me, stored, &chat))
    }
}

/// The messages stored in chat `id`, oldest first (`GET /v1/chats/{id}/messages`).
pub(crate) async fn stored_messages(
    client: &UserClient,
    id: &str,
) -> Result<Vec<InbentaMessage>, Error> {
    #[derive(Deserialize)]
    struct Listed {
        #[serde(default)]
        messages: Vec<InbentaMessage>,
    }
    let path = format!("chats/{}/messages", lc_protocol::percent::encode(id));
    let listed: Listed = client.rest().json(http::Method::GET, &path, None).await?;
    Ok(listed.messages)
}

/// The sender's id of a message (a string, or a user object).
pub(crate) fn sender_of(message: &InbentaMessage) -> Option<&str> {
    match message.sender.as_ref()? {
        Value::String(id) => Some(id),
        Value::Object(user) => user.get("id").and_then(Value::as_str),
        _ => None,
    }
}

/// The `eventId` a stored message carries, if the server keeps it.
pub(crate) fn event_id_of(message: &InbentaMessage) -> Option<String> {
    message
        .extra
        .get("eventId")
        .and_then(Value::as_str)
        .map(str::to_owned)
}

fn left_id(left: &UserLeft) -> Option<&str> {
    left.user_id
        .as_deref()
        .or(left.user.as_ref().map(|u| u.id.as_str()))
}

fn is_closed(chat: &InbentaChat) -> bool {
    chat.closed == Some(true) || chat.status.as_deref() == Some("closed")
}

fn add_user(list: &mut Vec<InbentaUser>, user: &InbentaUser) {
    match list.iter_mut().find(|known| known.id == user.id) {
        Some(known) => *known = user.clone(),
        None => list.push(user.clone()),
    }
}

/// Follows `pushes` for the chat whose id arrives on `id` (pushes that come before are
/// held by the stream, so none is lost), updating `state` and forwarding the chat's
/// events. After a reconnection, or when it fell behind the connection, it catches up
/// with the server before handling the pushes that came meanwhile. Ends when the id
/// never comes, the client stops (ending the chat's event streams), or the chat handle
/// is gone.
pub(crate) async fn follow(
    mut pushes: PushStream<InbentaPush>,
    id: oneshot::Receiver<String>,
    state: Arc<ChatState>,
    client: UserClient,
    me: String,
) {
    let Ok(id) = id.await else { return };
    let mut away = false;
    while let Some(item) = pushes.next().await {
        match item {
            RtmEvent::Push { push, .. } if concerns(&push, &id) => state.live(push),
            RtmEvent::Missed(missed) => {
                tracing::warn!(chat = %id, missed, "chat events missed: catching up");
                catch_up(&state, &client, &id, &me).await;
            }
            RtmEvent::Disconnected { .. } => away = true,
            RtmEvent::Connected if away => {
                away = false;
                catch_up(&state, &client, &id, &me).await;
            }
            RtmEvent::Stopped { .. } => break,
            _ => {}
        }
    }
    state.end();
}

/// [`ChatState::recover`], tried again on failure for a while.
async fn catch_up(state: &ChatState, client: &UserClient, id: &str, me: &str) {
    let deadline = tokio::time::Instant::now() + RECOVERY_PATIENCE;
    let mut pause = Duration::from_millis(50);
    loop {
        match state.recover(client, id, me).await {
            Ok(count) => {
                if count > 0 {
                    tracing::info!(chat = %id, count, "recovered chat events");
                }
                return;
            }
            Err(error) if error.is_transient() && tokio::time::Instant::now() < deadline => {
                tracing::debug!(chat = %id, %error, "catch-up failed; trying again");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(1));
            }
            Err(error) => {
                tracing::warn!(chat = %id, %error, "could not catch up with the chat");
                return;
            }
        }
    }
}
