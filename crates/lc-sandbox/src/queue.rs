//! The chat queue: a customer's chat that no agent can take when it starts (or is
//! resumed, or transferred with `ignore_agents_availability`) waits in the queue, its
//! thread showing `queue` (`position`, `wait_time`, `queued_at`); the customer gets
//! `queue_position_updated` and the agents with access to the chat
//! `queue_positions_updated` when it enters the queue and each time it moves up; it
//! leaves the queue once an agent takes it (or it is closed).
//!
//! [I] The estimated `wait_time` is 60 s per position: the real service's estimate is
//! not documented.

use crate::outbox::Audience;
use crate::state::{ChatRec, Principal, QueueRec, State};
use lc_protocol::id::{AgentId, ChatId};
use lc_protocol::types::{Access, Queue};
use serde_json::{Value, json};

/// The estimated wait per queue position, in seconds ([I]).
const SECONDS_PER_POSITION: u64 = 60;

/// A queued thread's `queue`, as threads and pushes show it.
pub(crate) fn view(rec: &QueueRec) -> Queue {
    Queue {
        position: rec.position,
        wait_time: u64::from(rec.position) * SECONDS_PER_POSITION,
        queued_at: Some(rec.queued_at.clone()),
        ..Queue::default()
    }
}

/// Puts the active thread of `chat_id` at the end of the queue (unless it is queued).
pub(crate) fn enqueue(state: &mut State, chat_id: &ChatId) {
    let queued_at = state.clock.stamp();
    let position = u32::try_from(state.queue.queued.len() + 1).unwrap_or(u32::MAX);
    let order = state.queue.seq + 1;
    let Some(thread) = state
        .chats
        .get_mut(chat_id)
        .and_then(ChatRec::active_thread_mut)
    else {
        return;
    };
    if thread.queue.is_some() {
        return;
    }
    thread.queue = Some(QueueRec {
        queued_at,
        order,
        position,
        pushed: 0,
    });
    state.queue.seq = order;
    state.queue.queued.insert(order, chat_id.clone());
}

/// Whether the chat still waits in the queue with the entry `order`.
fn still_queued(chat: &ChatRec, order: u64) -> bool {
    let has_agent = chat
        .users
        .iter()
        .any(|u| matches!(u.principal, Principal::Agent(_)));
    !has_agent
        && chat
            .active_thread()
            .and_then(|t| t.queue.as_ref())
            .is_some_and(|q| q.order == order)
}

/// After each action: drops the chats that left the queue (an agent took them, they
/// were closed), renumbers the others and queues the position pushes of those that
/// entered or moved.
pub(crate) fn sync(state: &mut State) {
    if state.queue.queued.is_empty() {
        return;
    }
    let entries: Vec<(u64, ChatId)> = state
        .queue
        .queued
        .iter()
        .map(|(order, chat)| (*order, chat.clone()))
        .collect();
    let mut position = 0_u32;
    let mut moved: Vec<(Access, Value)> = Vec::new();
    for (order, chat_id) in entries {
        let Some(chat) = state.chats.get_mut(&chat_id) else {
            state.queue.queued.remove(&order);
            continue;
        };
        if !still_queued(chat, order) {
            state.queue.queued.remove(&order);
            for thread in &mut chat.threads {
                if thread.queue.as_ref().is_some_and(|q| q.order == order) {
                    thread.queue = None;
                }
            }
            continue;
        }
        position += 1;
        let access = chat.access.clone();
        let Some(thread) = chat.active_thread_mut() else {
            continue;
        };
        let thread_id = thread.id.clone();
        let Some(queue) = thread.queue.as_mut() else {
            continue;
        };
        queue.position = position;
        if queue.pushed == position {
            continue;
        }
        queue.pushed = position;
        let entry = json!({"chat_id": chat_id, "thread_id": thread_id, "queue": view(queue)});
        state.outbox.customers(
            Audience::Chat(chat_id.clone()),
            "queue_position_updated",
            &entry,
        );
        moved.push((access, entry));
    }
    push_to_agents(state, &moved);
}

/// Queues `queue_positions_updated` for each logged-in agent with the entries of the
/// chats it has access to.
fn push_to_agents(state: &mut State, moved: &[(Access, Value)]) {
    if moved.is_empty() {
        return;
    }
    let agents: Vec<AgentId> = state
        .agents
        .keys()
        .filter(|id| state.agent_online(id))
        .cloned()
        .collect();
    for agent in agents {
        let entries: Vec<&Value> = moved
            .iter()
            .filter(|(access, _)| state.agent_has_access(&agent, access))
            .map(|(_, entry)| entry)
            .collect();
        if !entries.is_empty() {
            state.outbox.agents(
                Audience::Agents(vec![agent]),
                "queue_positions_updated",
                &entries,
            );
        }
    }
}
