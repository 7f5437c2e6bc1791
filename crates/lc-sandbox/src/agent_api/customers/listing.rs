//! `list_customers` (3.3–3.5): its query, filters and order.

use super::view::{agent_view, chat_groups, chats_of};
use crate::clock;
use crate::handler::{Ctx, invalid};
use crate::pagination;
use crate::state::State;
use lc_protocol::ApiVersion;
use lc_protocol::agent::{
    self, ListCustomersDateRangeFilter, ListCustomersFilters, ListCustomersGroupIdsFilter,
    ListCustomersRangeFilter, ListCustomersSortBy, ListCustomersStringFilter,
};
use lc_protocol::error::ApiError;
use lc_protocol::id::{CustomerId, GroupId};
use lc_protocol::types::{Customer, SortOrder};
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::BTreeSet;

/// Most group ids a list_customers `chat_group_ids` filter may hold.
const MAX_FILTER_GROUPS: usize = 40;

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
pub(super) fn list_customers(
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
        row.customer
            .statistics
            .as_deref()
            .and_then(pick)
            .unwrap_or(0)
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
