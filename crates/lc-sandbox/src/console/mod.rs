//! The console: a page at `/` to chat as a customer and watch the server, and the admin
//! API under `/_sandbox/` it uses (JSON, behind the admin token), with the journal of
//! RTM frames and Web calls, and the state file.
//!
//! - [`settings`]: on or off, the admin token, the state file.
//! - [`journal`] and [`hooks`]: the last frames of each RTM connection, and the last
//!   Agent and Customer Web calls.
//! - [`inspect`]: what the state holds, as JSON; [`control`]: the remote control;
//!   [`refusal`]: the admin API's errors.
//! - [`snapshot`] and [`state_file`]: the state saved and loaded.
//! - [`assets`]: the page.

pub(crate) mod assets;
pub(crate) mod control;
pub(crate) mod hooks;
pub(crate) mod inspect;
pub(crate) mod journal;
pub(crate) mod refusal;
pub(crate) mod sandbox_api;
pub(crate) mod settings;
pub(crate) mod snapshot;
pub(crate) mod state_file;

use crate::body::RequestBody;
use crate::shared::Shared;
use bytes::Bytes;
use http::{HeaderName, HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full, Limited};
use refusal::Refusal;
use serde_json::{Value, json};
use std::sync::Arc;

/// The largest admin API body (a state import can be large).
const MAX_BODY: usize = 64 * 1024 * 1024;

/// Whether the console serves `path` (nothing when it is off).
pub(crate) fn owns(shared: &Shared, path: &str) -> bool {
    shared.console.on()
        && (path == "/"
            || path == "/index.html"
            || path == "/_sandbox"
            || path.starts_with("/_sandbox/"))
}

/// Serves the page, its assets, and the admin API.
pub(crate) async fn route<B: RequestBody>(
    req: Request<B>,
    shared: Arc<Shared>,
) -> Response<Full<Bytes>> {
    let path = req.uri().path().to_owned();
    if let Some((body, kind)) = assets::get(&path) {
        if req.method() != Method::GET && req.method() != Method::HEAD {
            return error(StatusCode::METHOD_NOT_ALLOWED, "use GET");
        }
        return respond(StatusCode::OK, Bytes::from_static(body.as_bytes()), kind);
    }
    let auth = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if !shared.console.authorized(auth) {
        return error(
            StatusCode::UNAUTHORIZED,
            "the admin API needs `Authorization: Bearer <admin token>` (printed at start)",
        );
    }
    let method = req.method().clone();
    let query = req.uri().query().unwrap_or("").to_owned();
    let body = match Limited::new(req.into_body(), MAX_BODY).collect().await {
        Ok(body) => body.to_bytes(),
        Err(_) => {
            return error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body unreadable or too large",
            );
        }
    };
    let segments: Vec<&str> = path
        .trim_start_matches("/_sandbox")
        .trim_matches('/')
        .split('/')
        .collect();
    let answer = api(&shared, &method, &segments, &query, &body);
    match answer {
        Ok(value) => json_response(StatusCode::OK, &value),
        Err(Refusal::BadRequest(message)) => error(StatusCode::BAD_REQUEST, &message),
        Err(Refusal::NotFound(message)) => error(StatusCode::NOT_FOUND, &message),
    }
}

/// The admin API proper.
fn api(
    shared: &Shared,
    method: &Method,
    segments: &[&str],
    query: &str,
    body: &[u8],
) -> Result<Value, Refusal> {
    let get = method == Method::GET;
    let post = method == Method::POST;
    match segments {
        ["info"] if get => Ok(info(shared)),
        ["agents"] if get => Ok(inspect::agents(shared)),
        ["agents"] if post => control::create_agent(shared, body),
        ["agents", id, "token"] if post => control::mint_token(shared, &decode(id), true),
        ["customers"] if get => Ok(inspect::customers(shared)),
        ["customers"] if post => control::create_customer(shared, body),
        ["customers", id, "token"] if post => control::mint_token(shared, &decode(id), false),
        ["chats"] if get => Ok(inspect::chats(shared)),
        ["connections"] if get => Ok(inspect::connections(shared)),
        ["connections", id, "drop"] if post => control::drop_connection(shared, id),
        ["users", id, "drop"] if post => control::drop_user(shared, &decode(id)),
        ["users", id, "disconnect"] if post => control::disconnect(shared, &decode(id), body),
        ["inbenta"] if get => Ok(inspect::inbenta(shared)),
        ["webhooks"] if get => Ok(inspect::webhooks(shared)),
        ["journal"] if get => journal(shared, query),
        ["faults", "fail_next"] if post => control::fail_next(shared, body),
        ["faults", "delay"] if post => control::delay(shared, body),
        ["tokens", "revoke"] if post => control::revoke_token(shared, body),
        ["state"] if get => Ok(snapshot::export(shared)),
        ["state"] if method == Method::PUT => snapshot::import_json(shared, body),
        _ => Err(Refusal::NotFound(format!(
            "no admin endpoint {method} /_sandbox/{}",
            segments.join("/")
        ))),
    }
}

/// `GET /_sandbox/info`: where to connect, and the choices the remote control offers.
fn info(shared: &Shared) -> Value {
    let state = shared.lock();
    let http = shared.base_url.clone();
    let ws = http.replacen("http", "ws", 1);
    let groups: Vec<Value> = state
        .groups
        .iter()
        .map(|(id, g)| json!({"id": id.0, "name": g.name}))
        .collect();
    let error_types: Vec<&str> = lc_protocol::error::ErrorType::KNOWN
        .iter()
        .map(|e| e.as_str())
        .collect();
    json!({
        "organization_id": state.settings.organization_id,
        "license_id": state.settings.license_id,
        "http_url": http,
        "ws_url": ws,
        "customer_rtm_url": format!("{ws}/v3.6/customer/rtm/ws?organization_id={}", state.settings.organization_id),
        "groups": groups,
        "error_types": error_types,
        "disconnect_reasons": control::DISCONNECT_REASONS,
        "journal_capacity": journal::CAPACITY,
    })
}

/// `GET /_sandbox/journal?conn=&user=&action=&after=&limit=`.
fn journal(shared: &Shared, query: &str) -> Result<Value, Refusal> {
    let mut filter = journal::Filter::default();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = decode(value);
        let number = |v: &str| {
            v.parse::<u64>()
                .map_err(|_| Refusal::BadRequest(format!("{key}: not a number: {v:?}")))
        };
        match key {
            "conn" => filter.conn = Some(number(&value)?),
            "user" => filter.user = Some(value),
            "action" => filter.action = Some(value),
            "after" => filter.after = Some(number(&value)?),
            "limit" => filter.limit = Some(usize::try_from(number(&value)?).unwrap_or(usize::MAX)),
            _ => return Err(Refusal::BadRequest(format!("unknown filter {key:?}"))),
        }
    }
    // Connections open now tell who is on them (a connection's first frames may come
    // before its login).
    {
        let state = shared.lock();
        for (id, conn) in &state.conns {
            if let Some(who) = &conn.principal {
                shared.console.journal.learn_user(*id, who.user_id_str());
            }
        }
    }
    Ok(json!({ "entries": shared.console.journal.entries(&filter) }))
}

/// Percent-decodes a path segment or query value (`+` is a space in a query).
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn respond(status: StatusCode, body: Bytes, kind: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        HeaderName::from_static("x-content-type-options"),
        HeaderValue::from_static("nosniff"),
    );
    response
}

fn json_response(status: StatusCode, value: &Value) -> Response<Full<Bytes>> {
    respond(status, Bytes::from(value.to_string()), "application/json")
}

fn error(status: StatusCode, message: &str) -> Response<Full<Bytes>> {
    json_response(status, &json!({ "error": message }))
}

#[cfg(test)]
mod tests {
    use super::decode;

    #[test]
    fn decoding_takes_escapes_and_leaves_broken_ones() {
        assert_eq!(decode("smith%40example.com"), "smith@example.com");
        assert_eq!(decode("a+b%2"), "a b%2");
        assert_eq!(decode("%zz%"), "%zz%");
    }
}
