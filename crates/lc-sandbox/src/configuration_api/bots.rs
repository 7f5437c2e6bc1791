//! `create_bot`, `update_bot`, `delete_bot`, `reset_bot_secret` (§2.3), with the pushes
//! `bot_created`, `bot_updated` and `bot_deleted` to every agent.
//!
//! A bot is an agent too ([`crate::state::State::agents`], `is_bot`), so that chats,
//! routing and pushes treat it as one; it starts `offline`. [G] choices: `groups` items
//! need both `id` and `priority` (Q14); an unknown group is `group_not_found`;
//! `default_group_priority` defaults to `first` (the bot tier of the UI); a bot is in
//! group 0 (General) with its default priority unless `groups` names group 0.

use super::access::{check_bot_owner, owner_client_id};
use crate::bots::{BotRec, DEFAULT_KIND, DEFAULT_MAX_CHATS, MAX_CHATS_LIMIT, hex32};
use crate::handler::{Ctx, Reply, err, invalid, not_found, run};
use crate::outbox::Audience;
use crate::state::{AgentRec, Principal, State};
use lc_protocol::agent::push as agent_push;
use lc_protocol::configuration::{
    CreateBot, CreateBotResponse, DeleteBot, ResetBotSecret, ResetBotSecretResponse, UpdateBot,
};
use lc_protocol::error::{ApiError, ErrorType};
use lc_protocol::id::{AgentId, GroupId, Token};
use lc_protocol::types::{
    Agent, ConfigGroupMembership, ConfigGroupPriority, Permission, RoutingStatus, UserType,
};
use lc_protocol::{ApiVersion, Empty};
use serde_json::value::RawValue;
use std::collections::BTreeMap;

/// Handles the bot writes; `None` for other actions.
pub(super) fn handle(ctx: &mut Ctx<'_>, action: &str, payload: &RawValue) -> Option<Reply> {
    Some(match action {
        "create_bot" => run(ctx, payload, create_bot),
        "update_bot" => run(ctx, payload, update_bot),
        "delete_bot" => run(ctx, payload, delete_bot),
        "reset_bot_secret" => run(ctx, payload, reset_bot_secret),
        _ => return None,
    })
}

/// `create_bot`: a new bot owned by `owner_client_id` (§2.2 rule), `offline`, with a new
/// id and secret (32 hex characters each).
fn create_bot(ctx: &mut Ctx<'_>, request: CreateBot) -> Result<CreateBotResponse, ApiError> {
    let owner = owner_client_id(ctx, request.owner_client_id.as_deref())?;
    if request.name.trim().is_empty() {
        return Err(invalid("`name` must not be empty"));
    }
    check_kind(ctx.version, request.kind.as_ref())?;
    let max_chats_count = check_max_chats(request.max_chats_count)?.unwrap_or(DEFAULT_MAX_CHATS);
    let groups = check_groups(ctx.state, request.groups.as_deref())?.unwrap_or_default();
    let id = AgentId::new(hex32());
    let secret = hex32();
    let bot = BotRec {
        owner_client_id: owner,
        secret: secret.clone(),
        kind: request.kind.unwrap_or_else(|| DEFAULT_KIND.to_owned()),
        max_chats_count,
        default_group_priority: request
            .default_group_priority
            .unwrap_or(ConfigGroupPriority::First),
        groups,
        job_title: request.job_title,
        avatar: request.avatar,
        work_scheduler: request.work_scheduler,
        creator_client_id: ctx.client_id.clone(),
    };
    let profile = Agent {
        id: id.clone(),
        kind: Some(UserType::Agent),
        name: Some(request.name),
        avatar: bot.avatar.clone(),
        job_title: bot.job_title.clone(),
        is_bot: Some(true),
        permission: Some(Permission::Normal),
        ..Agent::default()
    };
    ctx.state.agents.insert(
        id.clone(),
        AgentRec {
            profile,
            groups: agent_groups(&bot),
            routing_status: RoutingStatus::Offline,
            login: Default::default(),
        },
    );
    let payload = agent_push::BotCreated {
        id: id.clone(),
        name: ctx.state.agents[&id]
            .profile
            .name
            .clone()
            .unwrap_or_default(),
        default_group_priority: bot.default_group_priority.clone(),
        groups: memberships(&bot.groups),
        owner_client_id: bot.owner_client_id.clone(),
        work_scheduler: bot.work_scheduler.clone(),
        extra: Default::default(),
    };
    ctx.state.bots.insert(id.clone(), bot);
    ctx.state
        .outbox
        .agents(Audience::AllAgents, "bot_created", &payload);
    Ok(CreateBotResponse {
        id,
        secret: Token::new(secret),
        extra: Default::default(),
    })
}

/// `update_bot`: changes the fields given; pushes `bot_updated` with them.
fn update_bot(ctx: &mut Ctx<'_>, request: UpdateBot) -> Result<Empty, ApiError> {
    existing(ctx.state, &request.id)?;
    check_bot_owner(ctx, &request.id)?;
    check_kind(ctx.version, request.kind.as_ref())?;
    let max_chats_count = check_max_chats(request.max_chats_count)?;
    let groups = check_groups(ctx.state, request.groups.as_deref())?;
    if request.name.as_deref().is_some_and(|n| n.trim().is_empty()) {
        return Err(invalid("`name` must not be empty"));
    }
    let mut pushed = agent_push::BotUpdated {
        id: request.id.clone(),
        name: request.name.clone(),
        default_group_priority: request.default_group_priority.clone(),
        groups: request.groups.clone(),
        work_scheduler: request.work_scheduler.clone(),
        ..Default::default()
    };
    let Some(bot) = ctx.state.bots.get_mut(&request.id) else {
        return Err(not_found(format_args!("Bot `{}`", request.id)));
    };
    if let Some(max) = max_chats_count {
        bot.max_chats_count = max;
        pushed.extra.insert("max_chats_count".into(), max.into());
    }
    if let Some(groups) = groups {
        bot.groups = groups;
    }
    if let Some(priority) = request.default_group_priority {
        bot.default_group_priority = priority;
    }
    if let Some(kind) = request.kind {
        bot.kind = kind;
    }
    if let Some(scheduler) = request.work_scheduler {
        bot.work_scheduler = Some(scheduler);
    }
    if request.job_title.is_some() {
        bot.job_title.clone_from(&request.job_title);
    }
    if request.avatar.is_some() {
        bot.avatar.clone_from(&request.avatar);
    }
    let groups = agent_groups(bot);
    let (avatar, job_title) = (bot.avatar.clone(), bot.job_title.clone());
    if let Some(agent) = ctx.state.agents.get_mut(&request.id) {
        agent.groups = groups;
        agent.profile.avatar = avatar;
        agent.profile.job_title = job_title;
        if let Some(name) = request.name {
            agent.profile.name = Some(name);
        }
    }
    ctx.state
        .outbox
        .agents(Audience::AllAgents, "bot_updated", &pushed);
    Ok(Empty {})
}

/// `delete_bot`: the bot leaves its chats (`user_removed_from_chat`, which are then
/// routed again), its tokens stop working (Q15) and `bot_deleted` is pushed.
fn delete_bot(ctx: &mut Ctx<'_>, request: DeleteBot) -> Result<Empty, ApiError> {
    existing(ctx.state, &request.id)?;
    check_bot_owner(ctx, &request.id)?;
    leave_chats(ctx.state, &request.id);
    ctx.state.bots.remove(&request.id);
    ctx.state.agents.remove(&request.id);
    ctx.state.bot_tokens.retain(|_, t| t.bot != request.id);
    let payload = agent_push::BotDeleted {
        id: request.id,
        extra: Default::default(),
    };
    ctx.state
        .outbox
        .agents(Audience::AllAgents, "bot_deleted", &payload);
    crate::chat_ops::route_waiting_chats(ctx.state);
    Ok(Empty {})
}

/// `reset_bot_secret`: a new secret; tokens already issued stay valid (Q15).
/// `owner_client_id` follows the §2.2 rule and must be the bot's owner (`not_found`
/// otherwise, as for a bot of another application).
fn reset_bot_secret(
    ctx: &mut Ctx<'_>,
    request: ResetBotSecret,
) -> Result<ResetBotSecretResponse, ApiError> {
    let owner = owner_client_id(ctx, request.owner_client_id.as_deref())?;
    existing(ctx.state, &request.id)?;
    check_bot_owner(ctx, &request.id)?;
    let Some(bot) = ctx
        .state
        .bots
        .get_mut(&request.id)
        .filter(|b| b.owner_client_id == owner)
    else {
        return Err(not_found(format_args!(
            "Bot `{}` of client `{owner}`",
            request.id
        )));
    };
    bot.secret = hex32();
    Ok(ResetBotSecretResponse {
        secret: Token::new(bot.secret.clone()),
        extra: Default::default(),
    })
}

/// `not_found` unless `id` is a bot.
pub(super) fn existing(state: &State, id: &AgentId) -> Result<(), ApiError> {
    if state.bots.contains_key(id) {
        Ok(())
    } else {
        Err(not_found(format_args!("Bot `{id}`")))
    }
}

/// `type` exists from 3.6 (`validation` before).
fn check_kind(version: ApiVersion, kind: Option<&String>) -> Result<(), ApiError> {
    if kind.is_some() && version < ApiVersion::V3_6 {
        return Err(invalid("`type` is available from 3.6"));
    }
    Ok(())
}

/// `max_chats_count` is at most 500 (`validation`).
fn check_max_chats(max: Option<u32>) -> Result<Option<u32>, ApiError> {
    match max {
        Some(max) if max > MAX_CHATS_LIMIT => Err(invalid(format!(
            "`max_chats_count` must be at most {MAX_CHATS_LIMIT}"
        ))),
        other => Ok(other),
    }
}

/// The groups of a request as a map; an unknown group is `group_not_found`, an unknown
/// priority `validation`.
fn check_groups(
    state: &State,
    groups: Option<&[ConfigGroupMembership]>,
) -> Result<Option<BTreeMap<GroupId, ConfigGroupPriority>>, ApiError> {
    let Some(groups) = groups else {
        return Ok(None);
    };
    let mut map = BTreeMap::new();
    for group in groups {
        if !state.groups.contains_key(&group.id) {
            return Err(err(
                ErrorType::GroupNotFound,
                format!("Group `{}` not found", group.id.0),
            ));
        }
        if group.priority.is_unknown() {
            return Err(invalid(format!("Unknown priority `{}`", group.priority)));
        }
        map.insert(group.id, group.priority.clone());
    }
    Ok(Some(map))
}

/// The groups of the bot's agent record (what chat access looks at): group 0 and its
/// groups.
fn agent_groups(bot: &BotRec) -> Vec<GroupId> {
    let mut groups: Vec<GroupId> = bot.groups.keys().copied().collect();
    if !groups.contains(&GroupId(0)) {
        groups.insert(0, GroupId(0));
    }
    groups
}

/// The bot's groups as the API lists them.
pub(super) fn memberships(
    groups: &BTreeMap<GroupId, ConfigGroupPriority>,
) -> Vec<ConfigGroupMembership> {
    groups
        .iter()
        .map(|(id, priority)| ConfigGroupMembership {
            id: *id,
            priority: priority.clone(),
            extra: Default::default(),
        })
        .collect()
}

/// Removes the bot from every chat it is a user of, queueing `user_removed_from_chat`.
fn leave_chats(state: &mut State, bot: &AgentId) {
    let who = Principal::Agent(bot.clone());
    let mut chats: Vec<_> = state
        .chats
        .values()
        .filter(|c| c.user(&who).is_some())
        .map(|c| c.id.clone())
        .collect();
    chats.sort();
    for chat_id in chats {
        let Some(chat) = state.chats.get(&chat_id) else {
            continue;
        };
        let payload = agent_push::UserRemovedFromChat {
            chat_id: chat_id.clone(),
            thread_id: chat.active_thread().map(|t| t.id.clone()),
            user_id: who.user_id(),
            reason: "other".to_owned(),
            requester_id: None,
            extra: Default::default(),
        };
        state.outbox.both(
            Audience::Chat(chat_id.clone()),
            "user_removed_from_chat",
            &payload,
        );
        if let Some(chat) = state.chats.get_mut(&chat_id) {
            chat.users.retain(|u| u.principal != who);
        }
    }
}
