//! RTM: WebSocket connections, their login deadline, idle timeout and frames.

use crate::dispatch::{Ctx, dispatch, err};
use crate::server::{Shared, text};
use crate::state::{ConnRec, Outgoing};
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use http::{HeaderValue, Request, Response, StatusCode, header};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use lc_protocol::error::ErrorType;
use lc_protocol::wire::livechat;
use lc_protocol::{Api, ApiVersion, TransportKind};
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};

/// Largest frame the sandbox accepts (the real service documents none; 16 MiB is ample).
const MAX_FRAME: usize = 16 << 20;

/// Answers a WebSocket handshake on an RTM path and serves the connection.
pub(crate) fn upgrade(
    mut req: Request<Incoming>,
    api: Api,
    version: ApiVersion,
    shared: Arc<Shared>,
) -> Response<Full<Bytes>> {
    let Some(key) = req.headers().get(header::SEC_WEBSOCKET_KEY).cloned() else {
        return text(StatusCode::BAD_REQUEST, "expected a WebSocket upgrade");
    };
    if api == Api::Customer {
        let organization = crate::web::query_param(req.uri(), "organization_id");
        let expected = shared.lock().settings.organization_id.clone();
        match organization {
            Some(org) if org == expected => {}
            Some(_) => return text(StatusCode::NOT_FOUND, "license not found"),
            None => return text(StatusCode::BAD_REQUEST, "organization_id is required"),
        }
    }
    let accept = derive_accept_key(key.as_bytes());
    let on_upgrade = hyper::upgrade::on(&mut req);
    tokio::spawn(async move {
        match on_upgrade.await {
            Ok(upgraded) => {
                let config = WebSocketConfig::default()
                    .max_message_size(Some(MAX_FRAME))
                    .max_frame_size(Some(MAX_FRAME));
                let ws = WebSocketStream::from_raw_socket(
                    TokioIo::new(upgraded),
                    Role::Server,
                    Some(config),
                )
                .await;
                serve(ws, api, version, shared).await;
            }
            Err(err) => tracing::debug!(%err, "WebSocket upgrade failed"),
        }
    });
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let headers = response.headers_mut();
    headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    headers.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    if let Ok(accept) = HeaderValue::from_str(&accept) {
        headers.insert(header::SEC_WEBSOCKET_ACCEPT, accept);
    }
    response
}

async fn serve<S>(ws: WebSocketStream<S>, api: Api, version: ApiVersion, shared: Arc<Shared>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (mut sink, mut stream) = ws.split();
    let (tx, mut rx) = mpsc::unbounded_channel::<Outgoing>();
    let conn = {
        let mut state = shared.lock();
        state.next_conn += 1;
        let id = state.next_conn;
        let rec = ConnRec {
            api,
            version,
            principal: None,
            pushes: None,
            away: false,
            tx,
        };
        state.conns.insert(id, rec);
        id
    };
    let writer = tokio::spawn(async move {
        while let Some(out) = rx.recv().await {
            let message = match out {
                Outgoing::Text(text) => Message::text(text),
                Outgoing::Close => {
                    let _ = sink.send(Message::Close(None)).await;
                    break;
                }
            };
            if sink.send(message).await.is_err() {
                break;
            }
        }
        let _ = sink.close().await;
    });

    let timing = shared.timing;
    let login_deadline = Instant::now() + timing.login_deadline;
    let mut last_frame = Instant::now();
    let mut shutdown = shared.shutdown.clone();
    loop {
        let logged_in = shared
            .lock()
            .conns
            .get(&conn)
            .is_some_and(|c| c.principal.is_some());
        let deadline = if logged_in {
            last_frame + timing.idle_timeout
        } else {
            login_deadline
        };
        tokio::select! {
            message = stream.next() => match message {
                Some(Ok(Message::Text(text))) => {
                    last_frame = Instant::now();
                    handle_text(&shared, conn, text.as_str());
                }
                Some(Ok(Message::Binary(data))) => {
                    last_frame = Instant::now();
                    match std::str::from_utf8(&data) {
                        Ok(text) => handle_text(&shared, conn, text),
                        Err(_) => reply_malformed(&shared, conn, "binary frame is not UTF-8"),
                    }
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => last_frame = Instant::now(),
                Some(Ok(Message::Frame(_))) => {}
                Some(Ok(Message::Close(_))) | None => break,
                Some(Err(err)) => {
                    tracing::debug!(conn, %err, "WebSocket read failed");
                    break;
                }
            },
            _ = sleep_until(deadline) => {
                if logged_in {
                    disconnect(&shared, conn, "connection_timeout");
                } else if let Some(c) = shared.lock().conns.get(&conn) {
                    let _ = c.tx.send(Outgoing::Close);
                }
                break;
            }
            _ = shutdown.changed() => {
                if let Some(c) = shared.lock().conns.get(&conn) {
                    let _ = c.tx.send(Outgoing::Close);
                }
                break;
            }
        }
    }
    let removed = shared.lock().conns.remove(&conn);
    drop(removed);
    let _ = tokio::time::timeout(std::time::Duration::from_secs(2), writer).await;
}

/// Pushes a disconnect push with `reason` to the connection, then closes it.
pub(crate) fn disconnect(shared: &Shared, conn: u64, reason: &str) {
    let state = shared.lock();
    crate::state::close_conn(&state, conn, reason);
}

fn reply_malformed(shared: &Shared, conn: u64, problem: &str) {
    let state = shared.lock();
    if let Some(c) = state.conns.get(&conn) {
        let error = err(
            ErrorType::Validation,
            format!("Wrong format of request: {problem}"),
        );
        c.send(livechat::encode_failure(None, "", &error));
    }
}

fn handle_text(shared: &Shared, conn: u64, text: &str) {
    let request = match livechat::decode_request(text) {
        Ok(request) => request,
        Err(problem) => return reply_malformed(shared, conn, &problem.to_string()),
    };
    let mut state = shared.lock();
    let Some(rec) = state.conns.get(&conn) else {
        return;
    };
    let (api, conn_version, principal) = (rec.api, rec.version, rec.principal.clone());
    let request_id = request.request_id.as_deref();
    let action = request.action.as_str();
    let version = match request.version.as_deref().map(str::parse::<ApiVersion>) {
        None => Ok(conn_version),
        Some(Ok(v)) if v >= conn_version => Ok(v),
        Some(Ok(_)) => Err(err(
            ErrorType::Validation,
            "versions lower than the connection version are prohibited",
        )),
        Some(Err(_)) => Err(err(
            ErrorType::UnsupportedVersion,
            "Cannot call unsupported API versions.",
        )),
    };
    let reply = match (version, action, principal) {
        (Err(error), _, _) => Err(error),
        (Ok(_), "ping", _) => crate::dispatch::encode(&lc_protocol::Empty {}),
        (Ok(version), "login", _) => match api {
            Api::Agent => crate::agent_api::login(&mut state, conn, version, &request.payload),
            _ => crate::customer_api::login(&mut state, conn, version, &request.payload),
        },
        (Ok(_), _, None) => Err(err(ErrorType::Authentication, "Log in first")),
        (Ok(version), _, Some(who)) => {
            let base_url = shared.base_url.clone();
            let mut ctx = Ctx {
                state: &mut state,
                who,
                version,
                transport: TransportKind::Rtm,
                conn: Some(conn),
                base_url: &base_url,
            };
            dispatch(&mut ctx, action, &request.payload)
        }
    };
    if let Some(c) = state.conns.get(&conn) {
        let frame = match &reply {
            Ok(payload) => livechat::encode_success(request_id, action, payload),
            Err(error) => livechat::encode_failure(request_id, action, error),
        };
        c.send(frame);
    }
    if reply.is_err() {
        // A failed action must not leak pushes it queued before failing.
        state.outbox = Default::default();
    }
    crate::push::deliver(&mut state, Some((conn, request_id)));
    if let Some(who) = state.conns.get(&conn).and_then(|c| c.principal.clone()) {
        tracing::debug!(conn, action, ok = reply.is_ok(), user = %who.user_id(), "rtm action");
    }
}
