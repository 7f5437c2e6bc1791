//! Credentials: Bearer tokens the sandbox minted, and Basic `account_id:PAT` for agents.

use crate::handler::err;
use crate::state::{Principal, State};
use base64::Engine;
use lc_protocol::error::{ApiError, ErrorType};

/// Resolves an `Authorization` value (`Bearer <token>` or `Basic <b64>`), or the RTM
/// login `token` field (same syntax), to the principal it names.
pub(crate) fn authenticate(state: &State, authorization: &str) -> Result<Principal, ApiError> {
    let invalid = || err(ErrorType::Authentication, "Invalid access token");
    let (scheme, value) = authorization.trim().split_once(' ').ok_or_else(invalid)?;
    match scheme {
        "Bearer" | "bearer" if state.accounts.expired(value.trim()) => Err(invalid()),
        "Bearer" | "bearer" => state.tokens.get(value.trim()).cloned().ok_or_else(invalid),
        "Basic" | "basic" => {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(value.trim())
                .map_err(|_| invalid())?;
            let text = String::from_utf8(decoded).map_err(|_| invalid())?;
            let (account, pat) = text.split_once(':').ok_or_else(invalid)?;
            state
                .pats
                .get(&(account.to_owned(), pat.to_owned()))
                .map(|agent| Principal::Agent(agent.clone()))
                .ok_or_else(invalid)
        }
        _ => Err(invalid()),
    }
}
