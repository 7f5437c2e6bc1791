//! The REST routes under `/v1/`: `x-hyper-*` authentication, JSON bodies, and
//! `{"error": {"code", "message"}}` with the same HTTP status on every failure.

use super::ctx::{Ctx, Who};
use super::error::{Fail, json_response, parse};
use super::events::{AssignArgs, assign_reply};
use super::hub::Hub;
use super::membership::check_member;
use super::messages::{self, Post};
use super::ops;
use super::state::AppRec;
use super::users::{self, NewUser};
use super::{assign, media, members};
use crate::body::RequestBody;
use crate::query::{query_pairs, query_param};
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode, Uri};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use lc_protocol::inbenta::{ChatsCreate, HistoryEntry, InbentaMessageType};
use serde_json::{Map, Value, json};
use std::collections::HashSet;
use std::sync::Arc;

/// Largest JSON body accepted.
const MAX_BODY: usize = 1024 * 1024;

/// Who calls, as the headers (or, for media downloads, the query) say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Caller {
    /// A user session, or the app secret.
    Full(Who),
    /// The domain key: the ★ routes only.
    Domain,
    /// The app id alone: `POST /v1/users` only.
    Anonymous,
}

/// Serves one REST request.
pub(crate) async fn handle<B: RequestBody>(
    req: Request<B>,
    hub: Arc<Hub>,
) -> Response<Full<Bytes>> {
    match run(req, &hub).await {
        Ok(response) => response,
        Err(fail) => fail.response(),
    }
}

fn ok(body: &Value) -> Result<Response<Full<Bytes>>, Fail> {
    Ok(json_response(StatusCode::OK, body.to_string()))
}

async fn run<B: RequestBody>(
    req: Request<B>,
    hub: &Arc<Hub>,
) -> Result<Response<Full<Bytes>>, Fail> {
    let path = req.uri().path().to_owned();
    let segments: Vec<&str> = path
        .trim_start_matches("/v1")
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    let method = req.method().clone();
    let star = matches!(
        (&method, segments.as_slice()),
        (
            &Method::GET,
            ["agents", "available" | "online"] | ["settings"]
        ) | (&Method::POST, ["users"])
    );
    if !known(&method, &segments) {
        return Err(Fail::not_found(format!("Route not found: {method} {path}")));
    }
    let (app, caller) = authenticate(&req, hub, segments.first() == Some(&"media"))?;
    let who = match caller {
        Caller::Full(who) => who,
        Caller::Anonymous if method == Method::POST && segments == ["users"] => Who::Server,
        Caller::Domain | Caller::Anonymous if star => Who::Server,
        Caller::Domain => return Err(Fail::forbidden("The domain key does not allow this route")),
        Caller::Anonymous => return Err(Fail::unauthorized("Missing credentials")),
    };
    match (method, segments.as_slice()) {
        (Method::POST, ["media"]) => return media::upload(req, hub, &app, &who).await,
        (Method::GET, ["media", id]) => return media::download(hub, &app, &who, id),
        _ => {}
    }
    let (parts, body) = req.into_parts();
    let body = if parts.method == Method::GET || parts.method == Method::DELETE {
        Map::new()
    } else {
        read_json(body).await?
    };
    let query = query_object(&parts.uri);
    if let (&Method::GET, ["chats", id, "assign"]) = (&parts.method, segments.as_slice()) {
        let mut args = query.clone();
        args.insert("chatId".into(), Value::from(*id));
        let args = AssignArgs::from_value(&Value::Object(args))?;
        let start = {
            let mut st = hub.lock();
            let mut ctx = Ctx::new(hub, &mut st, &app);
            assign::request_assign(
                &mut ctx,
                &who,
                &args.chat_id,
                args.max_attempts,
                args.interval,
            )?
        };
        let agent = match start {
            assign::AssignStart::Done(agent) => agent,
            assign::AssignStart::Wait(waiting) => assign::wait_for_agent(waiting).await,
        };
        return ok(&assign_reply(agent));
    }
    let mut st = hub.lock();
    let mut ctx = Ctx::new(hub, &mut st, &app);
    let result = route(&mut ctx, &who, &parts.method, &segments, &query, body);
    ctx.flush_later();
    ok(&result?)
}

/// Whose profiles (name, contact, extra info) `who` may read: `None` for the app secret,
/// which reads every user; for a session, its own user and the members of its chats.
/// (Inferred: the public docs do not say who may read users; the sandbox refuses what a
/// stranger has no use for.)
fn peers<'a>(app: &'a AppRec, who: &'a Who) -> Option<HashSet<&'a str>> {
    let Who::User(me) = who else {
        return None;
    };
    let mut peers: HashSet<&str> = app
        .chats
        .values()
        .filter(|chat| chat.is_member(me))
        .flat_map(|chat| chat.members.iter().map(String::as_str))
        .collect();
    peers.insert(me);
    Some(peers)
}

/// Whether a route exists (any other answers 404).
fn known(method: &Method, segments: &[&str]) -> bool {
    matches!(
        (method, segments),
        (
            &Method::GET,
            ["agents", "available" | "online"] | ["settings"] | ["users"] | ["users", _]
        ) | (&Method::POST, ["users"] | ["chats"] | ["media"])
            | (
                &Method::PUT,
                ["users", _] | ["messages", _, "read"] | ["chats", _, "leave"]
            )
            | (&Method::GET | &Method::DELETE, ["chats", _])
            | (&Method::GET, ["chats", _, "assign"] | ["media", _])
            | (
                &Method::GET | &Method::POST,
                ["chats", _, "messages" | "history"]
            )
    )
}

fn route(
    ctx: &mut Ctx<'_>,
    who: &Who,
    method: &Method,
    segments: &[&str],
    query: &Map<String, Value>,
    body: Map<String, Value>,
) -> Result<Value, Fail> {
    let text = |key: &str| query.get(key).and_then(Value::as_str).map(str::to_owned);
    let body_text = |key: &str| body.get(key).and_then(Value::as_str).map(str::to_owned);
    Ok(match (method, segments) {
        (&Method::GET, ["agents", "available"]) => {
            json!({ "agents": available(ctx, text("roomIds"), text("langs"))? })
        }
        (&Method::GET, ["agents", "online"]) => {
            let counts = available_counts(ctx, text("roomId"), None, false)?;
            json!({ "agentsOnline": counts.iter().any(|(_, n)| *n > 0) })
        }
        (&Method::GET, ["settings"]) => {
            let config = &ctx.app()?.config;
            json!({ "settings": {
                "queue": { "active": config.queue_mode },
                "rooms": config.rooms,
                "languages": [],
            } })
        }
        (&Method::POST, ["users"]) => {
            let (user, token) =
                users::create_user(ctx, parse::<NewUser>("users", &Value::Object(body))?)?;
            json!({ "user": user, "session": { "token": token } })
        }
        (&Method::GET, ["users"]) => {
            let external = text("externalId");
            let app = ctx.app()?;
            let peers = peers(app, who);
            let users: Vec<_> = app
                .users
                .values()
                .filter(|u| external.is_none() || u.profile.external_id == external)
                .filter(|u| {
                    peers
                        .as_ref()
                        .is_none_or(|p| p.contains(u.profile.id.as_str()))
                })
                .map(|u| u.profile.clone())
                .collect();
            json!({ "users": users })
        }
        (&Method::GET, ["users", id]) => {
            let app = ctx.app()?;
            let user = app.user(id)?;
            if peers(app, who).is_some_and(|p| !p.contains(id)) {
                return Err(Fail::not_found("User not found"));
            }
            json!({ "user": user.profile })
        }
        (&Method::PUT, ["users", id]) => {
            json!({ "user": users::update_user(ctx, who, id, &body)? })
        }
        (&Method::POST, ["chats"]) => {
            let mut body = body;
            if let (Who::User(me), false) = (who, body.contains_key("creator")) {
                body.insert("creator".into(), Value::from(me.as_str()));
            }
            body.entry("source").or_insert(Value::from(3));
            let req = parse::<ChatsCreate>("chats", &Value::Object(body))?;
            json!({ "chat": ops::create_chat(ctx, who, req)? })
        }
        (&Method::GET, ["chats", id]) => json!({ "chat": ops::get_chat(ctx, who, id, "users")? }),
        (&Method::DELETE, ["chats", id]) => {
            let by = match who {
                Who::Server => text("userId").unwrap_or_else(|| "system".to_owned()),
                user => user.acting_as(text("userId").as_deref(), "userId")?,
            };
            check_member(ctx.app()?.chat(id)?, who)?;
            ops::close_chat(ctx, id, &by, None, true)?;
            json!({ "success": true })
        }
        (&Method::PUT, ["chats", id, "leave"]) => {
            members::leave(ctx, who, id, body_text("userId").as_deref())?;
            json!({ "success": true })
        }
        (&Method::GET, ["chats", id, "messages"]) => {
            json!({ "messages": messages::list_messages(ctx, who, id)? })
        }
        (&Method::POST, ["chats", id, "messages"]) => {
            let content = match body.get("message") {
                Some(Value::String(text)) => Value::String(text.clone()),
                _ => return Err(Fail::bad_request("`message` must be a string")),
            };
            let post = Post {
                chat: (*id).to_owned(),
                sender: body_text("sender"),
                kind: InbentaMessageType::Text,
                content,
                event_id: body_text("eventId"),
            };
            json!({ "message": messages::post_message(ctx, who, post, None)? })
        }
        (&Method::GET, ["chats", id, "history"]) => {
            json!({ "history": ops::history(ctx, who, id)? })
        }
        (&Method::POST, ["chats", id, "history"]) => {
            let entries = body.get("history").cloned().unwrap_or(Value::Null);
            let entries = parse::<Vec<HistoryEntry>>("history", &entries)?;
            json!({ "history": ops::import_history(ctx, who, id, entries)? })
        }
        (&Method::PUT, ["messages", id, "read"]) => {
            let (message, _) =
                messages::read_message(ctx, who, id, body_text("userId").as_deref(), None)?;
            json!({ "message": message })
        }
        _ => return Err(Fail::not_found("Route not found")),
    })
}

/// `{"<roomId>": <agents online and below capacity>}` for the rooms asked (all by default).
fn available(ctx: &Ctx<'_>, rooms: Option<String>, langs: Option<String>) -> Result<Value, Fail> {
    let counts = available_counts(ctx, rooms, langs, true)?;
    Ok(Value::Object(
        counts
            .into_iter()
            .map(|(room, n)| (room, Value::from(n)))
            .collect(),
    ))
}

fn available_counts(
    ctx: &Ctx<'_>,
    rooms: Option<String>,
    langs: Option<String>,
    free_only: bool,
) -> Result<Vec<(String, u32)>, Fail> {
    let app = ctx.app()?;
    let rooms: Vec<String> = match rooms {
        Some(list) => list
            .split(',')
            .map(|r| r.trim().to_owned())
            .filter(|r| !r.is_empty())
            .collect(),
        None => app.config.rooms.iter().map(u32::to_string).collect(),
    };
    let langs: Vec<String> = langs
        .map(|l| {
            l.split(',')
                .map(|x| x.trim().to_owned())
                .filter(|x| !x.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let mut counts = Vec::new();
    for room in rooms {
        let count = app
            .agent_order
            .iter()
            .filter(|id| {
                let Some(agent) = app.users.get(*id).and_then(|u| u.agent.as_ref()) else {
                    return false;
                };
                let speaks = langs.is_empty() || langs.iter().any(|l| agent.serves(&room, Some(l)));
                agent.online
                    && agent.serves(&room, None)
                    && speaks
                    && (!free_only || app.load_of(id) < agent.capacity)
            })
            .count();
        counts.push((room, u32::try_from(count).unwrap_or(u32::MAX)));
    }
    Ok(counts)
}

/// The app and the caller. The app id is always required; then a session token, the
/// secret or the domain key (`x-hyper-token`, `x-hyper-secret`, `x-hyper-key`); with
/// `query_ok`, also `?appId=..&token=..` (or `&secret=..`).
fn authenticate<B: RequestBody>(
    req: &Request<B>,
    hub: &Hub,
    query_ok: bool,
) -> Result<(String, Caller), Fail> {
    let get = |header: &str, query: &str| {
        let from_header = req
            .headers()
            .get(header)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        from_header.or_else(|| query_ok.then(|| query_param(req.uri(), query)).flatten())
    };
    let app_id =
        get("x-hyper-appid", "appId").ok_or_else(|| Fail::unauthorized("Missing app id"))?;
    let st = hub.lock();
    let app = st.app(&app_id)?;
    let caller = if let Some(token) = get("x-hyper-token", "token") {
        let user = app
            .tokens
            .get(&token)
            .ok_or_else(|| Fail::unauthorized("Invalid session token"))?;
        Caller::Full(Who::User(user.clone()))
    } else if let Some(secret) = get("x-hyper-secret", "secret") {
        if app.config.secret.as_deref() != Some(secret.as_str()) {
            return Err(Fail::unauthorized("Invalid secret"));
        }
        Caller::Full(Who::Server)
    } else if let Some(key) = get("x-hyper-key", "key") {
        if app.config.domain_key.as_deref() != Some(key.as_str()) {
            return Err(Fail::unauthorized("Invalid domain key"));
        }
        Caller::Domain
    } else {
        Caller::Anonymous
    };
    Ok((app_id, caller))
}

/// The body as a JSON object (empty: `{}`); malformed JSON is a 400, too much a 413.
async fn read_json<B: RequestBody>(body: B) -> Result<Map<String, Value>, Fail> {
    let bytes = Limited::new(body, MAX_BODY)
        .collect()
        .await
        .map_err(|e| {
            if e.downcast_ref::<LengthLimitError>().is_some() {
                Fail::new(413, "Request body too large")
            } else {
                Fail::bad_request(format!("Unreadable body: {e}"))
            }
        })?
        .to_bytes();
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(_) => Err(Fail::bad_request("The body must be a JSON object")),
        Err(e) => Err(Fail::bad_request(format!("Malformed JSON body: {e}"))),
    }
}

/// Query parameters, percent-decoded, as JSON strings.
fn query_object(uri: &Uri) -> Map<String, Value> {
    query_pairs(uri)
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect()
}
