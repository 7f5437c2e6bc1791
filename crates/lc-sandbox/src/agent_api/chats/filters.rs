//! Filter plumbing shared by the listings: limits on value lists, time ranges, and
//! filters on properties and on value sets.

use crate::clock;
use crate::handler::invalid;
use lc_protocol::agent;
use lc_protocol::error::ApiError;
use lc_protocol::id::GroupId;
use lc_protocol::types::Access;
use serde_json::Value;
use std::collections::BTreeMap;
use time::OffsetDateTime;

/// `validation` when the filter `name` lists more than `max` values.
pub(super) fn at_most<T>(name: &str, values: Option<&Vec<T>>, max: usize) -> Result<(), ApiError> {
    match values {
        Some(values) if values.len() > max => Err(invalid(format!(
            "`filters.{name}` takes at most {max} values"
        ))),
        _ => Ok(()),
    }
}

/// `validation` unless exactly one of a filter's alternatives (`set`) is given.
fn one_kind(set: &[bool], what: &str) -> Result<(), ApiError> {
    if set.iter().filter(|given| **given).count() == 1 {
        Ok(())
    } else {
        Err(invalid(format!(
            "`filters.{what}` takes exactly one filter type"
        )))
    }
}

/// Whether `access` names one of the `wanted` groups (no filter: always).
pub(super) fn groups_overlap(wanted: Option<&[GroupId]>, access: &Access) -> bool {
    wanted.is_none_or(|wanted| access.group_ids.iter().any(|g| wanted.contains(g)))
}

/// An inclusive range of `from` / `to` filters.
#[derive(Debug, Default)]
pub(super) struct TimeRange {
    from: Option<OffsetDateTime>,
    to: Option<OffsetDateTime>,
}

impl TimeRange {
    /// Parses RFC 3339 bounds; `validation` for a malformed one.
    pub(super) fn parse(from: Option<&str>, to: Option<&str>) -> Result<Self, ApiError> {
        let bound = |name: &str, text: Option<&str>| {
            text.map(|t| {
                clock::parse(t).ok_or_else(|| {
                    invalid(format!(
                        "`filters.{name}` must be an RFC 3339 date-time, not `{t}`"
                    ))
                })
            })
            .transpose()
        };
        Ok(Self {
            from: bound("from", from)?,
            to: bound("to", to)?,
        })
    }

    /// Whether the timestamp `stamp` lies in the range.
    pub(super) fn contains(&self, stamp: &str) -> bool {
        let Some(at) = clock::parse(stamp) else {
            return self.from.is_none() && self.to.is_none();
        };
        self.from.is_none_or(|from| at >= from) && self.to.is_none_or(|to| at <= to)
    }
}

// ---------------------------------------------------------------------------------------
// Filters on properties and value sets
// ---------------------------------------------------------------------------------------

/// `{namespace: {name: filter}}`, as `list_chats` and `list_archives` take them.
pub(super) type PropertyFilters = BTreeMap<String, BTreeMap<String, agent::ChatPropertyFilter>>;

/// `validation` unless every property filter has exactly one filter type.
pub(super) fn check_property_filters(filters: Option<&PropertyFilters>) -> Result<(), ApiError> {
    for (namespace, names) in filters.into_iter().flatten() {
        for (name, filter) in names {
            let kinds = [
                filter.exists.is_some(),
                filter.values.is_some(),
                filter.exclude_values.is_some(),
            ];
            one_kind(&kinds, &format!("properties.{namespace}.{name}"))?;
        }
    }
    Ok(())
}

/// Whether every property filter accepts the value `lookup` finds.
pub(super) fn properties_match<'v>(
    filters: Option<&PropertyFilters>,
    lookup: impl Fn(&str, &str) -> Option<&'v Value>,
) -> bool {
    filters.into_iter().flatten().all(|(namespace, names)| {
        names
            .iter()
            .all(|(name, filter)| property_matches(filter, lookup(namespace, name)))
    })
}

/// Whether one property filter accepts `value` (`None`: the property is not set).
fn property_matches(filter: &agent::ChatPropertyFilter, value: Option<&Value>) -> bool {
    match (filter.exists, &filter.values, &filter.exclude_values) {
        (Some(exists), _, _) => value.is_some() == exists,
        (None, Some(values), _) => value.is_some_and(|v| values.contains(v)),
        (None, None, Some(excluded)) => value.is_none_or(|v| !excluded.contains(v)),
        (None, None, None) => true,
    }
}

/// A `list_archives` filter on a set of values (agents, tags, event types, ...): one of
/// `exists`, `values`, `exclude_values`, with `require_every_value`.
pub(super) struct SetFilter<'f, T> {
    exists: Option<bool>,
    values: Option<&'f [T]>,
    exclude_values: Option<&'f [T]>,
    every: bool,
}

impl<T: PartialEq> SetFilter<'_, T> {
    /// `validation` unless exactly one filter type is given.
    pub(super) fn check(&self, what: &str) -> Result<(), ApiError> {
        let kinds = [
            self.exists.is_some(),
            self.values.is_some(),
            self.exclude_values.is_some(),
        ];
        one_kind(&kinds, what)
    }

    /// Whether a thread having the values `have` passes. With `require_every_value`,
    /// `values` needs all of them and `exclude_values` excludes only threads having all.
    fn matches(&self, have: &[T]) -> bool {
        let has = |v: &T| have.contains(v);
        let test = |list: &[T]| {
            if self.every {
                list.iter().all(has)
            } else {
                list.iter().any(has)
            }
        };
        match (self.exists, self.values, self.exclude_values) {
            (Some(exists), _, _) => have.is_empty() != exists,
            (None, Some(values), _) => test(values),
            (None, None, Some(excluded)) => !test(excluded),
            (None, None, None) => true,
        }
    }
}

impl<'f> From<&'f agent::ListArchivesStringFilter> for SetFilter<'f, String> {
    fn from(f: &'f agent::ListArchivesStringFilter) -> Self {
        Self {
            exists: f.exists,
            values: f.values.as_deref(),
            exclude_values: f.exclude_values.as_deref(),
            every: f.require_every_value.unwrap_or(false),
        }
    }
}

impl<'f> From<&'f agent::ListArchivesIntFilter> for SetFilter<'f, i64> {
    fn from(f: &'f agent::ListArchivesIntFilter) -> Self {
        Self {
            exists: f.exists,
            values: f.values.as_deref(),
            exclude_values: f.exclude_values.as_deref(),
            every: f.require_every_value.unwrap_or(false),
        }
    }
}

impl<'f> From<&'f agent::ListArchivesEventTypesFilter> for SetFilter<'f, String> {
    fn from(f: &'f agent::ListArchivesEventTypesFilter) -> Self {
        Self {
            exists: None,
            values: f.values.as_deref(),
            exclude_values: f.exclude_values.as_deref(),
            every: f.require_every_value.unwrap_or(false),
        }
    }
}

/// Whether the optional set filter `filter` accepts `have`.
pub(super) fn set_matches<'f, T: PartialEq + 'f, F>(
    filter: Option<&'f F>,
    have: impl FnOnce() -> Vec<T>,
) -> bool
where
    SetFilter<'f, T>: From<&'f F>,
{
    filter.is_none_or(|f| SetFilter::from(f).matches(&have()))
}
