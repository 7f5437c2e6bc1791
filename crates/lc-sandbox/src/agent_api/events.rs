//! Agent actions on events: sending, previews, postbacks, properties, tags, indicators.

use crate::chat_ops;
use crate::dispatch::{Ctx, Reply, run};
use lc_protocol::agent;
use lc_protocol::error::ApiError;
use serde_json::value::RawValue;

/// Handles the event actions; `None` for actions of other topics.
pub(super) fn handle(ctx: &mut Ctx<'_>, action: &str, payload: &RawValue) -> Option<Reply> {
    Some(match action {
        "send_event" => run(ctx, payload, send_event),
        _ => return None,
    })
}

fn send_event(
    ctx: &mut Ctx<'_>,
    request: agent::SendEvent,
) -> Result<agent::SendEventResponse, ApiError> {
    let who = ctx.who.clone();
    let attach = request.attach_to_last_thread.unwrap_or(false);
    let (_, event_id) =
        chat_ops::add_event(ctx.state, &who, &request.chat_id, request.event, attach)?;
    Ok(agent::SendEventResponse {
        event_id,
        ..Default::default()
    })
}
