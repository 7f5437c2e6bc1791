//! The chats of the state ([`Chats`]) with the index routing reads: how many active
//! customer chats each agent is a user of.

use lc_protocol::id::{AgentId, ChatId};
use std::cell::RefCell;
use std::collections::HashMap;

/// Every chat by id, with the number of active customer chats of each agent.
///
/// A chat counts for an agent when it has an active thread, a customer and the agent
/// among its users (what routing balances and `max_chats_count` caps). Every way to
/// change a chat ([`get_mut`](Self::get_mut), [`insert`](Self::insert),
/// [`remove`](Self::remove)) marks it; the marked chats are recounted before the counts
/// are read. The counts cannot drift from the chats, and changing a chat costs no more
/// than marking it.
#[derive(Debug)]
pub(crate) struct Chats<C> {
    map: HashMap<ChatId, C>,
    /// Behind a `RefCell`: reading a count (`&self`) first recounts the marked chats.
    index: RefCell<Index>,
}

/// The counts and the chats marked since they were last brought up to date.
#[derive(Debug, Default)]
struct Index {
    /// The counts, per agent with at least one such chat.
    active_counts: HashMap<AgentId, usize>,
    /// For each chat that counts for someone, the agents it counts for.
    counted: HashMap<ChatId, Vec<AgentId>>,
    /// The chats changed (or removed) since: to recount.
    marked: Vec<ChatId>,
}

/// A chat as [`Chats`] counts it (implemented by the state's chat record).
pub(crate) trait CountedChat {
    /// The agents the chat counts for, each once: none unless it has an active thread and
    /// a customer.
    fn counted_agents(&self) -> impl Iterator<Item = &AgentId>;
}

impl<C> Default for Chats<C> {
    fn default() -> Self {
        Self {
            map: HashMap::new(),
            index: RefCell::default(),
        }
    }
}

impl<C: CountedChat> Chats<C> {
    /// The chat `id`.
    pub(crate) fn get(&self, id: &ChatId) -> Option<&C> {
        self.map.get(id)
    }

    /// How many chats there are.
    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }

    /// Every chat, in no particular order.
    pub(crate) fn values(&self) -> impl Iterator<Item = &C> {
        self.map.values()
    }

    /// The chat `id`, to change (marked for a recount).
    pub(crate) fn get_mut(&mut self, id: &ChatId) -> Option<&mut C> {
        let chat = self.map.get_mut(id)?;
        self.index.get_mut().mark(id);
        Some(chat)
    }

    /// Adds (or replaces) the chat `id`; returns the one it replaced.
    pub(crate) fn insert(&mut self, id: ChatId, chat: C) -> Option<C> {
        self.index.get_mut().mark(&id);
        self.map.insert(id, chat)
    }

    /// Removes the chat `id`.
    pub(crate) fn remove(&mut self, id: &ChatId) -> Option<C> {
        let chat = self.map.remove(id)?;
        self.index.get_mut().mark(id);
        Some(chat)
    }

    /// How many active customer chats `agent` is a user of.
    pub(crate) fn active_chats_of(&self, agent: &AgentId) -> usize {
        let mut index = self.index.borrow_mut();
        index.recount_marked(&self.map);
        index.active_counts.get(agent).copied().unwrap_or(0)
    }

    /// Compares the counts with a recount from scratch; the mismatch, if any.
    pub(crate) fn index_mismatch(&self) -> Option<String> {
        let mut index = self.index.borrow_mut();
        index.recount_marked(&self.map);
        let mut counts: HashMap<AgentId, usize> = HashMap::new();
        for chat in self.map.values() {
            for agent in chat.counted_agents() {
                *counts.entry(agent.clone()).or_default() += 1;
            }
        }
        (counts != index.active_counts).then(|| {
            format!(
                "active chats per agent: indexed {:?}, recounted {counts:?}",
                index.active_counts
            )
        })
    }
}

impl Index {
    /// Marks the chat `id` for a recount (once in a row: a request touches the same chat
    /// repeatedly).
    fn mark(&mut self, id: &ChatId) {
        if self.marked.last() != Some(id) {
            self.marked.push(id.clone());
        }
    }

    /// Brings the counts of the marked chats up to date.
    fn recount_marked<C: CountedChat>(&mut self, chats: &HashMap<ChatId, C>) {
        for id in std::mem::take(&mut self.marked) {
            let before = self.counted.get(&id).map_or(&[][..], Vec::as_slice);
            let now = chats.get(&id);
            if now.map_or(before.is_empty(), |chat| {
                chat.counted_agents().eq(before.iter())
            }) {
                continue;
            }
            for agent in self.counted.remove(&id).unwrap_or_default() {
                if let Some(count) = self.active_counts.get_mut(&agent) {
                    *count -= 1;
                    if *count == 0 {
                        self.active_counts.remove(&agent);
                    }
                }
            }
            let now: Vec<AgentId> = now
                .into_iter()
                .flat_map(C::counted_agents)
                .cloned()
                .collect();
            if now.is_empty() {
                continue;
            }
            for agent in &now {
                *self.active_counts.entry(agent.clone()).or_default() += 1;
            }
            self.counted.insert(id, now);
        }
    }
}
