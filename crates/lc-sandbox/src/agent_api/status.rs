//! Agent login, logout, sessions and routing statuses.

use crate::auth::authenticate;
use crate::chat_ops;
use crate::dispatch::{Ctx, Reply, decode, encode, err, run};
use crate::push::Audience;
use crate::state::{ConnId, Principal, State};
use crate::views;
use lc_protocol::agent;
use lc_protocol::error::{ApiError, ErrorType};
use lc_protocol::id::{LicenseId, OrganizationId};
use lc_protocol::types::{CustomerMonitoringLevel, License, RoutingStatus};
use lc_protocol::{ApiVersion, Empty};
use serde_json::json;
use serde_json::value::RawValue;

/// Handles the status actions; `None` for actions of other topics.
pub(super) fn handle(ctx: &mut Ctx<'_>, action: &str, payload: &RawValue) -> Option<Reply> {
    Some(match action {
        "set_routing_status" => run(ctx, payload, set_routing_status),
        _ => return None,
    })
}

/// `login` over RTM: authenticates the token and binds the connection to the agent.
pub(crate) fn login(
    state: &mut State,
    conn: ConnId,
    _version: ApiVersion,
    payload: &RawValue,
) -> Reply {
    let request: agent::Login = decode(payload)?;
    let who = authenticate(state, request.token.expose())?;
    let Principal::Agent(agent_id) = who.clone() else {
        return Err(err(ErrorType::Authentication, "Invalid access token"));
    };
    let Some(c) = state.conns.get_mut(&conn) else {
        return Err(err(ErrorType::Internal, "connection gone"));
    };
    c.principal = Some(who.clone());
    c.pushes = request.pushes.clone();
    c.away = request.away.unwrap_or(false);
    let reconnect = request.reconnect.unwrap_or(false);
    if let Some(agent) = state.agents.get_mut(&agent_id) {
        if !reconnect {
            agent.routing_status = RoutingStatus::AcceptingChats;
        }
        agent.profile.present = Some(true);
    }
    let license = License {
        id: Some(LicenseId::new(state.settings.license_id.clone())),
        organization_id: Some(OrganizationId::new(state.settings.organization_id.clone())),
        plan: Some("enterprise".into()),
        in_trial: Some(false),
        ..License::default()
    };
    let mut my_profile = state
        .agents
        .get(&agent_id)
        .map(|a| a.profile.clone())
        .unwrap_or_default();
    my_profile.kind = Some(lc_protocol::types::UserType::Agent);
    my_profile.routing_status = state
        .agents
        .get(&agent_id)
        .map(|a| a.routing_status.clone());
    let mut chats: Vec<_> = state
        .chats
        .values()
        .filter(|c| c.is_active() && c.user(&who).is_some())
        .collect();
    chats.sort_by_key(|c| std::cmp::Reverse(c.seq));
    let chats_summary = chats
        .iter()
        .map(|c| views::chat_summary_view(state, c, &who))
        .collect();
    let response = agent::LoginResponse {
        license,
        my_profile,
        chats_summary,
        ..Default::default()
    };
    let level = request
        .customer_monitoring_level
        .unwrap_or(CustomerMonitoringLevel::My);
    let customers: Vec<_> = chats
        .iter()
        .filter_map(|c| c.customer())
        .map(|id| views::customer_view(state, id, lc_protocol::Api::Agent))
        .collect();
    state.outbox.agents(
        Audience::Conn(conn),
        "incoming_customers",
        &json!({"customer_monitoring_level": level, "customers": customers}),
    );
    route_waiting_chats(state);
    encode(&response)
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
        if chat_ops::route(state, &chat_id).is_some() {
            let customer = state
                .chats
                .get(&chat_id)
                .and_then(|c| c.customer().cloned());
            if let Some(customer) = customer {
                chat_ops::push_incoming_chat(state, &chat_id, &Principal::Customer(customer));
            }
        }
    }
}

fn set_routing_status(
    ctx: &mut Ctx<'_>,
    request: agent::SetRoutingStatus,
) -> Result<Empty, ApiError> {
    let me = ctx.agent_id()?;
    let target = request.agent_id.unwrap_or(me);
    let agent = ctx
        .state
        .agents
        .get_mut(&target)
        .ok_or_else(|| crate::dispatch::not_found(format_args!("Agent `{target}`")))?;
    agent.routing_status = request.status.clone();
    ctx.state.outbox.agents(
        Audience::AllAgents,
        "routing_status_set",
        &json!({"agent_id": target, "status": request.status}),
    );
    if request.status == RoutingStatus::AcceptingChats {
        route_waiting_chats(ctx.state);
    }
    Ok(Empty {})
}
