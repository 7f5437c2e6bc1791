//! Agent actions on customers: reading, listing (3.3–3.5), creating (3.3–3.5), updating,
//! banning, following (3.3) and subscribing (3.6); and who hears about a customer.
//!
//! Who hears about a customer ([I]; the notes name the pushes, not their audience): the
//! connections of agents whose customer monitoring level covers it ([`monitors`]) or
//! who follow it (3.3), the connections subscribed to its group (3.6), and the
//! requester's own connection. Customer pushes (`incoming_customer`, `customer_updated`,
//! `customer_banned`) go to those connections.

use crate::clock;
use crate::dispatch::{Ctx, Reply, err, invalid, not_found, run};
use crate::pagination;
use crate::push::Audience;
use crate::state::{ChatRec, ConnId, CustomerRec, Principal, State};
use crate::views;
use lc_protocol::agent::push::CustomerUpdated;
use lc_protocol::agent::{
    self, ListCustomersDateRangeFilter, ListCustomersFilters, ListCustomersGroupIdsFilter,
    ListCustomersRangeFilter, ListCustomersSortBy, ListCustomersStringFilter,
    UpdateCustomerOmnichannel,
};
use lc_protocol::error::{ApiError, ErrorType};
use lc_protocol::id::{AgentId, ChatId, CustomerId, GroupId};
use lc_protocol::types::{
    Address, Customer, CustomerMonitoringLevel, Omnichannel, OmnichannelFbMessenger, SessionFields,
    SortOrder, UserType,
};
use lc_protocol::{Api, ApiVersion, Empty};
use serde::{Deserialize, Serialize};
use serde_json::json;
use serde_json::value::RawValue;
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

/// The disconnect reason a banned customer's connections get. The documented customer
/// reasons have no `customer_banned` (that is the login error); `customer_temporarily_blocked`
/// is the closest one.
const BAN_REASON: &str = "customer_temporarily_blocked";
/// Longest ban the sandbox counts (a century): longer bans are as good as permanent.
const MAX_BAN_DAYS: u32 = 36_500;
/// Customers a `subscribe_customers` response lists when the request sets no `limit` ([I]).
const DEFAULT_SUBSCRIPTION_LIMIT: u32 = 100;
/// Most group ids a list_customers `chat_group_ids` filter may hold.
const MAX_FILTER_GROUPS: usize = 40;

/// Handles the customer actions; `None` for actions of other topics.
pub(super) fn handle(ctx: &mut Ctx<'_>, action: &str, payload: &RawValue) -> Option<Reply> {
    Some(match action {
        "get_customer" => run(ctx, payload, get_customer),
        "list_customers" => run(ctx, payload, list_customers),
        "create_customer" => run(ctx, payload, create_customer),
        "update_customer" => run(ctx, payload, update_customer),
        "ban_customer" => run(ctx, payload, ban_customer),
        "follow_customer" => run(ctx, payload, follow_customer),
        "unfollow_customer" => run(ctx, payload, unfollow_customer),
        "subscribe_customers" => run(ctx, payload, subscribe_customers),
        "unsubscribe_customers" => run(ctx, payload, unsubscribe_customers),
        _ => return None,
    })
}

// ---------------------------------------------------------------------------------------
// Views and audiences

/// A customer as the Agent API of `version` shows it: with statistics and the times of
/// the last agent and customer events. 3.5 and older call the visit `last_visit` and have
/// none of the 3.6 fields (`phone_number`, `omnichannel`, `address`, tickets, carts).
pub(crate) fn agent_view(state: &State, id: &CustomerId, version: ApiVersion) -> Customer {
    let mut customer = views::customer_view(state, id, Api::Agent);
    let mut statistics = views::customer_statistics(state, id);
    let (agent_last, customer_last) = last_events(state, id);
    customer.agent_last_event_created_at = agent_last;
    customer.customer_last_event_created_at = customer_last;
    if version < ApiVersion::V3_6 {
        customer.last_visit = customer.visit.take().or(customer.last_visit.take());
        customer.phone_number = None;
        customer.omnichannel = None;
        customer.address = None;
        customer.tickets = None;
        customer.carts = None;
        customer.cart = None;
        statistics.tickets_count = None;
    } else {
        customer.visit = customer.visit.take().or(customer.last_visit.take());
    }
    customer.statistics = Some(statistics);
    customer
}

/// The customer's chats, oldest first.
fn chats_of<'s>(state: &'s State, id: &CustomerId) -> Vec<&'s ChatRec> {
    let mut chats: Vec<_> = state
        .chats
        .values()
        .filter(|c| c.customer() == Some(id))
        .collect();
    chats.sort_by_key(|c| c.seq);
    chats
}

/// When an agent last wrote in the customer's chats, and when the customer last did.
fn last_events(state: &State, id: &CustomerId) -> (Option<String>, Option<String>) {
    let (mut agent, mut customer) = (None::<&str>, None::<&str>);
    for chat in chats_of(state, id) {
        for event in chat.threads.iter().flat_map(|t| &t.events) {
            let (Some(author), Some(at)) = (event.author_id(), event.created_at()) else {
                continue;
            };
            let slot = if author.as_str() == id.as_str() {
                &mut customer
            } else if state.agents.contains_key(&AgentId::new(author.as_str())) {
                &mut agent
            } else {
                continue;
            };
            if slot.is_none_or(|last| at > last) {
                *slot = Some(at);
            }
        }
    }
    (agent.map(str::to_owned), customer.map(str::to_owned))
}

/// The groups of the customer's chats.
fn chat_groups(state: &State, id: &CustomerId) -> BTreeSet<GroupId> {
    chats_of(state, id)
        .iter()
        .flat_map(|c| c.access.group_ids.iter().copied())
        .collect()
}

/// The groups a customer belongs to: its own (group 0 when none) and those of its chats.
fn groups_of(state: &State, id: &CustomerId) -> BTreeSet<GroupId> {
    let own = state
        .customers
        .get(id)
        .and_then(|c| c.group_id)
        .unwrap_or(GroupId(0));
    let mut groups = chat_groups(state, id);
    groups.insert(own);
    groups
}

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
    let who = Principal::Agent(agent.clone());
    let chatting = |mine: bool| {
        state.chats.values().any(|c| {
            c.is_active()
                && c.customer() == Some(customer)
                && if mine {
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

/// Whether `agent` hears about `customer`: it follows the customer or its monitoring
/// level (of its last login) covers it.
fn agent_hears(state: &State, agent: &AgentId, customer: &CustomerId) -> bool {
    let Some(rec) = state.agents.get(agent) else {
        return false;
    };
    let level = rec
        .session
        .monitoring_level
        .clone()
        .unwrap_or(CustomerMonitoringLevel::My);
    rec.session.followed_customers.contains(customer) || monitors(state, agent, &level, customer)
}

/// The customers `agent` hears about at `level` (or follows), oldest first, as the
/// `incoming_customers` push after login lists them.
pub(crate) fn monitored_customers(
    state: &State,
    agent: &AgentId,
    level: &CustomerMonitoringLevel,
    version: ApiVersion,
) -> Vec<Customer> {
    let followed = state
        .agents
        .get(agent)
        .map(|a| &a.session.followed_customers);
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
    state
        .conns
        .iter()
        .filter(|(_, c)| match &c.principal {
            Some(Principal::Agent(agent)) => {
                agent_hears(state, agent, customer)
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

/// Queues the agent push `name` about `customer` for its watchers and the requester's
/// own connection.
fn push_to_watchers<T: Serialize>(
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

/// `not_found` unless the customer exists.
fn known(state: &State, id: &CustomerId) -> Result<(), ApiError> {
    if state.customers.contains_key(id) {
        Ok(())
    } else {
        Err(not_found(format_args!("Customer `{id}`")))
    }
}

// ---------------------------------------------------------------------------------------
// get_customer, create_customer

/// `get_customer`: the customer with its statistics and, when it has chats, their ids.
fn get_customer(ctx: &mut Ctx<'_>, request: agent::GetCustomer) -> Result<Customer, ApiError> {
    ctx.agent_id()?;
    known(ctx.state, &request.id)?;
    let mut customer = agent_view(ctx.state, &request.id, ctx.version);
    let chat_ids: Vec<ChatId> = chats_of(ctx.state, &request.id)
        .iter()
        .map(|c| c.id.clone())
        .collect();
    customer.chat_ids = (!chat_ids.is_empty()).then_some(chat_ids);
    Ok(customer)
}

/// `create_customer` (3.3–3.5): a customer with a fresh UUID and no token (it gets one
/// from the sandbox, as from the accounts service); pushes `incoming_customer`.
fn create_customer(
    ctx: &mut Ctx<'_>,
    request: agent::CreateCustomer,
) -> Result<agent::CreateCustomerResponse, ApiError> {
    ctx.agent_id()?;
    let id = CustomerId::new(uuid::Uuid::new_v4().to_string());
    let profile = Customer {
        id: id.clone(),
        kind: Some(UserType::Customer),
        name: request.name,
        email: request.email,
        avatar: request.avatar,
        session_fields: request.session_fields,
        created_at: Some(ctx.state.clock.stamp()),
        ..Customer::default()
    };
    ctx.state
        .customers
        .insert(id.clone(), CustomerRec::new(profile));
    let view = agent_view(ctx.state, &id, ctx.version);
    push_to_watchers(ctx, &id, "incoming_customer", &view);
    Ok(agent::CreateCustomerResponse {
        customer_id: id,
        ..Default::default()
    })
}

// ---------------------------------------------------------------------------------------
// list_customers

/// The filters and order of a list_customers query, as its cursors remember them.
#[derive(Debug, Default, Serialize, Deserialize)]
struct CustomerQuery {
    /// The `filters` of the first request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    filters: Option<ListCustomersFilters>,
    /// Its `sort_by`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sort_by: Option<ListCustomersSortBy>,
    /// Its `sort_order`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sort_order: Option<SortOrder>,
}

/// One customer considered by list_customers.
struct Row {
    /// The customer, as the requester's version shows it.
    customer: Customer,
    /// The groups of its chats.
    groups: BTreeSet<GroupId>,
    /// Whether it has any chat.
    has_chats: bool,
}

impl Row {
    /// The row of customer `id`: its view, and the groups of its chats.
    fn new(state: &State, id: &CustomerId, version: ApiVersion) -> Self {
        Row {
            customer: agent_view(state, id, version),
            groups: chat_groups(state, id),
            has_chats: !chats_of(state, id).is_empty(),
        }
    }
}

/// `list_customers` (3.3–3.5): every customer matching the filters, sorted by `sort_by`
/// (ties and the default by creation time) in `sort_order` (default `desc`), a page at a
/// time. `include_customers_without_chats` defaults to `true` ([I]: the notes give no
/// default).
fn list_customers(
    ctx: &mut Ctx<'_>,
    request: agent::ListCustomers,
) -> Result<agent::ListCustomersResponse, ApiError> {
    ctx.agent_id()?;
    let sent = CustomerQuery {
        filters: request.filters,
        sort_by: request.sort_by,
        sort_order: request.sort_order,
    };
    let (remembered, query) = pagination::resolve_typed(
        ctx.state,
        &ctx.who,
        "list_customers",
        request.page_id.as_ref(),
        &sent,
        request.limit,
        (10, 100),
    )?;
    let filters = remembered.filters.unwrap_or_default();
    check_filters(&filters)?;
    let mut rows: Vec<Row> = ctx
        .state
        .customers
        .keys()
        .map(|id| Row::new(ctx.state, id, ctx.version))
        .filter(|row| keeps(&filters, row))
        .collect();
    sort_rows(
        &mut rows,
        remembered.sort_by.as_ref(),
        remembered.sort_order.as_ref(),
    )?;
    let customers = rows.into_iter().map(|row| row.customer).collect();
    let page = pagination::page(ctx.state, &ctx.who, "list_customers", &query, customers);
    Ok(agent::ListCustomersResponse {
        customers: page.items,
        total_customers: page.total as u64,
        next_page_id: page.next_page_id,
        previous_page_id: page.previous_page_id,
        ..Default::default()
    })
}

/// Rejects filters the real service refuses: a string or group filter with both `values`
/// and `exclude_values`, more than 40 group ids, dates that are not RFC 3339.
fn check_filters(filters: &ListCustomersFilters) -> Result<(), ApiError> {
    let strings = [
        ("country", &filters.country),
        ("email", &filters.email),
        ("name", &filters.name),
        ("customer_id", &filters.customer_id),
    ];
    for (name, filter) in strings {
        if filter
            .as_ref()
            .is_some_and(|f| f.values.is_some() && f.exclude_values.is_some())
        {
            return Err(invalid(format!(
                "`filters.{name}` takes `values` or `exclude_values`, not both"
            )));
        }
    }
    if let Some(groups) = &filters.chat_group_ids {
        if groups.values.is_some() && groups.exclude_values.is_some() {
            return Err(invalid(
                "`filters.chat_group_ids` takes `values` or `exclude_values`, not both",
            ));
        }
        let count = groups
            .values
            .iter()
            .chain(&groups.exclude_values)
            .map(Vec::len)
            .sum::<usize>();
        if count > MAX_FILTER_GROUPS {
            return Err(invalid(
                "`filters.chat_group_ids` takes at most 40 group ids",
            ));
        }
    }
    let dates = [
        &filters.created_at,
        &filters.agent_last_event_created_at,
        &filters.customer_last_event_created_at,
    ];
    for filter in dates.into_iter().flatten() {
        for bound in date_bounds(filter) {
            if clock::parse(bound).is_none() {
                return Err(invalid(format!("`{bound}` is not an RFC 3339 date")));
            }
        }
    }
    Ok(())
}

/// Whether the row passes every filter.
fn keeps(filters: &ListCustomersFilters, row: &Row) -> bool {
    let c = &row.customer;
    let stats = c.statistics.clone().unwrap_or_default();
    let country = c
        .visit
        .as_ref()
        .or(c.last_visit.as_ref())
        .and_then(|v| v.geolocation.as_ref())
        .and_then(|g| g.country.as_deref())
        .or_else(|| c.address.as_ref().and_then(|a| a.country.as_deref()));
    string_matches(filters.country.as_ref(), country)
        && string_matches(filters.email.as_ref(), c.email.as_deref())
        && string_matches(filters.name.as_ref(), c.name.as_deref())
        && string_matches(filters.customer_id.as_ref(), Some(c.id.as_str()))
        && range_matches(filters.chats_count.as_ref(), stats.chats_count)
        && range_matches(filters.threads_count.as_ref(), stats.threads_count)
        && range_matches(filters.visits_count.as_ref(), stats.visits_count)
        && date_matches(filters.created_at.as_ref(), c.created_at.as_deref())
        && date_matches(
            filters.agent_last_event_created_at.as_ref(),
            c.agent_last_event_created_at.as_deref(),
        )
        && date_matches(
            filters.customer_last_event_created_at.as_ref(),
            c.customer_last_event_created_at.as_deref(),
        )
        && groups_match(filters.chat_group_ids.as_ref(), &row.groups)
        && (filters.include_customers_without_chats.unwrap_or(true) || row.has_chats)
}

/// `values`: the value is one of them; `exclude_values`: it is none of them.
fn string_matches(filter: Option<&ListCustomersStringFilter>, value: Option<&str>) -> bool {
    let Some(filter) = filter else {
        return true;
    };
    let listed = |values: &Vec<String>| value.is_some_and(|v| values.iter().any(|x| x == v));
    filter.values.as_ref().is_none_or(listed)
        && filter
            .exclude_values
            .as_ref()
            .is_none_or(|values| !listed(values))
}

/// Every comparison of the filter holds for the count (absent: 0).
fn range_matches(filter: Option<&ListCustomersRangeFilter>, value: Option<u64>) -> bool {
    let Some(f) = filter else {
        return true;
    };
    let v = i64::try_from(value.unwrap_or(0)).unwrap_or(i64::MAX);
    f.lte.is_none_or(|b| v <= b)
        && f.lt.is_none_or(|b| v < b)
        && f.gte.is_none_or(|b| v >= b)
        && f.gt.is_none_or(|b| v > b)
        && f.eq.is_none_or(|b| v == b)
}

/// The dates a date filter compares with.
fn date_bounds(filter: &ListCustomersDateRangeFilter) -> impl Iterator<Item = &String> {
    [&filter.lte, &filter.lt, &filter.gte, &filter.gt, &filter.eq]
        .into_iter()
        .flatten()
}

/// Every comparison of the filter holds for the date (an absent date matches no
/// comparison).
fn date_matches(filter: Option<&ListCustomersDateRangeFilter>, value: Option<&str>) -> bool {
    let Some(f) = filter else {
        return true;
    };
    if date_bounds(f).next().is_none() {
        return true;
    }
    let Some(v) = value.and_then(clock::parse) else {
        return false;
    };
    let holds = |bound: &Option<String>, ok: fn(Ordering) -> bool| {
        bound
            .as_deref()
            .is_none_or(|b| clock::parse(b).is_some_and(|b| ok(v.cmp(&b))))
    };
    holds(&f.lte, Ordering::is_le)
        && holds(&f.lt, Ordering::is_lt)
        && holds(&f.gte, Ordering::is_ge)
        && holds(&f.gt, Ordering::is_gt)
        && holds(&f.eq, Ordering::is_eq)
}

/// `values`: a chat of the customer is in one of the groups; `exclude_values`: none is.
fn groups_match(filter: Option<&ListCustomersGroupIdsFilter>, groups: &BTreeSet<GroupId>) -> bool {
    let Some(filter) = filter else {
        return true;
    };
    let any_in = |ids: &Vec<GroupId>| ids.iter().any(|g| groups.contains(g));
    filter.values.as_ref().is_none_or(any_in)
        && filter
            .exclude_values
            .as_ref()
            .is_none_or(|ids| !any_in(ids))
}

/// Sorts by `sort_by` (default `created_at`), ties by creation time, in `order` (default
/// `desc`); an unknown key or order is a `validation` error.
fn sort_rows(
    rows: &mut [Row],
    by: Option<&ListCustomersSortBy>,
    order: Option<&SortOrder>,
) -> Result<(), ApiError> {
    let by = by.cloned().unwrap_or(ListCustomersSortBy::CreatedAt);
    if by.is_unknown() || order.is_some_and(SortOrder::is_unknown) {
        return Err(invalid("Unknown `sort_by` or `sort_order`"));
    }
    let count = |row: &Row, pick: fn(&lc_protocol::types::CustomerStatistics) -> Option<u64>| {
        row.customer.statistics.as_ref().and_then(pick).unwrap_or(0)
    };
    rows.sort_by(|a, b| {
        let primary = match by {
            ListCustomersSortBy::ThreadsCount => {
                count(a, |s| s.threads_count).cmp(&count(b, |s| s.threads_count))
            }
            ListCustomersSortBy::VisitsCount => {
                count(a, |s| s.visits_count).cmp(&count(b, |s| s.visits_count))
            }
            ListCustomersSortBy::AgentLastEvent => a
                .customer
                .agent_last_event_created_at
                .cmp(&b.customer.agent_last_event_created_at),
            ListCustomersSortBy::CustomerLastEvent => a
                .customer
                .customer_last_event_created_at
                .cmp(&b.customer.customer_last_event_created_at),
            _ => Ordering::Equal,
        };
        primary
            .then_with(|| a.customer.created_at.cmp(&b.customer.created_at))
            .then_with(|| a.customer.id.as_str().cmp(b.customer.id.as_str()))
    });
    if order != Some(&SortOrder::Asc) {
        rows.reverse();
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// update_customer

/// `update_customer`: merges the given fields into the customer (session fields by key,
/// `address` and `omnichannel` field by field) and pushes `customer_updated` with `id` and
/// the fields that changed — to the agents that hear about the customer and, as the
/// customer push, to the customer's own connections. Nothing changed: no push.
///
/// [I] No `customer_updated` system message is added to an active chat (the notes say it
/// "may" be): chat threads keep only the events clients and the sandbox's documented
/// operations add.
fn update_customer(ctx: &mut Ctx<'_>, request: agent::UpdateCustomer) -> Result<Empty, ApiError> {
    ctx.agent_id()?;
    check_update(&request, ctx.version)?;
    let id = request.id.clone();
    let rec = ctx
        .state
        .customers
        .get_mut(&id)
        .ok_or_else(|| not_found(format_args!("Customer `{id}`")))?;
    let changed = apply_update(&mut rec.profile, request);
    let unchanged = CustomerUpdated {
        id: id.clone(),
        ..Default::default()
    };
    if changed != unchanged {
        push_to_watchers(ctx, &id, "customer_updated", &changed);
        ctx.state
            .outbox
            .customers(Audience::Customer(id), "customer_updated", &changed);
    }
    Ok(Empty {})
}

/// The request must name a UUIDv4 customer and at least one field; `phone_number`,
/// `omnichannel` and `address` exist from 3.6 on.
fn check_update(request: &agent::UpdateCustomer, version: ApiVersion) -> Result<(), ApiError> {
    let v4 = uuid::Uuid::parse_str(request.id.as_str()).is_ok_and(|u| u.get_version_num() == 4);
    if !v4 {
        return Err(invalid("`id` must be a UUIDv4"));
    }
    let newer = request.phone_number.is_some()
        || request.omnichannel.is_some()
        || request.address.is_some();
    if newer && version < ApiVersion::V3_6 {
        return Err(invalid(
            "`phone_number`, `omnichannel` and `address` are available from 3.6",
        ));
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
            "update_customer needs at least one field besides `id`",
        ))
    }
}

/// Merges the request into `profile`; returns the push payload: `id` and each field whose
/// value changed.
pub(crate) fn apply_update(
    profile: &mut Customer,
    request: agent::UpdateCustomer,
) -> CustomerUpdated {
    let session_fields = request.session_fields.map(|update| {
        merge_session_fields(profile.session_fields.clone().unwrap_or_default(), update)
    });
    let address = request
        .address
        .map(|update| merge_address(profile.address.clone().unwrap_or_default(), update));
    let omnichannel = request
        .omnichannel
        .map(|update| merge_omnichannel(profile.omnichannel.clone().unwrap_or_default(), update));
    CustomerUpdated {
        id: profile.id.clone(),
        name: assign(&mut profile.name, request.name),
        email: assign(&mut profile.email, request.email),
        avatar: assign(&mut profile.avatar, request.avatar),
        phone_number: assign(&mut profile.phone_number, request.phone_number),
        session_fields: assign(&mut profile.session_fields, session_fields),
        address: assign(&mut profile.address, address),
        omnichannel: assign(&mut profile.omnichannel, omnichannel),
        ..Default::default()
    }
}

/// Stores `new` in `slot` when given and different; returns it when it changed.
fn assign<T: PartialEq + Clone>(slot: &mut Option<T>, new: Option<T>) -> Option<T> {
    let new = new?;
    if slot.as_ref() == Some(&new) {
        return None;
    }
    *slot = Some(new.clone());
    Some(new)
}

/// Session fields merged by key: known keys keep their place, new ones are appended.
fn merge_session_fields(mut fields: SessionFields, update: SessionFields) -> SessionFields {
    for (key, value) in update.into_iter().flatten() {
        match fields.iter_mut().find(|entry| entry.contains_key(&key)) {
            Some(entry) => {
                entry.insert(key, value);
            }
            None => fields.push(BTreeMap::from([(key, value)])),
        }
    }
    fields
}

/// The address with each given part replaced.
fn merge_address(current: Address, update: Address) -> Address {
    Address {
        address: update.address.or(current.address),
        city: update.city.or(current.city),
        country: update.country.or(current.country),
        state: update.state.or(current.state),
        postal_code: update.postal_code.or(current.postal_code),
        extra: current.extra.into_iter().chain(update.extra).collect(),
    }
}

/// The omnichannel identities with each given channel replaced.
fn merge_omnichannel(mut current: Omnichannel, update: UpdateCustomerOmnichannel) -> Omnichannel {
    if let Some(fb) = update.fbmessenger {
        current.fbmessenger = Some(OmnichannelFbMessenger {
            id: fb.id,
            name: fb.name,
            first_name: fb.first_name,
            last_name: fb.last_name,
            profile_pic: fb.profile_pic,
            gender: fb.gender,
            locale: fb.locale,
            is_verified_user: fb.is_verified_user,
        });
    }
    if let Some(twilio) = update.twilio {
        current.twilio = Some(json!({ "phone_number": twilio.phone_number }));
    }
    current
}

// ---------------------------------------------------------------------------------------
// ban_customer

/// `ban_customer` (§8 item 23): every RTM connection of the customer gets
/// `customer_disconnected` ([`BAN_REASON`]) and closes once the response is sent; logins
/// fail with `customer_banned` until the ban ends; `customer_banned` is pushed to the
/// agents that hear about the customer. `days` must be at least 1 ([I]).
fn ban_customer(ctx: &mut Ctx<'_>, request: agent::BanCustomer) -> Result<Empty, ApiError> {
    ctx.agent_id()?;
    let days = request.ban.days;
    if days == 0 {
        return Err(invalid("`ban.days` must be at least 1"));
    }
    let id = request.id;
    let rec = ctx
        .state
        .customers
        .get_mut(&id)
        .ok_or_else(|| not_found(format_args!("Customer `{id}`")))?;
    let length = Duration::from_secs(u64::from(days.min(MAX_BAN_DAYS)) * 86_400);
    rec.banned_until = Instant::now().checked_add(length);
    let payload = json!({ "customer_id": id, "ban": { "days": days } });
    push_to_watchers(ctx, &id, "customer_banned", &payload);
    let who = Some(Principal::Customer(id.clone()));
    let conns: Vec<ConnId> = ctx
        .state
        .conns
        .iter()
        .filter(|(_, c)| c.principal == who)
        .map(|(conn, _)| *conn)
        .collect();
    for conn in conns {
        ctx.state.outbox.close_after(conn, Some(BAN_REASON));
    }
    Ok(Empty {})
}

// ---------------------------------------------------------------------------------------
// follow_customer, unfollow_customer (3.3)

/// `follow_customer` (3.3): the requester hears about the customer from now on; its
/// connections get `incoming_customer`.
fn follow_customer(ctx: &mut Ctx<'_>, request: agent::FollowCustomer) -> Result<Empty, ApiError> {
    let me = ctx.agent_id()?;
    known(ctx.state, &request.id)?;
    if let Some(agent) = ctx.state.agents.get_mut(&me) {
        agent.session.followed_customers.insert(request.id.clone());
    }
    let view = agent_view(ctx.state, &request.id, ctx.version);
    ctx.state
        .outbox
        .agents(Audience::Agents(vec![me]), "incoming_customer", &view);
    Ok(Empty {})
}

/// `unfollow_customer` (3.3): the requester stops following the customer; its
/// connections get `customer_unfollowed` (only when it did follow).
fn unfollow_customer(
    ctx: &mut Ctx<'_>,
    request: agent::UnfollowCustomer,
) -> Result<Empty, ApiError> {
    let me = ctx.agent_id()?;
    known(ctx.state, &request.id)?;
    let followed = ctx
        .state
        .agents
        .get_mut(&me)
        .is_some_and(|a| a.session.followed_customers.remove(&request.id));
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
/// tells the total once ([I]: the real service repeats it periodically).
fn subscribe_customers(
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

/// `unsubscribe_customers` (3.6, RTM): ends a subscription of this connection;
/// `not_found` for an id it does not hold.
fn unsubscribe_customers(
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
        });
    match removed {
        Some(_) => Ok(Empty {}),
        None => Err(not_found(format_args!(
            "Subscription `{}`",
            request.subscription_id
        ))),
    }
}
