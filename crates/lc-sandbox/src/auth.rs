//! Credentials: Bearer tokens the sandbox minted (its own, the accounts service's, bot
//! tokens from `issue_bot_token`), and Basic `account_id:PAT` for agents.

use crate::handler::err;
use crate::state::{AuthKind, Principal, State};
use base64::Engine;
use lc_protocol::error::{ApiError, ErrorType};
use std::time::Instant;

/// Who a credential names, which application it speaks for and what kind it is.
#[derive(Debug, Clone)]
pub(crate) struct Credential {
    pub(crate) principal: Principal,
    /// The OAuth client id the token was issued to (bot tokens: the bot's owner).
    pub(crate) client_id: Option<String>,
    pub(crate) kind: AuthKind,
}

/// Resolves an `Authorization` value (`Bearer <token>` or `Basic <b64>`), or the RTM
/// login `token` field (same syntax), to the principal it names.
pub(crate) fn authenticate(state: &State, authorization: &str) -> Result<Principal, ApiError> {
    credential(state, authorization).map(|c| c.principal)
}

/// Like [`authenticate`], with the client id and kind of the credential. A bot token
/// works while it has not expired and its bot exists (a deleted bot's tokens stop
/// working; `reset_bot_secret` leaves them valid).
pub(crate) fn credential(state: &State, authorization: &str) -> Result<Credential, ApiError> {
    let invalid = || err(ErrorType::Authentication, "Invalid access token");
    let (scheme, value) = authorization.trim().split_once(' ').ok_or_else(invalid)?;
    let value = value.trim();
    match scheme {
        "Bearer" | "bearer" => {
            if let Some(bot) = state.bot_tokens.get(value) {
                if Instant::now() >= bot.expires_at || !state.bots.contains_key(&bot.bot) {
                    return Err(invalid());
                }
                return Ok(Credential {
                    principal: Principal::Agent(bot.bot.clone()),
                    client_id: Some(bot.client_id.clone()),
                    kind: AuthKind::Bot,
                });
            }
            if state.accounts.expired(value) {
                return Err(invalid());
            }
            let principal = state.tokens.get(value).cloned().ok_or_else(invalid)?;
            Ok(Credential {
                principal,
                client_id: state.accounts.client_ids.get(value).cloned(),
                kind: AuthKind::Bearer,
            })
        }
        "Basic" | "basic" => {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(value)
                .map_err(|_| invalid())?;
            let text = String::from_utf8(decoded).map_err(|_| invalid())?;
            let (account, pat) = text.split_once(':').ok_or_else(invalid)?;
            let agent = state
                .pats
                .get(&(account.to_owned(), pat.to_owned()))
                .ok_or_else(invalid)?;
            Ok(Credential {
                principal: Principal::Agent(agent.clone()),
                client_id: None,
                kind: AuthKind::Pat,
            })
        }
        _ => Err(invalid()),
    }
}
