//! The Configuration API (Web only): bots and bot tokens, webhook registrations and the
//! license webhooks state, and the group and agent reads.
//!
//! Credentials: agent `Bearer` tokens (the accounts service's, carrying their OAuth
//! client id, or the sandbox's own, carrying none), `Basic` personal access tokens, and
//! bot tokens. `issue_bot_token` and `list_webhook_names` need none (checked by
//! `crate::web`). Agent credentials may call every action (the sandbox grants every
//! scope). A bot token has the fixed scopes `chats--access:rw`, `agents-bot--my:rw` and
//! `customers:rw`; on this API it may call only what `agents-bot--my` covers —
//! `create_bot`, `update_bot`, `delete_bot`, `list_bots` (not `all: true`), `get_bot`,
//! `reset_bot_secret`, on the bots of its own application — besides the two actions that
//! need no credential; anything else is `authorization` (§2.5: a bot cannot read groups
//! or agents).
//!
//! Handlers: [`bots`] (writes), [`bot_reads`], [`bot_token`], [`webhooks`] (the
//! registration actions; delivery is `crate::webhook_delivery`'s), [`webhook_names`] (the
//! table of webhook actions), [`reads`] (groups and agents); [`access`] holds the rules
//! they share.

mod access;
mod bot_reads;
mod bot_token;
mod bots;
mod reads;
mod webhook_names;
mod webhooks;

use crate::handler::{Ctx, Reply, err};
use lc_protocol::error::ErrorType;
use serde_json::value::RawValue;

/// Runs a Configuration action (already checked to exist for this version).
pub(crate) fn handle(ctx: &mut Ctx<'_>, action: &str, payload: &RawValue) -> Reply {
    bots::handle(ctx, action, payload)
        .or_else(|| bot_reads::handle(ctx, action, payload))
        .or_else(|| bot_token::handle(ctx, action, payload))
        .or_else(|| webhooks::handle(ctx, action, payload))
        .or_else(|| webhook_names::handle(ctx, action, payload))
        .or_else(|| reads::handle(ctx, action, payload))
        .unwrap_or_else(|| {
            Err(err(
                ErrorType::Validation,
                format!("`{action}` is not served by lc-sandbox"),
            ))
        })
}
