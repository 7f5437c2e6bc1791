//! Chat listings: `list_chats`, `list_threads`, `get_chat`, and which threads an agent
//! may read.

use super::filters::{
    TimeRange, at_most, check_property_filters, groups_overlap, properties_match,
};
use crate::chat_ops;
use crate::handler::{Ctx, not_found};
use crate::listing::{self, ThreadsRequest};
use crate::pagination;
use crate::state::{ChatRec, Principal, State, ThreadRec};
use crate::views;
use lc_protocol::ApiVersion;
use lc_protocol::agent;
use lc_protocol::error::ApiError;
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
    let (who, version) = (ctx.who.clone(), ctx.version);
    let page = listing::chats_page(
        ctx,
        &query,
        newest_first,
        |state, c| state.can_see_chat(&who, c) && chat_matches(version, &filters, c),
        |state, c| views::chat_summary_view(state, c, &who),
    );
    Ok(agent::ListChatsResponse {
        chats_summary: page.items,
        found_chats: page.total as u64,
        next_page_id: page.next_page_id,
        previous_page_id: page.previous_page_id,
        ..Default::default()
    })
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

/// `list_threads`: the readable threads of a chat, newest first by default, three per page
/// by default.
pub(super) fn list_threads(
    ctx: &mut Ctx<'_>,
    request: agent::ListThreads,
) -> Result<agent::ListThreadsResponse, ApiError> {
    let request = ThreadsRequest {
        chat_id: request.chat_id,
        page_id: request.page_id,
        limit: request.limit,
        sort_order: request.sort_order,
        min_events_count: request.min_events_count,
        filters: request.filters,
    };
    let mut resolved = listing::resolve_threads(ctx, request, "`limit` or `filters`")?;
    let filters = resolved.params.filters.take().unwrap_or_default();
    let range = TimeRange::parse(filters.from.as_deref(), filters.to.as_deref())?;
    let who = ctx.who.clone();
    let page = listing::threads_page(ctx, &resolved, |state, chat, t| {
        thread_readable(state, &who, chat, t) && range.contains(&t.created_at)
    })?;
    Ok(agent::ListThreadsResponse {
        threads: page.threads,
        found_threads: page.found_threads,
        next_page_id: page.next_page_id,
        previous_page_id: page.previous_page_id,
        ..Default::default()
    })
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
