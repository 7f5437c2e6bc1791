//! Customer actions on chats and events.

use crate::chat_ops::{self, NewThread};
use crate::dispatch::{Ctx, Reply, err, invalid, not_found, run};
use crate::views;
use lc_protocol::Empty;
use lc_protocol::customer;
use lc_protocol::error::{ApiError, ErrorType};
use serde_json::value::RawValue;

/// Handles the chat actions; `None` for actions of other topics.
pub(super) fn handle(ctx: &mut Ctx<'_>, action: &str, payload: &RawValue) -> Option<Reply> {
    Some(match action {
        "start_chat" => run(ctx, payload, start_chat),
        "get_chat" => run(ctx, payload, get_chat),
        "send_event" => run(ctx, payload, send_event),
        "deactivate_chat" => run(ctx, payload, deactivate_chat),
        _ => return None,
    })
}

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
    let (thread_id, event_ids) = chat_ops::open_thread(ctx.state, &chat_id, &ctx.who, new)?;
    chat_ops::route(ctx.state, &chat_id);
    chat_ops::push_incoming_chat(ctx.state, &chat_id, &ctx.who);
    Ok(customer::StartChatResponse {
        chat_id,
        thread_id,
        event_ids: (!event_ids.is_empty()).then_some(event_ids),
        ..Default::default()
    })
}

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
