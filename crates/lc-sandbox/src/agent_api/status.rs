//! Agent login, logout, sessions and routing statuses.
//!
//! The routing status of a human agent follows its RTM connections ([I] where the notes
//! are silent):
//! - the first connection of a session logs in `accepting_chats`, or with
//!   `reconnect: true` in the status the agent had when its last connection closed; a
//!   login while other connections are open keeps the current status;
//! - the auto-away rule ([`State::apply_away_rule`]): when every connection is away
//!   (`set_away_status`, login `away`), an accepting agent becomes
//!   `not_accepting_chats`; when one comes back, it accepts chats again (unless it set
//!   its status itself meanwhile);
//! - when the last connection closes (or on `logout`) it becomes `offline`
//!   ([`State::agent_offline`]).
//!
//! Each change is pushed as `routing_status_set` to every agent.

use super::customers;
use crate::auth::authenticate;
use crate::chat_ops::route_waiting_chats;
use crate::handler::{Ctx, Reply, decode, encode, err, invalid, not_found, run};
use crate::outbox::Audience;
use crate::state::{AuthKind, ConnId, Principal, State};
use crate::views;
use lc_protocol::agent;
use lc_protocol::error::{ApiError, ErrorType};
use lc_protocol::id::{AgentId, LicenseId, OrganizationId};
use lc_protocol::types::{
    CustomerMonitoringLevel, License, Permission, RoutingStatus, RoutingStatusEntry, UserType,
};
use lc_protocol::{ApiVersion, Empty};
use serde_json::json;
use serde_json::value::RawValue;
use time::OffsetDateTime;
use time::macros::datetime;

/// When the sandbox's license was created ([I]: a fixed date, the same in every sandbox).
const LICENSE_CREATED: OffsetDateTime = datetime!(2024-01-01 0:00 UTC);
/// When the sandbox's license expires ([I]: ten years later).
const LICENSE_EXPIRES: OffsetDateTime = datetime!(2034-01-01 0:00 UTC);
/// The disconnect reason of the other connections of an agent that logs out.
const LOGOUT_REASON: &str = "agent_logged_out_remotely";

/// Handles the status actions; `None` for actions of other topics.
pub(super) fn handle(ctx: &mut Ctx<'_>, action: &str, payload: &RawValue) -> Option<Reply> {
    Some(match action {
        "logout" => run(ctx, payload, logout),
        "set_away_status" => run(ctx, payload, set_away_status),
        "set_routing_status" => run(ctx, payload, set_routing_status),
        "list_routing_statuses" => run(ctx, payload, list_routing_statuses),
        "update_session" => run(ctx, payload, update_session),
        "change_push_notifications" => run(ctx, payload, change_push_notifications),
        "get_license_info" => run(ctx, payload, get_license_info),
        _ => return None,
    })
}

// ---------------------------------------------------------------------------------------
// login

/// `login` over RTM: authenticates the token, binds the connection to the agent, sets
/// its routing status (see the module doc), answers with the license, the profile and
/// the summaries of its active chats, pushes `incoming_customers` scoped by the
/// customer monitoring level (default: the level of the agent's last login, `my` at
/// first) and routes the chats waiting for an agent.
pub(crate) fn login(
    state: &mut State,
    conn: ConnId,
    version: ApiVersion,
    payload: &RawValue,
) -> Reply {
    let request: agent::Login = decode(payload)?;
    let credential = crate::auth::credential(state, request.token.expose())?;
    if credential.kind == AuthKind::Bot {
        // Q11: RTM connections as a bot are unsupported; bots use the Web API.
        return Err(err(
            ErrorType::Authentication,
            "Bot tokens cannot log in over RTM; use the Web API",
        ));
    }
    let who = credential.principal;
    let Principal::Agent(agent_id) = who.clone() else {
        return Err(err(ErrorType::Authentication, "Invalid access token"));
    };
    if !state.agents.contains_key(&agent_id) {
        return Err(err(ErrorType::Authentication, "Invalid access token"));
    }
    let in_session = in_session(state, &agent_id);
    state.set_principal(conn, who);
    let c = state
        .conns
        .get_mut(&conn)
        .ok_or_else(|| err(ErrorType::Internal, "connection gone"))?;
    c.pushes = request.pushes.clone();
    c.away = request.away.unwrap_or(false);
    c.session.token = Some(request.token.expose().to_owned());
    if !in_session {
        start_session(state, &agent_id, request.reconnect.unwrap_or(false));
    }
    let level = remember_login_options(state, &agent_id, &request, version);
    let response = login_response(state, &agent_id);
    let customers = customers::monitored_customers(state, &agent_id, &level, version);
    state.outbox.agents(
        Audience::Conn(conn),
        "incoming_customers",
        &json!({"customer_monitoring_level": level, "customers": customers}),
    );
    state.apply_away_rule(&agent_id);
    route_waiting_chats(state);
    encode(&response)
}

/// Whether the agent has a session already: a logged-in connection, not logged out.
fn in_session(state: &State, agent: &AgentId) -> bool {
    state.agent_online(agent)
        && state
            .agents
            .get(agent)
            .is_some_and(|a| a.routing_status != RoutingStatus::Offline)
}

/// Starts a session: `accepting_chats`, or with `reconnect` the status the agent had when
/// its last connection closed (pushed when it changes).
fn start_session(state: &mut State, agent: &AgentId, reconnect: bool) {
    let Some(rec) = state.agents.get_mut(agent) else {
        return;
    };
    let last = rec.login.last_status.clone().filter(|_| reconnect);
    let status = last.unwrap_or(RoutingStatus::AcceptingChats);
    rec.login.auto_away = false;
    rec.profile.present = Some(true);
    if rec.routing_status != status {
        state.set_routing_status(agent, status);
    }
}

/// Stores the customer monitoring level and push notification settings of a login;
/// returns the level in force. `push_notifications` exists until 3.4: from 3.5 on it
/// is ignored, like any field the version does not have (the real service's v3.5
/// Python client still sends it).
fn remember_login_options(
    state: &mut State,
    agent: &AgentId,
    request: &agent::Login,
    version: ApiVersion,
) -> CustomerMonitoringLevel {
    let Some(rec) = state.agents.get_mut(agent) else {
        return CustomerMonitoringLevel::My;
    };
    let level = request
        .customer_monitoring_level
        .clone()
        .or_else(|| rec.login.monitoring_level.clone())
        .unwrap_or(CustomerMonitoringLevel::My);
    rec.login.monitoring_level = Some(level.clone());
    let settings = request
        .push_notifications
        .as_ref()
        .filter(|_| version < ApiVersion::V3_5);
    if let Some(settings) = settings {
        rec.login.push_notifications = serde_json::to_value(settings).ok();
    }
    level
}

/// The license of the sandbox, as login shows it.
fn license(state: &State) -> License {
    License {
        id: Some(LicenseId::new(state.settings.license_id.clone())),
        organization_id: Some(OrganizationId::new(state.settings.organization_id.clone())),
        plan: Some("enterprise".into()),
        expiration_timestamp: u64::try_from(LICENSE_EXPIRES.unix_timestamp()).ok(),
        creation_timestamp: u64::try_from(LICENSE_CREATED.unix_timestamp()).ok(),
        in_trial: Some(false),
        ..License::default()
    }
}

/// The login response: license, profile (with routing status and permission) and the
/// summaries of the agent's active chats, newest first.
fn login_response(state: &State, agent: &AgentId) -> agent::LoginResponse {
    let who = Principal::Agent(agent.clone());
    let mut my_profile = state
        .agents
        .get(agent)
        .map(|a| a.profile.clone())
        .unwrap_or_default();
    my_profile.kind = Some(UserType::Agent);
    my_profile.routing_status = state.agents.get(agent).map(|a| a.routing_status.clone());
    let mut chats: Vec<_> = state
        .chats
        .values()
        .filter(|c| c.is_active() && c.user(&who).is_some())
        .collect();
    chats.sort_by_key(|c| std::cmp::Reverse(c.seq));
    agent::LoginResponse {
        license: license(state),
        my_profile,
        chats_summary: chats
            .iter()
            .map(|c| views::chat_summary_view(state, c, &who))
            .collect(),
        ..Default::default()
    }
}

// ---------------------------------------------------------------------------------------
// logout, update_session, change_push_notifications

/// `logout` ([I], §8 item 24): the agent's RTM connections get `agent_disconnected`
/// (`agent_logged_out_remotely`) and close, except the requester's own connection, which
/// closes without a push once the response is sent; the agent is `offline` at once.
/// In 3.6 `agent_id` names another agent to log out, which takes an administrator (or
/// owner) — `authorization` otherwise. Over Web likewise. An agent without connections
/// is already offline: `requester_already_offline` (itself) or `agent_offline`.
fn logout(ctx: &mut Ctx<'_>, request: agent::Logout) -> Result<Empty, ApiError> {
    let me = ctx.agent_id()?;
    if request.agent_id.is_some() && ctx.version < ApiVersion::V3_6 {
        return Err(invalid("`agent_id` is available from 3.6"));
    }
    let target = request.agent_id.unwrap_or_else(|| me.clone());
    if target != me {
        require_admin(ctx.state, &me)?;
    }
    if !ctx.state.agents.contains_key(&target) {
        return Err(not_found(format_args!("Agent `{target}`")));
    }
    let conns = ctx.state.agent_conns(&target);
    if conns.is_empty() {
        return Err(offline_error(&target, &me));
    }
    for conn in conns {
        let reason = (Some(conn) != ctx.conn).then_some(LOGOUT_REASON);
        ctx.state.outbox.close_after(conn, reason);
    }
    ctx.state.agent_offline(&target);
    Ok(Empty {})
}

/// `update_session` (3.6, RTM): the connection now holds the new token, so it outlives
/// the old one. A token the sandbox does not know, or one of another user, is an
/// `authentication` error.
fn update_session(ctx: &mut Ctx<'_>, request: agent::UpdateSession) -> Result<Empty, ApiError> {
    ctx.agent_id()?;
    let conn = ctx
        .conn
        .ok_or_else(|| invalid("update_session is RTM only"))?;
    let who = authenticate(ctx.state, request.token.expose())?;
    if who != ctx.who {
        return Err(err(
            ErrorType::Authentication,
            "The token belongs to another user",
        ));
    }
    if let Some(c) = ctx.state.conns.get_mut(&conn) {
        c.session.token = Some(request.token.expose().to_owned());
    }
    Ok(Empty {})
}

/// `change_push_notifications` (3.3–3.4, RTM): stores the settings; nothing is sent.
fn change_push_notifications(
    ctx: &mut Ctx<'_>,
    request: agent::ChangePushNotifications,
) -> Result<Empty, ApiError> {
    let me = ctx.agent_id()?;
    let settings = serde_json::to_value(&request).ok();
    if let Some(agent) = ctx.state.agents.get_mut(&me) {
        agent.login.push_notifications = settings;
    }
    Ok(Empty {})
}

/// `get_license_info` (3.5, Web): the license's id, dates and trial flag.
fn get_license_info(
    ctx: &mut Ctx<'_>,
    _request: agent::GetLicenseInfo,
) -> Result<agent::GetLicenseInfoResponse, ApiError> {
    ctx.agent_id()?;
    Ok(agent::GetLicenseInfoResponse {
        license_id: LicenseId::new(ctx.state.settings.license_id.clone()),
        expires_at: crate::clock::format(LICENSE_EXPIRES),
        created_at: crate::clock::format(LICENSE_CREATED),
        in_trial: false,
        ..Default::default()
    })
}

// ---------------------------------------------------------------------------------------
// away and routing statuses

/// `set_away_status` (RTM): sets this connection's away flag, then applies the auto-away
/// rule (module doc); an agent back from auto-away gets the waiting chats routed.
fn set_away_status(ctx: &mut Ctx<'_>, request: agent::SetAwayStatus) -> Result<Empty, ApiError> {
    let me = ctx.agent_id()?;
    let conn = ctx
        .conn
        .ok_or_else(|| invalid("set_away_status is RTM only"))?;
    if let Some(c) = ctx.state.conns.get_mut(&conn) {
        c.away = request.away;
    }
    if ctx.state.apply_away_rule(&me) {
        route_waiting_chats(ctx.state);
    }
    Ok(Empty {})
}

/// `set_routing_status`: changes the status of the requester or of `agent_id` for the
/// session and pushes `routing_status_set`. [I] rules: only bots may be set `offline`
/// (`validation` for humans); another human agent's status takes an administrator (or
/// owner) — `authorization` otherwise — while any agent may set a bot's; a bot token
/// (scope `agents-bot--my:rw`) may set only its own status and that of the bots of its
/// application (`authorization` otherwise); a human agent without RTM connection cannot
/// be set (`requester_already_offline` / `agent_offline`). Setting a status ends
/// auto-away. A bot keeps its status until it is set again (it has no connection).
fn set_routing_status(
    ctx: &mut Ctx<'_>,
    request: agent::SetRoutingStatus,
) -> Result<Empty, ApiError> {
    let me = ctx.agent_id()?;
    if request.status.is_unknown() {
        return Err(invalid(format!("Unknown status `{}`", request.status)));
    }
    let target = request.agent_id.unwrap_or_else(|| me.clone());
    let rec = ctx
        .state
        .agents
        .get(&target)
        .ok_or_else(|| not_found(format_args!("Agent `{target}`")))?;
    if ctx.auth == AuthKind::Bot && target != me {
        let same_owner = ctx
            .state
            .bots
            .get(&target)
            .is_some_and(|bot| Some(&bot.owner_client_id) == ctx.client_id.as_ref());
        if !same_owner {
            return Err(err(
                ErrorType::Authorization,
                "A bot token may set only the status of its application's bots",
            ));
        }
    }
    if !rec.profile.is_bot.unwrap_or(false) {
        if target != me {
            require_admin(ctx.state, &me)?;
        }
        if request.status == RoutingStatus::Offline {
            return Err(invalid("Only bots can be set `offline`"));
        }
        if !ctx.state.agent_online(&target) {
            return Err(offline_error(&target, &me));
        }
    }
    if let Some(rec) = ctx.state.agents.get_mut(&target) {
        rec.login.auto_away = false;
    }
    ctx.state
        .set_routing_status(&target, request.status.clone());
    if request.status == RoutingStatus::AcceptingChats {
        route_waiting_chats(ctx.state);
    }
    Ok(Empty {})
}

/// `list_routing_statuses`: `[{agent_id, status}]` for every agent and bot (of
/// `filters.group_ids`, when given). A human agent without RTM connection is `offline`.
fn list_routing_statuses(
    ctx: &mut Ctx<'_>,
    request: agent::ListRoutingStatuses,
) -> Result<Vec<RoutingStatusEntry>, ApiError> {
    ctx.agent_id()?;
    let groups = request.filters.and_then(|f| f.group_ids);
    Ok(ctx
        .state
        .agents
        .iter()
        .filter(|(_, rec)| {
            groups
                .as_ref()
                .is_none_or(|wanted| rec.groups.iter().any(|g| wanted.contains(g)))
        })
        .map(|(id, _)| RoutingStatusEntry {
            agent_id: id.clone(),
            status: routing_status_of(ctx.state, id),
            extra: Default::default(),
        })
        .collect())
}

/// The routing status of an agent as others see it: `offline` for a human agent without
/// RTM connection, its recorded status otherwise.
pub(crate) fn routing_status_of(state: &State, agent: &AgentId) -> RoutingStatus {
    match state.agents.get(agent) {
        Some(rec) if rec.profile.is_bot.unwrap_or(false) || state.agent_online(agent) => {
            rec.routing_status.clone()
        }
        _ => RoutingStatus::Offline,
    }
}

/// `authorization` unless the agent is an owner, vice owner or administrator.
fn require_admin(state: &State, agent: &AgentId) -> Result<(), ApiError> {
    let permission = state
        .agents
        .get(agent)
        .and_then(|a| a.profile.permission.clone());
    match permission {
        Some(Permission::Owner | Permission::Viceowner | Permission::Administrator) => Ok(()),
        _ => Err(err(
            ErrorType::Authorization,
            "Acting on another agent takes an administrator",
        )),
    }
}

/// The error for acting on an agent that has no RTM connection.
fn offline_error(target: &AgentId, me: &AgentId) -> ApiError {
    if target == me {
        ApiError::new(ErrorType::RequesterAlreadyOffline)
    } else {
        ApiError::new(ErrorType::AgentOffline)
    }
}
