//! The listings both APIs serve alike: `list_chats` (chats ordered by their last thread,
//! paginated) and `list_threads` (a chat's threads, paginated, or the latest ones up to
//! `min_events_count` events). Each API's handler is an adapter: it resolves its own
//! cursor, says which chats or threads the requester may list and builds its response.

use crate::chat_ops;
use crate::handler::{Ctx, invalid};
use crate::pagination::{self, Page, Query};
use crate::state::{ChatRec, State, ThreadRec};
use crate::views;
use lc_protocol::error::ApiError;
use lc_protocol::id::{ChatId, PageId, ThreadId};
use lc_protocol::types::{SortOrder, Thread};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// The order of `list_chats`: the creation of the last thread (chats without threads
/// first), then the creation of the chat.
fn last_thread_key<'c>(chat: &&'c ChatRec) -> (Option<&'c str>, u64) {
    let chat: &'c ChatRec = chat;
    (chat.threads.last().map(|t| t.created_at.as_str()), chat.seq)
}

/// One page of `list_chats` (the cursor `query` resolved by the caller): the chats
/// `listed` keeps, by the creation of their last thread, each as `summary` shows it.
pub(crate) fn chats_page<V>(
    ctx: &mut Ctx<'_>,
    query: &Query,
    newest_first: bool,
    listed: impl Fn(&State, &ChatRec) -> bool,
    summary: impl Fn(&State, &ChatRec) -> V,
) -> Page<V> {
    let state = &*ctx.state;
    let chats: Vec<&ChatRec> = state.chats.values().filter(|c| listed(state, c)).collect();
    let ids: Vec<ChatId> = pagination::ordered(chats, last_thread_key, newest_first)
        .into_iter()
        .map(|c| c.id.clone())
        .collect();
    let page = pagination::page(ctx.state, &ctx.who, "list_chats", query, ids);
    let state = &*ctx.state;
    Page {
        items: page
            .items
            .iter()
            .filter_map(|id| state.chats.get(id))
            .map(|c| summary(state, c))
            .collect(),
        total: page.total,
        next_page_id: page.next_page_id,
        previous_page_id: page.previous_page_id,
    }
}

/// What a `list_threads` request of either API carries; `filters` are the Agent API's
/// (customers send none: `F = ()`).
#[derive(Debug)]
pub(crate) struct ThreadsRequest<F> {
    pub(crate) chat_id: ChatId,
    pub(crate) page_id: Option<PageId>,
    pub(crate) limit: Option<u32>,
    pub(crate) sort_order: Option<SortOrder>,
    pub(crate) min_events_count: Option<u32>,
    pub(crate) filters: Option<F>,
}

/// What a `list_threads` cursor remembers of the first request (the chat included, so
/// that a cursor cannot be used for another chat).
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct ThreadsQuery<F> {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    chat_id: Option<ChatId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sort_order: Option<SortOrder>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    min_events_count: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) filters: Option<F>,
}

impl<F> Default for ThreadsQuery<F> {
    fn default() -> Self {
        Self {
            chat_id: None,
            sort_order: None,
            min_events_count: None,
            filters: None,
        }
    }
}

/// The `list_threads` request resolved: its cursor, what it remembers, the order.
#[derive(Debug)]
pub(crate) struct ResolvedThreads<F> {
    pub(crate) chat_id: ChatId,
    pub(crate) params: ThreadsQuery<F>,
    pub(crate) query: Query,
    pub(crate) newest_first: bool,
}

/// Checks a `list_threads` request and resolves its cursor (3 threads per page by
/// default, at most 100). `min_events_count` (1..=100) excludes `limit` and `filters`;
/// `excluded` names them in the error (`` `limit` `` for customers, who have no filters).
pub(crate) fn resolve_threads<F>(
    ctx: &Ctx<'_>,
    request: ThreadsRequest<F>,
    excluded: &str,
) -> Result<ResolvedThreads<F>, ApiError>
where
    F: Serialize + DeserializeOwned + Default,
{
    if request.min_events_count.is_some() && (request.limit.is_some() || request.filters.is_some())
    {
        return Err(invalid(format!(
            "`min_events_count` cannot be used with {excluded}"
        )));
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
    Ok(ResolvedThreads {
        chat_id: request.chat_id,
        params,
        query,
        newest_first,
    })
}

/// A `list_threads` answer, for the caller to put in its API's response.
#[derive(Debug)]
pub(crate) struct ThreadsPage {
    pub(crate) threads: Vec<Thread>,
    pub(crate) found_threads: u64,
    pub(crate) next_page_id: Option<PageId>,
    pub(crate) previous_page_id: Option<PageId>,
}

/// The threads of the resolved request's chat that `listed` keeps, as the requester
/// reads them: a page of them, or with `min_events_count` the latest ones.
pub(crate) fn threads_page<F>(
    ctx: &mut Ctx<'_>,
    resolved: &ResolvedThreads<F>,
    listed: impl Fn(&State, &ChatRec, &ThreadRec) -> bool,
) -> Result<ThreadsPage, ApiError> {
    let state = &*ctx.state;
    let chat = chat_ops::visible_chat(state, &ctx.who, &resolved.chat_id)?;
    let reader = views::Reader::of(state, &ctx.who);
    let threads: Vec<&ThreadRec> = chat
        .threads
        .iter()
        .filter(|t| listed(state, chat, t))
        .collect();
    if let Some(min) = resolved.params.min_events_count {
        return Ok(latest_threads(
            chat,
            reader,
            &threads,
            min,
            resolved.newest_first,
        ));
    }
    let ids: Vec<ThreadId> =
        pagination::ordered(threads, |t| t.created_at.as_str(), resolved.newest_first)
            .into_iter()
            .map(|t| t.id.clone())
            .collect();
    let page = pagination::page(ctx.state, &ctx.who, "list_threads", &resolved.query, ids);
    let chat = chat_ops::visible_chat(ctx.state, &ctx.who, &resolved.chat_id)?;
    let threads = page
        .items
        .iter()
        .filter_map(|id| chat.thread(id))
        .map(|t| views::thread_view(chat, t, reader))
        .collect();
    Ok(ThreadsPage {
        threads,
        found_threads: page.total as u64,
        next_page_id: page.next_page_id,
        previous_page_id: page.previous_page_id,
    })
}

/// `list_threads` with `min_events_count`: as many of the latest `threads` (in creation
/// order) as needed to reach `min` events the reader may see, in the requested order, on
/// one page ([I] no cursors).
fn latest_threads(
    chat: &ChatRec,
    reader: views::Reader,
    threads: &[&ThreadRec],
    min: u32,
    newest_first: bool,
) -> ThreadsPage {
    let mut events = 0usize;
    let needed = threads
        .iter()
        .rev()
        .take_while(|t| {
            let missing = events < min as usize;
            events += t
                .events
                .iter()
                .filter(|e| views::visible_to(e, reader.api()))
                .count();
            missing
        })
        .count();
    let latest = threads.get(threads.len() - needed..).unwrap_or_default();
    let mut views: Vec<Thread> = latest
        .iter()
        .map(|t| views::thread_view(chat, t, reader))
        .collect();
    if newest_first {
        views.reverse();
    }
    ThreadsPage {
        threads: views,
        found_threads: threads.len() as u64,
        next_page_id: None,
        previous_page_id: None,
    }
}
