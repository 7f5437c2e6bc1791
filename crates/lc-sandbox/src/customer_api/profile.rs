//! Customer login, profile, page and session fields.

use crate::auth::authenticate;
use crate::dispatch::{Reply, decode, encode, err};
use crate::state::{ConnId, Principal, State};
use crate::views;
use lc_protocol::customer;
use lc_protocol::error::ErrorType;
use lc_protocol::types::CustomerStatistics;
use lc_protocol::{Api, ApiVersion};
use serde_json::json;
use serde_json::value::RawValue;

/// Handles the profile actions; `None` for actions of other topics.
pub(super) fn handle(
    _ctx: &mut crate::dispatch::Ctx<'_>,
    action: &str,
    _payload: &RawValue,
) -> Option<Reply> {
    match action {
        _ => None,
    }
}

/// `login` over RTM: authenticates the token and binds the connection to the customer.
pub(crate) fn login(
    state: &mut State,
    conn: ConnId,
    _version: ApiVersion,
    payload: &RawValue,
) -> Reply {
    let request: customer::Login = decode(payload)?;
    let who = authenticate(state, request.token.expose())?;
    let Principal::Customer(id) = who.clone() else {
        return Err(err(ErrorType::Authentication, "Invalid access token"));
    };
    let Some(rec) = state.customers.get_mut(&id) else {
        return Err(err(ErrorType::Authentication, "Invalid access token"));
    };
    if rec
        .banned_until
        .is_some_and(|until| until > std::time::Instant::now())
    {
        return Err(err(ErrorType::CustomerBanned, "Customer is banned"));
    }
    if let Some(profile) = &request.customer {
        if profile.name.is_some() {
            rec.profile.name = profile.name.clone();
        }
        if profile.email.is_some() {
            rec.profile.email = profile.email.clone();
        }
        if profile.avatar.is_some() {
            rec.profile.avatar = profile.avatar.clone();
        }
        if profile.session_fields.is_some() {
            rec.profile.session_fields = profile.session_fields.clone();
        }
    }
    if let Some(group) = request.group_id {
        rec.group_id = Some(group);
    }
    if let Some(storage) = &request.customer_side_storage {
        rec.side_storage = storage.clone();
    }
    let Some(c) = state.conns.get_mut(&conn) else {
        return Err(err(ErrorType::Internal, "connection gone"));
    };
    c.principal = Some(who.clone());
    c.pushes = request.pushes.clone();

    let mut chats: Vec<_> = state
        .chats
        .values()
        .filter(|c| c.customer() == Some(&id))
        .collect();
    chats.sort_by_key(|c| c.seq);
    let has_active_thread = chats.iter().any(|c| c.is_active());
    let threads: usize = chats.iter().map(|c| c.threads.len()).sum();
    let mut profile = views::customer_view(state, &id, Api::Customer);
    profile.statistics = Some(CustomerStatistics {
        chats_count: Some(chats.len() as u64),
        threads_count: Some(threads as u64),
        visits_count: Some(1),
        page_views_count: Some(u64::from(request.customer_page.is_some())),
        greetings_shown_count: Some(0),
        greetings_accepted_count: Some(0),
        ..CustomerStatistics::default()
    });
    let login_chats = chats
        .iter()
        .map(|chat| {
            let seen = chat.user(&who).and_then(|u| u.events_seen_up_to.clone());
            let last = chat
                .threads
                .last()
                .and_then(|t| t.events.last())
                .and_then(|e| e.created_at().map(str::to_owned));
            customer::LoginChat {
                chat_id: chat.id.clone(),
                has_unread_events: matches!((last, seen), (Some(last), Some(seen)) if last > seen),
                ..Default::default()
            }
        })
        .collect();
    let online: Vec<u32> = state
        .groups
        .keys()
        .map(|g| g.0)
        .filter(|g| group_online(state, *g))
        .collect();
    let response = customer::LoginResponse {
        customer: profile,
        has_active_thread,
        chats: login_chats,
        priv_dynamic_config: Some(json!({
            "online_groups_ids": online,
            "customer_groups": {"monitoring": {"id": state.customers.get(&id).and_then(|c| c.group_id).map_or(0, |g| g.0)}},
        })),
        ..Default::default()
    };
    encode(&response)
}

/// Whether an agent of group `group` accepts chats (group 0: any agent).
pub(crate) fn group_online(state: &State, group: u32) -> bool {
    state.agents.iter().any(|(id, rec)| {
        rec.routing_status == lc_protocol::types::RoutingStatus::AcceptingChats
            && (group == 0 || rec.groups.iter().any(|g| g.0 == group))
            && state.agent_online(id)
    })
}
