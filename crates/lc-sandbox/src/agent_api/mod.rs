//! The Agent Chat API: one handler per action, grouped by topic.

mod chats;
mod customers;
mod events;
mod status;

use crate::handler::{Ctx, Reply, err};
use lc_protocol::error::ErrorType;
use serde_json::value::RawValue;

pub(crate) use customers::{
    announce_left, announce_online, announce_statistics, apply_update, queue_subscription_totals,
    watchers,
};
pub(crate) use status::{login, routing_status_of};

/// Runs an agent action (already checked to exist for this version and transport).
pub(crate) fn handle(ctx: &mut Ctx<'_>, action: &str, payload: &RawValue) -> Reply {
    chats::handle(ctx, action, payload)
        .or_else(|| events::handle(ctx, action, payload))
        .or_else(|| customers::handle(ctx, action, payload))
        .or_else(|| status::handle(ctx, action, payload))
        .unwrap_or_else(|| {
            Err(err(
                ErrorType::Internal,
                format!("`{action}` is not served by lc-sandbox yet"),
            ))
        })
}
