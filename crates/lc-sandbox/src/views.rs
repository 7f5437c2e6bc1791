//! API views of the records: what an agent or a customer sees of a chat.

use crate::state::{ChatRec, ChatUserRec, Principal, State, ThreadRec};
use lc_protocol::Api;
use lc_protocol::id::UserId;
use lc_protocol::types::{
    Agent, Chat, ChatSummary, Customer, CustomerChatSummary, Event, LastEventEntry, Permission,
    Thread, ThreadSummary, User, UserType, Visibility,
};
use std::collections::BTreeMap;

/// Whether `viewer` may see `event` (customers never see `agents` events nor deleted
/// ones, §5.2 `delete_event`).
pub(crate) fn visible_to(event: &Event, api: Api) -> bool {
    api != Api::Customer
        || !(matches!(event.visibility(), Some(Visibility::Agents)) || event.is_deleted())
}

/// The event as `api` returns it: customers get no `visibility` field.
pub(crate) fn event_view(event: &Event, api: Api) -> Event {
    let mut event = event.clone();
    if api == Api::Customer {
        event.set_visibility(None);
    }
    event
}

/// Who reads a thread, as far as its events are concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reader {
    /// A customer: no `agents` events, no deleted events, no `visibility` field.
    Customer,
    /// A `normal` agent: deleted events as stubs (3.6).
    Agent,
    /// An owner, vice-owner or administrator: deleted events whole, with `deleted: true`.
    Administrator,
}

impl Reader {
    /// The reader `who` is.
    pub(crate) fn of(state: &State, who: &Principal) -> Self {
        match who {
            Principal::Customer(_) => Reader::Customer,
            Principal::Agent(id) => {
                let permission = state
                    .agents
                    .get(id)
                    .and_then(|a| a.profile.permission.clone());
                match permission {
                    Some(Permission::Owner | Permission::Viceowner | Permission::Administrator) => {
                        Reader::Administrator
                    }
                    _ => Reader::Agent,
                }
            }
        }
    }

    /// The API the reader uses.
    pub(crate) fn api(self) -> Api {
        match self {
            Reader::Customer => Api::Customer,
            Reader::Agent | Reader::Administrator => Api::Agent,
        }
    }
}

/// The "Deleted event" stub normal agents see (3.6): id, created_at, type, visibility,
/// deleted, and author_id/custom_id when present.
fn deleted_stub(event: &Event) -> Event {
    const KEPT: &[&str] = &[
        "id",
        "created_at",
        "type",
        "visibility",
        "deleted",
        "author_id",
        "custom_id",
    ];
    let Ok(serde_json::Value::Object(mut fields)) = serde_json::to_value(event) else {
        return event.clone();
    };
    fields.retain(|key, _| KEPT.contains(&key.as_str()));
    serde_json::from_value(serde_json::Value::Object(fields)).unwrap_or_else(|_| event.clone())
}

/// The events of a thread as `reader` sees them.
pub(crate) fn events_view(thread: &ThreadRec, reader: Reader) -> Vec<Event> {
    let api = reader.api();
    thread
        .events
        .iter()
        .filter(|e| visible_to(e, api))
        .map(|e| match reader {
            Reader::Agent if e.is_deleted() => deleted_stub(e),
            _ => event_view(e, api),
        })
        .collect()
}

/// One user of a chat, as `api` sees it.
pub(crate) fn user_view(state: &State, user: &ChatUserRec, api: Api) -> User {
    match &user.principal {
        Principal::Agent(id) => {
            let mut agent = state
                .agents
                .get(id)
                .map(|a| a.profile.clone())
                .unwrap_or_else(|| Agent {
                    id: id.clone(),
                    ..Agent::default()
                });
            agent.kind = Some(UserType::Agent);
            agent.present = Some(user.present);
            agent.events_seen_up_to = user.events_seen_up_to.clone();
            agent.routing_status = None;
            agent.permission = None;
            if api == Api::Customer {
                agent.email = None;
                agent.visibility = None;
            } else {
                agent.visibility = Some(user.visibility.clone());
            }
            User::from(agent)
        }
        Principal::Customer(id) => {
            let mut customer = customer_view(state, id, api);
            customer.present = Some(user.present);
            customer.events_seen_up_to = user.events_seen_up_to.clone();
            User::from(customer)
        }
    }
}

/// A customer, as `api` sees it.
pub(crate) fn customer_view(state: &State, id: &lc_protocol::id::CustomerId, api: Api) -> Customer {
    let mut customer = state
        .customers
        .get(id)
        .map(|c| c.profile.clone())
        .unwrap_or_else(|| Customer {
            id: id.clone(),
            ..Customer::default()
        });
    customer.kind = Some(UserType::Customer);
    if api == Api::Customer {
        customer.statistics = None;
        customer.visit = None;
        customer.last_visit = None;
        customer.chat_ids = None;
        customer.group_ids = None;
    }
    customer
}

/// A customer's statistics: chats and threads counted from its chats, the other
/// counters as recorded on its profile (0 when never recorded).
pub(crate) fn customer_statistics(
    state: &State,
    id: &lc_protocol::id::CustomerId,
) -> lc_protocol::types::CustomerStatistics {
    let recorded = state
        .customers
        .get(id)
        .and_then(|c| c.profile.statistics.as_deref().cloned())
        .unwrap_or_default();
    let (chats, threads) = state
        .chats
        .values()
        .filter(|c| c.customer() == Some(id))
        .fold((0, 0), |(chats, threads), c| {
            (chats + 1, threads + c.threads.len() as u64)
        });
    lc_protocol::types::CustomerStatistics {
        chats_count: Some(chats),
        threads_count: Some(threads),
        visits_count: Some(recorded.visits_count.unwrap_or(0)),
        page_views_count: Some(recorded.page_views_count.unwrap_or(0)),
        greetings_shown_count: Some(recorded.greetings_shown_count.unwrap_or(0)),
        greetings_accepted_count: Some(recorded.greetings_accepted_count.unwrap_or(0)),
        ..recorded
    }
}

/// A thread, as `reader` sees it.
pub(crate) fn thread_view(chat: &ChatRec, thread: &ThreadRec, reader: Reader) -> Thread {
    let api = reader.api();
    let index = chat.threads.iter().position(|t| t.id == thread.id);
    let neighbour = |offset: isize| {
        index
            .and_then(|i| i.checked_add_signed(offset))
            .and_then(|i| chat.threads.get(i))
            .map(|t| t.id.clone())
    };
    Thread {
        id: thread.id.clone(),
        active: thread.active,
        user_ids: chat.users.iter().map(|u| u.principal.user_id()).collect(),
        events: Some(events_view(thread, reader)),
        properties: Some(thread.properties.clone()),
        access: Some(thread.access.clone()),
        tags: (!thread.tags.is_empty()).then(|| thread.tags.clone()),
        previous_thread_id: neighbour(-1),
        next_thread_id: neighbour(1),
        created_at: thread.created_at.clone(),
        summary: thread.summary.clone().filter(|_| api == Api::Agent),
        queue: thread.queue.as_ref().map(crate::queue::view),
        ..Thread::default()
    }
}

/// A chat with one of its threads, as `viewer` sees it.
pub(crate) fn chat_view(
    state: &State,
    chat: &ChatRec,
    thread: Option<&ThreadRec>,
    viewer: &Principal,
) -> Chat {
    let api = viewer.api();
    Chat {
        id: chat.id.clone(),
        users: users_view(state, chat, api),
        thread: thread.map(|t| thread_view(chat, t, Reader::of(state, viewer))),
        properties: Some(chat.properties.clone()),
        access: Some(chat.access.clone()),
        is_followed: match viewer {
            Principal::Agent(id) => Some(chat.followers.contains(id)),
            Principal::Customer(_) => None,
        },
        ..Chat::default()
    }
}

/// The users of a chat that `api` may see (agents added with `agents` visibility are
/// hidden from customers).
pub(crate) fn users_view(state: &State, chat: &ChatRec, api: Api) -> Vec<User> {
    chat.users
        .iter()
        .filter(|u| api == Api::Agent || u.visibility == Visibility::All)
        .map(|u| user_view(state, u, api))
        .collect()
}

fn last_event_per_type(chat: &ChatRec, api: Api) -> BTreeMap<String, Box<LastEventEntry>> {
    let mut out = BTreeMap::new();
    for (order, thread) in chat.threads.iter().enumerate() {
        for event in thread.events.iter().filter(|e| visible_to(e, api)) {
            out.insert(
                event.kind().to_owned(),
                Box::new(LastEventEntry {
                    thread_id: thread.id.clone(),
                    thread_created_at: Some(thread.created_at.clone()),
                    thread_order: (api == Api::Customer).then_some(order as u64 + 1),
                    event: event_view(event, api),
                    extra: Default::default(),
                }),
            );
        }
    }
    out
}

/// The agent chat summary (list_chats, login).
pub(crate) fn chat_summary_view(state: &State, chat: &ChatRec, viewer: &Principal) -> ChatSummary {
    let last = chat.threads.last();
    ChatSummary {
        id: chat.id.clone(),
        users: users_view(state, chat, Api::Agent),
        last_thread_summary: last.map(|t| ThreadSummary {
            id: t.id.clone(),
            user_ids: Some(
                chat.users
                    .iter()
                    .map(|u| u.principal.user_id())
                    .collect::<Vec<UserId>>(),
            ),
            properties: Some(t.properties.clone()),
            active: Some(t.active),
            access: Some(t.access.clone()),
            created_at: Some(t.created_at.clone()),
            tags: (!t.tags.is_empty()).then(|| t.tags.clone()),
            ..ThreadSummary::default()
        }),
        last_event_per_type: Some(last_event_per_type(chat, Api::Agent)),
        properties: Some(chat.properties.clone()),
        access: Some(chat.access.clone()),
        is_followed: match viewer {
            Principal::Agent(id) => Some(chat.followers.contains(id)),
            Principal::Customer(_) => None,
        },
        ..ChatSummary::default()
    }
}

/// The customer chat summary (customer list_chats).
pub(crate) fn customer_chat_summary_view(state: &State, chat: &ChatRec) -> CustomerChatSummary {
    let last = chat.threads.last();
    CustomerChatSummary {
        id: chat.id.clone(),
        last_thread_id: last.map(|t| t.id.clone()),
        last_thread_created_at: last.map(|t| t.created_at.clone()),
        last_event_per_type: Some(last_event_per_type(chat, Api::Customer)),
        users: users_view(state, chat, Api::Customer),
        access: Some(chat.access.clone()),
        properties: Some(chat.properties.clone()),
        active: Some(chat.is_active()),
        ..CustomerChatSummary::default()
    }
}
