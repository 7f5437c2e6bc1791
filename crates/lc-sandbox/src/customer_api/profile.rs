//! Customer login, profile, page and session fields.
//!
//! Visits ([I]; the notes name the counters, not when they move): a login of a customer
//! that had no connection starts a visit (`visits_count` + 1; the visit, with the login
//! `referrer`, is what the Agent API shows as `visit`); each page (login `customer_page`,
//! `update_customer_page`) is one page view, kept in the visit's `last_pages` (the
//! latest [`MAX_PAGES`], oldest first). A visit's id is its number (`visits_count`).

use super::config::{current_greeting, online_groups};
use crate::agent_api;
use crate::auth::authenticate;
use crate::handler::{Ctx, Reply, decode, encode, err, invalid, not_found, run};
use crate::outbox::Audience;
use crate::state::{ConnId, CustomerRec, Principal, State};
use crate::views;
use lc_protocol::agent::push::CustomerUpdated;
use lc_protocol::customer;
use lc_protocol::error::{ApiError, ErrorType};
use lc_protocol::id::CustomerId;
use lc_protocol::types::{Customer, CustomerStatistics, SessionFields, Visit, VisitedPage};
use lc_protocol::{Api, ApiVersion, Empty};
use serde::Serialize;
use serde_json::json;
use serde_json::value::RawValue;
use std::collections::BTreeSet;

/// Pages a visit remembers.
const MAX_PAGES: usize = 20;
/// Most session field keys a customer may have (§5.4).
const MAX_SESSION_FIELDS: usize = 100;

/// Handles the profile actions; `None` for actions of other topics.
pub(super) fn handle(ctx: &mut Ctx<'_>, action: &str, payload: &RawValue) -> Option<Reply> {
    Some(match action {
        "update_customer" => run(ctx, payload, update_customer),
        "update_customer_page" => run(ctx, payload, update_customer_page),
        "set_customer_session_fields" => run(ctx, payload, set_customer_session_fields),
        "get_customer" => run(ctx, payload, get_customer),
        "activate_customer_page" => run(ctx, payload, activate_customer_page),
        "deactivate_customer_page" => run(ctx, payload, deactivate_customer_page),
        _ => return None,
    })
}

// ---------------------------------------------------------------------------------------
// login

/// `login` over RTM: authenticates the token, binds the connection to the customer and
/// records what the request tells: profile fields (merged as `update_customer` does,
/// without a push), group, side storage, `is_mobile`, `application`, the visit (with
/// `referrer`) and the page. The response carries the customer with its statistics, its
/// chats, the greeting on display (or accepted) and the private dynamic configuration.
/// A customer coming online (its first connection) is announced with `incoming_customer`
/// to the agents that hear about it (monitoring level `online` or higher, follows,
/// `subscribe_customers`).
pub(crate) fn login(
    state: &mut State,
    conn: ConnId,
    version: ApiVersion,
    payload: &RawValue,
) -> Reply {
    let request: customer::Login = decode(payload)?;
    let id = login_customer(state, request.token.expose())?;
    if !state.conns.contains_key(&conn) {
        return Err(err(ErrorType::Internal, "connection gone"));
    }
    let update = match &request.customer {
        Some(fields) => Some(as_agent_update(&id, fields)?),
        None => None,
    };
    let first_connection = !state.customer_online(&id);
    let now = state.clock.stamp();
    let rec = known_mut(state, &id)?;
    if let Some(update) = update {
        agent_api::apply_update(&mut rec.profile, update);
    }
    record_login(rec, &request, first_connection, &now);
    state.set_principal(conn, Principal::Customer(id.clone()));
    if let Some(c) = state.conns.get_mut(&conn) {
        c.pushes = request.pushes.clone();
        c.session.token = Some(request.token.expose().to_owned());
    }
    if first_connection {
        agent_api::announce_online(state, &id);
        agent_api::announce_statistics(state, &id);
    }
    encode(&login_response(state, &id, version))
}

/// The customer a login token names; `authentication` for any other token,
/// `customer_banned` while a ban lasts.
fn login_customer(state: &State, token: &str) -> Result<CustomerId, ApiError> {
    let invalid_token = || err(ErrorType::Authentication, "Invalid access token");
    let Principal::Customer(id) = authenticate(state, token)? else {
        return Err(invalid_token());
    };
    if !state.customers.contains_key(&id) {
        return Err(invalid_token());
    }
    check_not_banned(state, &id)?;
    Ok(id)
}

/// `customer_banned` while a ban of customer `id` lasts (RTM login and every Web request).
pub(crate) fn check_not_banned(state: &State, id: &CustomerId) -> Result<(), ApiError> {
    let banned = state
        .customers
        .get(id)
        .and_then(|rec| rec.banned_until)
        .is_some_and(|until| until > std::time::Instant::now());
    if banned {
        return Err(err(ErrorType::CustomerBanned, "Customer is banned"));
    }
    Ok(())
}

/// Records the session facts of a login (see [`login`]).
fn record_login(rec: &mut CustomerRec, request: &customer::Login, first: bool, now: &str) {
    if let Some(group) = request.group_id {
        rec.group_id = Some(group);
    }
    if let Some(storage) = &request.customer_side_storage {
        rec.side_storage = storage.clone();
    }
    if request.is_mobile.is_some() {
        rec.login.is_mobile = request.is_mobile;
    }
    if request.application.is_some() {
        rec.login.application = request.application.clone();
    }
    if first || rec.profile.visit.is_none() {
        start_visit(rec, now, request.referrer.clone());
    }
    if let Some(page) = &request.customer_page {
        open_page(rec, now, &page.url, page.title.clone());
    }
}

/// Starts a new visit: `visits_count` + 1.
fn start_visit(rec: &mut CustomerRec, now: &str, referrer: Option<String>) {
    let statistics = rec.profile.statistics.get_or_insert_with(Default::default);
    statistics.visits_count = Some(statistics.visits_count.unwrap_or(0) + 1);
    rec.profile.visit = Some(Box::new(Visit {
        started_at: Some(now.to_owned()),
        referrer,
        last_pages: Some(Vec::new()),
        ..Visit::default()
    }));
}

/// Records a page view in the current visit (starting one if there is none); returns
/// the visit id.
fn open_page(rec: &mut CustomerRec, now: &str, url: &str, title: Option<String>) -> u64 {
    if rec.profile.visit.is_none() {
        start_visit(rec, now, None);
    }
    let statistics = rec.profile.statistics.get_or_insert_with(Default::default);
    statistics.page_views_count = Some(statistics.page_views_count.unwrap_or(0) + 1);
    let visit_id = statistics.visits_count.unwrap_or(1);
    let pages = rec
        .profile
        .visit
        .get_or_insert_with(Default::default)
        .last_pages
        .get_or_insert_with(Vec::new);
    pages.push(VisitedPage {
        opened_at: Some(now.to_owned()),
        url: Some(url.to_owned()),
        title,
        ..VisitedPage::default()
    });
    let excess = pages.len().saturating_sub(MAX_PAGES);
    pages.drain(..excess);
    visit_id
}

/// The login response for customer `id`.
fn login_response(state: &State, id: &CustomerId, version: ApiVersion) -> customer::LoginResponse {
    let who = Principal::Customer(id.clone());
    let mut chats: Vec<_> = state
        .chats
        .values()
        .filter(|c| c.customer() == Some(id))
        .collect();
    chats.sort_by_key(|c| c.seq);
    let login_chats = chats
        .iter()
        .map(|chat| {
            let seen = chat.user(&who).and_then(|u| u.events_seen_up_to.as_deref());
            let last = chat
                .threads
                .last()
                .and_then(|t| {
                    t.events
                        .iter()
                        .rev()
                        .find(|e| views::visible_to(e, Api::Customer))
                })
                .and_then(|e| e.created_at());
            customer::LoginChat {
                chat_id: chat.id.clone(),
                has_unread_events: last.is_some_and(|last| seen.is_none_or(|seen| last > seen)),
                ..Default::default()
            }
        })
        .collect();
    let mut profile = customer_profile(state, id, version);
    profile.statistics = Some(Box::new(login_statistics(state, id)));
    let group = state
        .customers
        .get(id)
        .and_then(|c| c.group_id)
        .map_or(0, |g| g.0);
    customer::LoginResponse {
        customer: profile,
        has_active_thread: chats.iter().any(|c| c.is_active()),
        chats: login_chats,
        greeting: current_greeting(state, id),
        priv_dynamic_config: Some(json!({
            "online_groups_ids": online_groups(state),
            "customer_groups": {"monitoring": {"id": group}},
        })),
        ..Default::default()
    }
}

/// The statistics of the login response (the documented six counters).
fn login_statistics(state: &State, id: &CustomerId) -> CustomerStatistics {
    let all = views::customer_statistics(state, id);
    CustomerStatistics {
        chats_count: all.chats_count,
        threads_count: all.threads_count,
        visits_count: all.visits_count,
        page_views_count: all.page_views_count,
        greetings_shown_count: all.greetings_shown_count,
        greetings_accepted_count: all.greetings_accepted_count,
        ..CustomerStatistics::default()
    }
}

// ---------------------------------------------------------------------------------------
// Profile

/// The customer as the Customer API of `version` returns it (`get_customer`, login):
/// `id`, `type`, `name`, `email`, `email_verified`, `avatar`, `session_fields`, and from
/// 3.6 `phone_number`, `omnichannel` and `address`.
fn customer_profile(state: &State, id: &CustomerId, version: ApiVersion) -> Customer {
    let all = views::customer_view(state, id, Api::Customer);
    let newer = version >= ApiVersion::V3_6;
    Customer {
        kind: all.kind,
        id: all.id,
        name: all.name,
        email: all.email,
        email_verified: all.email_verified,
        avatar: all.avatar,
        session_fields: all.session_fields,
        phone_number: all.phone_number.filter(|_| newer),
        omnichannel: all.omnichannel.filter(|_| newer),
        address: all.address.filter(|_| newer),
        ..Customer::default()
    }
}

/// `get_customer`: the requester's profile.
fn get_customer(ctx: &mut Ctx<'_>, _request: customer::GetCustomer) -> Result<Customer, ApiError> {
    let me = ctx.customer_id()?;
    Ok(customer_profile(ctx.state, &me, ctx.version))
}

/// `update_customer`: merges the given fields into the requester's profile, as the Agent
/// API's `update_customer` does (session fields by key, `address` and `omnichannel` part
/// by part), and pushes `customer_updated` (`id` and the changed fields) to the customer
/// and to the agents that hear about it ([`agent_listeners`]). Nothing changed: no push.
/// At least one field is required; `phone_number`, `omnichannel`, `address` and
/// `name_is_default` exist from 3.6 on (`validation` otherwise). `name_is_default` is
/// accepted and ignored.
///
/// [I] The update takes effect at once, also during an active chat (the real service is
/// said to apply it after the chat ends).
fn update_customer(
    ctx: &mut Ctx<'_>,
    request: customer::UpdateCustomer,
) -> Result<Empty, ApiError> {
    let me = ctx.customer_id()?;
    check_update(&request, ctx.version)?;
    let update = as_agent_update(&me, &request)?;
    let rec = known_mut(ctx.state, &me)?;
    let changed = agent_api::apply_update(&mut rec.profile, update);
    push_customer_updated(ctx.state, &me, &changed);
    Ok(Empty {})
}

/// The checks of [`update_customer`].
fn check_update(request: &customer::UpdateCustomer, version: ApiVersion) -> Result<(), ApiError> {
    let newer = request.phone_number.is_some()
        || request.omnichannel.is_some()
        || request.address.is_some();
    if (newer || request.name_is_default.is_some()) && version < ApiVersion::V3_6 {
        return Err(invalid(
            "`phone_number`, `omnichannel`, `address` and `name_is_default` are available from 3.6",
        ));
    }
    if let Some(fields) = &request.session_fields {
        check_session_fields(fields)?;
    }
    let any = newer
        || request.name.is_some()
        || request.email.is_some()
        || request.avatar.is_some()
        || request.session_fields.is_some();
    if any {
        Ok(())
    } else {
        Err(invalid(
            "update_customer needs at least one of `name`, `email`, `avatar`, `session_fields`",
        ))
    }
}

/// At most [`MAX_SESSION_FIELDS`] keys.
fn check_session_fields(fields: &SessionFields) -> Result<(), ApiError> {
    let keys: usize = fields.iter().map(|entry| entry.len()).sum();
    if keys > MAX_SESSION_FIELDS {
        return Err(invalid(format!(
            "At most {MAX_SESSION_FIELDS} session fields are allowed"
        )));
    }
    Ok(())
}

/// `set_customer_session_fields`: replaces the requester's session fields (at most
/// [`MAX_SESSION_FIELDS`] keys, order kept) and pushes `customer_updated` with `id` and
/// `session_fields` as [`update_customer`] does (no push when they did not change).
fn set_customer_session_fields(
    ctx: &mut Ctx<'_>,
    request: customer::SetCustomerSessionFields,
) -> Result<Empty, ApiError> {
    let me = ctx.customer_id()?;
    check_session_fields(&request.session_fields)?;
    let rec = known_mut(ctx.state, &me)?;
    let mut changed = CustomerUpdated {
        id: me.clone(),
        ..Default::default()
    };
    if rec.profile.session_fields.as_ref() != Some(&request.session_fields) {
        rec.profile.session_fields = Some(request.session_fields.clone());
        changed.session_fields = Some(request.session_fields);
    }
    push_customer_updated(ctx.state, &me, &changed);
    Ok(Empty {})
}

/// The agent `update_customer` request for customer `id` with the profile fields of a
/// customer request (login `customer`, `update_customer`); fields the agent request does
/// not know (`name_is_default`) are dropped.
fn as_agent_update<T: Serialize>(
    id: &CustomerId,
    fields: &T,
) -> Result<lc_protocol::agent::UpdateCustomer, ApiError> {
    let mut value = serde_json::to_value(fields).map_err(|e| invalid(e.to_string()))?;
    if let Some(object) = value.as_object_mut() {
        object.insert("id".to_owned(), json!(id));
    }
    serde_json::from_value(value).map_err(|e| invalid(format!("Wrong format of request: {e}")))
}

/// Queues `customer_updated` for the customer and the agents that hear about it, unless
/// `changed` carries nothing but the id.
fn push_customer_updated(state: &mut State, id: &CustomerId, changed: &CustomerUpdated) {
    let nothing = CustomerUpdated {
        id: id.clone(),
        ..Default::default()
    };
    if changed == &nothing {
        return;
    }
    push_to_agent_listeners(state, id, "customer_updated", changed);
    state
        .outbox
        .customers(Audience::Customer(id.clone()), "customer_updated", changed);
}

/// The agent connections that hear about changes of `customer`: those of the agents and
/// followers of its chats, and those that watch it through the Agent API (monitoring
/// level, follows, subscriptions: `agent_api::watchers`).
fn agent_listeners(state: &State, customer: &CustomerId) -> BTreeSet<ConnId> {
    let mut agents = BTreeSet::new();
    for chat in state
        .chats
        .values()
        .filter(|c| c.customer() == Some(customer))
    {
        agents.extend(chat.users.iter().filter_map(|u| match &u.principal {
            Principal::Agent(agent) => Some(agent.clone()),
            Principal::Customer(_) => None,
        }));
        agents.extend(chat.followers.iter().cloned());
    }
    let mut conns: BTreeSet<ConnId> = agents.iter().flat_map(|a| state.agent_conns(a)).collect();
    conns.extend(agent_api::watchers(state, customer));
    conns
}

/// Queues the agent push `name` for each of [`agent_listeners`].
fn push_to_agent_listeners<T: Serialize>(
    state: &mut State,
    customer: &CustomerId,
    name: &'static str,
    payload: &T,
) {
    for conn in agent_listeners(state, customer) {
        state.outbox.agents(Audience::Conn(conn), name, payload);
    }
}

/// The record of customer `id` (`not_found` if it was deleted meanwhile).
fn known_mut<'s>(state: &'s mut State, id: &CustomerId) -> Result<&'s mut CustomerRec, ApiError> {
    state
        .customers
        .get_mut(id)
        .ok_or_else(|| not_found(format_args!("Customer `{id}`")))
}

// ---------------------------------------------------------------------------------------
// Pages

/// `update_customer_page` (RTM): records the page in the current visit (one more page
/// view) and pushes `customer_page_updated` `{customer_id, visit_id, opened_at, url,
/// title}` to the agents that hear about the customer ([`agent_listeners`]; the customer
/// gets no push since 3.4). The 3.6 response carries `groups` only when the page changed
/// the customer's group assignment, which the sandbox never does ([I] no URL rules):
/// the response is `{}` in every version.
fn update_customer_page(
    ctx: &mut Ctx<'_>,
    request: customer::UpdateCustomerPage,
) -> Result<customer::UpdateCustomerPageResponse, ApiError> {
    let me = ctx.customer_id()?;
    if request.url.trim().is_empty() {
        return Err(invalid("`url` must not be empty"));
    }
    let now = ctx.state.clock.stamp();
    let rec = known_mut(ctx.state, &me)?;
    let visit_id = open_page(rec, &now, &request.url, request.title.clone());
    let payload = json!({
        "customer_id": me,
        "visit_id": visit_id,
        "opened_at": now,
        "url": request.url,
        "title": request.title,
    });
    push_to_agent_listeners(ctx.state, &me, "customer_page_updated", &payload);
    agent_api::announce_statistics(ctx.state, &me);
    Ok(customer::UpdateCustomerPageResponse::default())
}

/// `activate_customer_page` (3.6, RTM; undocumented): marks the customer's page active.
/// [I] Nothing else follows from it in the sandbox.
fn activate_customer_page(
    ctx: &mut Ctx<'_>,
    _request: customer::ActivateCustomerPage,
) -> Result<Empty, ApiError> {
    set_page_active(ctx, true)
}

/// `deactivate_customer_page` (3.6, RTM; undocumented): marks the customer's page
/// inactive. [I] Nothing else follows from it in the sandbox.
fn deactivate_customer_page(
    ctx: &mut Ctx<'_>,
    _request: customer::DeactivateCustomerPage,
) -> Result<Empty, ApiError> {
    set_page_active(ctx, false)
}

/// Records whether the requester's page is active.
fn set_page_active(ctx: &mut Ctx<'_>, active: bool) -> Result<Empty, ApiError> {
    let me = ctx.customer_id()?;
    known_mut(ctx.state, &me)?.login.page_active = active;
    Ok(Empty {})
}
