//! Who hears about a customer (monitoring levels, follows, subscriptions) and the
//! actions that change it: `follow_customer`, `unfollow_customer` (3.3),
//! `subscribe_customers` and `unsubscribe_customers` (3.6).

use super::view::{agent_view, groups_of, known};
use crate::handler::{Ctx, err, invalid, not_found};
use crate::outbox::Audience;
use crate::state::{ChatRec, ConnId, Principal, State};
use lc_protocol::agent;
use lc_protocol::error::{ApiError, ErrorType};
use lc_protocol::id::{AgentId, CustomerId, GroupId};
use lc_protocol::types::{Customer, CustomerMonitoringLevel};
use lc_protocol::{ApiVersion, Empty};
use serde::Serialize;
use serde_json::json;

/// Customers a `subscribe_customers` response lists when the request sets no `limit` ([I]).
const DEFAULT_SUBSCRIPTION_LIMIT: u32 = 100;

/// Whether a subscription to `groups` (`None`: every group) tracks the customer.
fn tracks(state: &State, groups: Option<&[GroupId]>, id: &CustomerId) -> bool {
    groups.is_none_or(|wanted| groups_of(state, id).iter().any(|g| wanted.contains(g)))
}

/// Whether `level` makes `agent` hear about `customer` (§8 item 14; [I] beyond `my`):
/// `my` — the customer is in an active chat the agent is a user of; `chatting` and
/// `invited` — in an active chat the agent can see; `online` and `highest_available` —
/// that, or the customer has a connection.
pub(crate) fn monitors(
    state: &State,
    agent: &AgentId,
    level: &CustomerMonitoringLevel,
    customer: &CustomerId,
) -> bool {
    let active = active_chats_of(state, customer);
    monitors_among(state, agent, level, customer, &active)
}

/// The active chats of `customer` (one pass over the chats).
fn active_chats_of<'s>(state: &'s State, customer: &CustomerId) -> Vec<&'s ChatRec> {
    state
        .chats
        .values()
        .filter(|c| c.is_active() && c.customer() == Some(customer))
        .collect()
}

/// [`monitors`], given the customer's active chats.
fn monitors_among(
    state: &State,
    agent: &AgentId,
    level: &CustomerMonitoringLevel,
    customer: &CustomerId,
    active: &[&ChatRec],
) -> bool {
    let who = Principal::Agent(agent.clone());
    let chatting = |mine: bool| {
        active.iter().any(|c| {
            if mine {
                c.user(&who).is_some()
            } else {
                state.can_see_chat(&who, c)
            }
        })
    };
    match level {
        CustomerMonitoringLevel::My => chatting(true),
        CustomerMonitoringLevel::Chatting | CustomerMonitoringLevel::Invited => chatting(false),
        _ => state.customer_online(customer) || chatting(false),
    }
}

/// Whether `agent` hears about `customer` (whose active chats are `active`): it follows
/// the customer or its monitoring level (of its last login) covers it.
fn agent_hears(state: &State, agent: &AgentId, customer: &CustomerId, active: &[&ChatRec]) -> bool {
    let Some(rec) = state.agents.get(agent) else {
        return false;
    };
    let level = rec
        .login
        .monitoring_level
        .clone()
        .unwrap_or(CustomerMonitoringLevel::My);
    rec.login.followed_customers.contains(customer)
        || monitors_among(state, agent, &level, customer, active)
}

/// The customers `agent` hears about at `level` (or follows), oldest first, as the
/// `incoming_customers` push after login lists them.
pub(crate) fn monitored_customers(
    state: &State,
    agent: &AgentId,
    level: &CustomerMonitoringLevel,
    version: ApiVersion,
) -> Vec<Customer> {
    let followed = state.agents.get(agent).map(|a| &a.login.followed_customers);
    let mut customers: Vec<Customer> = state
        .customers
        .keys()
        .filter(|id| followed.is_some_and(|f| f.contains(*id)) || monitors(state, agent, level, id))
        .map(|id| agent_view(state, id, version))
        .collect();
    customers.sort_by(|a, b| a.created_at.cmp(&b.created_at));
    customers
}

/// The agent connections that hear about `customer` (see the module doc).
pub(crate) fn watchers(state: &State, customer: &CustomerId) -> Vec<ConnId> {
    let active = active_chats_of(state, customer);
    state
        .conns
        .iter()
        .filter(|(_, c)| match &c.principal {
            Some(Principal::Agent(agent)) => {
                agent_hears(state, agent, customer, &active)
                    || c.session
                        .customer_subscriptions
                        .values()
                        .any(|groups| tracks(state, groups.as_deref(), customer))
            }
            _ => false,
        })
        .map(|(id, _)| *id)
        .collect()
}

/// Queues `incoming_customer` for the agent connections that hear about `customer` now
/// that it came online (its first connection), each in its connection's version.
pub(crate) fn announce_online(state: &mut State, customer: &CustomerId) {
    for conn in watchers(state, customer) {
        let Some(version) = state.conns.get(&conn).map(|c| c.version) else {
            continue;
        };
        let view = agent_view(state, customer, version);
        state
            .outbox
            .agents(Audience::Conn(conn), "incoming_customer", &view);
    }
}

/// Queues `customer_left` (`{id, left_at}`) for the agent connections that hear about
/// `customer`, whose last connection is closing: call it while that connection is still
/// there (agents at the `online` level hear about the customer through it).
pub(crate) fn announce_left(state: &mut State, customer: &CustomerId) {
    let left_at = state.clock.stamp();
    let payload = json!({ "id": customer, "left_at": left_at });
    for conn in watchers(state, customer) {
        state
            .outbox
            .agents(Audience::Conn(conn), "customer_left", &payload);
    }
}

/// Queues `customer_statistics_updated` (3.6: `{customer_id, statistics}`) for the
/// agent connections that hear about `customer`, whose visits, page views or chats
/// counts just changed.
pub(crate) fn announce_statistics(state: &mut State, customer: &CustomerId) {
    let statistics = crate::views::customer_statistics(state, customer);
    let payload = json!({ "customer_id": customer, "statistics": statistics });
    for conn in watchers(state, customer) {
        state.outbox.agents(
            Audience::Conn(conn),
            "customer_statistics_updated",
            &payload,
        );
    }
}

// ---------------------------------------------------------------------------------------
// follow_customer, unfollow_customer (3.3)

/// `follow_customer` (3.3): the requester hears about the customer from now on; its
/// connections get `incoming_customer`.
pub(super) fn follow_customer(
    ctx: &mut Ctx<'_>,
    request: agent::FollowCustomer,
) -> Result<Empty, ApiError> {
    let me = ctx.agent_id()?;
    known(ctx.state, &request.id)?;
    if let Some(agent) = ctx.state.agents.get_mut(&me) {
        agent.login.followed_customers.insert(request.id.clone());
    }
    let view = agent_view(ctx.state, &request.id, ctx.version);
    ctx.state
        .outbox
        .agents(Audience::Agents(vec![me]), "incoming_customer", &view);
    Ok(Empty {})
}

/// `unfollow_customer` (3.3): the requester stops following the customer; its
/// connections get `customer_unfollowed` (only when it did follow).
pub(super) fn unfollow_customer(
    ctx: &mut Ctx<'_>,
    request: agent::UnfollowCustomer,
) -> Result<Empty, ApiError> {
    let me = ctx.agent_id()?;
    known(ctx.state, &request.id)?;
    let followed = ctx
        .state
        .agents
        .get_mut(&me)
        .is_some_and(|a| a.login.followed_customers.remove(&request.id));
    if followed {
        ctx.state.outbox.agents(
            Audience::Agents(vec![me]),
            "customer_unfollowed",
            &json!({ "id": request.id }),
        );
    }
    Ok(Empty {})
}

// ---------------------------------------------------------------------------------------
// subscribe_customers, unsubscribe_customers (3.6)

/// `subscribe_customers` (3.6, RTM): the connection tracks the customers of `group_ids`
/// (all groups when absent; a customer's groups are its own and its chats') and gets
/// their customer pushes from now on. The response lists at most `limit` (default 100,
/// [I]) of them, newest first; when more match, `subscribed_customers_totals_updated`
/// tells the total, then again every period ([`queue_subscription_totals`]).
pub(super) fn subscribe_customers(
    ctx: &mut Ctx<'_>,
    request: agent::SubscribeCustomers,
) -> Result<agent::SubscribeCustomersResponse, ApiError> {
    ctx.agent_id()?;
    let conn = ctx
        .conn
        .ok_or_else(|| invalid("subscribe_customers is RTM only"))?;
    let limit = request.limit.unwrap_or(DEFAULT_SUBSCRIPTION_LIMIT);
    if limit == 0 {
        return Err(invalid("`limit` must be at least 1"));
    }
    let groups = request.group_ids;
    let mut tracked: Vec<Customer> = ctx
        .state
        .customers
        .keys()
        .filter(|id| tracks(ctx.state, groups.as_deref(), id))
        .map(|id| agent_view(ctx.state, id, ctx.version))
        .collect();
    tracked.sort_by(|a, b| b.created_at.cmp(&a.created_at));
    let total = tracked.len();
    tracked.truncate(limit as usize);
    let subscription_id = uuid::Uuid::new_v4().simple().to_string();
    let rec = ctx
        .state
        .conns
        .get_mut(&conn)
        .ok_or_else(|| err(ErrorType::Internal, "connection gone"))?;
    rec.session
        .customer_subscriptions
        .insert(subscription_id.clone(), groups);
    rec.session
        .subscription_limits
        .insert(subscription_id.clone(), limit as usize);
    if total > tracked.len() {
        ctx.state.outbox.agents(
            Audience::Conn(conn),
            "subscribed_customers_totals_updated",
            &json!({ subscription_id.as_str(): total }),
        );
    }
    Ok(agent::SubscribeCustomersResponse {
        subscription_id,
        customers: tracked,
        ..Default::default()
    })
}

/// Queues `subscribed_customers_totals_updated` (`{<subscription id>: count}`) for each
/// agent connection with a `subscribe_customers` subscription that more customers match
/// than its `limit`, as the real service does periodically.
pub(crate) fn queue_subscription_totals(state: &mut State) {
    let mut totals = Vec::new();
    for (conn, rec) in &state.conns {
        let mut counts = serde_json::Map::new();
        for (id, groups) in &rec.session.customer_subscriptions {
            let limit = rec.session.subscription_limits.get(id).copied();
            let limit = limit.unwrap_or(DEFAULT_SUBSCRIPTION_LIMIT as usize);
            let total = state
                .customers
                .keys()
                .filter(|c| tracks(state, groups.as_deref(), c))
                .count();
            if total > limit {
                counts.insert(id.clone(), total.into());
            }
        }
        if !counts.is_empty() {
            totals.push((*conn, counts));
        }
    }
    for (conn, counts) in totals {
        state.outbox.agents(
            Audience::Conn(conn),
            "subscribed_customers_totals_updated",
            &counts,
        );
    }
}

/// `unsubscribe_customers` (3.6, RTM): ends a subscription of this connection;
/// `not_found` for an id it does not hold.
pub(super) fn unsubscribe_customers(
    ctx: &mut Ctx<'_>,
    request: agent::UnsubscribeCustomers,
) -> Result<Empty, ApiError> {
    ctx.agent_id()?;
    let removed = ctx
        .conn
        .and_then(|conn| ctx.state.conns.get_mut(&conn))
        .and_then(|c| {
            c.session
                .customer_subscriptions
                .remove(&request.subscription_id)
                .inspect(|_| {
                    c.session
                        .subscription_limits
                        .remove(&request.subscription_id);
                })
        });
    match removed {
        Some(_) => Ok(Empty {}),
        None => Err(not_found(format_args!(
            "Subscription `{}`",
            request.subscription_id
        ))),
    }
}

/// Queues the agent push `name` about `customer` for its watchers and the requester's
/// own connection.
pub(super) fn push_to_watchers<T: Serialize>(
    ctx: &mut Ctx<'_>,
    customer: &CustomerId,
    name: &'static str,
    payload: &T,
) {
    let mut conns = watchers(ctx.state, customer);
    if let Some(own) = ctx.conn.filter(|own| !conns.contains(own)) {
        conns.push(own);
    }
    for conn in conns {
        ctx.state.outbox.agents(Audience::Conn(conn), name, payload);
    }
}
