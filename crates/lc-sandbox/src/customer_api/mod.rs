//! The Customer Chat API: one handler per action, grouped by topic.

mod chats;
mod config;
mod events;
mod profile;

use crate::handler::{Ctx, Reply, err};
use lc_protocol::error::ErrorType;
use serde_json::value::RawValue;

pub(crate) use config::show_greeting;
pub(crate) use profile::{check_not_banned, login};

/// Runs a customer action (already checked to exist for this version and transport).
pub(crate) fn handle(ctx: &mut Ctx<'_>, action: &str, payload: &RawValue) -> Reply {
    chats::handle(ctx, action, payload)
        .or_else(|| events::handle(ctx, action, payload))
        .or_else(|| profile::handle(ctx, action, payload))
        .or_else(|| config::handle(ctx, action, payload))
        .unwrap_or_else(|| {
            Err(err(
                ErrorType::Internal,
                format!("`{action}` is not served by lc-sandbox yet"),
            ))
        })
}
