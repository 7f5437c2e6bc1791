//! Chat access (3.3 `grant_chat_access` / `revoke_chat_access`), with the lookups of
//! groups and agents and the push helpers the other topics share.

use super::lifecycle::{chat_agents, set_access};
use crate::chat_ops;
use crate::handler::{Ctx, invalid, not_found};
use crate::outbox::Audience;
use crate::state::{ChatRec, State};
use lc_protocol::Empty;
use lc_protocol::agent::{self, push as agent_push};
use lc_protocol::error::ApiError;
use lc_protocol::id::{AgentId, ChatId, GroupId};
use lc_protocol::types::{Access, TransferTargetType};
use serde::Serialize;
use serde_json::Value;

/// `grant_chat_access` (3.3): adds a group (or an agent) to the chat's access.
pub(super) fn grant_chat_access(
    ctx: &mut Ctx<'_>,
    request: agent::GrantChatAccess,
) -> Result<Empty, ApiError> {
    change_access(ctx, &request.id, &request.access, true)
}

/// `revoke_chat_access` (3.3): removes a group or an agent from the chat's access.
pub(super) fn revoke_chat_access(
    ctx: &mut Ctx<'_>,
    request: agent::RevokeChatAccess,
) -> Result<Empty, ApiError> {
    change_access(ctx, &request.id, &request.access, false)
}

/// Grants or revokes one group or agent; pushes `chat_access_granted` /
/// `chat_access_revoked` (with the changed access) to the chat's agents and followers and
/// to the agent concerned.
fn change_access(
    ctx: &mut Ctx<'_>,
    chat_id: &ChatId,
    change: &agent::ChatAccessChange,
    grant: bool,
) -> Result<Empty, ApiError> {
    chat_ops::visible_chat(ctx.state, &ctx.who, chat_id)?;
    let delta = access_delta(ctx.state, change)?;
    let Some(chat) = ctx.state.chats.get_mut(chat_id) else {
        return Err(not_found(format_args!("Chat `{chat_id}`")));
    };
    let mut access = chat.access.clone();
    let agent_ids = access.agent_ids.get_or_insert_with(Vec::new);
    for group in &delta.group_ids {
        access.group_ids.retain(|g| g != group);
        if grant {
            access.group_ids.push(*group);
        }
    }
    for agent in delta.agent_ids.iter().flatten() {
        agent_ids.retain(|a| a != agent);
        if grant {
            agent_ids.push(agent.clone());
        }
    }
    if access.agent_ids.as_ref().is_some_and(Vec::is_empty) {
        access.agent_ids = None;
    }
    set_access(chat, access);
    let mut audience = chat_audience(chat);
    audience.extend(delta.agent_ids.iter().flatten().cloned());
    // `chat_access_revoked` has the same shape: `{id, access}`.
    let payload = agent_push::ChatAccessGranted {
        id: chat_id.clone(),
        access: delta,
        extra: Default::default(),
    };
    let name = if grant {
        "chat_access_granted"
    } else {
        "chat_access_revoked"
    };
    ctx.state
        .outbox
        .agents(Audience::Agents(audience), name, &payload);
    Ok(Empty {})
}

/// The access one `grant_chat_access` / `revoke_chat_access` names: an existing group (an
/// integer id) or agent (a string id).
fn access_delta(state: &State, change: &agent::ChatAccessChange) -> Result<Access, ApiError> {
    let mut access = Access::default();
    match &change.kind {
        TransferTargetType::Group => access.group_ids.push(group_id(state, &change.id)?),
        TransferTargetType::Agent => access.agent_ids = Some(vec![agent_id(state, &change.id)?]),
        other => return Err(invalid(format!("Unknown access type `{other}`"))),
    }
    Ok(access)
}

/// An existing group named by a JSON integer.
pub(super) fn group_id(state: &State, value: &Value) -> Result<GroupId, ApiError> {
    let id = value
        .as_u64()
        .and_then(|id| u32::try_from(id).ok())
        .map(GroupId)
        .ok_or_else(|| invalid(format!("`{value}` is not a group id")))?;
    if state.groups.contains_key(&id) {
        Ok(id)
    } else {
        Err(not_found(format_args!("Group `{}`", id.0)))
    }
}

/// An existing agent named by a JSON string.
pub(super) fn agent_id(state: &State, value: &Value) -> Result<AgentId, ApiError> {
    let id = value
        .as_str()
        .map(AgentId::new)
        .ok_or_else(|| invalid(format!("`{value}` is not an agent id")))?;
    if state.agents.contains_key(&id) {
        Ok(id)
    } else {
        Err(not_found(format_args!("Agent `{id}`")))
    }
}

/// The agents who get a chat's pushes now: its agent users and its followers.
pub(super) fn chat_audience(chat: &ChatRec) -> Vec<AgentId> {
    let mut agents = chat_agents(chat);
    agents.extend(chat.followers.iter().cloned());
    agents
}

/// Queues push `name` for `agents` and, with a customer payload, for the chat's customer.
pub(super) fn notify<A: Serialize, C: Serialize>(
    state: &mut State,
    chat_id: &ChatId,
    agents: Vec<AgentId>,
    name: &'static str,
    agent: &A,
    customer: Option<&C>,
) {
    state.outbox.agents(Audience::Agents(agents), name, agent);
    let target = state.chats.get(chat_id).and_then(|c| c.customer().cloned());
    if let (Some(payload), Some(customer)) = (customer, target) {
        state
            .outbox
            .customers(Audience::Customer(customer), name, payload);
    }
}
