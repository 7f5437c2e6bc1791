//! Group statuses as customers see them (`list_group_statuses`), agent predictions
//! (`get_predicted_agent`) and `request_welcome_message` (3.6), with the helpers the
//! greetings share (the customer's group, an agent as customers see it, a message).

use crate::chat_ops;
use crate::handler::{Ctx, err, invalid};
use crate::outbox::Audience;
use crate::state::{GroupRec, State};
use lc_protocol::customer;
use lc_protocol::error::{ApiError, ErrorType};
use lc_protocol::id::{AgentId, CustomerId, EventId, GroupId, UserId};
use lc_protocol::types::{Event, GreetingAgent, GroupStatus, MessageEvent, UserType};
use serde_json::json;

/// The text of the welcome message (`request_welcome_message`).
const WELCOME_TEXT: &str = "Hello! How can I help you today?";

/// `list_group_statuses`: the status of every group (`all: true`) or of the listed
/// ones (unknown ids are left out); one of the two is required (`validation`).
pub(super) fn list_group_statuses(
    ctx: &mut Ctx<'_>,
    request: customer::ListGroupStatuses,
) -> Result<customer::ListGroupStatusesResponse, ApiError> {
    let state = &*ctx.state;
    let ids: Vec<GroupId> = match (request.all, request.group_ids) {
        (Some(true), _) => state.groups.keys().copied().collect(),
        (_, Some(ids)) => ids,
        _ => return Err(invalid("`all: true` or `group_ids` is required")),
    };
    let groups_status = ids
        .into_iter()
        .filter(|id| state.groups.contains_key(id))
        .map(|id| (id.0.to_string(), group_status(state, id)))
        .collect();
    Ok(customer::ListGroupStatusesResponse {
        groups_status,
        ..Default::default()
    })
}

pub(crate) use crate::group_statuses::group_status;

/// The groups whose status is `online`.
pub(crate) fn online_groups(state: &State) -> Vec<GroupId> {
    state
        .groups
        .keys()
        .copied()
        .filter(|g| group_status(state, *g) == GroupStatus::Online)
        .collect()
}

/// The group of the requester (its login or creation group; group 0 when none).
pub(super) fn customer_group(state: &State, customer: &CustomerId) -> GroupId {
    state
        .customers
        .get(customer)
        .and_then(|c| c.group_id)
        .unwrap_or(GroupId(0))
}

/// The agent a chat of `group` would go to: `group_not_found` for an unknown group,
/// `group_unavailable` when its agents are logged in but none accepts chats,
/// `group_offline` when none is logged in.
fn predicted_agent(state: &State, group: GroupId) -> Result<GreetingAgent, ApiError> {
    self::group(state, group)?;
    if let Some(agent) = chat_ops::pick_agent(state, &[group], &[]) {
        return Ok(greeting_agent(state, &agent));
    }
    Err(match group_status(state, group) {
        GroupStatus::OnlineForQueue => ApiError::new(ErrorType::GroupUnavailable),
        _ => ApiError::new(ErrorType::GroupOffline),
    })
}

/// An agent as customers see it in predictions and greetings.
pub(super) fn greeting_agent(state: &State, id: &AgentId) -> GreetingAgent {
    let profile = state.agents.get(id).map(|a| &a.profile);
    GreetingAgent {
        id: id.clone(),
        kind: Some(UserType::Agent),
        name: profile.and_then(|p| p.name.clone()),
        avatar: profile.and_then(|p| p.avatar.clone()),
        job_title: Some(
            profile
                .and_then(|p| p.job_title.clone())
                .unwrap_or_else(|| "Support Agent".to_owned()),
        ),
        is_bot: Some(profile.and_then(|p| p.is_bot).unwrap_or(false)),
        ..Default::default()
    }
}

/// `get_predicted_agent`: the agent a chat of the requester's group would go to
/// ([`predicted_agent`]). [I] `queue` is always false: the sandbox has no chat limits,
/// so an agent that accepts chats takes them at once.
pub(super) fn get_predicted_agent(
    ctx: &mut Ctx<'_>,
    _request: customer::GetPredictedAgent,
) -> Result<customer::GetPredictedAgentResponse, ApiError> {
    let me = ctx.customer_id()?;
    let agent = predicted_agent(ctx.state, customer_group(ctx.state, &me))?;
    Ok(customer::GetPredictedAgentResponse {
        agent,
        queue: false,
        ..Default::default()
    })
}

/// `request_welcome_message` (3.6): predicts the agent of group `group_id` (default:
/// the requester's group; errors as [`predicted_agent`]) and answers `{id,
/// predicted_agent, queue: false}` (`id`: the request's, else a fresh one); then pushes
/// `incoming_welcome_message {id, event}` — a message from that agent — to the
/// requesting connection (over Web: every connection of the customer).
pub(super) fn request_welcome_message(
    ctx: &mut Ctx<'_>,
    request: customer::RequestWelcomeMessage,
) -> Result<customer::RequestWelcomeMessageResponse, ApiError> {
    let me = ctx.customer_id()?;
    let group = request
        .group_id
        .unwrap_or_else(|| customer_group(ctx.state, &me));
    let agent = predicted_agent(ctx.state, group)?;
    let id = request
        .id
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    let created_at = ctx.state.clock.stamp();
    let event = message(
        EventId::new(format!("{id}_1")),
        created_at,
        &agent.id,
        WELCOME_TEXT,
    );
    let audience = match ctx.conn {
        Some(conn) => Audience::Conn(conn),
        None => Audience::Customer(me),
    };
    let payload = json!({ "id": id, "event": event });
    ctx.state
        .outbox
        .customers(audience, "incoming_welcome_message", &payload);
    Ok(customer::RequestWelcomeMessageResponse {
        id,
        predicted_agent: agent,
        queue: false,
        ..Default::default()
    })
}

/// A message event authored by `agent`.
pub(super) fn message(id: EventId, created_at: String, agent: &AgentId, text: &str) -> Event {
    Event::Message(MessageEvent {
        id: Some(id),
        created_at: Some(created_at),
        author_id: Some(UserId::new(agent.as_str())),
        text: Some(text.to_owned()),
        ..Default::default()
    })
}

/// Group `id`, or `group_not_found`.
pub(super) fn group(state: &State, id: GroupId) -> Result<&GroupRec, ApiError> {
    state.groups.get(&id).ok_or_else(|| {
        err(
            ErrorType::GroupNotFound,
            format!("Group `{}` not found", id.0),
        )
    })
}
