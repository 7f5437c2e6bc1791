//! The admin API's remote control: create agents and customers, mint and revoke
//! tokens, drop connections, disconnect users, arm faults. Each function takes the
//! request's JSON body and answers JSON, or a message for a 400/404.

use super::refusal::Refusal;
use crate::accounts::{NewAgent, NewCustomer};
use crate::shared::Shared;
use crate::state::Principal;
use lc_protocol::error::{ApiError, ErrorType};
use lc_protocol::id::{AgentId, CustomerId};
use serde::Deserialize;
use serde_json::{Value, json};
use std::time::Duration;

/// The disconnect reasons the LiveChat docs list for agents and customers.
pub(crate) const DISCONNECT_REASONS: &[&str] = &[
    "access_token_expired",
    "access_token_revoked",
    "agent_disconnected_by_server",
    "agent_logged_out_remotely",
    "connection_evicted",
    "connection_timeout",
    "customer_temporarily_blocked",
    "internal_error",
    "license_expired",
    "license_not_found",
    "logged_out_remotely",
    "misdirected_connection",
    "role_permissions_changed",
    "service_temporarily_unavailable",
    "too_many_connections",
    "too_many_unauthorized_connections",
    "unsupported_version",
];

fn parse<'a, T: Deserialize<'a>>(body: &'a [u8]) -> Result<T, Refusal> {
    let body = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}".as_slice()
    } else {
        body
    };
    serde_json::from_slice(body).map_err(|e| Refusal::BadRequest(format!("body: {e}")))
}

/// `POST /_sandbox/agents`: creates an agent (or a bot) and returns its credentials.
pub(crate) fn create_agent(shared: &Shared, body: &[u8]) -> Result<Value, Refusal> {
    #[derive(Deserialize)]
    struct Spec {
        id: String,
        name: Option<String>,
        #[serde(default)]
        groups: Vec<u32>,
        #[serde(default)]
        bot: bool,
    }
    let spec: Spec = parse(body)?;
    if spec.id.trim().is_empty() {
        return Err(Refusal::BadRequest("id: empty".into()));
    }
    if shared.lock().agents.contains_key(&AgentId::new(&spec.id)) {
        return Err(Refusal::BadRequest(format!("agent {} exists", spec.id)));
    }
    let mut new = NewAgent::new(spec.id);
    if let Some(name) = spec.name {
        new = new.name(name);
    }
    if !spec.groups.is_empty() {
        new = new.groups(spec.groups);
    }
    if spec.bot {
        new = new.bot();
    }
    let made = crate::sandbox::create_agent(shared, new);
    Ok(json!({
        "id": made.id,
        "token": made.token.expose(),
        "bearer": format!("Bearer {}", made.token.expose()),
        "account_id": made.account_id,
        "pat": made.pat.expose(),
    }))
}

/// `POST /_sandbox/customers`: creates a customer and returns its id and token.
pub(crate) fn create_customer(shared: &Shared, body: &[u8]) -> Result<Value, Refusal> {
    #[derive(Deserialize)]
    struct Spec {
        name: Option<String>,
        email: Option<String>,
        group: Option<u32>,
    }
    let spec: Spec = parse(body)?;
    let mut new = NewCustomer::new();
    if let Some(name) = spec.name {
        new = new.name(name);
    }
    if let Some(email) = spec.email {
        new = new.email(email);
    }
    if let Some(group) = spec.group {
        new = new.group(group);
    }
    let made = crate::sandbox::create_customer(shared, new);
    Ok(json!({
        "id": made.id,
        "token": made.token.expose(),
        "bearer": format!("Bearer {}", made.token.expose()),
    }))
}

/// `POST /_sandbox/agents/{id}/token` and `/_sandbox/customers/{id}/token`: a new
/// token for an existing user.
pub(crate) fn mint_token(shared: &Shared, user: &str, agent: bool) -> Result<Value, Refusal> {
    let mut state = shared.lock();
    let principal = if agent {
        let id = AgentId::new(user);
        state
            .agents
            .contains_key(&id)
            .then_some(Principal::Agent(id))
    } else {
        let id = CustomerId::new(user);
        state
            .customers
            .contains_key(&id)
            .then_some(Principal::Customer(id))
    };
    let principal = principal.ok_or_else(|| Refusal::NotFound(format!("no user {user}")))?;
    let token = state.mint_token(principal);
    Ok(json!({ "bearer": format!("Bearer {token}"), "token": token }))
}

/// `POST /_sandbox/tokens/revoke` `{"token"}`: logins and Web calls with it fail from
/// now on (connections already logged in stay, as with the real service).
pub(crate) fn revoke_token(shared: &Shared, body: &[u8]) -> Result<Value, Refusal> {
    #[derive(Deserialize)]
    struct Spec {
        token: String,
    }
    let spec: Spec = parse(body)?;
    let token = spec.token.trim_start_matches("Bearer ");
    let revoked = shared.lock().tokens.remove(token).is_some();
    Ok(json!({ "revoked": revoked }))
}

/// `POST /_sandbox/connections/{id}/drop`: cuts one RTM connection as a network failure
/// would (no disconnect push, no close frame).
pub(crate) fn drop_connection(shared: &Shared, conn: &str) -> Result<Value, Refusal> {
    let id: u64 = conn
        .parse()
        .map_err(|_| Refusal::BadRequest(format!("connection id {conn:?}")))?;
    let state = shared.lock();
    let rec = state
        .conns
        .get(&id)
        .ok_or_else(|| Refusal::NotFound(format!("no connection {id}")))?;
    rec.cutoff.cut();
    Ok(json!({ "dropped": [id] }))
}

/// `POST /_sandbox/users/{id}/drop`: cuts every RTM connection of a user.
pub(crate) fn drop_user(shared: &Shared, user: &str) -> Result<Value, Refusal> {
    let state = shared.lock();
    let conns = state.conns_of_user(user);
    for id in &conns {
        if let Some(rec) = state.conns.get(id) {
            rec.cutoff.cut();
        }
    }
    Ok(json!({ "dropped": conns }))
}

/// `POST /_sandbox/users/{id}/disconnect` `{"reason"}`: the disconnect push with a
/// documented reason, then the connection closes.
pub(crate) fn disconnect(shared: &Shared, user: &str, body: &[u8]) -> Result<Value, Refusal> {
    #[derive(Deserialize)]
    struct Spec {
        reason: String,
    }
    let spec: Spec = parse(body)?;
    if !DISCONNECT_REASONS.contains(&spec.reason.as_str()) {
        return Err(Refusal::BadRequest(format!(
            "reason {:?} is not a documented disconnect reason",
            spec.reason
        )));
    }
    let state = shared.lock();
    let conns = state.conns_of_user(user);
    for conn in &conns {
        crate::state::close_conn(&state, *conn, &spec.reason);
    }
    Ok(json!({ "disconnected": conns }))
}

/// `POST /_sandbox/faults/fail_next` `{"action", "error", "count"}`.
pub(crate) fn fail_next(shared: &Shared, body: &[u8]) -> Result<Value, Refusal> {
    #[derive(Deserialize)]
    struct Spec {
        action: String,
        error: String,
        #[serde(default = "one")]
        count: u32,
        message: Option<String>,
    }
    fn one() -> u32 {
        1
    }
    let spec: Spec = parse(body)?;
    let kind = ErrorType::from(spec.error.as_str());
    if kind.is_unknown() {
        return Err(Refusal::BadRequest(format!(
            "error {:?} is not a LiveChat error type",
            spec.error
        )));
    }
    let mut error = ApiError::new(kind);
    if let Some(message) = spec.message {
        error.message = message;
    }
    shared.faults().fail_next(&spec.action, error, spec.count);
    Ok(json!({ "action": spec.action, "count": spec.count }))
}

/// `POST /_sandbox/faults/delay` `{"ms", "action"?}`: delays every response (or one
/// action's); zero turns it off.
pub(crate) fn delay(shared: &Shared, body: &[u8]) -> Result<Value, Refusal> {
    #[derive(Deserialize)]
    struct Spec {
        ms: u64,
        action: Option<String>,
    }
    let spec: Spec = parse(body)?;
    let delay = Duration::from_millis(spec.ms);
    match &spec.action {
        Some(action) => shared.faults().set_action_delay(action, delay),
        None => shared.faults().set_delay(delay),
    }
    Ok(json!({ "ms": spec.ms, "action": spec.action }))
}
