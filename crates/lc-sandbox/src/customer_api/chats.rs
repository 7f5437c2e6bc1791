//! Customer actions on chats: listing, reading, starting, resuming and closing them, and
//! sending events. A customer sees only its own chats, and in them only what the views
//! show customers (`all`-visibility events and users).

use crate::chat_ops::{self, NewThread};
use crate::handler::{Ctx, Reply, err, invalid, not_found, run};
use crate::listing::{self, ThreadsRequest};
use crate::pagination;
use crate::state::Principal;
use crate::views;
use lc_protocol::Empty;
use lc_protocol::customer;
use lc_protocol::error::{ApiError, ErrorType};
use lc_protocol::types::SortOrder;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// Handles the chat actions; `None` for actions of other topics.
pub(super) fn handle(ctx: &mut Ctx<'_>, action: &str, payload: &RawValue) -> Option<Reply> {
    Some(match action {
        "list_chats" => run(ctx, payload, list_chats),
        "list_threads" => run(ctx, payload, list_threads),
        "start_chat" => run(ctx, payload, start_chat),
        "resume_chat" => run(ctx, payload, resume_chat),
        "get_chat" => run(ctx, payload, get_chat),
        "send_event" => run(ctx, payload, send_event),
        "deactivate_chat" => run(ctx, payload, deactivate_chat),
        _ => return None,
    })
}

// ---------------------------------------------------------------------------------------
// Listings

/// What a customer `list_chats` cursor remembers of the first request.
#[derive(Debug, Default, Serialize, Deserialize)]
struct ChatsQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sort_order: Option<SortOrder>,
}

/// `list_chats`: summaries of the requester's chats by the creation of their last thread
/// (newest first by default), 10 per page by default (at most 25); `total_chats` counts
/// them all.
fn list_chats(
    ctx: &mut Ctx<'_>,
    request: customer::ListChats,
) -> Result<customer::ListChatsResponse, ApiError> {
    let me = ctx.customer_id()?;
    let sent = ChatsQuery {
        sort_order: request.sort_order,
    };
    let (params, query) = pagination::resolve_typed(
        ctx.state,
        &ctx.who,
        "list_chats",
        request.page_id.as_ref(),
        &sent,
        request.limit,
        (10, 25),
    )?;
    let newest_first = pagination::newest_first(params.sort_order.as_ref())?;
    let page = listing::chats_page(
        ctx,
        &query,
        newest_first,
        |_, c| c.customer() == Some(&me),
        views::customer_chat_summary_view,
    );
    Ok(customer::ListChatsResponse {
        chats_summary: page.items,
        total_chats: page.total as u64,
        next_page_id: page.next_page_id,
        previous_page_id: page.previous_page_id,
        ..Default::default()
    })
}

/// `list_threads`: the threads of one of the requester's chats, newest first by default,
/// 3 per page by default (at most 100), with the events the customer may see. With
/// `min_events_count` (1..=100, not with `limit`): the latest threads holding at least that
/// many visible events, on one page.
fn list_threads(
    ctx: &mut Ctx<'_>,
    request: customer::ListThreads,
) -> Result<customer::ListThreadsResponse, ApiError> {
    let request = ThreadsRequest::<()> {
        chat_id: request.chat_id,
        page_id: request.page_id,
        limit: request.limit,
        sort_order: request.sort_order,
        min_events_count: request.min_events_count,
        filters: None,
    };
    let resolved = listing::resolve_threads(ctx, request, "`limit`")?;
    let page = listing::threads_page(ctx, &resolved, |_, _, _| true)?;
    Ok(customer::ListThreadsResponse {
        threads: page.threads,
        found_threads: page.found_threads,
        next_page_id: page.next_page_id,
        previous_page_id: page.previous_page_id,
        ..Default::default()
    })
}

// ---------------------------------------------------------------------------------------
// Starting, resuming, reading, closing

/// `start_chat`: a new chat with the requester and a thread (active unless `active:
/// false`), routed to an agent of its group, with `incoming_chat` to its users. The access
/// defaults to the customer's group. By default a customer has one chat: a second
/// `start_chat` is a `validation` error ([I]; use `resume_chat`), unless the sandbox
/// allows several (`SandboxBuilder::multiple_chats_per_customer`). `continuous` is kept as
/// the chat property `routing.continuous`.
fn start_chat(
    ctx: &mut Ctx<'_>,
    request: customer::StartChat,
) -> Result<customer::StartChatResponse, ApiError> {
    let me = ctx.customer_id()?;
    if !ctx.state.settings.multiple_chats_per_customer
        && ctx.state.chats.values().any(|c| c.customer() == Some(&me))
    {
        return Err(invalid("The customer already has a chat; use resume_chat"));
    }
    let chat = request.chat.unwrap_or_default();
    let users = chat_ops::initial_users(
        ctx.state,
        &ctx.who,
        chat.users.as_deref().unwrap_or_default(),
    )?;
    let thread = chat.thread.unwrap_or_default();
    let access = chat.access.or_else(|| {
        let group = ctx.state.customers.get(&me).and_then(|c| c.group_id)?;
        Some(lc_protocol::types::Access {
            group_ids: vec![group],
            ..Default::default()
        })
    });
    let chat_id = chat_ops::create_chat(ctx.state, users, access, chat.properties);
    let new = NewThread {
        events: thread.events.unwrap_or_default(),
        properties: thread.properties,
        active: request.active.unwrap_or(true),
    };
    let (thread_id, event_ids) = match chat_ops::open_thread(ctx.state, &chat_id, &ctx.who, new) {
        Ok(opened) => opened,
        Err(e) => {
            // Nothing of a failed request stays.
            ctx.state.chats.remove(&chat_id);
            return Err(e);
        }
    };
    chat_ops::set_continuous(ctx.state, &chat_id, request.continuous);
    chat_ops::route(ctx.state, &chat_id);
    chat_ops::push_incoming_chat(ctx.state, &chat_id, &ctx.who);
    crate::agent_api::announce_statistics(ctx.state, &me);
    Ok(customer::StartChatResponse {
        chat_id,
        thread_id,
        event_ids: (!event_ids.is_empty()).then_some(event_ids),
        ..Default::default()
    })
}

/// `resume_chat`: a new thread (active unless `active: false`) in one of the requester's
/// inactive chats (an active one is a `validation` error, [I] as in the Agent API);
/// `access` replaces the chat's access, `properties` are merged, `continuous` is kept as
/// `routing.continuous`. [I] The agents of earlier threads (and followers) leave the chat,
/// which is then routed like a new one (`chat_ops::route`); `incoming_chat` goes to its
/// users.
fn resume_chat(
    ctx: &mut Ctx<'_>,
    request: customer::ResumeChat,
) -> Result<customer::ResumeChatResponse, ApiError> {
    let me = ctx.customer_id()?;
    let wanted = request.chat;
    let chat = chat_ops::visible_chat(ctx.state, &ctx.who, &wanted.id)?;
    if chat.is_active() {
        return Err(invalid(
            "The chat is already active: only an inactive chat can be resumed",
        ));
    }
    let thread = wanted.thread.unwrap_or_default();
    let new = NewThread {
        events: thread.events.unwrap_or_default(),
        properties: thread.properties,
        active: request.active.unwrap_or(true),
    };
    let (thread_id, event_ids) = chat_ops::open_thread(ctx.state, &wanted.id, &ctx.who, new)?;
    if let Some(chat) = ctx.state.chats.get_mut(&wanted.id) {
        chat.users
            .retain(|u| !matches!(u.principal, Principal::Agent(_)));
        chat.followers.clear();
        chat.unfollowers.clear();
        if let Some(access) = wanted.access {
            if let Some(thread) = chat.threads.last_mut() {
                thread.access = access.clone();
            }
            chat.access = access;
        }
        if let Some(properties) = &wanted.properties {
            chat.properties.merge(properties);
        }
    }
    chat_ops::set_continuous(ctx.state, &wanted.id, request.continuous);
    chat_ops::route(ctx.state, &wanted.id);
    chat_ops::push_incoming_chat(ctx.state, &wanted.id, &ctx.who);
    crate::agent_api::announce_statistics(ctx.state, &me);
    Ok(customer::ResumeChatResponse {
        thread_id,
        event_ids: (!event_ids.is_empty()).then_some(event_ids),
        ..Default::default()
    })
}

/// `get_chat`: one of the requester's chats with one thread (the requested one, by
/// default the last one), as customers see them.
fn get_chat(
    ctx: &mut Ctx<'_>,
    request: customer::GetChat,
) -> Result<customer::GetChatResponse, ApiError> {
    let chat = chat_ops::visible_chat(ctx.state, &ctx.who, &request.chat_id)?;
    let thread = match &request.thread_id {
        Some(id) => Some(
            chat.thread(id)
                .ok_or_else(|| not_found(format_args!("Thread `{id}`")))?,
        ),
        None => chat.threads.last(),
    };
    let view = views::chat_view(ctx.state, chat, thread, &ctx.who);
    Ok(customer::GetChatResponse {
        id: view.id,
        thread: view.thread,
        users: view.users,
        access: view.access,
        properties: view.properties,
        ..Default::default()
    })
}

/// `send_event`: an event of the requester in the chat's active thread (with
/// `attach_to_last_thread`, in its last thread when inactive).
fn send_event(
    ctx: &mut Ctx<'_>,
    request: customer::SendEvent,
) -> Result<customer::SendEventResponse, ApiError> {
    let who = ctx.who.clone();
    let attach = request.attach_to_last_thread.unwrap_or(false);
    let (_, event_id) =
        chat_ops::add_event(ctx.state, &who, &request.chat_id, request.event, attach)?;
    Ok(customer::SendEventResponse {
        event_id,
        ..Default::default()
    })
}

/// `deactivate_chat`: closes the active thread of one of the requester's chats.
fn deactivate_chat(
    ctx: &mut Ctx<'_>,
    request: customer::DeactivateChat,
) -> Result<Empty, ApiError> {
    chat_ops::visible_chat(ctx.state, &ctx.who, &request.id)?;
    let who = ctx.who.clone();
    chat_ops::deactivate(ctx.state, &request.id, Some(&who)).map_err(|e| {
        if e.kind == ErrorType::ChatInactive {
            e
        } else {
            err(e.kind.clone(), e.message)
        }
    })?;
    Ok(Empty {})
}
