//! Chat listings: `list_chats`, `list_threads`, `get_chat`, and which threads an agent
//! may read.

use super::filters::{
    TimeRange, at_most, check_property_filters, groups_overlap, properties_match,
};
use crate::chat_ops;
use crate::handler::{Ctx, invalid, not_found};
use crate::pagination;
use crate::state::{ChatRec, Principal, State, ThreadRec};
use crate::views;
use lc_protocol::ApiVersion;
use lc_protocol::agent;
use lc_protocol::error::ApiError;
use lc_protocol::id::{ChatId, ThreadId};
use lc_protocol::types::SortOrder;
use serde::{Deserialize, Serialize};

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
pub(super) fn list_chats(
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
pub(super) fn list_threads(
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
        return Ok(latest_threads(
            chat,
            views::Reader::of(state, &ctx.who),
            &threads,
            min,
            newest_first,
        ));
    }
    let ids: Vec<ThreadId> = pagination::ordered(threads, |t| t.created_at.as_str(), newest_first)
        .into_iter()
        .map(|t| t.id.clone())
        .collect();
    let page = pagination::page(ctx.state, &ctx.who, "list_threads", &query, ids);
    let chat = chat_ops::visible_chat(ctx.state, &ctx.who, &request.chat_id)?;
    let reader = views::Reader::of(ctx.state, &ctx.who);
    let threads = page
        .items
        .iter()
        .filter_map(|id| chat.thread(id))
        .map(|t| views::thread_view(chat, t, reader))
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
    reader: views::Reader,
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
        .map(|t| views::thread_view(chat, t, reader))
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
pub(super) fn get_chat(
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

/// Whether `who` may read `thread` of `chat`: the chat's users and followers read every
/// thread, other agents the threads whose access they have.
pub(super) fn thread_readable(
    state: &State,
    who: &Principal,
    chat: &ChatRec,
    thread: &ThreadRec,
) -> bool {
    match who {
        Principal::Agent(id) => {
            chat.user(who).is_some()
                || chat.followers.contains(id)
                || state.agent_has_access(id, &thread.access)
        }
        Principal::Customer(id) => chat.customer() == Some(id),
    }
}
