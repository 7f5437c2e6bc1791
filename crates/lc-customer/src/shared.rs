//! What the client's handles and background tasks share: the event hub, what is known
//! of the customer's chats, the pagination cursors and the destroyed flag.

use crate::event::{Connected, CustomerEvent};
use crate::pages::Cursors;
use crate::recovery::ChatReader;
use lc_protocol::customer::CustomerPush;
use lc_protocol::fanout::{Fanout, FanoutReceiver};
use lc_protocol::id::{ChatId, GroupId, UserId};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// Items buffered per subscriber before it is told it missed some.
const EVENT_BUFFER: usize = 1024;

/// Locks `mutex`, also after a panic elsewhere (the data stay consistent: every
/// critical section is a plain assignment or lookup).
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The fan-out of events, and the current connection (replayed to new subscribers).
struct Hub {
    /// `None` once destroyed: subscribers' streams end.
    sender: Option<Fanout<CustomerEvent>>,
    /// The last `Connected`, while the connection it announced lasts.
    connected: Option<Connected>,
}

pub(crate) struct Shared {
    hub: Mutex<Hub>,
    /// Whether each known chat has an active thread.
    chats: Mutex<HashMap<ChatId, bool>>,
    destroyed: AtomicBool,
    pub(crate) cursors: Mutex<Cursors>,
    pub(crate) group: Option<GroupId>,
    /// Reads the customer's chats, to catch up.
    reader: Arc<dyn ChatReader>,
}

impl Shared {
    pub(crate) fn new(group: Option<GroupId>, reader: Arc<dyn ChatReader>) -> Self {
        let sender = Fanout::new(EVENT_BUFFER);
        Self {
            hub: Mutex::new(Hub {
                sender: Some(sender),
                connected: None,
            }),
            chats: Mutex::new(HashMap::new()),
            destroyed: AtomicBool::new(false),
            cursors: Mutex::new(Cursors::default()),
            group,
            reader,
        }
    }

    /// What reads the customer's chats.
    pub(crate) fn reader(&self) -> Arc<dyn ChatReader> {
        self.reader.clone()
    }

    /// The customer's id, once logged in.
    pub(crate) fn me(&self) -> Option<UserId> {
        let hub = lock(&self.hub);
        let connected = hub.connected.as_ref()?;
        Some(UserId::from(connected.customer.id.to_string()))
    }

    /// Tells every subscriber, and remembers whether the client is connected.
    pub(crate) fn emit(&self, event: CustomerEvent) {
        let mut hub = lock(&self.hub);
        match &event {
            CustomerEvent::Connected(connected) => hub.connected = Some(connected.clone()),
            CustomerEvent::Disconnected(_) | CustomerEvent::Stopped(_) => hub.connected = None,
            _ => {}
        }
        if let Some(sender) = &hub.sender {
            // No subscriber is fine.
            sender.send(event);
        }
    }

    /// A receiver of every event from now on, and the current `Connected` event if the
    /// client is connected (so that a late subscriber still learns it); `None` once
    /// destroyed. Under the same lock as [`emit`](Self::emit): nothing is missed or seen
    /// twice.
    pub(crate) fn subscribe(
        &self,
    ) -> Option<(FanoutReceiver<CustomerEvent>, Option<CustomerEvent>)> {
        let hub = lock(&self.hub);
        let receiver = hub.sender.as_ref()?.subscribe();
        Some((
            receiver,
            hub.connected.clone().map(CustomerEvent::Connected),
        ))
    }

    /// The current connection's `Connected` event, if connected.
    pub(crate) fn connected(&self) -> Option<Connected> {
        lock(&self.hub).connected.clone()
    }

    pub(crate) fn is_destroyed(&self) -> bool {
        self.destroyed.load(Ordering::Acquire)
    }

    /// Marks the client destroyed and ends every subscriber's stream.
    pub(crate) fn destroy(&self) {
        self.destroyed.store(true, Ordering::Release);
        let mut hub = lock(&self.hub);
        hub.sender = None;
        hub.connected = None;
        drop(hub);
        lock(&self.chats).clear();
        lock(&self.cursors).clear();
    }

    /// Whether `chat` has an active thread, if known.
    pub(crate) fn chat_active(&self, chat: &ChatId) -> Option<bool> {
        lock(&self.chats).get(chat).copied()
    }

    pub(crate) fn set_chat_active(&self, chat: ChatId, active: bool) {
        if !self.is_destroyed() {
            lock(&self.chats).insert(chat, active);
        }
    }

    /// Learns what a push tells about the chats.
    pub(crate) fn observe(&self, push: &CustomerPush) {
        match push {
            CustomerPush::IncomingChat(incoming) => {
                let active = incoming.chat.thread.as_ref().is_some_and(|t| t.active);
                self.set_chat_active(incoming.chat.id.clone(), active);
                // A new thread shifts the pages of chats and threads.
                lock(&self.cursors).clear();
            }
            CustomerPush::ChatDeactivated(deactivated) => {
                self.set_chat_active(deactivated.chat_id.clone(), false);
            }
            _ => {}
        }
    }
}
