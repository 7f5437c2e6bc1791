//! `issue_bot_token` (§2.5): a JWT-shaped token that acts as the bot on the Agent Chat
//! Web API and on the bot actions of this API, valid for the builder's
//! `bot_token_lifetime` (24 hours by default), not revocable, without a region prefix.
//! Any credential or none may ask (Q9): the bot secret is the credential, and a wrong
//! secret, client id, organization or bot is `authentication`.

use crate::bots::{BotToken, jwt};
use crate::handler::{Ctx, Reply, err, run};
use lc_protocol::configuration::{IssueBotToken, IssueBotTokenResponse};
use lc_protocol::error::{ApiError, ErrorType};
use lc_protocol::id::Token;
use serde_json::value::RawValue;
use std::time::Instant;

/// Handles `issue_bot_token`; `None` for other actions.
pub(super) fn handle(ctx: &mut Ctx<'_>, action: &str, payload: &RawValue) -> Option<Reply> {
    (action == "issue_bot_token").then(|| run(ctx, payload, issue_bot_token))
}

/// `issue_bot_token`: checks the bot, its owner client id, its secret and the
/// organization, then issues a token.
fn issue_bot_token(
    ctx: &mut Ctx<'_>,
    request: IssueBotToken,
) -> Result<IssueBotTokenResponse, ApiError> {
    let refused = |why: &str| {
        err(
            ErrorType::Authentication,
            format!("Cannot issue a bot token: {why}"),
        )
    };
    let bot = ctx
        .state
        .bots
        .get(&request.bot_id)
        .ok_or_else(|| refused("unknown bot"))?;
    if bot.owner_client_id != request.client_id {
        return Err(refused("the client id does not own the bot"));
    }
    if bot.secret != request.bot_secret.expose() {
        return Err(refused("wrong bot secret"));
    }
    let organization = &ctx.state.settings.organization_id;
    if request.organization_id.as_str() != organization {
        return Err(refused("wrong organization id"));
    }
    let lifetime = ctx.state.settings.bot_token_lifetime;
    let token = jwt(&request.bot_id, &request.client_id, organization, lifetime);
    let now = Instant::now();
    ctx.state.bot_tokens.retain(|_, t| t.expires_at > now);
    ctx.state.bot_tokens.insert(
        token.clone(),
        BotToken {
            bot: request.bot_id,
            client_id: request.client_id,
            expires_at: now + lifetime,
        },
    );
    Ok(IssueBotTokenResponse {
        token: Token::new(token),
        extra: Default::default(),
    })
}
