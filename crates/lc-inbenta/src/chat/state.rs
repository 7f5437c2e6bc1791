//! What a chat handle knows between calls: its data, kept current by a task that follows
//! the connection's pushes and forwards this chat's ones as [`ChatEvent`]s.

use super::events::{ChatEvent, concerns};
use futures_util::StreamExt;
use lc_protocol::inbenta::{InbentaChat, InbentaPush, InbentaUser};
use lc_rtm::{PushStream, RtmEvent};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::{broadcast, oneshot};

/// Events buffered per chat subscriber before it is told it missed some.
const EVENT_BUFFER: usize = 1024;

/// The live state of one chat.
#[derive(Debug)]
pub(crate) struct ChatState {
    data: Mutex<InbentaChat>,
    /// `None` once the connection stopped, which ends every event stream.
    events: Mutex<Option<broadcast::Sender<ChatEvent>>>,
}

impl ChatState {
    pub(crate) fn new() -> (Arc<Self>, broadcast::Receiver<ChatEvent>) {
        let (events, first) = broadcast::channel(EVENT_BUFFER);
        let state = Arc::new(Self {
            data: Mutex::new(InbentaChat::default()),
            events: Mutex::new(Some(events)),
        });
        (state, first)
    }

    fn sender(&self) -> MutexGuard<'_, Option<broadcast::Sender<ChatEvent>>> {
        self.events
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A receiver of the chat's events from now on (already ended once the connection
    /// stopped).
    pub(crate) fn subscribe(&self) -> broadcast::Receiver<ChatEvent> {
        match &*self.sender() {
            Some(sender) => sender.subscribe(),
            None => broadcast::channel(1).1,
        }
    }

    fn emit(&self, event: ChatEvent) {
        if let Some(sender) = &*self.sender() {
            // No subscriber is fine.
            let _ = sender.send(event);
        }
    }

    /// Ends every event stream.
    fn end(&self) {
        self.sender().take();
    }

    /// The chat data (a poisoned lock still holds usable data: updates are single writes).
    pub(crate) fn data(&self) -> MutexGuard<'_, InbentaChat> {
        self.data
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn set_data(&self, chat: InbentaChat) {
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
                let id = left
                    .user_id
                    .as_deref()
                    .or(left.user.as_ref().map(|u| u.id.as_str()));
                if let Some(id) = id {
                    drop(data);
                    self.remove_user(id);
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
}

fn add_user(list: &mut Vec<InbentaUser>, user: &InbentaUser) {
    match list.iter_mut().find(|known| known.id == user.id) {
        Some(known) => *known = user.clone(),
        None => list.push(user.clone()),
    }
}

/// Follows `pushes` for the chat whose id arrives on `id` (pushes that come before are
/// held by the stream, so none is lost), updating `state` and forwarding the chat's
/// events. Ends when the id never comes, the client stops (ending the chat's event
/// streams), or the chat handle is gone.
pub(crate) async fn follow(
    mut pushes: PushStream<InbentaPush>,
    id: oneshot::Receiver<String>,
    state: Arc<ChatState>,
) {
    let Ok(id) = id.await else { return };
    while let Some(item) = pushes.next().await {
        match item {
            RtmEvent::Push { push, .. } if concerns(&push, &id) => {
                state.apply(&push);
                state.emit(ChatEvent::from(push));
            }
            RtmEvent::Missed(missed) => {
                tracing::warn!(chat = %id, missed, "chat events missed: the follower lagged");
                state.emit(ChatEvent::Missed(missed));
            }
            RtmEvent::Stopped { .. } => break,
            _ => {}
        }
    }
    state.end();
}
