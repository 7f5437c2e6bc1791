//! The accounts service, emulated: `POST /v2/token` (refresh-token and authorization-code
//! grants) and `POST /v2/customer/token` (`cookie` and `agent_token` grants, and the
//! per-group `/v2/customer/{organization_id}/{group_id}/token`). The tokens it issues
//! work on the chat APIs of the same sandbox and expire after the builder's
//! `access_token_lifetime`.
//!
//! Errors take the shape each endpoint documents: `{"error", "error_description"}` for
//! `/v2/token`, `{"oauth_exception", "exception_description"}` for the customer
//! endpoints.

use crate::accounts_store::{AppRec, CodeRec, RefreshRec};
use crate::body::RequestBody;
use crate::query::percent_decode;
use crate::response::text;
use crate::sandbox::Sandbox;
use crate::shared::Shared;
use crate::state::{CustomerRec, Principal, State};
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full, Limited};
use lc_protocol::id::{AgentId, CustomerId, GroupId, Token};
use lc_protocol::types::{Customer, UserType};
use serde_json::{Map, Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Largest request body read.
const MAX_BODY: usize = 64 * 1024;
/// How long an authorization code can be exchanged ("a few minutes").
const CODE_LIFETIME: Duration = Duration::from_secs(5 * 60);
/// The longest customer token lifetime granted (a year), whatever `expires_in` asks.
const MAX_CUSTOMER_LIFETIME: u64 = 365 * 24 * 60 * 60;
/// The customer cookies' `Max-Age` (2 years).
const COOKIE_MAX_AGE: u32 = 63_072_000;

/// An OAuth app registered on the sandbox's accounts service (see
/// [`Sandbox::create_oauth_client`]).
#[derive(Debug, Clone)]
pub struct OAuthClient {
    /// Its client id.
    pub client_id: String,
    /// Its client secret; `None` for an app without one (a browser app using PKCE),
    /// whose refresh tokens are single-use: every refresh hands out a new one.
    pub client_secret: Option<Token>,
}

/// An error of the accounts service: its code, description and HTTP status.
struct Refusal {
    status: StatusCode,
    code: &'static str,
    description: String,
}

fn refuse(status: StatusCode, code: &'static str, description: impl Into<String>) -> Refusal {
    Refusal {
        status,
        code,
        description: description.into(),
    }
}

fn unauthorized(code: &'static str, description: impl Into<String>) -> Refusal {
    refuse(StatusCode::UNAUTHORIZED, code, description)
}

fn invalid_request(description: impl Into<String>) -> Refusal {
    refuse(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_request",
        description,
    )
}

/// Whether `path` is one of the accounts service's.
pub(crate) fn owns(path: &str) -> bool {
    path == "/v2/token" || path.starts_with("/v2/customer/")
}

/// Serves one accounts service request.
pub(crate) async fn route<B: RequestBody>(
    req: Request<B>,
    shared: Arc<Shared>,
) -> Response<Full<Bytes>> {
    let path = req.uri().path().trim_end_matches('/').to_owned();
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let customer = match parts.as_slice() {
        ["v2", "token"] => None,
        ["v2", "customer", "token"] => Some(None),
        ["v2", "customer", org, group, "token"] => {
            Some(Some(((*org).to_owned(), (*group).to_owned())))
        }
        _ => return text(StatusCode::NOT_FOUND, "not found"),
    };
    let outcome = answer(req, &shared, customer).await;
    let is_customer = parts.get(1) == Some(&"customer");
    match outcome {
        Ok((body, cookies)) => {
            let mut response = json(StatusCode::OK, &body);
            for cookie in cookies {
                if let Ok(value) = HeaderValue::from_str(&cookie) {
                    response.headers_mut().append(header::SET_COOKIE, value);
                }
            }
            response
        }
        Err(refusal) if is_customer => {
            // The customer endpoints document 401 (and 500) only.
            let status = if refusal.status.is_server_error() {
                refusal.status
            } else {
                StatusCode::UNAUTHORIZED
            };
            json(
                status,
                &json!({
                    "oauth_exception": refusal.code,
                    "exception_description": refusal.description,
                }),
            )
        }
        Err(refusal) => json(
            refusal.status,
            &json!({
                "error": refusal.code,
                "error_description": refusal.description,
                "sub_error": null,
                "request_id": uuid::Uuid::new_v4().to_string(),
            }),
        ),
    }
}

type Answer = Result<(Value, Vec<String>), Refusal>;

async fn answer<B: RequestBody>(
    req: Request<B>,
    shared: &Shared,
    customer: Option<Option<(String, String)>>,
) -> Answer {
    shared.lock().accounts.requests += 1;
    if req.method() != Method::POST {
        return Err(invalid_request("this endpoint takes POST"));
    }
    let headers = req.headers().clone();
    let body = read_body(req).await?;
    let mut state = shared.lock();
    match customer {
        None => agent_grant(&mut state, &body).map(|body| (body, Vec::new())),
        Some(group) => customer_grant(&mut state, &headers, &body, group),
    }
}

/// The body as fields: JSON, or a form (`application/x-www-form-urlencoded`); without a
/// `Content-Type`, JSON when it starts with `{`.
async fn read_body<B: RequestBody>(req: Request<B>) -> Result<Map<String, Value>, Refusal> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let bytes = Limited::new(req.into_body(), MAX_BODY)
        .collect()
        .await
        .map_err(|e| invalid_request(format!("unreadable body: {e}")))?
        .to_bytes();
    let text = std::str::from_utf8(&bytes).map_err(|_| invalid_request("the body is not UTF-8"))?;
    let is_json = content_type.contains("json")
        || (!content_type.contains("form") && text.trim_start().starts_with('{'));
    if is_json {
        return match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(map)) => Ok(map),
            _ => Err(invalid_request("the body must be a JSON object")),
        };
    }
    Ok(text
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), Value::String(percent_decode(v)))
        })
        .collect())
}

/// A text field of the body.
fn field<'a>(body: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    body.get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

fn required<'a>(body: &'a Map<String, Value>, name: &str) -> Result<&'a str, Refusal> {
    field(body, name).ok_or_else(|| invalid_request(format!("{name} is required")))
}

/// `POST /v2/token`.
fn agent_grant(state: &mut State, body: &Map<String, Value>) -> Result<Value, Refusal> {
    let grant = required(body, "grant_type")?;
    let client_id = required(body, "client_id")?;
    let (agent, refresh_token) = match grant {
        "refresh_token" => refresh_grant(state, body, client_id)?,
        "authorization_code" | "code" => code_grant(state, body, client_id)?,
        other => {
            return Err(refuse(
                StatusCode::FORBIDDEN,
                "unsupported_grant_type",
                format!("grant_type `{other}` is not supported"),
            ));
        }
    };
    let access_token = issue_access_token(state, Principal::Agent(agent.clone()));
    state
        .accounts
        .client_ids
        .insert(access_token.clone(), client_id.to_owned());
    let account_id = state
        .pats
        .iter()
        .find(|(_, id)| **id == agent)
        .map(|((account, _), _)| account.clone())
        .unwrap_or_default();
    Ok(json!({
        "access_token": access_token,
        "account_id": account_id,
        "expires_in": state.accounts.lifetime.as_secs(),
        "organization_id": state.settings.organization_id,
        "refresh_token": refresh_token,
        "scope": "",
        "token_type": "Bearer",
    }))
}

/// Checks the client and its secret (required when the app has one).
fn check_client(state: &State, body: &Map<String, Value>, client_id: &str) -> Result<(), Refusal> {
    let app = state
        .accounts
        .apps
        .get(client_id)
        .ok_or_else(|| unauthorized("unauthorized_client", "client_id_not_found"))?;
    match &app.secret {
        Some(secret) if field(body, "client_secret") != Some(secret.as_str()) => {
            Err(unauthorized("unauthorized_client", "invalid client_secret"))
        }
        _ => Ok(()),
    }
}

/// The refresh-token grant: the agent, and the refresh token to hand back (a new one for
/// apps without a secret, whose refresh tokens are single-use).
fn refresh_grant(
    state: &mut State,
    body: &Map<String, Value>,
    client_id: &str,
) -> Result<(AgentId, String), Refusal> {
    let token = required(body, "refresh_token")?.to_owned();
    check_client(state, body, client_id)?;
    let rec = state
        .accounts
        .refresh_tokens
        .get(&token)
        .ok_or_else(|| unauthorized("unauthorized_client", "refresh token not found"))?
        .clone();
    if rec.client_id != client_id {
        return Err(unauthorized(
            "invalid_client",
            "the refresh token belongs to another client",
        ));
    }
    if rec.revoked {
        return Err(unauthorized(
            "invalid_grant",
            "the refresh token was revoked or already used",
        ));
    }
    let single_use = state
        .accounts
        .apps
        .get(client_id)
        .is_some_and(|app| app.secret.is_none());
    if !single_use {
        return Ok((rec.agent, token));
    }
    if let Some(old) = state.accounts.refresh_tokens.get_mut(&token) {
        old.revoked = true;
    }
    let new = new_refresh_token(state, client_id, &rec.agent);
    Ok((rec.agent, new))
}

/// The authorization-code grant: the agent and a new refresh token.
fn code_grant(
    state: &mut State,
    body: &Map<String, Value>,
    client_id: &str,
) -> Result<(AgentId, String), Refusal> {
    let code = required(body, "code")?.to_owned();
    let redirect_uri = required(body, "redirect_uri")?.to_owned();
    check_client(state, body, client_id)?;
    let gone = || {
        unauthorized(
            "unauthorized_client",
            "the code is unknown, expired or used",
        )
    };
    let rec = state.accounts.codes.remove(&code).ok_or_else(gone)?;
    if rec.expires_at <= Instant::now() || rec.client_id != client_id {
        return Err(gone());
    }
    if rec.redirect_uri != redirect_uri {
        return Err(unauthorized("unauthorized_client", "invalid_redirect_uri"));
    }
    let refresh = new_refresh_token(state, client_id, &rec.agent);
    Ok((rec.agent, refresh))
}

fn new_refresh_token(state: &mut State, client_id: &str, agent: &AgentId) -> String {
    let token = uuid::Uuid::new_v4().simple().to_string();
    state.accounts.refresh_tokens.insert(
        token.clone(),
        RefreshRec {
            client_id: client_id.to_owned(),
            agent: agent.clone(),
            revoked: false,
        },
    );
    token
}

/// Mints an access token for `who` that expires after the configured lifetime.
fn issue_access_token(state: &mut State, who: Principal) -> String {
    issue_with_lifetime(state, who, state.accounts.lifetime)
}

fn issue_with_lifetime(state: &mut State, who: Principal, lifetime: Duration) -> String {
    let token = state.mint_token(who);
    let now = Instant::now();
    let accounts = &mut state.accounts;
    accounts.expiry.retain(|_, at| *at > now);
    let live = &accounts.expiry;
    accounts
        .client_ids
        .retain(|token, _| live.contains_key(token));
    state.accounts.expiry.insert(token.clone(), now + lifetime);
    token
}

/// `POST /v2/customer/token` and `POST /v2/customer/{organization_id}/{group_id}/token`.
fn customer_grant(
    state: &mut State,
    headers: &HeaderMap,
    body: &Map<String, Value>,
    path_group: Option<(String, String)>,
) -> Answer {
    let grant = required(body, "grant_type")?;
    let client_id = required(body, "client_id")?.to_owned();
    if !state.accounts.apps.contains_key(&client_id) {
        return Err(unauthorized("unauthorized_client", "client_id_not_found"));
    }
    let group = match &path_group {
        Some((org, group)) => {
            check_organization(state, org)?;
            let id: u32 = group
                .parse()
                .map_err(|_| invalid_request("the group id must be a number"))?;
            if !state.groups.contains_key(&GroupId(id)) {
                return Err(refuse(
                    StatusCode::NOT_FOUND,
                    "resource_not_found",
                    "group not found",
                ));
            }
            Some(id)
        }
        None => None,
    };
    let lifetime = match body.get("expires_in") {
        None | Some(Value::Null) => state.accounts.lifetime,
        Some(value) => match value.as_u64().or_else(|| value.as_str()?.parse().ok()) {
            Some(secs) if secs > 0 => Duration::from_secs(secs.min(MAX_CUSTOMER_LIFETIME)),
            _ => {
                return Err(invalid_request(
                    "expires_in must be a positive number of seconds",
                ));
            }
        },
    };
    let (customer, cookies) = match grant {
        "cookie" => {
            if path_group.is_none() {
                let org = field(body, "organization_id")
                    .or_else(|| field(body, "license_id"))
                    .ok_or_else(|| invalid_request("organization_id is required"))?;
                check_organization(state, org)?;
            }
            cookie_identity(state, headers, group)
        }
        "agent_token" => (
            agent_token_identity(state, headers, body, group)?,
            Vec::new(),
        ),
        other => {
            return Err(refuse(
                StatusCode::FORBIDDEN,
                "unsupported_grant_type",
                format!("grant_type `{other}` is not supported here"),
            ));
        }
    };
    let token = issue_with_lifetime(state, Principal::Customer(customer.clone()), lifetime);
    state
        .accounts
        .client_ids
        .insert(token.clone(), client_id.clone());
    let body = json!({
        "access_token": token,
        "entity_id": customer.as_str(),
        "expires_in": lifetime.as_secs(),
        "token_type": "Bearer",
        "organization_id": state.settings.organization_id,
        "client_id": client_id,
    });
    Ok((body, cookies))
}

/// The organization named in a request must be the sandbox's (its organization id, or
/// its license id as the per-group endpoint also takes).
fn check_organization(state: &State, given: &str) -> Result<(), Refusal> {
    let settings = &state.settings;
    if given == settings.organization_id || given == settings.license_id {
        Ok(())
    } else {
        Err(refuse(
            StatusCode::NOT_FOUND,
            "resource_not_found",
            "organization not found",
        ))
    }
}

/// The `cookie` grant: the customer the `__lc_cst` cookie (and group) names, else a new
/// one; and the cookies to set.
fn cookie_identity(
    state: &mut State,
    headers: &HeaderMap,
    group: Option<u32>,
) -> (CustomerId, Vec<String>) {
    let cst = cookie(headers, "__lc_cst");
    let known = cst
        .as_ref()
        .and_then(|cst| state.accounts.cookies.get(&(cst.clone(), group)))
        .filter(|id| state.customers.contains_key(*id))
        .cloned();
    let customer = known.unwrap_or_else(|| new_customer(state, group));
    let cst = cst.unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    state
        .accounts
        .cookies
        .insert((cst.clone(), group), customer.clone());
    let attributes =
        format!("Max-Age={COOKIE_MAX_AGE}; Path=/v2/customer; HttpOnly; Secure; SameSite=None");
    let cookies = vec![
        format!("__lc_cid={}; {attributes}", customer.as_str()),
        format!("__lc_cst={cst}; {attributes}"),
    ];
    (customer, cookies)
}

/// The value of cookie `name` in the `Cookie` headers.
fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.to_owned())
        .filter(|v| !v.is_empty())
}

/// The `agent_token` grant: an agent's OAuth token (not a personal access token) names
/// the customer to act for (`entity_id`, which must exist) or creates one.
fn agent_token_identity(
    state: &mut State,
    headers: &HeaderMap,
    body: &Map<String, Value>,
    group: Option<u32>,
) -> Result<CustomerId, Refusal> {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let bearer = authorization.strip_prefix("Bearer ").ok_or_else(|| {
        unauthorized(
            "unauthorized",
            "an agent Bearer token is required (personal access tokens do not work)",
        )
    })?;
    match crate::auth::authenticate(state, &format!("Bearer {bearer}")) {
        Ok(Principal::Agent(_)) => {}
        _ => return Err(unauthorized("unauthorized", "invalid agent access token")),
    }
    match field(body, "entity_id") {
        Some(id) => {
            let id = CustomerId::new(id);
            if state.customers.contains_key(&id) {
                Ok(id)
            } else {
                Err(refuse(
                    StatusCode::NOT_FOUND,
                    "resource_not_found",
                    "customer not found",
                ))
            }
        }
        None => Ok(new_customer(state, group)),
    }
}

/// Creates a customer (in `group`, for a per-group identity).
fn new_customer(state: &mut State, group: Option<u32>) -> CustomerId {
    let id = CustomerId::new(uuid::Uuid::new_v4().to_string());
    let profile = Customer {
        id: id.clone(),
        kind: Some(UserType::Customer),
        created_at: Some(state.clock.stamp()),
        ..Customer::default()
    };
    let mut rec = CustomerRec::new(profile);
    rec.group_id = group.map(GroupId);
    state.customers.insert(id.clone(), rec);
    id
}

/// How often logged-in connections are checked for an expired token.
const EXPIRY_CHECK: Duration = Duration::from_millis(200);

/// Until shutdown: closes every RTM connection whose login token (an accounts service
/// token) expired, with `access_token_expired`, as the real service does; a connection
/// that renewed its token with `update_session` stays.
pub(crate) async fn expire_connections(shared: Arc<Shared>) {
    let mut shutdown = shared.shutdown.clone();
    loop {
        tokio::select! {
            () = tokio::time::sleep(EXPIRY_CHECK) => {}
            _ = shutdown.changed() => return,
        }
        let mut state = shared.lock();
        if state.accounts.expiry.is_empty() {
            continue;
        }
        let expired: Vec<_> = state
            .conns
            .iter()
            .filter(|(_, c)| c.principal.is_some())
            .filter(|(_, c)| {
                c.session.token.as_deref().is_some_and(|token| {
                    let bare = token.strip_prefix("Bearer ").unwrap_or(token).trim();
                    state.accounts.expired(bare)
                })
            })
            .map(|(id, _)| *id)
            .collect();
        for conn in expired {
            crate::state::close_conn(&state, conn, "access_token_expired");
            if let Some(c) = state.conns.get_mut(&conn) {
                c.session.token = None;
            }
        }
    }
}

fn json(status: StatusCode, body: &Value) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

impl Sandbox {
    /// Registers an OAuth app with a client secret (a server-side app) on the accounts
    /// service at [`http_url`](Self::http_url): it gets agent tokens at `POST /v2/token`
    /// and customer tokens at `POST /v2/customer/token`.
    pub fn create_oauth_client(&self) -> OAuthClient {
        self.register_client(Some(uuid::Uuid::new_v4().simple().to_string()))
    }

    /// Registers an OAuth app without a client secret (a browser app using PKCE): each of
    /// its refresh tokens works once, every refresh hands out a new one.
    pub fn create_public_oauth_client(&self) -> OAuthClient {
        self.register_client(None)
    }

    fn register_client(&self, secret: Option<String>) -> OAuthClient {
        let client_id = uuid::Uuid::new_v4().simple().to_string();
        self.shared.lock().accounts.apps.insert(
            client_id.clone(),
            AppRec {
                secret: secret.clone(),
            },
        );
        OAuthClient {
            client_id,
            client_secret: secret.map(Token::new),
        }
    }

    /// A refresh token of `client` for `agent`, as if the agent had authorized the app;
    /// `None` for an unknown agent or client.
    pub fn issue_refresh_token(&self, client: &OAuthClient, agent: &AgentId) -> Option<Token> {
        let mut state = self.shared.lock();
        let known =
            state.agents.contains_key(agent) && state.accounts.apps.contains_key(&client.client_id);
        known.then(|| Token::new(new_refresh_token(&mut state, &client.client_id, agent)))
    }

    /// An authorization code of `client` for `agent`, as the redirect to `redirect_uri`
    /// carries it: exchange it at `POST /v2/token` within 5 minutes, once. `None` for an
    /// unknown agent or client.
    pub fn issue_authorization_code(
        &self,
        client: &OAuthClient,
        agent: &AgentId,
        redirect_uri: &str,
    ) -> Option<String> {
        let mut state = self.shared.lock();
        if !state.agents.contains_key(agent) || !state.accounts.apps.contains_key(&client.client_id)
        {
            return None;
        }
        let code = format!("dal:{}", uuid::Uuid::new_v4().simple());
        state.accounts.codes.insert(
            code.clone(),
            CodeRec {
                client_id: client.client_id.clone(),
                agent: agent.clone(),
                redirect_uri: redirect_uri.to_owned(),
                expires_at: Instant::now() + CODE_LIFETIME,
            },
        );
        Some(code)
    }

    /// An access token of `client` for `agent`, as `POST /v2/token` would issue it: it
    /// carries the client id (what the Configuration API's `owner_client_id` defaults to
    /// and webhook `source_type` filters look at) and expires after the builder's
    /// `access_token_lifetime`. `None` for an unknown agent or client.
    pub fn issue_access_token(&self, client: &OAuthClient, agent: &AgentId) -> Option<Token> {
        let mut state = self.shared.lock();
        if !state.agents.contains_key(agent) || !state.accounts.apps.contains_key(&client.client_id)
        {
            return None;
        }
        let token = issue_access_token(&mut state, Principal::Agent(agent.clone()));
        state
            .accounts
            .client_ids
            .insert(token.clone(), client.client_id.clone());
        Some(Token::new(token))
    }

    /// Revokes a refresh token: refreshing with it fails with `invalid_grant` from now on.
    pub fn revoke_refresh_token(&self, token: &Token) {
        if let Some(rec) = self
            .shared
            .lock()
            .accounts
            .refresh_tokens
            .get_mut(token.expose())
        {
            rec.revoked = true;
        }
    }

    /// How many requests the accounts service's token endpoints got so far.
    pub fn token_requests(&self) -> u64 {
        self.shared.lock().accounts.requests
    }
}
