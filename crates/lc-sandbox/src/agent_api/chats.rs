//! Agent actions on chats: listing, starting, resuming, closing, access and users.

use crate::chat_ops::{self, NewThread};
use crate::dispatch::{Ctx, Reply, err, not_found, run};
use crate::views;
use lc_protocol::Empty;
use lc_protocol::agent;
use lc_protocol::error::{ApiError, ErrorType};
use serde_json::value::RawValue;

/// Handles the chat actions; `None` for actions of other topics.
pub(super) fn handle(ctx: &mut Ctx<'_>, action: &str, payload: &RawValue) -> Option<Reply> {
    Some(match action {
        "start_chat" => run(ctx, payload, start_chat),
        "get_chat" => run(ctx, payload, get_chat),
        "deactivate_chat" => run(ctx, payload, deactivate_chat),
        _ => return None,
    })
}

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
    let (thread_id, event_ids) = chat_ops::open_thread(ctx.state, &chat_id, &ctx.who, new)?;
    chat_ops::push_incoming_chat(ctx.state, &chat_id, &ctx.who);
    Ok(agent::StartChatResponse {
        chat_id,
        thread_id,
        event_ids: (!event_ids.is_empty()).then_some(event_ids),
        ..Default::default()
    })
}

fn get_chat(
    ctx: &mut Ctx<'_>,
    request: agent::GetChat,
) -> Result<agent::GetChatResponse, ApiError> {
    let chat = chat_ops::visible_chat(ctx.state, &ctx.who, &request.chat_id)?;
    let thread = match &request.thread_id {
        Some(id) => Some(
            chat.thread(id)
                .ok_or_else(|| not_found(format_args!("Thread `{id}`")))?,
        ),
        None => chat.threads.last(),
    };
    let view = views::chat_view(ctx.state, chat, thread, &ctx.who);
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

fn deactivate_chat(ctx: &mut Ctx<'_>, request: agent::DeactivateChat) -> Result<Empty, ApiError> {
    let chat = chat_ops::visible_chat(ctx.state, &ctx.who, &request.id)?;
    if chat.user(&ctx.who).is_none() && !request.ignore_requester_presence.unwrap_or(false) {
        return Err(err(
            ErrorType::Authorization,
            "The requester is not a user of the chat",
        ));
    }
    let who = ctx.who.clone();
    chat_ops::deactivate(ctx.state, &request.id, Some(&who))?;
    Ok(Empty {})
}
