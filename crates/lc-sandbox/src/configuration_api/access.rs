//! Who may do what on the Configuration API — the `owner_client_id` rule (§2.2) and the
//! fixed scopes of bot tokens — and which optional fields a read may ask for. Shared by
//! the handlers of this directory.

use crate::handler::{Ctx, err, invalid};
use crate::state::AuthKind;
use lc_protocol::error::{ApiError, ErrorType};
use lc_protocol::id::AgentId;

/// The application an action acts for (§2.2): `owner_client_id` when given (it overrides
/// the token's), else the client id of the token. It is required with a personal access
/// token and with a token that carries no client id (the sandbox's own tokens):
/// `validation` naming `owner_client_id` then. An empty one is `validation` too.
///
/// The sandbox has no application directory: any non-empty client id is accepted (the
/// real service refuses client ids of other organizations).
pub(super) fn owner_client_id(ctx: &Ctx<'_>, given: Option<&str>) -> Result<String, ApiError> {
    let chosen = match (given, ctx.auth) {
        (Some(id), _) => Some(id.to_owned()),
        (None, AuthKind::Pat) => None,
        (None, _) => ctx.client_id.clone(),
    };
    match chosen {
        Some(id) if ctx.auth == AuthKind::Bot && Some(&id) != ctx.client_id.as_ref() => Err(err(
            ErrorType::Authorization,
            "A bot token acts only for its own application",
        )),
        Some(id) if !id.trim().is_empty() => Ok(id),
        Some(_) => Err(invalid("`owner_client_id` must not be empty")),
        None => Err(invalid(
            "`owner_client_id` is required (with a personal access token, or a token of no application)",
        )),
    }
}

/// A bot token may act only on the bots of its own application (`agents-bot--my`);
/// `authorization` for another application's bot. Other credentials may act on every
/// bot (the sandbox's agent tokens carry every scope).
pub(super) fn check_bot_owner(ctx: &Ctx<'_>, bot: &AgentId) -> Result<(), ApiError> {
    if ctx.auth != AuthKind::Bot {
        return Ok(());
    }
    let owner = ctx.state.bots.get(bot).map(|b| &b.owner_client_id);
    match owner {
        Some(owner) if Some(owner) != ctx.client_id.as_ref() => Err(err(
            ErrorType::Authorization,
            "A bot token may act only on the bots of its application (agents-bot--my)",
        )),
        _ => Ok(()),
    }
}

/// `authorization` for a bot token: what its fixed scopes (`chats--access:rw`,
/// `agents-bot--my:rw`, `customers:rw`) do not cover.
pub(super) fn deny_bot_token(ctx: &Ctx<'_>, action: &str) -> Result<(), ApiError> {
    if ctx.auth == AuthKind::Bot {
        return Err(err(
            ErrorType::Authorization,
            format!("A bot token's scopes do not allow `{action}`"),
        ));
    }
    Ok(())
}

/// The optional `fields` a read asks for; one the API does not know is `validation`.
pub(super) fn requested_fields<F: std::fmt::Display>(
    fields: Option<Vec<F>>,
    is_unknown: impl Fn(&F) -> bool,
) -> Result<Vec<F>, ApiError> {
    let fields = fields.unwrap_or_default();
    match fields.iter().find(|f| is_unknown(f)) {
        Some(unknown) => Err(invalid(format!("Unknown field `{unknown}`"))),
        None => Ok(fields),
    }
}
