//! Chat operations shared by the Agent and Customer APIs: starting and resuming chats,
//! adding events, deactivating, routing.

use crate::handler::{err, invalid, not_found};
use crate::outbox::{Audience, Outbox};
use crate::state::{ChatRec, ChatUserRec, Principal, State, ThreadRec};
use crate::views;
use lc_protocol::Api;
use lc_protocol::error::{ApiError, ErrorType};
use lc_protocol::id::{AgentId, ChatId, CustomerId, EventId, GroupId, ThreadId, UserId};
use lc_protocol::types::{
    Access, ConfigGroupPriority, Event, InitialUser, Properties, RoutingStatus, SystemMessageEvent,
    UserType, Visibility,
};
use serde::Serialize;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};

/// What a new thread starts with.
#[derive(Debug, Default)]
pub(crate) struct NewThread {
    pub(crate) events: Vec<Event>,
    pub(crate) properties: Option<Properties>,
    pub(crate) active: bool,
}

/// The chat `id`, if `who` may see it; `not_found` otherwise (as the real service).
pub(crate) fn visible_chat<'s>(
    state: &'s State,
    who: &Principal,
    id: &ChatId,
) -> Result<&'s ChatRec, ApiError> {
    let chat = state
        .chats
        .get(id)
        .ok_or_else(|| not_found(format_args!("Chat `{id}`")))?;
    if state.can_see_chat(who, chat) {
        Ok(chat)
    } else {
        Err(not_found(format_args!("Chat `{id}`")))
    }
}

/// Like [`visible_chat`], mutable.
pub(crate) fn visible_chat_mut<'s>(
    state: &'s mut State,
    who: &Principal,
    id: &ChatId,
) -> Result<&'s mut ChatRec, ApiError> {
    visible_chat(state, who, id)?;
    state
        .chats
        .get_mut(id)
        .ok_or_else(|| not_found(format_args!("Chat `{id}`")))
}

/// Validates the users a start/resume request lists and turns them into chat users.
pub(crate) fn initial_users(
    state: &State,
    who: &Principal,
    listed: &[InitialUser],
) -> Result<Vec<ChatUserRec>, ApiError> {
    let mut users = vec![ChatUserRec {
        principal: who.clone(),
        visibility: Visibility::All,
        present: true,
        events_seen_up_to: None,
    }];
    let mut agents = 0;
    for user in listed {
        let principal = match user.kind {
            UserType::Agent => {
                let id = AgentId::new(user.id.as_str());
                if !state.agents.contains_key(&id) {
                    return Err(not_found(format_args!("Agent `{id}`")));
                }
                Principal::Agent(id)
            }
            UserType::Customer => {
                let id = CustomerId::new(user.id.as_str());
                if !state.customers.contains_key(&id) {
                    return Err(not_found(format_args!("Customer `{id}`")));
                }
                Principal::Customer(id)
            }
            ref other => return Err(invalid(format!("Unknown user type `{other}`"))),
        };
        if matches!(who, Principal::Customer(_)) && &principal != who {
            return Err(invalid("A customer may list only itself in `chat.users`"));
        }
        if users.iter().any(|u| u.principal == principal) {
            continue;
        }
        if matches!(principal, Principal::Agent(_)) {
            agents += 1;
        }
        users.push(ChatUserRec {
            principal,
            visibility: Visibility::All,
            present: true,
            events_seen_up_to: None,
        });
    }
    if agents > 4 {
        return Err(invalid(
            "At most 4 agents besides the requester may be listed",
        ));
    }
    if users
        .iter()
        .filter(|u| matches!(u.principal, Principal::Customer(_)))
        .count()
        > 1
    {
        return Err(invalid("A chat has at most one customer"));
    }
    Ok(users)
}

/// Appends a new thread to `chat` with `new`'s events, authored by `who` or by the chat
/// user an event names as its `author_id`, all visible to everyone; returns the thread
/// id and the ids of the events.
pub(crate) fn open_thread(
    state: &mut State,
    chat_id: &ChatId,
    who: &Principal,
    mut new: NewThread,
) -> Result<(ThreadId, Vec<EventId>), ApiError> {
    for event in &mut new.events {
        crate::event_rules::accept(&mut state.files, event)?;
    }
    let thread_id = ThreadId::new(state.ids.next('T'));
    let created_at = state.clock.stamp();
    let chat = state
        .chats
        .get_mut(chat_id)
        .ok_or_else(|| not_found(format_args!("Chat `{chat_id}`")))?;
    if chat.is_active() {
        return Err(err(
            ErrorType::NotAllowed,
            "The chat already has an active thread",
        ));
    }
    let mut thread = ThreadRec {
        id: thread_id.clone(),
        active: new.active,
        events: Vec::new(),
        properties: new.properties.unwrap_or_default(),
        tags: Vec::new(),
        created_at,
        access: chat.access.clone(),
        next_event: 0,
        summary: None,
        queue: None,
    };
    let mut ids = Vec::new();
    for mut event in new.events {
        let author = initial_author(chat, who, &event)?;
        let id = thread.next_event_id();
        event.stamp(id.clone(), state.clock.stamp(), Some(author));
        // "The default visibility of users and events is `all` and cannot be changed."
        event.set_visibility(Some(Visibility::All));
        thread.events.push(event);
        ids.push(id);
    }
    chat.threads.push(thread);
    let seen = state.clock.stamp();
    if let Some(chat) = state.chats.get_mut(chat_id) {
        if let Some(user) = chat.user_mut(who) {
            user.events_seen_up_to = Some(seen);
        }
    }
    Ok((thread_id, ids))
}

/// The author of an initial event of `start_chat` or `resume_chat`: the requester, or
/// the event's `author_id` when that is another user of the chat (one that is not is a
/// `validation` error, as the service documents).
fn initial_author(chat: &ChatRec, who: &Principal, event: &Event) -> Result<UserId, ApiError> {
    match event.author_id() {
        Some(author) if author.as_str() != who.user_id_str() => {
            let listed = chat
                .users
                .iter()
                .any(|u| u.principal.user_id_str() == author.as_str());
            if !listed {
                return Err(invalid(format!(
                    "The author `{author}` of an initial event must be listed in `users`"
                )));
            }
            Ok(author.clone())
        }
        _ => Ok(who.user_id()),
    }
}

/// Creates a chat for `users` with the given access and properties; returns its id.
pub(crate) fn create_chat(
    state: &mut State,
    users: Vec<ChatUserRec>,
    access: Option<Access>,
    properties: Option<Properties>,
) -> ChatId {
    let id = ChatId::new(state.ids.next('P'));
    state.chat_seq += 1;
    let access = access.unwrap_or_else(|| Access {
        group_ids: vec![GroupId(0)],
        ..Access::default()
    });
    let chat = ChatRec {
        id: id.clone(),
        users,
        threads: Vec::new(),
        properties: properties.unwrap_or_default(),
        access,
        followers: BTreeSet::new(),
        unfollowers: BTreeSet::new(),
        seq: state.chat_seq,
    };
    state.chats.insert(id.clone(), chat);
    id
}

/// Routes an active customer chat with no agent to the agent or bot [`pick_agent`]
/// chooses; returns it, if one was free.
pub(crate) fn route(state: &mut State, chat_id: &ChatId) -> Option<AgentId> {
    route_excluding(state, chat_id, &[])
}

/// Like [`route`], never choosing one of `exclude` (e.g. the agents a chat is transferred
/// away from).
pub(crate) fn route_excluding(
    state: &mut State,
    chat_id: &ChatId,
    exclude: &[AgentId],
) -> Option<AgentId> {
    let chat = state.chats.get(chat_id)?;
    if !chat.is_active()
        || chat
            .users
            .iter()
            .any(|u| matches!(u.principal, Principal::Agent(_)))
    {
        return None;
    }
    let Some(candidate) = pick_agent(state, &chat.access.group_ids, exclude) else {
        if chat.customer().is_some() {
            crate::queue::enqueue(state, chat_id);
        }
        return None;
    };
    let chat = state.chats.get_mut(chat_id)?;
    chat.users.push(ChatUserRec {
        principal: Principal::Agent(candidate.clone()),
        visibility: Visibility::All,
        present: true,
        events_seen_up_to: None,
    });
    Some(candidate)
}

/// The agent routing would give a chat of `groups` to, never one of `exclude`. The
/// candidates are the accepting, connected, not away human agents of one of the groups
/// (group 0: any), with priority `normal`, and the accepting bots (Configuration API) of
/// one of the groups below their `max_chats_count` active chats, with their priority in
/// the group (else their default priority; every bot is in group 0). Priority `first`
/// comes before `normal`, then `last`; `supervisor` never gets chats. Among equals, the
/// one with the fewest active chats (then the lowest id) wins. Agents made with
/// `NewAgent::bot` (no Configuration API record) never get chats.
pub(crate) fn pick_agent(
    state: &State,
    groups: &[GroupId],
    exclude: &[AgentId],
) -> Option<AgentId> {
    let humans = state
        .agents
        .iter()
        .filter(|(id, rec)| {
            rec.routing_status == RoutingStatus::AcceptingChats
                && !exclude.contains(id)
                && !rec.profile.is_bot.unwrap_or(false)
                && state.agent_online(id)
                && !all_away(state, id)
                && (groups.iter().any(|g| g.0 == 0)
                    || groups.iter().any(|g| rec.groups.contains(g)))
        })
        .map(|(id, _)| (NORMAL_TIER, active_chats_of(state, id), id));
    let bots = state.bots.iter().filter_map(|(id, bot)| {
        let accepting = state
            .agents
            .get(id)
            .is_some_and(|a| a.routing_status == RoutingStatus::AcceptingChats);
        if !accepting || exclude.contains(id) {
            return None;
        }
        let chats = active_chats_of(state, id);
        if chats >= usize::try_from(bot.max_chats_count).unwrap_or(usize::MAX) {
            return None;
        }
        let tier = groups
            .iter()
            .filter_map(|g| bot.priority_in(*g))
            .filter_map(|p| tier_of(&p))
            .min()?;
        Some((tier, chats, id))
    });
    humans
        .chain(bots)
        .min_by_key(|(tier, chats, _)| (*tier, *chats))
        .map(|(_, _, id)| id.clone())
}

/// The routing tier of human agents (priority `normal`).
const NORMAL_TIER: u8 = 1;

/// The routing tier of a group priority (lower first); `None` for `supervisor` (never
/// routed) and unknown priorities.
fn tier_of(priority: &ConfigGroupPriority) -> Option<u8> {
    match priority {
        ConfigGroupPriority::First => Some(0),
        ConfigGroupPriority::Normal => Some(NORMAL_TIER),
        ConfigGroupPriority::Last => Some(2),
        _ => None,
    }
}

/// Routes active customer chats that wait for an agent.
pub(crate) fn route_waiting_chats(state: &mut State) {
    let mut waiting: Vec<_> = state
        .chats
        .values()
        .filter(|c| {
            c.is_active()
                && c.customer().is_some()
                && !c
                    .users
                    .iter()
                    .any(|u| matches!(u.principal, Principal::Agent(_)))
        })
        .map(|c| (c.seq, c.id.clone()))
        .collect();
    waiting.sort();
    for (_, chat_id) in waiting {
        if route(state, &chat_id).is_some() {
            let customer = state
                .chats
                .get(&chat_id)
                .and_then(|c| c.customer().cloned());
            if let Some(customer) = customer {
                push_incoming_chat(state, &chat_id, &Principal::Customer(customer));
                state.outbox.repeat_last();
            }
        }
    }
}

/// Whether every connection of `agent` is away (false when it has none).
pub(crate) fn all_away(state: &State, agent: &AgentId) -> bool {
    state.all_away(agent)
}

/// How many active chats with a customer `agent` is a user of.
pub(crate) fn active_chats_of(state: &State, agent: &AgentId) -> usize {
    state.chats.active_chats_of(agent)
}

/// Queues `incoming_chat` for the chat's users, with the requester's view of the thread.
pub(crate) fn push_incoming_chat(state: &mut State, chat_id: &ChatId, requester: &Principal) {
    let Some(chat) = state.chats.get(chat_id) else {
        return;
    };
    let thread = chat.threads.last();
    let viewer = Principal::Agent(AgentId::new(""));
    let agent = json!({
        "requester_id": requester.user_id(),
        "chat": views::chat_view(state, chat, thread, &viewer),
    });
    let customer_viewer = match chat.customer() {
        Some(id) => Principal::Customer(id.clone()),
        None => Principal::Customer(CustomerId::new("")),
    };
    let customer = json!({
        "requester_id": requester.user_id(),
        "chat": views::chat_view(state, chat, thread, &customer_viewer),
    });
    state.outbox.split(
        Audience::Chat(chat_id.clone()),
        "incoming_chat",
        Some(&agent),
        Some(&customer),
    );
}

/// Appends `event` to the chat's active thread (or, with `attach_to_last_thread`, to its
/// last thread); returns the thread and event ids. Queues `incoming_event`.
pub(crate) fn add_event(
    state: &mut State,
    who: &Principal,
    chat_id: &ChatId,
    mut event: Event,
    attach_to_last_thread: bool,
) -> Result<(ThreadId, EventId), ApiError> {
    crate::event_rules::accept(&mut state.files, &mut event)?;
    let chat = visible_chat(state, who, chat_id)?;
    let sender = chat.user(who).cloned();
    let visibility = event.visibility().cloned().unwrap_or(Visibility::All);
    if matches!(who, Principal::Customer(_)) && visibility != Visibility::All {
        return Err(invalid("Customers send events visible to all"));
    }
    if let Some(sender) = &sender {
        if sender.visibility == Visibility::Agents && visibility == Visibility::All {
            return Err(invalid(
                "A user with `agents` visibility cannot send events visible to all",
            ));
        }
    }
    let active = chat.is_active();
    if !active && !attach_to_last_thread {
        return Err(err(ErrorType::ChatInactive, "Chat is inactive"));
    }
    if chat.threads.is_empty() {
        return Err(err(ErrorType::ChatInactive, "Chat has no thread"));
    }
    let created_at = state.clock.stamp();
    let joined_without_presence = sender.is_none();
    let chat = state
        .chats
        .get_mut(chat_id)
        .ok_or_else(|| not_found("Chat"))?;
    if joined_without_presence {
        chat.users.push(ChatUserRec {
            principal: who.clone(),
            visibility: Visibility::All,
            present: false,
            events_seen_up_to: None,
        });
    }
    let Some(thread) = chat.threads.last_mut() else {
        return Err(err(ErrorType::ChatInactive, "Chat has no thread"));
    };
    let thread_id = thread.id.clone();
    let event_id = thread.next_event_id();
    event.stamp(event_id.clone(), created_at.clone(), Some(who.user_id()));
    event.set_visibility(Some(visibility.clone()));
    thread.events.push(event);
    if let Some(user) = chat.user_mut(who) {
        user.events_seen_up_to = Some(created_at);
    }
    if joined_without_presence {
        let user = chat.user(who).cloned();
        if let Some(user) = user {
            let view = views::user_view(state, &user, Api::Agent);
            let payload = json!({"chat_id": chat_id, "thread_id": thread_id, "user": view, "reason": "manual"});
            state.outbox.agents(
                Audience::ChatAgents(chat_id.clone()),
                "user_added_to_chat",
                &payload,
            );
        }
    }
    let added = state
        .chats
        .get(chat_id)
        .and_then(|chat| chat.threads.last())
        .and_then(|thread| thread.events.last());
    if let Some(event) = added {
        push_incoming_event(
            &mut state.outbox,
            chat_id,
            &thread_id,
            event,
            visibility == Visibility::All,
        );
    }
    Ok((thread_id, event_id))
}

/// The payload of an `incoming_event` push, serialized straight from the stored event.
#[derive(Serialize)]
struct IncomingEventPayload<'a> {
    chat_id: &'a ChatId,
    thread_id: &'a ThreadId,
    event: &'a Event,
}

/// Queues `incoming_event` of `event` in the chat's thread for the chat's agents, and for
/// its customer too when `for_customer` (without the event's `visibility`).
fn push_incoming_event(
    outbox: &mut Outbox,
    chat_id: &ChatId,
    thread_id: &ThreadId,
    event: &Event,
    for_customer: bool,
) {
    let agent = IncomingEventPayload {
        chat_id,
        thread_id,
        event,
    };
    let customer_event = for_customer.then(|| views::event_view(event, Api::Customer));
    let customer = customer_event.as_ref().map(|event| IncomingEventPayload {
        chat_id,
        thread_id,
        event,
    });
    outbox.split(
        Audience::Chat(chat_id.clone()),
        "incoming_event",
        Some(&agent),
        customer.as_ref(),
    );
}

/// Adds a system message to the last thread and queues it as `incoming_event`.
pub(crate) fn system_message(state: &mut State, chat_id: &ChatId, kind: &str, text: String) {
    let note = SystemNote {
        kind,
        text,
        vars: BTreeMap::new(),
        visibility: Visibility::All,
    };
    system_note(state, chat_id, note);
}

/// A system message the service writes into a chat.
pub(crate) struct SystemNote<'a> {
    /// Its `system_message_type` (`agent_added`, `manual_archived_agent`, …).
    pub(crate) kind: &'a str,
    /// The text shown, with the variables filled in.
    pub(crate) text: String,
    /// Its `text_vars` (e.g. `agent`, `initiator`); none when empty.
    pub(crate) vars: BTreeMap<String, String>,
    /// `agents`: the customer does not see it.
    pub(crate) visibility: Visibility,
}

/// Adds the system message `note` to the last thread and queues it as `incoming_event`
/// (for the customer too when visible to all).
pub(crate) fn system_note(state: &mut State, chat_id: &ChatId, note: SystemNote<'_>) {
    let created_at = state.clock.stamp();
    let Some(chat) = state.chats.get_mut(chat_id) else {
        return;
    };
    let Some(thread) = chat.threads.last_mut() else {
        return;
    };
    let id = thread.next_event_id();
    let for_customer = note.visibility == Visibility::All;
    let event = Event::SystemMessage(SystemMessageEvent {
        id: Some(id),
        created_at: Some(created_at),
        visibility: Some(note.visibility),
        system_message_type: Some(note.kind.to_owned()),
        text: Some(note.text),
        text_vars: (!note.vars.is_empty()).then_some(note.vars),
        ..SystemMessageEvent::default()
    });
    let thread_id = thread.id.clone();
    push_incoming_event(&mut state.outbox, chat_id, &thread_id, &event, for_customer);
    thread.events.push(event);
}

/// The name a system message gives a user: its name, else its id (agents) or
/// `Customer`.
pub(crate) fn display_name(state: &State, who: &Principal) -> String {
    match who {
        Principal::Agent(id) => state
            .agents
            .get(id)
            .and_then(|a| a.profile.name.clone())
            .unwrap_or_else(|| id.to_string()),
        Principal::Customer(id) => state
            .customers
            .get(id)
            .and_then(|c| c.profile.name.clone())
            .unwrap_or_else(|| "Customer".to_owned()),
    }
}

/// Closes the chat's active thread on behalf of `who` (`None`: the router).
pub(crate) fn deactivate(
    state: &mut State,
    chat_id: &ChatId,
    who: Option<&Principal>,
) -> Result<(), ApiError> {
    let chat = state.chats.get(chat_id).ok_or_else(|| not_found("Chat"))?;
    let Some(thread) = chat.active_thread() else {
        return Err(err(ErrorType::ChatInactive, "Chat is inactive"));
    };
    let thread_id = thread.id.clone();
    let (kind, text) = match who {
        Some(Principal::Agent(id)) => {
            let name = state
                .agents
                .get(id)
                .and_then(|a| a.profile.name.clone())
                .unwrap_or_else(|| id.to_string());
            ("manual_archived_agent", format!("{name} archived the chat"))
        }
        Some(Principal::Customer(_)) => (
            "manual_archived_customer",
            "Customer archived the chat".to_owned(),
        ),
        None => ("system_archived", "Chat archived".to_owned()),
    };
    system_message(state, chat_id, kind, text);
    if let Some(thread) = state
        .chats
        .get_mut(chat_id)
        .and_then(|c| c.active_thread_mut())
    {
        thread.active = false;
    }
    let mut payload = json!({"chat_id": chat_id, "thread_id": thread_id});
    if let Some(who) = who {
        payload["user_id"] = json!(who.user_id());
    }
    state.outbox.both(
        Audience::Chat(chat_id.clone()),
        "chat_deactivated",
        &payload,
    );
    let had_bot = state.chats.get(chat_id).is_some_and(|c| {
        c.users.iter().any(|u| match &u.principal {
            Principal::Agent(id) => state.bots.contains_key(id),
            Principal::Customer(_) => false,
        })
    });
    if had_bot {
        // A bot may be below its `max_chats_count` again.
        route_waiting_chats(state);
    }
    Ok(())
}

/// Stores a start/resume request's `continuous` as the chat property
/// `routing.continuous` (unset: unchanged).
pub(crate) fn set_continuous(state: &mut State, chat_id: &ChatId, continuous: Option<bool>) {
    if let (Some(continuous), Some(chat)) = (continuous, state.chats.get_mut(chat_id)) {
        chat.properties.insert("routing", "continuous", continuous);
    }
}
