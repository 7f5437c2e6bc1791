//! `transfer_chat` and `list_agents_for_transfer`.

use super::access::{agent_id, chat_audience, group_id, notify};
use super::lifecycle::{
    chat_agents, customer_of, join, push_incoming_chat_to, require_presence, set_access,
};
use super::users::push_user_added;
use crate::chat_ops;
use crate::handler::{Ctx, err, invalid};
use crate::outbox::Audience;
use crate::state::{ChatRec, ChatUserRec, Principal, State};
use lc_protocol::agent::{self, push as agent_push};
use lc_protocol::customer::push as customer_push;
use lc_protocol::error::{ApiError, ErrorType};
use lc_protocol::id::{AgentId, ChatId, GroupId};
use lc_protocol::types::{
    Access, AgentForTransfer, RoutingStatus, TransferReason, TransferTargetType, TransferredFrom,
    Visibility,
};
use lc_protocol::{ApiVersion, Empty};

/// `transfer_chat`: to agents (they must have access; they become the chat's only agents)
/// or to groups (the access becomes those groups and the chat is routed to an accepting
/// agent of them, never back to one of its agents); without a target, within its groups.
/// Since 3.4 the chat must be active and the requester a chat user (unless
/// `ignore_requester_presence`). Without an available agent the transfer fails unless
/// `ignore_agents_availability` (3.3: `force`), which leaves the chat without agents.
pub(super) fn transfer_chat(
    ctx: &mut Ctx<'_>,
    request: agent::TransferChat,
) -> Result<Empty, ApiError> {
    let modern = ctx.version >= ApiVersion::V3_4;
    let chat = chat_ops::visible_chat(ctx.state, &ctx.who, &request.id)?;
    if modern && !chat.is_active() {
        return Err(err(ErrorType::ChatInactive, "Chat is inactive"));
    }
    require_presence(ctx, chat, request.ignore_requester_presence)?;
    let anyway = if modern {
        request.ignore_agents_availability
    } else {
        request.force
    }
    .unwrap_or(false);
    let target = match &request.target {
        Some(target) => target_of(ctx.state, chat, target, anyway)?,
        None => Target::Groups(chat.access.group_ids.clone()),
    };
    let before = chat.clone();
    let agents = match &target {
        Target::Agents(agents) => {
            assign_agents(ctx.state, &request.id, agents);
            agents.clone()
        }
        Target::Groups(groups) => {
            reassign_to_groups(ctx.state, &before, groups, anyway)?;
            let chat = ctx.state.chats.get(&request.id);
            chat.map(chat_agents).unwrap_or_default()
        }
    };
    push_transfer(ctx, &before, &target, &agents);
    Ok(Empty {})
}

/// Where a chat is transferred.
#[derive(Debug)]
enum Target {
    Agents(Vec<AgentId>),
    Groups(Vec<GroupId>),
}

/// Checks a transfer `target`: existing groups, or existing agents having access to the
/// chat and online (unless `anyway`).
fn target_of(
    state: &State,
    chat: &ChatRec,
    target: &agent::TransferChatTarget,
    anyway: bool,
) -> Result<Target, ApiError> {
    if target.ids.is_empty() {
        return Err(invalid("`target.ids` must not be empty"));
    }
    match &target.kind {
        TransferTargetType::Group => target
            .ids
            .iter()
            .map(|id| group_id(state, id))
            .collect::<Result<_, _>>()
            .map(Target::Groups),
        TransferTargetType::Agent => {
            let agents = target
                .ids
                .iter()
                .map(|id| agent_id(state, id))
                .collect::<Result<Vec<_>, _>>()?;
            for agent in &agents {
                if !state.agent_has_access(agent, &chat.access) {
                    return Err(invalid(format!(
                        "Agent `{agent}` has no access to the chat"
                    )));
                }
                if !anyway && !state.agent_online(agent) {
                    return Err(err(
                        ErrorType::AgentOffline,
                        format!("Agent `{agent}` is offline"),
                    ));
                }
            }
            Ok(Target::Agents(agents))
        }
        other => Err(invalid(format!("Unknown target type `{other}`"))),
    }
}

/// Makes `agents` the chat's only agents.
fn assign_agents(state: &mut State, chat_id: &ChatId, agents: &[AgentId]) {
    let Some(chat) = state.chats.get_mut(chat_id) else {
        return;
    };
    chat.users.retain(|u| {
        customer_of(&u.principal).is_some()
            || agents
                .iter()
                .any(|a| u.principal == Principal::Agent(a.clone()))
    });
    for agent in agents {
        join(chat, agent_user(agent));
    }
}

/// Gives the chat (as it was: `before`) the access of `groups`, removes its agents and
/// routes it to an accepting agent of the groups. Without one, fails (and restores the
/// chat) unless `anyway`; an inactive chat (3.3) is not routed.
fn reassign_to_groups(
    state: &mut State,
    before: &ChatRec,
    groups: &[GroupId],
    anyway: bool,
) -> Result<(), ApiError> {
    let Some(chat) = state.chats.get_mut(&before.id) else {
        return Ok(());
    };
    chat.users.retain(|u| customer_of(&u.principal).is_some());
    set_access(
        chat,
        Access {
            group_ids: groups.to_vec(),
            ..Access::default()
        },
    );
    let routed = chat_ops::route_excluding(state, &before.id, &chat_agents(before));
    if routed.is_none() && before.is_active() && !anyway {
        state.chats.insert(before.id.clone(), before.clone());
        return Err(invalid("No agent of the target groups is available"));
    }
    Ok(())
}

/// A present chat user for `agent`, visible to all.
fn agent_user(agent: &AgentId) -> ChatUserRec {
    ChatUserRec {
        principal: Principal::Agent(agent.clone()),
        visibility: Visibility::All,
        present: true,
        events_seen_up_to: None,
    }
}

/// Queues the pushes of a transfer of the chat (as it was: `before`) to `target`, which
/// gave it the agents `agents`: `chat_transferred`, `chat_access_updated` (when the
/// access changed), `user_removed_from_chat` / `user_added_to_chat`, `incoming_chat` to
/// the new agents and a `chat_transferred` system message.
fn push_transfer(ctx: &mut Ctx<'_>, before: &ChatRec, target: &Target, agents: &[AgentId]) {
    let chat_id = &before.id;
    let Some(chat) = ctx.state.chats.get(chat_id) else {
        return;
    };
    let thread_id = chat.active_thread().map(|t| t.id.clone());
    let access = chat.access.clone();
    let old = chat_agents(before);
    let requester = ctx.agent_id().ok();
    let mut audience = chat_audience(before);
    audience.extend(agents.iter().cloned());
    audience.extend(requester.clone());
    let group_ids = match target {
        Target::Groups(groups) => Some(groups.clone()),
        Target::Agents(_) => None,
    };
    let agent_ids = (!agents.is_empty()).then(|| agents.to_vec());
    let transferred = agent_push::ChatTransferred {
        chat_id: chat_id.clone(),
        thread_id: thread_id.clone(),
        requester_id: requester.clone(),
        reason: TransferReason::Manual,
        transferred_to: agent_push::ChatTransferredTo {
            group_ids: group_ids.clone(),
            agent_ids: agent_ids.clone(),
            extra: Default::default(),
        },
        queue: None,
        extra: Default::default(),
    };
    let for_customer = customer_push::ChatTransferred {
        chat_id: chat_id.clone(),
        thread_id: thread_id.clone(),
        requester_id: requester.clone(),
        transferred_to: customer_push::ChatTransferredTo {
            group_ids,
            agent_ids,
            extra: Default::default(),
        },
        ..Default::default()
    };
    let state = &mut *ctx.state;
    // A key change of the chat: agents who unfollowed it hear of it too.
    let mut told = audience.clone();
    told.extend(
        before
            .unfollowers
            .iter()
            .filter(|a| !audience.contains(a))
            .cloned(),
    );
    notify(
        state,
        chat_id,
        told,
        "chat_transferred",
        &transferred,
        Some(&for_customer),
    );
    if access != before.access {
        let payload = agent_push::ChatAccessUpdated {
            id: chat_id.clone(),
            access,
            extra: Default::default(),
        };
        state.outbox.agents(
            Audience::Agents(audience.clone()),
            "chat_access_updated",
            &payload,
        );
    }
    for user in before
        .users
        .iter()
        .filter(|u| matches!(&u.principal, Principal::Agent(a) if !agents.contains(a)))
    {
        let payload = agent_push::UserRemovedFromChat {
            chat_id: chat_id.clone(),
            thread_id: thread_id.clone(),
            user_id: user.principal.user_id(),
            reason: "manual".to_owned(),
            requester_id: requester.clone(),
            extra: Default::default(),
        };
        let customer = (user.visibility == Visibility::All).then_some(&payload);
        notify(
            state,
            chat_id,
            audience.clone(),
            "user_removed_from_chat",
            &payload,
            customer,
        );
    }
    for agent in agents.iter().filter(|a| !old.contains(a)) {
        push_user_added(
            state,
            chat_id,
            audience.clone(),
            &Principal::Agent(agent.clone()),
            requester.as_ref(),
        );
        let from = TransferredFrom {
            group_ids: Some(before.access.group_ids.clone()),
            agent_ids: Some(old.clone()),
            extra: Default::default(),
        };
        push_incoming_chat_to(state, chat_id, &ctx.who, agent, Some(from));
    }
    if thread_id.is_some() {
        let text = transfer_text(state, requester.as_ref(), target);
        chat_ops::system_message(state, chat_id, "chat_transferred", text);
    }
}

/// The text of the `chat_transferred` system message.
fn transfer_text(state: &State, requester: Option<&AgentId>, target: &Target) -> String {
    let name = |agent: &AgentId| {
        state
            .agents
            .get(agent)
            .and_then(|a| a.profile.name.clone())
            .unwrap_or_else(|| agent.to_string())
    };
    let to = match target {
        Target::Agents(agents) => agents.iter().map(name).collect::<Vec<_>>().join(", "),
        Target::Groups(groups) => groups
            .iter()
            .map(|g| {
                state
                    .groups
                    .get(g)
                    .map_or_else(|| format!("group {}", g.0), |r| r.name.clone())
            })
            .collect::<Vec<_>>()
            .join(", "),
    };
    match requester {
        Some(agent) => format!("{} transferred the chat to {to}", name(agent)),
        None => format!("The chat was transferred to {to}"),
    }
}

/// `list_agents_for_transfer`: the online agents (accepting chats or not) having access to
/// the chat and not in it yet, ascending by their active chats with customers.
pub(super) fn list_agents_for_transfer(
    ctx: &mut Ctx<'_>,
    request: agent::ListAgentsForTransfer,
) -> Result<Vec<AgentForTransfer>, ApiError> {
    let state = &*ctx.state;
    let chat = chat_ops::visible_chat(state, &ctx.who, &request.chat_id)?;
    let mut agents: Vec<AgentForTransfer> = state
        .agents
        .iter()
        .filter(|(id, rec)| {
            rec.routing_status != RoutingStatus::Offline
                && state.agent_online(id)
                && state.agent_has_access(id, &chat.access)
                && chat.user(&Principal::Agent((*id).clone())).is_none()
        })
        .map(|(id, _)| AgentForTransfer {
            agent_id: id.clone(),
            total_active_chats: Some(
                u32::try_from(chat_ops::active_chats_of(state, id)).unwrap_or(u32::MAX),
            ),
            extra: Default::default(),
        })
        .collect();
    agents.sort_by_key(|a| a.total_active_chats);
    Ok(agents)
}
