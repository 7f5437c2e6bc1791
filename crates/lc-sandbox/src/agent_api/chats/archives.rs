//! `list_archives`: the archive listing and the highlighting of its query's matches.

use super::archive_filter::{ArchiveFilter, match_len};
use super::listing::thread_readable;
use crate::handler::Ctx;
use crate::pagination;
use crate::state::{ChatRec, Principal, State, ThreadRec};
use crate::views;
use lc_protocol::agent;
use lc_protocol::error::ApiError;
use lc_protocol::id::{ChatId, ThreadId};
use lc_protocol::types::{Chat, Event, SortOrder};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

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
pub(super) fn list_archives(
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
    let entries: Vec<(&ChatRec, &ThreadRec)> = candidates(state, filters.chat_ids.as_deref())
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

/// The chats a listing looks at: those of `chat_ids`, found by id (each once; unknown
/// ids are skipped), else every chat.
fn candidates<'s>(
    state: &'s State,
    chat_ids: Option<&'s [ChatId]>,
) -> Box<dyn Iterator<Item = &'s ChatRec> + 's> {
    match chat_ids {
        Some(ids) => {
            let unique: BTreeSet<&ChatId> = ids.iter().collect();
            Box::new(unique.into_iter().filter_map(|id| state.chats.get(id)))
        }
        None => Box::new(state.chats.values()),
    }
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
