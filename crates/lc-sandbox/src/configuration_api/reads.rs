//! The group and agent reads (§4): `list_groups`, `get_group`, `list_agents`,
//! `get_agent`, over the sandbox's groups and agents.
//!
//! Groups: `language_code` is `en`; `agent_priorities` names the human agents of the
//! group (`normal`; the sandbox keeps no per-group priority for agents) and its bots
//! (their priority; every bot is in group 0 with its default priority unless it names
//! group 0); `routing_status` is `accepting_chats` when a member accepts chats,
//! `not_accepting_chats` when a member is online, `offline` otherwise. Agents: bots are
//! not listed (§4); `login_status` spells statuses with spaces as the samples do.

use super::access::{deny_bot_token, requested_fields};
use crate::handler::{Ctx, Reply, err, not_found, run};
use crate::state::State;
use lc_protocol::configuration::{
    AgentField, ConfigAgent, ConfigGroup, GetAgent, GetGroup, GroupField, ListAgents, ListGroups,
};
use lc_protocol::error::{ApiError, ErrorType};
use lc_protocol::id::{AgentId, GroupId};
use lc_protocol::types::{ConfigGroupMembership, ConfigGroupPriority, RoutingStatus};
use serde_json::value::RawValue;
use std::collections::BTreeMap;

/// The `max_chats_count` the sandbox reports for human agents ([G] the real default).
const AGENT_MAX_CHATS: u32 = 6;

/// Handles the reads; `None` for other actions. Bot tokens may call none of them.
pub(super) fn handle(ctx: &mut Ctx<'_>, action: &str, payload: &RawValue) -> Option<Reply> {
    let handler: fn(&mut Ctx<'_>, &RawValue) -> Reply = match action {
        "list_groups" => |ctx: &mut Ctx<'_>, p: &RawValue| run(ctx, p, list_groups),
        "get_group" => |ctx: &mut Ctx<'_>, p: &RawValue| run(ctx, p, get_group),
        "list_agents" => |ctx: &mut Ctx<'_>, p: &RawValue| run(ctx, p, list_agents),
        "get_agent" => |ctx: &mut Ctx<'_>, p: &RawValue| run(ctx, p, get_agent),
        _ => return None,
    };
    Some(deny_bot_token(ctx, action).and_then(|()| handler(ctx, payload)))
}

/// `list_groups`: every group, by id.
fn list_groups(ctx: &mut Ctx<'_>, request: ListGroups) -> Result<Vec<ConfigGroup>, ApiError> {
    let fields = requested_fields(request.fields, GroupField::is_unknown)?;
    Ok(ctx
        .state
        .groups
        .keys()
        .map(|id| group_view(ctx.state, *id, &fields))
        .collect())
}

/// `get_group`: one group; `group_not_found` for an unknown one.
fn get_group(ctx: &mut Ctx<'_>, request: GetGroup) -> Result<ConfigGroup, ApiError> {
    let fields = requested_fields(request.fields, GroupField::is_unknown)?;
    if !ctx.state.groups.contains_key(&request.id) {
        return Err(err(
            ErrorType::GroupNotFound,
            format!("Group `{}` not found", request.id.0),
        ));
    }
    Ok(group_view(ctx.state, request.id, &fields))
}

/// A group with the requested fields.
fn group_view(state: &State, id: GroupId, fields: &[GroupField]) -> ConfigGroup {
    let members = members(state, id);
    let mut view = ConfigGroup {
        id,
        name: state.groups.get(&id).map(|g| g.name.clone()),
        language_code: Some("en".to_owned()),
        ..ConfigGroup::default()
    };
    if fields.contains(&GroupField::AgentPriorities) {
        view.agent_priorities = Some(
            members
                .iter()
                .map(|(agent, priority)| (agent.to_string(), priority.clone()))
                .collect(),
        );
    }
    if fields.contains(&GroupField::RoutingStatus) {
        let statuses: Vec<RoutingStatus> = members
            .keys()
            .map(|a| crate::agent_api::routing_status_of(state, a))
            .collect();
        let status = if statuses.contains(&RoutingStatus::AcceptingChats) {
            "accepting_chats"
        } else if statuses.contains(&RoutingStatus::NotAcceptingChats) {
            "not_accepting_chats"
        } else {
            "offline"
        };
        view.routing_status = Some(status.to_owned());
    }
    view
}

/// The agents and bots of group `id`, with their priority in it.
fn members(state: &State, id: GroupId) -> BTreeMap<AgentId, ConfigGroupPriority> {
    let humans = state
        .agents
        .iter()
        .filter(|(agent, rec)| !state.bots.contains_key(*agent) && rec.groups.contains(&id))
        .map(|(agent, _)| (agent.clone(), ConfigGroupPriority::Normal));
    let bots = state
        .bots
        .iter()
        .filter_map(|(bot, rec)| rec.priority_in(id).map(|p| (bot.clone(), p)));
    humans.chain(bots).collect()
}

/// `list_agents`: the human agents (of `filters.group_ids`; `filters.suspended: true`
/// lists none, the sandbox suspends nobody).
fn list_agents(ctx: &mut Ctx<'_>, request: ListAgents) -> Result<Vec<ConfigAgent>, ApiError> {
    let fields = requested_fields(request.fields, AgentField::is_unknown)?;
    let filters = request.filters.unwrap_or_default();
    if filters.suspended == Some(true) {
        return Ok(Vec::new());
    }
    Ok(ctx
        .state
        .agents
        .iter()
        .filter(|(id, _)| !ctx.state.is_bot(id))
        .filter(|(_, rec)| {
            filters
                .group_ids
                .as_ref()
                .is_none_or(|wanted| rec.groups.iter().any(|g| wanted.contains(g)))
        })
        .map(|(id, _)| agent_view(ctx.state, id, &fields, true))
        .collect())
}

/// `get_agent`: one human agent; `not_found` for an unknown id or a bot.
fn get_agent(ctx: &mut Ctx<'_>, request: GetAgent) -> Result<ConfigAgent, ApiError> {
    let fields = requested_fields(request.fields, AgentField::is_unknown)?;
    if !ctx.state.agents.contains_key(&request.id) || ctx.state.is_bot(&request.id) {
        return Err(not_found(format_args!("Agent `{}`", request.id)));
    }
    Ok(agent_view(ctx.state, &request.id, &fields, false))
}

/// An agent with the requested fields; `listed` spells the avatar `avatar_path` (as the
/// `list_agents` sample), else `avatar` (as the `get_agent` sample).
fn agent_view(state: &State, id: &AgentId, fields: &[AgentField], listed: bool) -> ConfigAgent {
    let rec = &state.agents[id];
    let account_id = state
        .pats
        .iter()
        .find(|(_, agent)| *agent == id)
        .map(|((account, _), _)| account.clone());
    let login_status = match crate::agent_api::routing_status_of(state, id) {
        RoutingStatus::AcceptingChats => "accepting chats",
        RoutingStatus::NotAcceptingChats => "not accepting chats",
        _ => "offline",
    };
    let mut view = ConfigAgent {
        id: id.clone(),
        account_id,
        name: rec.profile.name.clone(),
        role: rec.profile.permission.clone(),
        login_status: Some(login_status.to_owned()),
        ..ConfigAgent::default()
    };
    if listed {
        view.avatar_path.clone_from(&rec.profile.avatar);
    } else {
        view.avatar.clone_from(&rec.profile.avatar);
    }
    for field in fields {
        match field {
            AgentField::Groups => {
                view.groups = Some(
                    rec.groups
                        .iter()
                        .map(|g| ConfigGroupMembership {
                            id: *g,
                            priority: ConfigGroupPriority::Normal,
                            extra: Default::default(),
                        })
                        .collect(),
                );
            }
            AgentField::JobTitle => view.job_title.clone_from(&rec.profile.job_title),
            AgentField::MaxChatsCount => view.max_chats_count = Some(AGENT_MAX_CHATS),
            AgentField::Suspended => view.suspended = Some(false),
            AgentField::AwaitingApproval => view.awaiting_approval = Some(false),
            _ => {}
        }
    }
    view
}
