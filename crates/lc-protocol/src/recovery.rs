//! [`ChatLedger`]: what a client has seen of its chats, to catch up after a reconnection.
//!
//! A role client records every push it delivers (chats, threads, events, users); after
//! a reconnection it reads each chat's latest state from the server and asks the ledger
//! what it missed ([`ChatLedger::catch_up`]): new chats or threads, events, users added
//! or removed, a deactivation — each once, in order. Live pushes of what was already
//! recovered are recognised as duplicates. Memory is bounded: the ledger remembers the
//! most recent chats and, per chat, the most recent event ids.

use crate::id::{ChatId, EventId, ThreadId, UserId};
use crate::types::{Chat, Event, User};
use crate::{agent, customer};
use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};

/// Chats remembered at most; the oldest are forgotten first.
const MAX_CHATS: usize = 10_000;

/// Event ids remembered per chat at most; the oldest are forgotten first.
const MAX_EVENTS_PER_CHAT: usize = 2_000;

/// Something a client missed, found by [`ChatLedger::catch_up`].
#[derive(Debug, Clone, PartialEq)]
#[allow(clippy::large_enum_variant)] // short-lived, as the pushes they become
pub enum Missed {
    /// A chat, or a new thread of a chat, the client did not know (`incoming_chat`); its
    /// events come with it.
    Chat(Chat),
    /// An event (`incoming_event`).
    Event {
        /// The chat.
        chat_id: ChatId,
        /// The thread.
        thread_id: ThreadId,
        /// The event.
        event: Event,
    },
    /// A user joined the chat (`user_added_to_chat`).
    UserAdded {
        /// The chat.
        chat_id: ChatId,
        /// The thread.
        thread_id: Option<ThreadId>,
        /// The user.
        user: User,
    },
    /// A user left the chat (`user_removed_from_chat`).
    UserRemoved {
        /// The chat.
        chat_id: ChatId,
        /// The thread.
        thread_id: Option<ThreadId>,
        /// The user.
        user_id: UserId,
    },
    /// The thread was closed (`chat_deactivated`).
    Deactivated {
        /// The chat.
        chat_id: ChatId,
        /// The thread closed.
        thread_id: ThreadId,
    },
}

/// What is known of one chat.
#[derive(Debug, Default)]
struct Memo {
    /// The latest thread known, and whether it is active.
    thread: Option<ThreadId>,
    active: bool,
    /// The latest thread delivered in a chat (`incoming_chat`).
    delivered_thread: Option<ThreadId>,
    users: BTreeSet<String>,
    /// Events delivered.
    seen: HashSet<EventId>,
    seen_order: VecDeque<EventId>,
    /// Events that were there before the client started: never missed, but not
    /// delivered either (their live pushes are still new).
    baseline: HashSet<EventId>,
}

impl Memo {
    /// Records `id`; false if it was seen already.
    fn see(&mut self, id: &EventId) -> bool {
        if !self.seen.insert(id.clone()) {
            return false;
        }
        self.seen_order.push_back(id.clone());
        if self.seen_order.len() > MAX_EVENTS_PER_CHAT {
            if let Some(old) = self.seen_order.pop_front() {
                self.seen.remove(&old);
            }
        }
        true
    }

    /// Takes in a chat's state (thread, activity, users, events) as delivered.
    fn absorb(&mut self, chat: &Chat) {
        self.users = user_ids(&chat.users);
        if let Some(thread) = &chat.thread {
            self.thread = Some(thread.id.clone());
            self.delivered_thread = Some(thread.id.clone());
            self.active = thread.active;
            for event in thread.events.iter().flatten() {
                if let Some(id) = event.id() {
                    self.see(id);
                }
            }
        }
    }

    /// Whether the event with `id` was delivered or there from the start.
    fn known(&self, id: &EventId) -> bool {
        self.seen.contains(id) || self.baseline.contains(id)
    }
}

fn user_ids(users: &[User]) -> BTreeSet<String> {
    users
        .iter()
        .filter_map(|u| u.id().map(str::to_owned))
        .collect()
}

/// What a client has delivered of its chats (see the [module](self)).
#[derive(Debug, Default)]
pub struct ChatLedger {
    chats: HashMap<ChatId, Memo>,
    order: VecDeque<ChatId>,
}

impl ChatLedger {
    /// An empty ledger.
    pub fn new() -> Self {
        Self::default()
    }

    fn memo(&mut self, chat_id: &ChatId) -> &mut Memo {
        if !self.chats.contains_key(chat_id) {
            self.order.push_back(chat_id.clone());
            if self.order.len() > MAX_CHATS {
                if let Some(old) = self.order.pop_front() {
                    self.chats.remove(&old);
                }
            }
        }
        self.chats.entry(chat_id.clone()).or_default()
    }

    /// Whether the chat is known.
    pub fn knows(&self, chat_id: &ChatId) -> bool {
        self.chats.contains_key(chat_id)
    }

    /// Records a chat as it was when the client started (read after the first login):
    /// its events up to the last of `at_login` (the chat's latest events as the login
    /// response gave them) are history, never reported missed; later ones were stored
    /// after the login, so they are missed unless delivered. Live pushes of history are
    /// still delivered once.
    pub fn baseline(&mut self, chat: &Chat, at_login: &[EventId]) {
        let memo = self.memo(&chat.id);
        memo.users = user_ids(&chat.users);
        if let Some(thread) = &chat.thread {
            memo.thread = Some(thread.id.clone());
            memo.active = thread.active;
            let ids: Vec<EventId> = thread
                .events
                .iter()
                .flatten()
                .filter_map(|e| e.id().cloned())
                .collect();
            let history = ids
                .iter()
                .rposition(|id| at_login.contains(id))
                .map_or(0, |last| last + 1);
            let skip = history.saturating_sub(MAX_EVENTS_PER_CHAT);
            memo.baseline = ids.into_iter().take(history).skip(skip).collect();
        }
    }

    /// Records a chat (or new thread) delivered; false if this thread was delivered
    /// already (a duplicate).
    pub fn chat(&mut self, chat: &Chat) -> bool {
        let memo = self.memo(&chat.id);
        let thread = chat.thread.as_ref().map(|t| &t.id);
        if thread.is_some() && memo.delivered_thread.as_ref() == thread {
            return false;
        }
        memo.absorb(chat);
        true
    }

    /// Records an event delivered; false if it was delivered already (a duplicate).
    /// Events without an id are always new.
    pub fn event(&mut self, chat_id: &ChatId, thread_id: &ThreadId, event: &Event) -> bool {
        let memo = self.memo(chat_id);
        if memo.thread.is_none() {
            memo.thread = Some(thread_id.clone());
            memo.active = true;
        }
        event.id().is_none_or(|id| memo.see(id))
    }

    /// Records a deactivation delivered; false if it was delivered already.
    pub fn deactivated(&mut self, chat_id: &ChatId, thread_id: &ThreadId) -> bool {
        let memo = self.memo(chat_id);
        if memo.thread.as_ref() == Some(thread_id) && !memo.active {
            return false;
        }
        memo.thread = Some(thread_id.clone());
        memo.active = false;
        true
    }

    /// Records a user added; false if the user was known in the chat already.
    pub fn user_added(&mut self, chat_id: &ChatId, user: &User) -> bool {
        let memo = self.memo(chat_id);
        user.id().is_none_or(|id| memo.users.insert(id.to_owned()))
    }

    /// Records a user removed; false if the user was not in the chat.
    pub fn user_removed(&mut self, chat_id: &ChatId, user_id: &UserId) -> bool {
        self.memo(chat_id).users.remove(user_id.as_str())
    }

    /// What was missed of `chat` (its latest state, with its latest thread and the
    /// thread's events), in the order the pushes would have come; the ledger then
    /// counts it all as delivered. Events of earlier threads that ended while the
    /// client was away are not found (only the latest thread is read).
    pub fn catch_up(&mut self, chat: &Chat) -> Vec<Missed> {
        let Some(memo) = self.chats.get_mut(&chat.id) else {
            self.memo(&chat.id).absorb(chat);
            return vec![Missed::Chat(chat.clone())];
        };
        let mut missed = Vec::new();
        let Some(thread) = &chat.thread else {
            return missed;
        };
        if memo.thread.as_ref() != Some(&thread.id) {
            if let (Some(old), true) = (memo.thread.clone(), memo.active) {
                missed.push(Missed::Deactivated {
                    chat_id: chat.id.clone(),
                    thread_id: old,
                });
            }
            memo.absorb(chat);
            missed.push(Missed::Chat(chat.clone()));
            return missed;
        }
        let now = user_ids(&chat.users);
        for user in &chat.users {
            if user.id().is_some_and(|id| !memo.users.contains(id)) {
                missed.push(Missed::UserAdded {
                    chat_id: chat.id.clone(),
                    thread_id: Some(thread.id.clone()),
                    user: user.clone(),
                });
            }
        }
        for gone in memo.users.difference(&now) {
            missed.push(Missed::UserRemoved {
                chat_id: chat.id.clone(),
                thread_id: Some(thread.id.clone()),
                user_id: UserId::from(gone.clone()),
            });
        }
        memo.users = now;
        for event in thread.events.iter().flatten() {
            if event.id().is_some_and(|id| !memo.known(id) && memo.see(id)) {
                missed.push(Missed::Event {
                    chat_id: chat.id.clone(),
                    thread_id: thread.id.clone(),
                    event: event.clone(),
                });
            }
        }
        if memo.active && !thread.active {
            missed.push(Missed::Deactivated {
                chat_id: chat.id.clone(),
                thread_id: thread.id.clone(),
            });
        }
        memo.active = thread.active;
        missed
    }
}

/// Pauses between catch-ups that failed while connected: 500 ms doubling to 30 s.
pub const CATCH_UP_RETRY: crate::backoff::Backoff = crate::backoff::Backoff::new(
    std::time::Duration::from_millis(500),
    std::time::Duration::from_secs(30),
);

/// Whether `err`, answering a read of one chat during a catch-up, says the chat is no
/// longer there for this client (nothing to catch up on) rather than that the read
/// failed.
pub fn chat_gone(err: &crate::Error) -> bool {
    use crate::ErrorType;
    matches!(
        err.error_type(),
        Some(ErrorType::NotFound | ErrorType::MissingAccess | ErrorType::Authorization)
    )
}

/// A push set whose chat pushes a [`ChatLedger`] follows: the agent's and the
/// customer's.
pub trait LedgerPush: Sized {
    /// Records what the push delivers; false if it was delivered already (a duplicate
    /// to drop). Pushes the ledger does not follow are always new.
    fn record(&self, ledger: &mut ChatLedger) -> bool;

    /// The push that would have told `missed`; `requester` is who a recovered
    /// `incoming_chat` names as its requester, if known.
    fn from_missed(missed: Missed, requester: Option<UserId>) -> Self;
}

/// The reason recovered `user_added_to_chat` and `user_removed_from_chat` pushes give.
pub const RECOVERED_REASON: &str = "recovered";

macro_rules! ledger_push {
    ($set:ty, $api:ident, |$requester:ident| $requester_field:expr) => {
        impl LedgerPush for $set {
            fn record(&self, ledger: &mut ChatLedger) -> bool {
                match self {
                    Self::IncomingChat(p) => ledger.chat(&p.chat),
                    Self::IncomingEvent(p) => ledger.event(&p.chat_id, &p.thread_id, &p.event),
                    Self::ChatDeactivated(p) => ledger.deactivated(&p.chat_id, &p.thread_id),
                    Self::UserAddedToChat(p) => {
                        ledger.user_added(&p.chat_id, &p.user);
                        true
                    }
                    Self::UserRemovedFromChat(p) => {
                        ledger.user_removed(&p.chat_id, &p.user_id);
                        true
                    }
                    _ => true,
                }
            }

            fn from_missed(missed: Missed, $requester: Option<UserId>) -> Self {
                use $api::push::*;
                match missed {
                    Missed::Chat(chat) => Self::IncomingChat(Box::new(IncomingChat {
                        chat,
                        requester_id: $requester_field,
                        ..IncomingChat::default()
                    })),
                    Missed::Event {
                        chat_id,
                        thread_id,
                        event,
                    } => crate::push::PushPayload::into_push(IncomingEvent {
                        chat_id,
                        thread_id,
                        event,
                        extra: Default::default(),
                    }),
                    Missed::UserAdded {
                        chat_id,
                        thread_id,
                        user,
                    } => Self::UserAddedToChat(UserAddedToChat {
                        chat_id,
                        thread_id,
                        user,
                        reason: RECOVERED_REASON.to_owned(),
                        requester_id: None,
                        extra: Default::default(),
                    }),
                    Missed::UserRemoved {
                        chat_id,
                        thread_id,
                        user_id,
                    } => Self::UserRemovedFromChat(UserRemovedFromChat {
                        chat_id,
                        thread_id,
                        user_id,
                        reason: RECOVERED_REASON.to_owned(),
                        ..UserRemovedFromChat::default()
                    }),
                    Missed::Deactivated { chat_id, thread_id } => {
                        Self::ChatDeactivated(ChatDeactivated {
                            chat_id,
                            thread_id,
                            ..ChatDeactivated::default()
                        })
                    }
                }
            }
        }
    };
}

ledger_push!(agent::AgentPush, agent, |requester| requester);
ledger_push!(customer::CustomerPush, customer, |requester| requester
    .unwrap_or_default());

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Thread;
    use serde_json::json;

    fn chat(thread: &str, active: bool, users: &[&str], events: &[&str]) -> Chat {
        let events: Vec<_> = events
            .iter()
            .map(|id| json!({"id": id, "type": "message", "text": id}))
            .collect();
        let users: Vec<_> = users
            .iter()
            .map(|id| json!({"id": id, "type": "agent"}))
            .collect();
        serde_json::from_value(json!({
            "id": "C1",
            "users": users,
            "thread": {"id": thread, "active": active, "user_ids": [], "events": events, "created_at": "2026-01-01T00:00:00.000000Z"}
        }))
        .unwrap()
    }

    fn ids(missed: &[Missed]) -> Vec<String> {
        missed
            .iter()
            .map(|m| match m {
                Missed::Chat(c) => format!(
                    "chat {}",
                    c.thread.as_ref().map_or("", |t: &Thread| t.id.as_str())
                ),
                Missed::Event { event, .. } => format!("event {}", event.id().unwrap()),
                Missed::UserAdded { user, .. } => format!("added {}", user.id().unwrap()),
                Missed::UserRemoved { user_id, .. } => format!("removed {user_id}"),
                Missed::Deactivated { thread_id, .. } => format!("deactivated {thread_id}"),
            })
            .collect()
    }

    #[test]
    fn an_unknown_chat_is_missed_whole_then_known() {
        let mut ledger = ChatLedger::new();
        let snapshot = chat("T1", true, &["a"], &["e1"]);
        assert_eq!(ids(&ledger.catch_up(&snapshot)), ["chat T1"]);
        assert!(ledger.catch_up(&snapshot).is_empty());
        assert!(
            !ledger.chat(&snapshot),
            "the live incoming_chat is a duplicate"
        );
    }

    #[test]
    fn missed_events_users_and_deactivation_come_once_in_order() {
        let mut ledger = ChatLedger::new();
        assert!(ledger.chat(&chat("T1", true, &["a", "b"], &["e1"])));
        let event = chat("T1", true, &[], &["e2"])
            .thread
            .unwrap()
            .events
            .unwrap()
            .remove(0);
        assert!(ledger.event(&ChatId::from("C1"), &ThreadId::from("T1"), &event));
        let later = chat("T1", false, &["a", "c"], &["e1", "e2", "e3", "e4"]);
        assert_eq!(
            ids(&ledger.catch_up(&later)),
            [
                "added c",
                "removed b",
                "event e3",
                "event e4",
                "deactivated T1"
            ]
        );
        assert!(ledger.catch_up(&later).is_empty());
        let late = chat("T1", true, &[], &["e4"])
            .thread
            .unwrap()
            .events
            .unwrap()
            .remove(0);
        assert!(!ledger.event(&ChatId::from("C1"), &ThreadId::from("T1"), &late));
        assert!(!ledger.deactivated(&ChatId::from("C1"), &ThreadId::from("T1")));
    }

    #[test]
    fn a_new_thread_closes_the_old_one_and_comes_as_a_chat() {
        let mut ledger = ChatLedger::new();
        ledger.chat(&chat("T1", true, &["a"], &["e1"]));
        let next = chat("T2", true, &["a"], &["e5"]);
        assert_eq!(ids(&ledger.catch_up(&next)), ["deactivated T1", "chat T2"]);
        assert!(ledger.catch_up(&next).is_empty());
    }

    #[test]
    fn a_baseline_is_never_missed_but_its_live_pushes_are_new() {
        let mut ledger = ChatLedger::new();
        // e1 and e2 were there at login; e3 was stored after it, before the read.
        let start = chat("T1", true, &["a"], &["e1", "e2", "e3"]);
        ledger.baseline(&start, &[EventId::from("e2")]);
        let e2 = start.thread.clone().unwrap().events.unwrap().remove(1);
        assert!(ledger.event(&ChatId::from("C1"), &ThreadId::from("T1"), &e2));
        assert!(
            ledger.chat(&chat("T1", true, &["a"], &["e1"])),
            "the live incoming_chat is new"
        );
        let later = chat("T1", true, &["a"], &["e1", "e2", "e3", "e4"]);
        assert_eq!(ids(&ledger.catch_up(&later)), ["event e3", "event e4"]);
    }

    #[test]
    fn memory_is_bounded() {
        let mut ledger = ChatLedger::new();
        let chat_id = ChatId::from("C1");
        let thread = ThreadId::from("T1");
        for n in 0..(MAX_EVENTS_PER_CHAT + 10) {
            let event: Event = serde_json::from_value(
                json!({"id": format!("e{n}"), "type": "message", "text": ""}),
            )
            .unwrap();
            ledger.event(&chat_id, &thread, &event);
        }
        let memo = &ledger.chats[&chat_id];
        assert_eq!(memo.seen.len(), MAX_EVENTS_PER_CHAT);
        assert_eq!(memo.seen_order.len(), MAX_EVENTS_PER_CHAT);
    }
}
