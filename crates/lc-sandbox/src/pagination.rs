//! Opaque pagination cursors, bound to the filters, limit and order of the first request.
//!
//! The first request of a listing carries its filters, `limit` and `sort_order`; the
//! response names the next (and previous) page with a `page_id`. Later requests send only
//! `page_id` (and the ids the action needs): sending filters, `limit` or `sort_order` with
//! it is a `validation` error, as on the real service.

use crate::cursors::Cursor;
use crate::handler::invalid;
use crate::state::{Principal, State};
use lc_protocol::error::ApiError;
use lc_protocol::id::PageId;
use serde_json::Value;

/// What the first request asked for, or what a cursor remembers.
#[derive(Debug, Clone)]
pub(crate) struct Query {
    /// Filters and ordering, as JSON (action-specific).
    pub(crate) params: Value,
    /// Page size.
    pub(crate) limit: usize,
    /// Index of the first item of the page.
    pub(crate) offset: usize,
}

/// Resolves the query of a listing request.
///
/// `params` holds the request's filters and order (`Value::Null` when it sent none),
/// `limit` its page size; with a `page_id` both must be absent.
fn resolve(
    state: &State,
    who: &Principal,
    action: &str,
    page_id: Option<&PageId>,
    params: Value,
    limit: Option<u32>,
    (default_limit, max_limit): (u32, u32),
) -> Result<Query, ApiError> {
    match page_id {
        Some(page_id) => {
            if !params.is_null() || limit.is_some() {
                return Err(invalid(
                    "`filters`, `limit` and `sort_order` cannot be sent with `page_id`",
                ));
            }
            let cursor = state
                .cursors
                .get(page_id.as_str(), std::time::Instant::now())
                .filter(|c| c.owner.0 == action && &c.owner.1 == who)
                .ok_or_else(|| invalid("Invalid `page_id`"))?;
            let limit = cursor
                .query
                .get("limit")
                .and_then(Value::as_u64)
                .unwrap_or(u64::from(default_limit));
            Ok(Query {
                params: cursor.query["params"].clone(),
                limit: limit as usize,
                offset: cursor.offset,
            })
        }
        None => {
            let limit = limit.unwrap_or(default_limit);
            if limit == 0 || limit > max_limit {
                return Err(invalid(format!(
                    "`limit` must be between 1 and {max_limit}"
                )));
            }
            Ok(Query {
                params,
                limit: limit as usize,
                offset: 0,
            })
        }
    }
}

/// One page of `items` (already filtered and ordered) with cursors to its neighbours.
pub(crate) struct Page<T> {
    pub(crate) items: Vec<T>,
    pub(crate) total: usize,
    pub(crate) next_page_id: Option<PageId>,
    pub(crate) previous_page_id: Option<PageId>,
}

/// Cuts the page `query` asks for out of `items` and mints the neighbours' cursors.
pub(crate) fn page<T>(
    state: &mut State,
    who: &Principal,
    action: &str,
    query: &Query,
    items: Vec<T>,
) -> Page<T> {
    let total = items.len();
    let start = query.offset.min(total);
    let end = (start + query.limit).min(total);
    let next_page_id = (end < total).then(|| mint(state, who, action, query, end));
    let previous_page_id =
        (start > 0).then(|| mint(state, who, action, query, start.saturating_sub(query.limit)));
    let items = items.into_iter().skip(start).take(end - start).collect();
    Page {
        items,
        total,
        next_page_id,
        previous_page_id,
    }
}

fn mint(state: &mut State, who: &Principal, action: &str, query: &Query, offset: usize) -> PageId {
    let id = format!("{}", uuid::Uuid::new_v4().simple());
    let remembered = serde_json::json!({ "params": query.params, "limit": query.limit });
    let cursor = Cursor {
        owner: (action.to_owned(), who.clone()),
        query: remembered,
        offset,
    };
    state
        .cursors
        .insert(id.clone(), cursor, std::time::Instant::now());
    PageId::new(id)
}

/// [`resolve`] with typed parameters: `sent` holds what the request carried besides
/// `page_id` and `limit` (nothing, with a `page_id`: `validation` otherwise); returns what
/// the first request of the listing carried, and the page to cut.
pub(crate) fn resolve_typed<P>(
    state: &State,
    who: &Principal,
    action: &str,
    page_id: Option<&PageId>,
    sent: &P,
    limit: Option<u32>,
    (default_limit, max_limit): (u32, u32),
) -> Result<(P, Query), ApiError>
where
    P: serde::Serialize + serde::de::DeserializeOwned + Default,
{
    let internal = |e: serde_json::Error| {
        crate::handler::err(lc_protocol::error::ErrorType::Internal, e.to_string())
    };
    let params = match serde_json::to_value(sent).map_err(internal)? {
        Value::Object(map) if !map.is_empty() => Value::Object(map),
        _ => Value::Null,
    };
    let query = resolve(
        state,
        who,
        action,
        page_id,
        params,
        limit,
        (default_limit, max_limit),
    )?;
    let remembered = match &query.params {
        Value::Null => P::default(),
        params => serde_json::from_value(params.clone()).map_err(internal)?,
    };
    Ok((remembered, query))
}

/// Whether a listing goes newest first (the default); `validation` for an unknown order.
pub(crate) fn newest_first(
    order: Option<&lc_protocol::types::SortOrder>,
) -> Result<bool, ApiError> {
    use lc_protocol::types::SortOrder;
    match order {
        None | Some(SortOrder::Desc) => Ok(true),
        Some(SortOrder::Asc) => Ok(false),
        Some(other) => Err(invalid(format!("Unknown `sort_order` `{other}`"))),
    }
}

/// `items` ascending by `key`, or descending when `newest_first`.
pub(crate) fn ordered<T, K: Ord>(
    mut items: Vec<T>,
    key: impl Fn(&T) -> K,
    newest_first: bool,
) -> Vec<T> {
    items.sort_by_key(|item| key(item));
    if newest_first {
        items.reverse();
    }
    items
}
