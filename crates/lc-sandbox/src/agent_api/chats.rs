//! Agent actions on chats: listings (`list_chats`, `list_threads`, `get_chat`,
//! `list_archives`), starting, resuming and closing chats, following them, their access
//! (3.3 `grant_chat_access` / `revoke_chat_access`, `transfer_chat`) and their users
//! (`add_user_to_chat`, `remove_user_from_chat`, `list_agents_for_transfer`).
//!
//! Choices where the protocol notes are silent ([I]):
//! - a thread is readable by the chat's users and followers and by the agents having the
//!   thread's access; an unreadable thread is `not_found`, as an invisible chat is;
//! - errors the agent API does not document for a case (a resumed chat that is active, a
//!   transfer with no available agent, a target without access) are `validation` errors;
//! - pushes about users who leave a chat (transfer, removal) also reach those users: their
//!   audience is taken before the change.

use crate::chat_ops::{self, NewThread};
use crate::clock;
use crate::dispatch::{Ctx, Reply, err, invalid, not_found, run};
use crate::pagination;
use crate::push::Audience;
use crate::state::{ChatRec, ChatUserRec, Principal, State, ThreadRec};
use crate::views;
use lc_protocol::agent::{self, push as agent_push};
use lc_protocol::customer::push as customer_push;
use lc_protocol::error::{ApiError, ErrorType};
use lc_protocol::id::{AgentId, ChatId, CustomerId, GroupId, ThreadId, UserId};
use lc_protocol::types::{
    Access, AgentForTransfer, Chat, Event, RoutingStatus, SortOrder, TransferReason,
    TransferTargetType, TransferredFrom, UserType, Visibility,
};
use lc_protocol::{Api, ApiVersion, Empty};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;
use std::collections::BTreeMap;
use time::OffsetDateTime;

/// Handles the chat actions; `None` for actions of other topics.
pub(super) fn handle(ctx: &mut Ctx<'_>, action: &str, payload: &RawValue) -> Option<Reply> {
    Some(match action {
        "list_chats" => run(ctx, payload, list_chats),
        "list_threads" => run(ctx, payload, list_threads),
        "get_chat" => run(ctx, payload, get_chat),
        "list_archives" => run(ctx, payload, list_archives),
        "start_chat" => run(ctx, payload, start_chat),
        "resume_chat" => run(ctx, payload, resume_chat),
        "deactivate_chat" => run(ctx, payload, deactivate_chat),
        "follow_chat" => run(ctx, payload, follow_chat),
        "unfollow_chat" => run(ctx, payload, unfollow_chat),
        "grant_chat_access" => run(ctx, payload, grant_chat_access),
        "revoke_chat_access" => run(ctx, payload, revoke_chat_access),
        "transfer_chat" => run(ctx, payload, transfer_chat),
        "add_user_to_chat" => run(ctx, payload, add_user_to_chat),
        "remove_user_from_chat" => run(ctx, payload, remove_user_from_chat),
        "list_agents_for_transfer" => run(ctx, payload, list_agents_for_transfer),
        _ => return None,
    })
}

// ---------------------------------------------------------------------------------------
// Listings
// ---------------------------------------------------------------------------------------

/// What a `list_chats` cursor remembers of the first request.
#[derive(Debug, Default, Serialize, Deserialize)]
struct ChatsQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    filters: Option<agent::ListChatsFilters>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sort_order: Option<SortOrder>,
}

/// `list_chats`: summaries of the chats the requester can see, by the creation of their
/// last thread (newest first by default), filtered and paginated.
fn list_chats(
    ctx: &mut Ctx<'_>,
    request: agent::ListChats,
) -> Result<agent::ListChatsResponse, ApiError> {
    let sent = ChatsQuery {
        filters: request.filters,
        sort_order: request.sort_order,
    };
    let (params, query) = pagination::resolve_typed(
        ctx.state,
        &ctx.who,
        "list_chats",
        request.page_id.as_ref(),
        &sent,
        request.limit,
        (10, 100),
    )?;
    let filters = params.filters.unwrap_or_default();
    at_most("group_ids", filters.group_ids.as_ref(), 200)?;
    check_property_filters(filters.properties.as_ref())?;
    let newest_first = pagination::newest_first(params.sort_order.as_ref())?;
    let state = &*ctx.state;
    let chats: Vec<&ChatRec> = state
        .chats
        .values()
        .filter(|c| state.can_see_chat(&ctx.who, c) && chat_matches(ctx.version, &filters, c))
        .collect();
    let ids: Vec<ChatId> = pagination::ordered(chats, last_thread_key, newest_first)
        .into_iter()
        .map(|c| c.id.clone())
        .collect();
    let page = pagination::page(ctx.state, &ctx.who, "list_chats", &query, ids);
    let state = &*ctx.state;
    let chats_summary = page
        .items
        .iter()
        .filter_map(|id| state.chats.get(id))
        .map(|c| views::chat_summary_view(state, c, &ctx.who))
        .collect();
    Ok(agent::ListChatsResponse {
        chats_summary,
        found_chats: page.total as u64,
        next_page_id: page.next_page_id,
        previous_page_id: page.previous_page_id,
        ..Default::default()
    })
}

/// The order of `list_chats`: the creation of the last thread (chats without threads
/// first), then the creation of the chat.
fn last_thread_key<'c>(chat: &&'c ChatRec) -> (Option<&'c str>, u64) {
    let chat: &'c ChatRec = chat;
    (chat.threads.last().map(|t| t.created_at.as_str()), chat.seq)
}

/// Whether `chat` passes the `list_chats` filters: `active` since 3.6,
/// `include_active` (default `true`) before.
fn chat_matches(version: ApiVersion, filters: &agent::ListChatsFilters, chat: &ChatRec) -> bool {
    let active = chat.is_active();
    let activity = if version >= ApiVersion::V3_6 {
        filters.active.is_none_or(|wanted| wanted == active)
    } else {
        filters.include_active.unwrap_or(true) || !active
    };
    activity
        && (filters.include_chats_without_threads.unwrap_or(true) || !chat.threads.is_empty())
        && groups_overlap(filters.group_ids.as_deref(), &chat.access)
        && properties_match(filters.properties.as_ref(), |namespace, name| {
            chat.properties.get(namespace, name)
        })
}

/// What a `list_threads` cursor remembers of the first request (the chat included, so
/// that a cursor cannot be used for another chat).
#[derive(Debug, Default, Serialize, Deserialize)]
struct ThreadsQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    chat_id: Option<ChatId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sort_order: Option<SortOrder>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    min_events_count: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    filters: Option<agent::ListThreadsFilters>,
}

/// `list_threads`: the readable threads of a chat, newest first by default, three per page
/// by default.
fn list_threads(
    ctx: &mut Ctx<'_>,
    request: agent::ListThreads,
) -> Result<agent::ListThreadsResponse, ApiError> {
    if request.min_events_count.is_some() && (request.limit.is_some() || request.filters.is_some())
    {
        return Err(invalid(
            "`min_events_count` cannot be used with `limit` or `filters`",
        ));
    }
    if request
        .min_events_count
        .is_some_and(|n| !(1..=100).contains(&n))
    {
        return Err(invalid("`min_events_count` must be between 1 and 100"));
    }
    let sent = ThreadsQuery {
        chat_id: request.page_id.is_none().then(|| request.chat_id.clone()),
        sort_order: request.sort_order,
        min_events_count: request.min_events_count,
        filters: request.filters,
    };
    let (params, query) = pagination::resolve_typed(
        ctx.state,
        &ctx.who,
        "list_threads",
        request.page_id.as_ref(),
        &sent,
        request.limit,
        (3, 100),
    )?;
    if params.chat_id.as_ref() != Some(&request.chat_id) {
        return Err(invalid("`page_id` belongs to another chat"));
    }
    let newest_first = pagination::newest_first(params.sort_order.as_ref())?;
    let filters = params.filters.unwrap_or_default();
    let range = TimeRange::parse(filters.from.as_deref(), filters.to.as_deref())?;
    let state = &*ctx.state;
    let chat = chat_ops::visible_chat(state, &ctx.who, &request.chat_id)?;
    let threads: Vec<&ThreadRec> = chat
        .threads
        .iter()
        .filter(|t| thread_readable(state, &ctx.who, chat, t) && range.contains(&t.created_at))
        .collect();
    if let Some(min) = params.min_events_count {
        return Ok(latest_threads(chat, &threads, min, newest_first));
    }
    let ids: Vec<ThreadId> = pagination::ordered(threads, |t| t.created_at.as_str(), newest_first)
        .into_iter()
        .map(|t| t.id.clone())
        .collect();
    let page = pagination::page(ctx.state, &ctx.who, "list_threads", &query, ids);
    let chat = chat_ops::visible_chat(ctx.state, &ctx.who, &request.chat_id)?;
    let threads = page
        .items
        .iter()
        .filter_map(|id| chat.thread(id))
        .map(|t| views::thread_view(chat, t, Api::Agent))
        .collect();
    Ok(agent::ListThreadsResponse {
        threads,
        found_threads: page.total as u64,
        next_page_id: page.next_page_id,
        previous_page_id: page.previous_page_id,
        ..Default::default()
    })
}

/// `list_threads` with `min_events_count`: as many of the latest `threads` (in creation
/// order) as needed to reach `min` events, in the requested order, on one page ([I] no
/// cursors).
fn latest_threads(
    chat: &ChatRec,
    threads: &[&ThreadRec],
    min: u32,
    newest_first: bool,
) -> agent::ListThreadsResponse {
    let mut events = 0usize;
    let needed = threads
        .iter()
        .rev()
        .take_while(|t| {
            let missing = events < min as usize;
            events += t.events.len();
            missing
        })
        .count();
    let latest = threads.get(threads.len() - needed..).unwrap_or_default();
    let mut views: Vec<_> = latest
        .iter()
        .map(|t| views::thread_view(chat, t, Api::Agent))
        .collect();
    if newest_first {
        views.reverse();
    }
    agent::ListThreadsResponse {
        threads: views,
        found_threads: threads.len() as u64,
        ..Default::default()
    }
}

/// `get_chat`: the chat with one readable thread (the requested one, by default the
/// latest readable one).
fn get_chat(
    ctx: &mut Ctx<'_>,
    request: agent::GetChat,
) -> Result<agent::GetChatResponse, ApiError> {
    let state = &*ctx.state;
    let chat = chat_ops::visible_chat(state, &ctx.who, &request.chat_id)?;
    let readable = |t: &&ThreadRec| thread_readable(state, &ctx.who, chat, t);
    let thread = match &request.thread_id {
        Some(id) => Some(
            chat.thread(id)
                .filter(readable)
                .ok_or_else(|| not_found(format_args!("Thread `{id}`")))?,
        ),
        None => chat.threads.iter().rev().find(readable),
    };
    let view = views::chat_view(state, chat, thread, &ctx.who);
    Ok(agent::GetChatResponse {
        id: view.id,
        thread: view.thread,
        users: view.users,
        properties: view.properties,
        access: view.access,
        is_followed: view.is_followed.unwrap_or(false),
        ..Default::default()
    })
}

/// What a `list_archives` cursor remembers of the first request.
#[derive(Debug, Default, Serialize, Deserialize)]
struct ArchivesQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    filters: Option<agent::ListArchivesFilters>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sort_order: Option<SortOrder>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    highlights: Option<agent::ListArchivesHighlights>,
}

/// `list_archives`: one entry per readable (chat, thread), by thread creation (newest first
/// by default), filtered and paginated.
///
/// With `highlights`, the matches of `filters.query` are wrapped in `pre_tag` / `post_tag`
/// ([I] in place, in the `text` of the returned `message` events; the stored events are
/// unchanged). `highlights` may also come with a `page_id` (it is not a filter); without
/// it, later pages highlight as the first one did.
fn list_archives(
    ctx: &mut Ctx<'_>,
    request: agent::ListArchives,
) -> Result<agent::ListArchivesResponse, ApiError> {
    let first_page = request.page_id.is_none();
    let sent = ArchivesQuery {
        filters: request.filters,
        sort_order: request.sort_order,
        highlights: request.highlights.clone().filter(|_| first_page),
    };
    let (params, mut query) = pagination::resolve_typed(
        ctx.state,
        &ctx.who,
        "list_archives",
        request.page_id.as_ref(),
        &sent,
        request.limit,
        (10, 100),
    )?;
    let filters = params.filters.unwrap_or_default();
    let filter = ArchiveFilter::new(&filters)?;
    if filters.thread_ids.is_some() {
        // At most 20 threads and no pagination: one page holds them all.
        query.limit = query.limit.max(20);
    }
    let newest_first = pagination::newest_first(params.sort_order.as_ref())?;
    let tags = request.highlights.or(params.highlights).map(|h| {
        (
            h.pre_tag.unwrap_or_else(|| "<em>".to_owned()),
            h.post_tag.unwrap_or_else(|| "</em>".to_owned()),
        )
    });
    let state = &*ctx.state;
    let entries: Vec<(&ChatRec, &ThreadRec)> = state
        .chats
        .values()
        .filter(|c| state.can_see_chat(&ctx.who, c))
        .flat_map(|c| c.threads.iter().map(move |t| (c, t)))
        .filter(|(c, t)| thread_readable(state, &ctx.who, c, t) && filter.matches(state, c, t))
        .collect();
    let ids: Vec<(ChatId, ThreadId)> = pagination::ordered(
        entries,
        |(c, t)| (t.created_at.as_str(), c.seq),
        newest_first,
    )
    .into_iter()
    .map(|(c, t)| (c.id.clone(), t.id.clone()))
    .collect();
    let page = pagination::page(ctx.state, &ctx.who, "list_archives", &query, ids);
    let state = &*ctx.state;
    let chats = page
        .items
        .iter()
        .filter_map(|(chat_id, thread_id)| archive_entry(state, &ctx.who, chat_id, thread_id))
        .map(|mut chat| {
            if let Some((pre, post)) = &tags {
                highlight_chat(&mut chat, &filter.terms, pre, post);
            }
            chat
        })
        .collect();
    Ok(agent::ListArchivesResponse {
        chats,
        found_chats: page.total as u64,
        next_page_id: page.next_page_id,
        previous_page_id: page.previous_page_id,
        ..Default::default()
    })
}

/// One `list_archives` entry: the chat with one thread, and the thread's readable
/// neighbours.
fn archive_entry(
    state: &State,
    who: &Principal,
    chat_id: &ChatId,
    thread_id: &ThreadId,
) -> Option<Chat> {
    let chat = state.chats.get(chat_id)?;
    let index = chat.threads.iter().position(|t| &t.id == thread_id)?;
    let (before, from) = chat.threads.split_at(index);
    let thread = from.first()?;
    let mut view = views::chat_view(state, chat, Some(thread), who);
    let readable = |t: &&ThreadRec| thread_readable(state, who, chat, t);
    if let Some(t) = view.thread.as_mut() {
        t.previous_accessible_thread_id = before.iter().rev().find(readable).map(|t| t.id.clone());
        t.next_accessible_thread_id = from.iter().skip(1).find(readable).map(|t| t.id.clone());
    }
    Some(view)
}

// ---------------------------------------------------------------------------------------
// Listing plumbing
// ---------------------------------------------------------------------------------------

/// `validation` when the filter `name` lists more than `max` values.
fn at_most<T>(name: &str, values: Option<&Vec<T>>, max: usize) -> Result<(), ApiError> {
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
fn groups_overlap(wanted: Option<&[GroupId]>, access: &Access) -> bool {
    wanted.is_none_or(|wanted| access.group_ids.iter().any(|g| wanted.contains(g)))
}

/// Whether `who` may read `thread` of `chat`: the chat's users and followers read every
/// thread, other agents the threads whose access they have.
fn thread_readable(state: &State, who: &Principal, chat: &ChatRec, thread: &ThreadRec) -> bool {
    match who {
        Principal::Agent(id) => {
            chat.user(who).is_some()
                || chat.followers.contains(id)
                || state.agent_has_access(id, &thread.access)
        }
        Principal::Customer(id) => chat.customer() == Some(id),
    }
}

/// An inclusive range of `from` / `to` filters.
#[derive(Debug, Default)]
struct TimeRange {
    from: Option<OffsetDateTime>,
    to: Option<OffsetDateTime>,
}

impl TimeRange {
    /// Parses RFC 3339 bounds; `validation` for a malformed one.
    fn parse(from: Option<&str>, to: Option<&str>) -> Result<Self, ApiError> {
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
    fn contains(&self, stamp: &str) -> bool {
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
type PropertyFilters = BTreeMap<String, BTreeMap<String, agent::ChatPropertyFilter>>;

/// `validation` unless every property filter has exactly one filter type.
fn check_property_filters(filters: Option<&PropertyFilters>) -> Result<(), ApiError> {
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
fn properties_match<'v>(
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
struct SetFilter<'f, T> {
    exists: Option<bool>,
    values: Option<&'f [T]>,
    exclude_values: Option<&'f [T]>,
    every: bool,
}

impl<T: PartialEq> SetFilter<'_, T> {
    /// `validation` unless exactly one filter type is given.
    fn check(&self, what: &str) -> Result<(), ApiError> {
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
fn set_matches<'f, T: PartialEq + 'f, F>(
    filter: Option<&'f F>,
    have: impl FnOnce() -> Vec<T>,
) -> bool
where
    SetFilter<'f, T>: From<&'f F>,
{
    filter.is_none_or(|f| SetFilter::from(f).matches(&have()))
}

// ---------------------------------------------------------------------------------------
// list_archives filters
// ---------------------------------------------------------------------------------------

/// `list_archives` filters, checked, ready to match (chat, thread) entries.
///
/// [I] The sandbox records no sales, goals, greetings, surveys or forms: filters on them
/// match only when they ask for absence (`exists: false`) or exclusion. `properties` look
/// at the thread's properties, then at the chat's. `agents` are the chat's agents and the
/// agents who wrote in the thread; `agent_response` looks at the agents' messages.
struct ArchiveFilter<'f> {
    filters: &'f agent::ListArchivesFilters,
    range: TimeRange,
    /// The words of `query`: each must occur (ignoring case) in a message of the thread.
    terms: Vec<&'f str>,
}

impl<'f> ArchiveFilter<'f> {
    /// Checks `filters` (`validation` for a bad one).
    fn new(filters: &'f agent::ListArchivesFilters) -> Result<Self, ApiError> {
        at_most("chat_ids", filters.chat_ids.as_ref(), 1000)?;
        at_most("thread_ids", filters.thread_ids.as_ref(), 20)?;
        at_most("group_ids", filters.group_ids.as_ref(), 200)?;
        if filters.thread_ids.is_some() {
            let others = agent::ListArchivesFilters {
                thread_ids: None,
                ..filters.clone()
            };
            if others != agent::ListArchivesFilters::default() {
                return Err(invalid(
                    "`filters.thread_ids` cannot be combined with other filters",
                ));
            }
        }
        check_property_filters(filters.properties.as_ref())?;
        let strings = [
            ("agents", &filters.agents),
            ("tags", &filters.tags),
            ("customer_countries", &filters.customer_countries),
        ];
        for (what, filter) in strings {
            if let Some(filter) = filter {
                SetFilter::<String>::from(filter).check(what)?;
            }
        }
        for (what, filter) in [("sales", &filters.sales), ("goals", &filters.goals)] {
            if let Some(filter) = filter {
                SetFilter::<i64>::from(filter).check(what)?;
            }
        }
        if let Some(filter) = &filters.event_types {
            SetFilter::<String>::from(filter).check("event_types")?;
        }
        Ok(Self {
            filters,
            range: TimeRange::parse(filters.from.as_deref(), filters.to.as_deref())?,
            terms: filters
                .query
                .as_deref()
                .unwrap_or_default()
                .split_whitespace()
                .collect(),
        })
    }

    /// Whether the entry (`chat`, `thread`) passes every filter.
    fn matches(&self, state: &State, chat: &ChatRec, thread: &ThreadRec) -> bool {
        self.matches_ids(chat, thread)
            && self.matches_content(chat, thread)
            && self.matches_people(state, chat, thread)
            && self.matches_unrecorded()
    }

    /// Chat, thread and group ids.
    fn matches_ids(&self, chat: &ChatRec, thread: &ThreadRec) -> bool {
        let f = self.filters;
        f.chat_ids.as_ref().is_none_or(|ids| ids.contains(&chat.id))
            && f.thread_ids
                .as_ref()
                .is_none_or(|ids| ids.contains(&thread.id))
            && groups_overlap(f.group_ids.as_deref(), &thread.access)
    }

    /// Time, text, properties, tags and event types.
    fn matches_content(&self, chat: &ChatRec, thread: &ThreadRec) -> bool {
        let f = self.filters;
        let kinds = || thread.events.iter().map(|e| e.kind().to_owned()).collect();
        self.range.contains(&thread.created_at)
            && self.terms.iter().all(|term| {
                thread
                    .events
                    .iter()
                    .filter_map(message_text)
                    .any(|text| find_term(text, term).is_some())
            })
            && properties_match(f.properties.as_ref(), |namespace, name| {
                thread
                    .properties
                    .get(namespace, name)
                    .or_else(|| chat.properties.get(namespace, name))
            })
            && set_matches(f.tags.as_ref(), || thread.tags.clone())
            && set_matches(f.event_types.as_ref(), kinds)
            && f.events
                .as_ref()
                .and_then(|e| e.types.as_ref())
                .is_none_or(|types| {
                    thread
                        .events
                        .iter()
                        .any(|e| types.iter().any(|t| t == e.kind()))
                })
    }

    /// Agents, the customer and its country.
    fn matches_people(&self, state: &State, chat: &ChatRec, thread: &ThreadRec) -> bool {
        let f = self.filters;
        let agents = thread_agents(state, chat, thread);
        let customer = chat.customer().and_then(|id| state.customers.get(id));
        let email = customer.and_then(|c| c.profile.email.as_deref());
        let country = || {
            customer
                .and_then(|c| c.profile.visit.as_ref().or(c.profile.last_visit.as_ref()))
                .and_then(|v| v.geolocation.as_ref())
                .and_then(|g| g.country_code.clone())
                .into_iter()
                .collect()
        };
        set_matches(f.agents.as_ref(), || {
            agents.iter().map(ToString::to_string).collect()
        }) && f
            .customer_id
            .as_ref()
            .is_none_or(|id| chat.customer() == Some(id))
            && f.customer_email
                .as_deref()
                .is_none_or(|wanted| email.is_some_and(|e| e.eq_ignore_ascii_case(wanted)))
            && set_matches(f.customer_countries.as_ref(), country)
            && agent_types_match(state, f.agent_types.as_ref(), &agents)
            && agent_response_matches(state, f.agent_response.as_ref(), thread)
    }

    /// Sales, goals, greetings, surveys and forms, which the sandbox never records.
    fn matches_unrecorded(&self) -> bool {
        let f = self.filters;
        let asks_presence = |exists: Option<bool>, values: bool| exists == Some(true) || values;
        set_matches(f.sales.as_ref(), Vec::<i64>::new)
            && set_matches(f.goals.as_ref(), Vec::<i64>::new)
            && f.greetings
                .as_ref()
                .is_none_or(|g| !asks_presence(g.exists, g.values.is_some()))
            && [&f.surveys, &f.forms]
                .into_iter()
                .flatten()
                .flatten()
                .all(|s| !asks_presence(s.exists, s.values.is_some() || s.answer_id.is_some()))
    }
}

/// The text of a `message` event.
fn message_text(event: &Event) -> Option<&str> {
    match event {
        Event::Message(message) => message.text.as_deref(),
        _ => None,
    }
}

/// The agents of an entry: the chat's agents and the agents who wrote in the thread.
fn thread_agents(state: &State, chat: &ChatRec, thread: &ThreadRec) -> Vec<AgentId> {
    let mut agents = chat_agents(chat);
    let authors = thread
        .events
        .iter()
        .filter_map(Event::author_id)
        .map(|id| AgentId::new(id.as_str()));
    for author in authors {
        if state.agents.contains_key(&author) && !agents.contains(&author) {
            agents.push(author);
        }
    }
    agents
}

/// The 3.6 `agent_types` filter: `human` agents and `chatbot`s ([I] no `ai_agent`s).
fn agent_types_match(
    state: &State,
    filter: Option<&agent::ListArchivesAgentTypesFilter>,
    agents: &[AgentId],
) -> bool {
    let Some(filter) = filter else {
        return true;
    };
    let is_bot = |id: &AgentId| {
        state
            .agents
            .get(id)
            .is_some_and(|a| a.profile.is_bot.unwrap_or(false))
    };
    let present = |kind: &agent::ListArchivesAgentType| match kind {
        agent::ListArchivesAgentType::Human => agents.iter().any(|a| !is_bot(a)),
        agent::ListArchivesAgentType::Chatbot => agents.iter().any(is_bot),
        _ => false,
    };
    filter
        .all_values
        .as_ref()
        .is_none_or(|k| k.iter().all(present))
        && filter
            .any_values
            .as_ref()
            .is_none_or(|k| k.iter().any(present))
        && filter
            .exclude_values
            .as_ref()
            .is_none_or(|k| !k.iter().any(present))
}

/// The `agent_response` filter: the agents' messages in the thread (only the first one
/// with `first`).
fn agent_response_matches(
    state: &State,
    filter: Option<&agent::ListArchivesAgentResponseFilter>,
    thread: &ThreadRec,
) -> bool {
    let Some(filter) = filter else {
        return true;
    };
    let mut responders: Vec<AgentId> = thread
        .events
        .iter()
        .filter(|e| matches!(e, Event::Message(_)))
        .filter_map(Event::author_id)
        .map(|id| AgentId::new(id.as_str()))
        .filter(|id| state.agents.contains_key(id))
        .collect();
    if filter.first == Some(true) {
        responders.truncate(1);
    }
    let groups: Vec<GroupId> = responders
        .iter()
        .filter_map(|id| state.agents.get(id))
        .flat_map(|a| a.groups.iter().copied())
        .collect();
    filter.exists.is_none_or(|e| responders.is_empty() != e)
        && filter
            .agents
            .as_ref()
            .is_none_or(|a| ids_match(a.values.as_ref(), a.exclude_values.as_ref(), &responders))
        && filter
            .groups
            .as_ref()
            .is_none_or(|g| ids_match(g.values.as_ref(), g.exclude_values.as_ref(), &groups))
}

/// Whether `values` (when given) names one of `have` and `excluded` (when given) none.
fn ids_match<T: PartialEq>(values: Option<&Vec<T>>, excluded: Option<&Vec<T>>, have: &[T]) -> bool {
    values.is_none_or(|v| v.iter().any(|x| have.contains(x)))
        && excluded.is_none_or(|x| !x.iter().any(|e| have.contains(e)))
}

// ---------------------------------------------------------------------------------------
// Highlights
// ---------------------------------------------------------------------------------------

/// Wraps the matches of `terms` in the message texts of the chat's thread.
fn highlight_chat(chat: &mut Chat, terms: &[&str], pre: &str, post: &str) {
    let events = chat.thread.as_mut().and_then(|t| t.events.as_mut());
    for event in events.into_iter().flatten() {
        if let Event::Message(message) = event {
            if let Some(text) = message.text.as_mut() {
                *text = highlight(text, terms, pre, post);
            }
        }
    }
}

/// `text` with every match of one of `terms` (ignoring case; the longest at a position)
/// wrapped in `pre` and `post`.
fn highlight(text: &str, terms: &[&str], pre: &str, post: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        match terms.iter().filter_map(|t| match_len(rest, t)).max() {
            Some(len) => {
                let (matched, after) = rest.split_at(len);
                out.push_str(pre);
                out.push_str(matched);
                out.push_str(post);
                rest = after;
            }
            None => {
                out.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    out
}

/// The byte length of the match of `term` at the start of `text`, ignoring case.
fn match_len(text: &str, term: &str) -> Option<usize> {
    let mut chars = text.char_indices();
    let mut end = 0;
    for wanted in term.chars() {
        let (at, c) = chars.next()?;
        if !(c == wanted || c.to_lowercase().eq(wanted.to_lowercase())) {
            return None;
        }
        end = at + c.len_utf8();
    }
    (end > 0).then_some(end)
}

/// The byte offset of the first match of `term` in `text`, ignoring case.
fn find_term(text: &str, term: &str) -> Option<usize> {
    text.char_indices()
        .map(|(at, _)| at)
        .find(|at| match_len(&text[*at..], term).is_some())
}

// ---------------------------------------------------------------------------------------
// Starting, resuming, closing
// ---------------------------------------------------------------------------------------

/// `start_chat`: a new chat with the requester (and the listed users) and a thread.
fn start_chat(
    ctx: &mut Ctx<'_>,
    request: agent::StartChat,
) -> Result<agent::StartChatResponse, ApiError> {
    let chat = request.chat.unwrap_or_default();
    let users = chat_ops::initial_users(
        ctx.state,
        &ctx.who,
        chat.users.as_deref().unwrap_or_default(),
    )?;
    let thread = chat.thread.unwrap_or_default();
    let chat_id = chat_ops::create_chat(ctx.state, users, chat.access, chat.properties);
    let new = NewThread {
        events: thread.events.unwrap_or_default(),
        properties: thread.properties,
        active: request.active.unwrap_or(true),
    };
    let opened = chat_ops::open_thread(ctx.state, &chat_id, &ctx.who, new);
    let (thread_id, event_ids) = match opened {
        Ok(opened) => opened,
        Err(e) => {
            // Nothing of a failed request stays.
            ctx.state.chats.remove(&chat_id);
            return Err(e);
        }
    };
    chat_ops::set_continuous(ctx.state, &chat_id, request.continuous);
    chat_ops::push_incoming_chat(ctx.state, &chat_id, &ctx.who);
    Ok(agent::StartChatResponse {
        chat_id,
        thread_id,
        event_ids: (!event_ids.is_empty()).then_some(event_ids),
        ..Default::default()
    })
}

/// `resume_chat`: a new thread in an inactive chat, with the requester (and the listed
/// users) as users; `access` replaces the chat's access, `properties` are merged and
/// `continuous` is stored as the chat property `routing.continuous`. The chat's followers
/// stop following it (following lasts until the chat is reactivated). An active chat is a
/// `validation` error ([I]).
fn resume_chat(
    ctx: &mut Ctx<'_>,
    request: agent::ResumeChat,
) -> Result<agent::ResumeChatResponse, ApiError> {
    let wanted = request.chat;
    let chat = chat_ops::visible_chat(ctx.state, &ctx.who, &wanted.id)?;
    if chat.is_active() {
        return Err(invalid(
            "The chat is already active: only an inactive chat can be resumed",
        ));
    }
    let listed = chat_ops::initial_users(
        ctx.state,
        &ctx.who,
        wanted.users.as_deref().unwrap_or_default(),
    )?;
    let customers = chat
        .customer()
        .into_iter()
        .chain(listed.iter().filter_map(|u| customer_of(&u.principal)));
    if customers.collect::<std::collections::BTreeSet<_>>().len() > 1 {
        return Err(invalid("A chat has at most one customer"));
    }
    let thread = wanted.thread.unwrap_or_default();
    let new = NewThread {
        events: thread.events.unwrap_or_default(),
        properties: thread.properties,
        active: request.active.unwrap_or(true),
    };
    let (thread_id, event_ids) = chat_ops::open_thread(ctx.state, &wanted.id, &ctx.who, new)?;
    let seen = ctx.state.clock.stamp();
    if let Some(chat) = ctx.state.chats.get_mut(&wanted.id) {
        for user in listed {
            join(chat, user);
        }
        if let Some(me) = chat.user_mut(&ctx.who) {
            me.events_seen_up_to = Some(seen);
        }
        if let Some(access) = wanted.access {
            set_access(chat, access);
        }
        if let Some(properties) = &wanted.properties {
            chat.properties.merge(properties);
        }
        chat.followers.clear();
    }
    chat_ops::set_continuous(ctx.state, &wanted.id, request.continuous);
    chat_ops::push_incoming_chat(ctx.state, &wanted.id, &ctx.who);
    Ok(agent::ResumeChatResponse {
        thread_id,
        event_ids: (!event_ids.is_empty()).then_some(event_ids),
        ..Default::default()
    })
}

/// `deactivate_chat`: closes the active thread (the requester must be a chat user since
/// 3.4, unless `ignore_requester_presence`).
fn deactivate_chat(ctx: &mut Ctx<'_>, request: agent::DeactivateChat) -> Result<Empty, ApiError> {
    let chat = chat_ops::visible_chat(ctx.state, &ctx.who, &request.id)?;
    require_presence(ctx, chat, request.ignore_requester_presence)?;
    let who = ctx.who.clone();
    chat_ops::deactivate(ctx.state, &request.id, Some(&who))?;
    Ok(Empty {})
}

/// Makes `user` a present user of `chat` (already a user: present again).
fn join(chat: &mut ChatRec, user: ChatUserRec) {
    match chat.user_mut(&user.principal) {
        Some(existing) => {
            existing.present = true;
            existing.visibility = user.visibility;
        }
        None => chat.users.push(user),
    }
}

/// Sets the access of the chat and of its active thread.
fn set_access(chat: &mut ChatRec, access: Access) {
    if let Some(thread) = chat.active_thread_mut() {
        thread.access = access.clone();
    }
    chat.access = access;
}

/// The customer `principal` is, if it is one.
fn customer_of(principal: &Principal) -> Option<&CustomerId> {
    match principal {
        Principal::Customer(id) => Some(id),
        Principal::Agent(_) => None,
    }
}

/// The agent users of `chat`.
fn chat_agents(chat: &ChatRec) -> Vec<AgentId> {
    chat.users
        .iter()
        .filter_map(|u| match &u.principal {
            Principal::Agent(id) => Some(id.clone()),
            Principal::Customer(_) => None,
        })
        .collect()
}

/// Since 3.4 the requester must be a user of the chat, unless `ignore` (the request's
/// `ignore_requester_presence`); `authorization` otherwise.
fn require_presence(ctx: &Ctx<'_>, chat: &ChatRec, ignore: Option<bool>) -> Result<(), ApiError> {
    if ctx.version < ApiVersion::V3_4 || ignore.unwrap_or(false) || chat.user(&ctx.who).is_some() {
        Ok(())
    } else {
        Err(err(
            ErrorType::Authorization,
            "The requester is not a user of the chat",
        ))
    }
}

// ---------------------------------------------------------------------------------------
// Following
// ---------------------------------------------------------------------------------------

/// `follow_chat`: the requester gets the chat's pushes until it unfollows or the chat is
/// resumed; `incoming_chat` goes to it unless it already is a user or a follower.
fn follow_chat(ctx: &mut Ctx<'_>, request: agent::FollowChat) -> Result<Empty, ApiError> {
    let me = ctx.agent_id()?;
    let chat = chat_ops::visible_chat_mut(ctx.state, &ctx.who, &request.id)?;
    if chat.user(&ctx.who).is_some() || !chat.followers.insert(me.clone()) {
        return Ok(Empty {});
    }
    push_incoming_chat_to(ctx.state, &request.id, &ctx.who, &me, None);
    Ok(Empty {})
}

/// `unfollow_chat`: the requester stops following the chat; its other connections get
/// `chat_unfollowed`. Chat users cannot unfollow (`validation`); unfollowing a chat one
/// does not follow changes nothing.
fn unfollow_chat(ctx: &mut Ctx<'_>, request: agent::UnfollowChat) -> Result<Empty, ApiError> {
    let me = ctx.agent_id()?;
    let chat = chat_ops::visible_chat_mut(ctx.state, &ctx.who, &request.id)?;
    if chat.user(&ctx.who).is_some() {
        return Err(invalid("Chat users cannot unfollow their chat"));
    }
    if !chat.followers.remove(&me) {
        return Ok(Empty {});
    }
    let payload = agent_push::ChatUnfollowed {
        chat_id: request.id,
        extra: Default::default(),
    };
    for conn in ctx.state.agent_conns(&me) {
        if Some(conn) != ctx.conn {
            ctx.state
                .outbox
                .agents(Audience::Conn(conn), "chat_unfollowed", &payload);
        }
    }
    Ok(Empty {})
}

/// Queues `incoming_chat` for `agent` alone, with the chat as it sees it (latest thread).
fn push_incoming_chat_to(
    state: &mut State,
    chat_id: &ChatId,
    requester: &Principal,
    agent: &AgentId,
    transferred_from: Option<TransferredFrom>,
) {
    let Some(chat) = state.chats.get(chat_id) else {
        return;
    };
    let viewer = Principal::Agent(agent.clone());
    let payload = agent_push::IncomingChat {
        requester_id: Some(requester.user_id()),
        chat: views::chat_view(state, chat, chat.threads.last(), &viewer),
        transferred_from,
        extra: Default::default(),
    };
    state.outbox.agents(
        Audience::Agents(vec![agent.clone()]),
        "incoming_chat",
        &payload,
    );
}

// ---------------------------------------------------------------------------------------
// Access
// ---------------------------------------------------------------------------------------

/// `grant_chat_access` (3.3): adds a group (or an agent) to the chat's access.
fn grant_chat_access(
    ctx: &mut Ctx<'_>,
    request: agent::GrantChatAccess,
) -> Result<Empty, ApiError> {
    change_access(ctx, &request.id, &request.access, true)
}

/// `revoke_chat_access` (3.3): removes a group or an agent from the chat's access.
fn revoke_chat_access(
    ctx: &mut Ctx<'_>,
    request: agent::RevokeChatAccess,
) -> Result<Empty, ApiError> {
    change_access(ctx, &request.id, &request.access, false)
}

/// Grants or revokes one group or agent; pushes `chat_access_granted` /
/// `chat_access_revoked` (with the changed access) to the chat's agents and followers and
/// to the agent concerned.
fn change_access(
    ctx: &mut Ctx<'_>,
    chat_id: &ChatId,
    change: &agent::ChatAccessChange,
    grant: bool,
) -> Result<Empty, ApiError> {
    chat_ops::visible_chat(ctx.state, &ctx.who, chat_id)?;
    let delta = access_delta(ctx.state, change)?;
    let Some(chat) = ctx.state.chats.get_mut(chat_id) else {
        return Err(not_found(format_args!("Chat `{chat_id}`")));
    };
    let mut access = chat.access.clone();
    let agent_ids = access.agent_ids.get_or_insert_with(Vec::new);
    for group in &delta.group_ids {
        access.group_ids.retain(|g| g != group);
        if grant {
            access.group_ids.push(*group);
        }
    }
    for agent in delta.agent_ids.iter().flatten() {
        agent_ids.retain(|a| a != agent);
        if grant {
            agent_ids.push(agent.clone());
        }
    }
    if access.agent_ids.as_ref().is_some_and(Vec::is_empty) {
        access.agent_ids = None;
    }
    set_access(chat, access);
    let mut audience = chat_audience(chat);
    audience.extend(delta.agent_ids.iter().flatten().cloned());
    // `chat_access_revoked` has the same shape: `{id, access}`.
    let payload = agent_push::ChatAccessGranted {
        id: chat_id.clone(),
        access: delta,
        extra: Default::default(),
    };
    let name = if grant {
        "chat_access_granted"
    } else {
        "chat_access_revoked"
    };
    ctx.state
        .outbox
        .agents(Audience::Agents(audience), name, &payload);
    Ok(Empty {})
}

/// The access one `grant_chat_access` / `revoke_chat_access` names: an existing group (an
/// integer id) or agent (a string id).
fn access_delta(state: &State, change: &agent::ChatAccessChange) -> Result<Access, ApiError> {
    let mut access = Access::default();
    match &change.kind {
        TransferTargetType::Group => access.group_ids.push(group_id(state, &change.id)?),
        TransferTargetType::Agent => access.agent_ids = Some(vec![agent_id(state, &change.id)?]),
        other => return Err(invalid(format!("Unknown access type `{other}`"))),
    }
    Ok(access)
}

/// An existing group named by a JSON integer.
fn group_id(state: &State, value: &Value) -> Result<GroupId, ApiError> {
    let id = value
        .as_u64()
        .and_then(|id| u32::try_from(id).ok())
        .map(GroupId)
        .ok_or_else(|| invalid(format!("`{value}` is not a group id")))?;
    if state.groups.contains_key(&id) {
        Ok(id)
    } else {
        Err(not_found(format_args!("Group `{}`", id.0)))
    }
}

/// An existing agent named by a JSON string.
fn agent_id(state: &State, value: &Value) -> Result<AgentId, ApiError> {
    let id = value
        .as_str()
        .map(AgentId::new)
        .ok_or_else(|| invalid(format!("`{value}` is not an agent id")))?;
    if state.agents.contains_key(&id) {
        Ok(id)
    } else {
        Err(not_found(format_args!("Agent `{id}`")))
    }
}

/// The agents who get a chat's pushes now: its agent users and its followers.
fn chat_audience(chat: &ChatRec) -> Vec<AgentId> {
    let mut agents = chat_agents(chat);
    agents.extend(chat.followers.iter().cloned());
    agents
}

/// Queues push `name` for `agents` and, with a customer payload, for the chat's customer.
fn notify<A: Serialize, C: Serialize>(
    state: &mut State,
    chat_id: &ChatId,
    agents: Vec<AgentId>,
    name: &'static str,
    agent: &A,
    customer: Option<&C>,
) {
    state.outbox.agents(Audience::Agents(agents), name, agent);
    let target = state.chats.get(chat_id).and_then(|c| c.customer().cloned());
    if let (Some(payload), Some(customer)) = (customer, target) {
        state
            .outbox
            .customers(Audience::Customer(customer), name, payload);
    }
}

// ---------------------------------------------------------------------------------------
// Transfer
// ---------------------------------------------------------------------------------------

/// `transfer_chat`: to agents (they must have access; they become the chat's only agents)
/// or to groups (the access becomes those groups and the chat is routed to an accepting
/// agent of them, never back to one of its agents); without a target, within its groups.
/// Since 3.4 the chat must be active and the requester a chat user (unless
/// `ignore_requester_presence`). Without an available agent the transfer fails unless
/// `ignore_agents_availability` (3.3: `force`), which leaves the chat without agents.
fn transfer_chat(ctx: &mut Ctx<'_>, request: agent::TransferChat) -> Result<Empty, ApiError> {
    let modern = ctx.version >= ApiVersion::V3_4;
    let chat = chat_ops::visible_chat(ctx.state, &ctx.who, &request.id)?;
    if modern && !chat.is_active() {
        return Err(err(ErrorType::ChatInactive, "Chat is inactive"));
    }
    require_presence(ctx, chat, request.ignore_requester_presence)?;
    let anyway = if modern {
        request.ignore_agents_availability
    } else {
        request.force
    }
    .unwrap_or(false);
    let target = match &request.target {
        Some(target) => target_of(ctx.state, chat, target, anyway)?,
        None => Target::Groups(chat.access.group_ids.clone()),
    };
    let before = chat.clone();
    let agents = match &target {
        Target::Agents(agents) => {
            assign_agents(ctx.state, &request.id, agents);
            agents.clone()
        }
        Target::Groups(groups) => {
            reassign_to_groups(ctx.state, &before, groups, anyway)?;
            let chat = ctx.state.chats.get(&request.id);
            chat.map(chat_agents).unwrap_or_default()
        }
    };
    push_transfer(ctx, &before, &target, &agents);
    Ok(Empty {})
}

/// Where a chat is transferred.
#[derive(Debug)]
enum Target {
    Agents(Vec<AgentId>),
    Groups(Vec<GroupId>),
}

/// Checks a transfer `target`: existing groups, or existing agents having access to the
/// chat and online (unless `anyway`).
fn target_of(
    state: &State,
    chat: &ChatRec,
    target: &agent::TransferChatTarget,
    anyway: bool,
) -> Result<Target, ApiError> {
    if target.ids.is_empty() {
        return Err(invalid("`target.ids` must not be empty"));
    }
    match &target.kind {
        TransferTargetType::Group => target
            .ids
            .iter()
            .map(|id| group_id(state, id))
            .collect::<Result<_, _>>()
            .map(Target::Groups),
        TransferTargetType::Agent => {
            let agents = target
                .ids
                .iter()
                .map(|id| agent_id(state, id))
                .collect::<Result<Vec<_>, _>>()?;
            for agent in &agents {
                if !state.agent_has_access(agent, &chat.access) {
                    return Err(invalid(format!(
                        "Agent `{agent}` has no access to the chat"
                    )));
                }
                if !anyway && !state.agent_online(agent) {
                    return Err(err(
                        ErrorType::AgentOffline,
                        format!("Agent `{agent}` is offline"),
                    ));
                }
            }
            Ok(Target::Agents(agents))
        }
        other => Err(invalid(format!("Unknown target type `{other}`"))),
    }
}

/// Makes `agents` the chat's only agents.
fn assign_agents(state: &mut State, chat_id: &ChatId, agents: &[AgentId]) {
    let Some(chat) = state.chats.get_mut(chat_id) else {
        return;
    };
    chat.users.retain(|u| {
        customer_of(&u.principal).is_some()
            || agents
                .iter()
                .any(|a| u.principal == Principal::Agent(a.clone()))
    });
    for agent in agents {
        join(chat, agent_user(agent));
    }
}

/// Gives the chat (as it was: `before`) the access of `groups`, removes its agents and
/// routes it to an accepting agent of the groups. Without one, fails (and restores the
/// chat) unless `anyway`; an inactive chat (3.3) is not routed.
fn reassign_to_groups(
    state: &mut State,
    before: &ChatRec,
    groups: &[GroupId],
    anyway: bool,
) -> Result<(), ApiError> {
    let Some(chat) = state.chats.get_mut(&before.id) else {
        return Ok(());
    };
    chat.users.retain(|u| customer_of(&u.principal).is_some());
    set_access(
        chat,
        Access {
            group_ids: groups.to_vec(),
            ..Access::default()
        },
    );
    let routed = chat_ops::route_excluding(state, &before.id, &chat_agents(before));
    if routed.is_none() && before.is_active() && !anyway {
        state.chats.insert(before.id.clone(), before.clone());
        return Err(invalid("No agent of the target groups is available"));
    }
    Ok(())
}

/// A present chat user for `agent`, visible to all.
fn agent_user(agent: &AgentId) -> ChatUserRec {
    ChatUserRec {
        principal: Principal::Agent(agent.clone()),
        visibility: Visibility::All,
        present: true,
        events_seen_up_to: None,
    }
}

/// Queues the pushes of a transfer of the chat (as it was: `before`) to `target`, which
/// gave it the agents `agents`: `chat_transferred`, `chat_access_updated` (when the
/// access changed), `user_removed_from_chat` / `user_added_to_chat`, `incoming_chat` to
/// the new agents and a `chat_transferred` system message.
fn push_transfer(ctx: &mut Ctx<'_>, before: &ChatRec, target: &Target, agents: &[AgentId]) {
    let chat_id = &before.id;
    let Some(chat) = ctx.state.chats.get(chat_id) else {
        return;
    };
    let thread_id = chat.active_thread().map(|t| t.id.clone());
    let access = chat.access.clone();
    let old = chat_agents(before);
    let requester = ctx.agent_id().ok();
    let mut audience = chat_audience(before);
    audience.extend(agents.iter().cloned());
    audience.extend(requester.clone());
    let group_ids = match target {
        Target::Groups(groups) => Some(groups.clone()),
        Target::Agents(_) => None,
    };
    let agent_ids = (!agents.is_empty()).then(|| agents.to_vec());
    let transferred = agent_push::ChatTransferred {
        chat_id: chat_id.clone(),
        thread_id: thread_id.clone(),
        requester_id: requester.clone(),
        reason: TransferReason::Manual,
        transferred_to: agent_push::ChatTransferredTo {
            group_ids: group_ids.clone(),
            agent_ids: agent_ids.clone(),
            extra: Default::default(),
        },
        queue: None,
        extra: Default::default(),
    };
    let for_customer = customer_push::ChatTransferred {
        chat_id: chat_id.clone(),
        thread_id: thread_id.clone(),
        requester_id: requester.clone(),
        transferred_to: customer_push::ChatTransferredTo {
            group_ids,
            agent_ids,
            extra: Default::default(),
        },
        ..Default::default()
    };
    let state = &mut *ctx.state;
    notify(
        state,
        chat_id,
        audience.clone(),
        "chat_transferred",
        &transferred,
        Some(&for_customer),
    );
    if access != before.access {
        let payload = agent_push::ChatAccessUpdated {
            id: chat_id.clone(),
            access,
            extra: Default::default(),
        };
        state.outbox.agents(
            Audience::Agents(audience.clone()),
            "chat_access_updated",
            &payload,
        );
    }
    for user in before
        .users
        .iter()
        .filter(|u| matches!(&u.principal, Principal::Agent(a) if !agents.contains(a)))
    {
        let payload = agent_push::UserRemovedFromChat {
            chat_id: chat_id.clone(),
            thread_id: thread_id.clone(),
            user_id: user.principal.user_id(),
            reason: "manual".to_owned(),
            requester_id: requester.clone(),
            extra: Default::default(),
        };
        let customer = (user.visibility == Visibility::All).then_some(&payload);
        notify(
            state,
            chat_id,
            audience.clone(),
            "user_removed_from_chat",
            &payload,
            customer,
        );
    }
    for agent in agents.iter().filter(|a| !old.contains(a)) {
        push_user_added(
            state,
            chat_id,
            audience.clone(),
            &Principal::Agent(agent.clone()),
            requester.as_ref(),
        );
        let from = TransferredFrom {
            group_ids: Some(before.access.group_ids.clone()),
            agent_ids: Some(old.clone()),
            extra: Default::default(),
        };
        push_incoming_chat_to(state, chat_id, &ctx.who, agent, Some(from));
    }
    if thread_id.is_some() {
        let text = transfer_text(state, requester.as_ref(), target);
        chat_ops::system_message(state, chat_id, "chat_transferred", text);
    }
}

/// The text of the `chat_transferred` system message.
fn transfer_text(state: &State, requester: Option<&AgentId>, target: &Target) -> String {
    let name = |agent: &AgentId| {
        state
            .agents
            .get(agent)
            .and_then(|a| a.profile.name.clone())
            .unwrap_or_else(|| agent.to_string())
    };
    let to = match target {
        Target::Agents(agents) => agents.iter().map(name).collect::<Vec<_>>().join(", "),
        Target::Groups(groups) => groups
            .iter()
            .map(|g| {
                state
                    .groups
                    .get(g)
                    .map_or_else(|| format!("group {}", g.0), |r| r.name.clone())
            })
            .collect::<Vec<_>>()
            .join(", "),
    };
    match requester {
        Some(agent) => format!("{} transferred the chat to {to}", name(agent)),
        None => format!("The chat was transferred to {to}"),
    }
}

/// Queues `user_added_to_chat` for the chat user `who` (the customer gets it only for a
/// user visible to all).
fn push_user_added(
    state: &mut State,
    chat_id: &ChatId,
    audience: Vec<AgentId>,
    who: &Principal,
    requester: Option<&AgentId>,
) {
    let Some(chat) = state.chats.get(chat_id) else {
        return;
    };
    let Some(user) = chat.user(who) else {
        return;
    };
    let thread_id = chat.active_thread().map(|t| t.id.clone());
    let payload = |api: Api| agent_push::UserAddedToChat {
        chat_id: chat_id.clone(),
        thread_id: thread_id.clone(),
        user: views::user_view(state, user, api),
        reason: "manual".to_owned(),
        requester_id: requester.cloned(),
        extra: Default::default(),
    };
    let for_agents = payload(Api::Agent);
    let for_customer = (user.visibility == Visibility::All).then(|| payload(Api::Customer));
    notify(
        state,
        chat_id,
        audience,
        "user_added_to_chat",
        &for_agents,
        for_customer.as_ref(),
    );
}

// ---------------------------------------------------------------------------------------
// Users
// ---------------------------------------------------------------------------------------

/// `add_user_to_chat`: adds an agent (having access to the chat) or the chat's customer
/// (visibility `all` only; at most one customer). Since 3.4 the chat must be active,
/// `visibility` is required and the requester must be a chat user (unless
/// `ignore_requester_presence`); 3.3 requires an active chat only with
/// `require_active_thread`. Adding a user again updates its visibility and presence.
fn add_user_to_chat(ctx: &mut Ctx<'_>, request: agent::AddUserToChat) -> Result<Empty, ApiError> {
    let modern = ctx.version >= ApiVersion::V3_4;
    let chat = chat_ops::visible_chat(ctx.state, &ctx.who, &request.chat_id)?;
    if (modern || request.require_active_thread.unwrap_or(false)) && !chat.is_active() {
        return Err(err(ErrorType::ChatInactive, "Chat is inactive"));
    }
    require_presence(ctx, chat, request.ignore_requester_presence)?;
    let visibility = match request.visibility {
        Some(v @ (Visibility::All | Visibility::Agents)) => v,
        Some(other) => return Err(invalid(format!("Unknown visibility `{other}`"))),
        None if modern => return Err(invalid("`visibility` is required")),
        None => Visibility::All,
    };
    let principal = new_user(
        ctx.state,
        chat,
        &request.user_id,
        &request.user_type,
        &visibility,
    )?;
    let user = ChatUserRec {
        principal: principal.clone(),
        visibility,
        present: true,
        events_seen_up_to: None,
    };
    if let Some(chat) = ctx.state.chats.get_mut(&request.chat_id) {
        join(chat, user);
    }
    let audience = ctx
        .state
        .chats
        .get(&request.chat_id)
        .map(chat_audience)
        .unwrap_or_default();
    let requester = ctx.agent_id().ok();
    push_user_added(
        ctx.state,
        &request.chat_id,
        audience,
        &principal,
        requester.as_ref(),
    );
    Ok(Empty {})
}

/// Checks the user `add_user_to_chat` adds to `chat`.
fn new_user(
    state: &State,
    chat: &ChatRec,
    id: &UserId,
    kind: &UserType,
    visibility: &Visibility,
) -> Result<Principal, ApiError> {
    match kind {
        UserType::Agent => {
            let agent = agent_id(state, &Value::from(id.as_str()))?;
            if !state.agent_has_access(&agent, &chat.access) {
                return Err(invalid(format!(
                    "Agent `{agent}` has no access to the chat"
                )));
            }
            Ok(Principal::Agent(agent))
        }
        UserType::Customer => {
            let customer = CustomerId::new(id.as_str());
            if !state.customers.contains_key(&customer) {
                return Err(not_found(format_args!("Customer `{customer}`")));
            }
            if *visibility != Visibility::All {
                return Err(invalid("Customers are added with visibility `all`"));
            }
            if chat.customer().is_some_and(|c| *c != customer) {
                return Err(invalid("A chat has at most one customer"));
            }
            Ok(Principal::Customer(customer))
        }
        other => Err(invalid(format!("Unknown user type `{other}`"))),
    }
}

/// `remove_user_from_chat`: removes an agent (never the customer: `validation`). Since 3.4
/// the requester must be a chat user unless `ignore_requester_presence`; removing oneself
/// is always allowed. `user_removed_from_chat` also reaches the removed agent.
fn remove_user_from_chat(
    ctx: &mut Ctx<'_>,
    request: agent::RemoveUserFromChat,
) -> Result<Empty, ApiError> {
    if request.user_type != UserType::Agent {
        return Err(invalid("Only agents can be removed from a chat"));
    }
    let target = Principal::Agent(AgentId::new(request.user_id.as_str()));
    let chat = chat_ops::visible_chat(ctx.state, &ctx.who, &request.chat_id)?;
    if target != ctx.who {
        require_presence(ctx, chat, request.ignore_requester_presence)?;
    }
    let user = chat
        .user(&target)
        .ok_or_else(|| not_found(format_args!("User `{}` in the chat", request.user_id)))?;
    let seen_by_customer = user.visibility == Visibility::All;
    let audience = chat_audience(chat);
    let payload = agent_push::UserRemovedFromChat {
        chat_id: request.chat_id.clone(),
        thread_id: chat.active_thread().map(|t| t.id.clone()),
        user_id: request.user_id.clone(),
        reason: "manual".to_owned(),
        requester_id: ctx.agent_id().ok(),
        extra: Default::default(),
    };
    if let Some(chat) = ctx.state.chats.get_mut(&request.chat_id) {
        chat.users.retain(|u| u.principal != target);
    }
    let customer = seen_by_customer.then_some(&payload);
    notify(
        ctx.state,
        &request.chat_id,
        audience,
        "user_removed_from_chat",
        &payload,
        customer,
    );
    Ok(Empty {})
}

/// `list_agents_for_transfer`: the online agents (accepting chats or not) having access to
/// the chat and not in it yet, ascending by their active chats with customers.
fn list_agents_for_transfer(
    ctx: &mut Ctx<'_>,
    request: agent::ListAgentsForTransfer,
) -> Result<Vec<AgentForTransfer>, ApiError> {
    let state = &*ctx.state;
    let chat = chat_ops::visible_chat(state, &ctx.who, &request.chat_id)?;
    let mut agents: Vec<AgentForTransfer> = state
        .agents
        .iter()
        .filter(|(id, rec)| {
            rec.routing_status != RoutingStatus::Offline
                && state.agent_online(id)
                && state.agent_has_access(id, &chat.access)
                && chat.user(&Principal::Agent((*id).clone())).is_none()
        })
        .map(|(id, _)| AgentForTransfer {
            agent_id: id.clone(),
            total_active_chats: Some(
                u32::try_from(chat_ops::active_chats_of(state, id)).unwrap_or(u32::MAX),
            ),
            extra: Default::default(),
        })
        .collect();
    agents.sort_by_key(|a| a.total_active_chats);
    Ok(agents)
}
