//! Which registrations fire for an occurrence: the gate of the registration's type
//! ([`gate_open`]: `bot` webhooks while a bot of the owner is not offline, Q20; `license`
//! webhooks unless the owner disabled them) and its filters ([`passes`], §3.3: every
//! filter given must pass, Q19).

use super::occurrence::Occurrence;
use crate::state::{Principal, State};
use crate::webhook_registry::Registration;
use lc_protocol::configuration::{
    WebhookChatPresence, WebhookFilters, WebhookSourceType, WebhookType,
};
use lc_protocol::id::{AgentId, CustomerId};
use lc_protocol::types::{RoutingStatus, UserType};
use serde_json::Value;

/// Whether deliveries of `registration` are on: a `bot` webhook while at least one bot
/// owned by its application is not `offline`; a `license` webhook unless its
/// application disabled its license webhooks. Other types never fire.
pub(crate) fn gate_open(state: &State, registration: &Registration) -> bool {
    let owner = registration.owner_client_id.as_str();
    match &registration.kind {
        WebhookType::Bot => state.bots.iter().any(|(id, bot)| {
            bot.owner_client_id == owner
                && state
                    .agents
                    .get(id)
                    .is_some_and(|agent| agent.routing_status != RoutingStatus::Offline)
        }),
        WebhookType::License => !state.webhooks.license_disabled.contains(owner),
        _ => false,
    }
}

/// Whether every filter of `registration` passes for `what`.
pub(crate) fn passes(state: &State, registration: &Registration, what: &Occurrence<'_>) -> bool {
    let filters: &WebhookFilters = &registration.filters;
    let owner = registration.owner_client_id.as_str();
    filters
        .author_type
        .as_ref()
        .is_none_or(|kind| author_type_passes(state, kind, what))
        && filters
            .only_my_chats
            .is_none_or(|on| !on || only_my_chats_passes(owner, what))
        && filters
            .chat_presence
            .as_ref()
            .is_none_or(|presence| presence_passes(state, owner, presence, what))
        && filters
            .source_type
            .as_ref()
            .is_none_or(|sources| source_passes(owner, sources, what))
        && filters
            .agent_ids
            .as_ref()
            .is_none_or(|ids| agent_ids_pass(ids, what))
}

/// `author_type`: the author of the payload's `event` is of that kind (bots are agents,
/// Q19). An event without an author (a system message) passes no `author_type`; an
/// action without an event is not filtered (registration refuses the filter there).
fn author_type_passes(state: &State, kind: &UserType, what: &Occurrence<'_>) -> bool {
    let Some(event) = what.payload.get("event") else {
        return true;
    };
    let Some(author) = event.get("author_id").and_then(Value::as_str) else {
        return false;
    };
    author_kind(state, author, what).as_ref() == Some(kind)
}

/// Whether user `id` is an agent (bots included) or a customer.
fn author_kind(state: &State, id: &str, what: &Occurrence<'_>) -> Option<UserType> {
    if state.agents.contains_key(&AgentId::new(id)) {
        return Some(UserType::Agent);
    }
    if state.customers.contains_key(&CustomerId::new(id)) {
        return Some(UserType::Customer);
    }
    let chat = what.chat?;
    chat.users
        .iter()
        .find(|u| u.principal.user_id().as_str() == id)
        .map(|u| match u.principal {
            Principal::Agent(_) => UserType::Agent,
            Principal::Customer(_) => UserType::Customer,
        })
}

/// `only_my_chats`: the chat's property `source.client_id` is the owner's client id.
fn only_my_chats_passes(owner: &str, what: &Occurrence<'_>) -> bool {
    what.chat.is_some_and(|chat| {
        chat.properties
            .get("source", "client_id")
            .and_then(Value::as_str)
            == Some(owner)
    })
}

/// The ids of the users present in the chat.
pub(crate) fn present_user_ids<'a>(what: &'a Occurrence<'_>) -> impl Iterator<Item = String> + 'a {
    what.chat
        .into_iter()
        .flat_map(|chat| chat.users.iter())
        .filter(|u| u.present)
        .map(|u| u.principal.user_id().into_string())
}

/// `chat_presence`: `user_ids.values` (any of them present), `user_ids.exclude_values`
/// (none of them present), `my_bots` (a bot of the owner present). Without a chat it
/// does not pass.
fn presence_passes(
    state: &State,
    owner: &str,
    presence: &WebhookChatPresence,
    what: &Occurrence<'_>,
) -> bool {
    if what.chat.is_none() {
        return false;
    }
    let present: Vec<String> = present_user_ids(what).collect();
    let has = |id: &str| present.iter().any(|p| p == id);
    if let Some(user_ids) = &presence.user_ids {
        if let Some(values) = &user_ids.values {
            if !values.iter().any(|v| has(v.as_str())) {
                return false;
            }
        }
        if let Some(excluded) = &user_ids.exclude_values {
            if excluded.iter().any(|v| has(v.as_str())) {
                return false;
            }
        }
    }
    if presence.my_bots == Some(true) {
        let my_bot_present = present.iter().any(|id| {
            state
                .bots
                .get(&AgentId::new(id.as_str()))
                .is_some_and(|bot| bot.owner_client_id == owner)
        });
        if !my_bot_present {
            return false;
        }
    }
    true
}

/// `source_type`: who caused it — the owner's application (`my_client`), another one
/// (`other_clients`) or none (`system`). An empty list is no filter.
fn source_passes(owner: &str, sources: &[WebhookSourceType], what: &Occurrence<'_>) -> bool {
    if sources.is_empty() {
        return true;
    }
    let source = match what.source_client_id {
        None => WebhookSourceType::System,
        Some(client) if client == owner => WebhookSourceType::MyClient,
        Some(_) => WebhookSourceType::OtherClients,
    };
    sources.contains(&source)
}

/// `agent_ids` (`routing_status_set` only; Q18): `{"values": [...]}` (one of them),
/// `{"exclude_values": [...]}` (none of them) or a bare `[...]` (one of them), on the
/// payload's `agent_id`. Another shape, or another action, is not filtered.
fn agent_ids_pass(filter: &Value, what: &Occurrence<'_>) -> bool {
    if what.action != "routing_status_set" {
        return true;
    }
    let agent = what.payload.get("agent_id").and_then(Value::as_str);
    let listed = |list: &Value| {
        list.as_array().is_some_and(|ids| {
            ids.iter()
                .any(|id| id.as_str().is_some() && id.as_str() == agent)
        })
    };
    match filter {
        Value::Array(_) => listed(filter),
        Value::Object(map) => {
            map.get("values").is_none_or(listed)
                && map.get("exclude_values").is_none_or(|list| !listed(list))
        }
        _ => true,
    }
}
