//! Customer actions on events: postbacks, sneak peeks, properties, deletion, seen marks.

use crate::chat_ops;
use crate::clock;
use crate::event_actions::{self, CustomerEvents};
use crate::event_ops;
use crate::handler::{Ctx, Reply, err, run};
use crate::outbox::Audience;
use lc_protocol::Empty;
use lc_protocol::customer;
use lc_protocol::error::{ApiError, ErrorType};
use serde_json::json;
use serde_json::value::RawValue;

/// Handles the event actions; `None` for actions of other topics. The actions both APIs
/// serve alike (properties, postbacks, seen marks) are [`event_actions`]'.
pub(super) fn handle(ctx: &mut Ctx<'_>, action: &str, payload: &RawValue) -> Option<Reply> {
    if let Some(reply) = event_actions::handle::<CustomerEvents>(ctx, action, payload) {
        return Some(reply);
    }
    Some(match action {
        "delete_event" => run(ctx, payload, delete_event),
        "send_sneak_peek" => run(ctx, payload, send_sneak_peek),
        _ => return None,
    })
}

/// `delete_event` (3.6): the event disappears from every Customer API view; agents still
/// get it, marked `deleted: true`. Pushes `event_deleted` to the chat. [I] A customer
/// deletes only its own events (`authorization` otherwise); a deleted event is
/// `not_found`.
fn delete_event(ctx: &mut Ctx<'_>, request: customer::DeleteEvent) -> Result<Empty, ApiError> {
    let who = ctx.who.clone();
    let event = event_ops::event_mut(
        ctx.state,
        &who,
        &request.chat_id,
        &request.thread_id,
        &request.event_id,
    )?;
    if event.author_id() != Some(&who.user_id()) {
        return Err(err(
            ErrorType::Authorization,
            "A customer can delete only its own events",
        ));
    }
    event.set_deleted(Some(true));
    let payload = json!({
        "chat_id": request.chat_id,
        "thread_id": request.thread_id,
        "event_id": request.event_id,
    });
    ctx.state
        .outbox
        .both(Audience::Chat(request.chat_id), "event_deleted", &payload);
    Ok(Empty {})
}

/// `send_sneak_peek`: what the customer is typing, pushed as `incoming_sneak_peek` to the
/// chat's agents only. [I] The chat must be active (`chat_inactive` otherwise).
fn send_sneak_peek(ctx: &mut Ctx<'_>, request: customer::SendSneakPeek) -> Result<Empty, ApiError> {
    let who = ctx.who.clone();
    let chat = chat_ops::visible_chat(ctx.state, &who, &request.chat_id)?;
    let thread_id = event_ops::active_thread_id(chat)?;
    let timestamp = clock::unix(ctx.state.clock.tick());
    let payload = json!({
        "chat_id": request.chat_id,
        "thread_id": thread_id,
        "sneak_peek": {
            "author_id": who.user_id(),
            "text": request.sneak_peek_text,
            "timestamp": timestamp,
        },
    });
    ctx.state.outbox.agents(
        Audience::ChatAgents(request.chat_id),
        "incoming_sneak_peek",
        &payload,
    );
    Ok(Empty {})
}
