//! The realtime channel at `/v1/ws`: authentication before the upgrade, then one JSON
//! text frame per request, reply and push (`docs/inbenta-wire.md`).

use super::error::Fail;
use super::state::{ConnId, ConnRec, Out};
use super::{Ctx, Hub, Who, events};
use crate::query::query_param;
use bytes::Bytes;
use futures_util::stream::SplitSink;
use futures_util::{SinkExt, StreamExt};
use http::{Request, Response};
use http_body_util::Full;
use hyper::body::Incoming;
use lc_protocol::wire::inbenta::{self as wire, RequestFrame};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

/// Largest frame accepted.
const MAX_FRAME: usize = 4 << 20;
/// How long the end of a connection waits for its writer to flush.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(2);

/// The user a socket belongs to: `appId` and `token` from the query, or the headers
/// `x-hyper-appid` and `x-hyper-token`.
fn authenticate(req: &Request<Incoming>, hub: &Hub) -> Result<(String, String), Fail> {
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let app = query_param(req.uri(), "appId")
        .or_else(|| header("x-hyper-appid"))
        .ok_or_else(|| Fail::unauthorized("Missing app id"))?;
    let token = query_param(req.uri(), "token")
        .or_else(|| header("x-hyper-token"))
        .ok_or_else(|| Fail::unauthorized("Missing session token"))?;
    let st = hub.lock();
    let user = st
        .app(&app)?
        .tokens
        .get(&token)
        .cloned()
        .ok_or_else(|| Fail::unauthorized("Invalid session token"))?;
    Ok((app, user))
}

/// Answers the WebSocket handshake (401 before upgrading for a bad app or token) and
/// serves the socket.
pub(crate) fn upgrade(mut req: Request<Incoming>, hub: Arc<Hub>) -> Response<Full<Bytes>> {
    let (app, user) = match authenticate(&req, &hub) {
        Ok(pair) => pair,
        Err(fail) => return fail.response(),
    };
    let serve = move |ws| serve(ws, hub, app, user);
    crate::upgrade::accept(&mut req, MAX_FRAME, "Inbenta", serve)
        .unwrap_or_else(|| Fail::bad_request("Expected a WebSocket upgrade").response())
}

/// Serves one socket until it closes, is dropped or the sandbox stops.
async fn serve<S>(ws: WebSocketStream<S>, hub: Arc<Hub>, app: String, user: String)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (sink, mut stream) = ws.split();
    let (tx, rx) = mpsc::unbounded_channel::<Out>();
    let conn = hub.lock().add_conn(ConnRec {
        app: app.clone(),
        user: user.clone(),
        tx: tx.clone(),
    });
    let (abort_tx, mut abort) = oneshot::channel();
    let writer = tokio::spawn(write_frames(sink, rx, abort_tx));
    let mut shutdown = hub.shutdown.clone();
    loop {
        tokio::select! {
            message = stream.next() => match message {
                Some(Ok(Message::Text(text))) => {
                    on_text(&hub, conn, &app, &user, &tx, text.as_str());
                }
                Some(Ok(Message::Close(_))) | None => break,
                Some(Ok(_)) => {}
                Some(Err(err)) => {
                    tracing::debug!(conn, %err, "Inbenta WebSocket read failed");
                    break;
                }
            },
            _ = &mut abort => break,
            _ = shutdown.wait_for(|stop| *stop) => {
                let _ = tx.send(Out::Close);
                break;
            }
        }
    }
    hub.lock().conns.remove(&conn);
    drop(tx);
    let _ = tokio::time::timeout(FLUSH_TIMEOUT, writer).await;
}

/// Writes queued frames until the channel closes or a close is ordered. `Out::Drop` ends
/// it without a close frame and tells the reader (`abort`) to drop the socket too.
async fn write_frames<S>(
    mut sink: SplitSink<WebSocketStream<S>, Message>,
    mut rx: mpsc::UnboundedReceiver<Out>,
    abort: oneshot::Sender<()>,
) where
    S: AsyncRead + AsyncWrite + Unpin,
{
    while let Some(out) = rx.recv().await {
        let message = match out {
            Out::Text(text) => Message::text(text),
            Out::Close => {
                let _ = sink.send(Message::Close(None)).await;
                break;
            }
            Out::Drop => {
                let _ = abort.send(());
                return;
            }
        };
        if sink.send(message).await.is_err() {
            break;
        }
    }
    let _ = sink.close().await;
}

/// Handles one text frame. A frame that is not a request gets no reply, except one that
/// carries an `id`, which gets a 400 for it.
fn on_text(
    hub: &Arc<Hub>,
    conn: ConnId,
    app: &str,
    user: &str,
    tx: &mpsc::UnboundedSender<Out>,
    text: &str,
) {
    let request = match wire::decode_request(text) {
        Ok(request) => request,
        Err(problem) => {
            tracing::debug!(conn, %problem, "unreadable Inbenta frame");
            let id = serde_json::from_str::<Value>(text)
                .ok()
                .and_then(|v| v.get("id").and_then(Value::as_str).map(str::to_owned));
            if let Some(id) = id {
                let fail = Fail::bad_request(format!("Malformed request: {problem}"));
                let _ = tx.send(Out::Text(wire::encode_error(&id, &fail.to_wire())));
            }
            return;
        }
    };
    handle(hub, conn, app, user, tx, &request);
}

/// Runs one request and answers it (at once, or when an agent search ends).
fn handle(
    hub: &Arc<Hub>,
    conn: ConnId,
    app: &str,
    user: &str,
    tx: &mpsc::UnboundedSender<Out>,
    request: &RequestFrame,
) {
    let who = Who::User(user.to_owned());
    let mut st = hub.lock();
    let mut ctx = Ctx::new(hub, &mut st, app);
    let outcome = match serde_json::from_str::<Value>(request.data.get()) {
        Ok(data @ Value::Object(_)) => events::run(&mut ctx, &who, conn, &request.name, &data),
        Ok(_) => Err(Fail::bad_request("`data` must be an object")),
        Err(e) => Err(Fail::bad_request(format!("Malformed data: {e}"))),
    };
    match outcome {
        Ok(events::Outcome::Now(data)) => reply(tx, &request.id, &data),
        Ok(events::Outcome::Later(rx)) => {
            let (tx, id) = (tx.clone(), request.id.clone());
            tokio::spawn(async move {
                let agent = rx.await.ok().flatten();
                reply(&tx, &id, &events::assign_reply(agent));
            });
        }
        Err(fail) => {
            let _ = tx.send(Out::Text(wire::encode_error(&request.id, &fail.to_wire())));
        }
    }
    ctx.flush_later();
    tracing::debug!(conn, event = %request.name, "inbenta event");
}

fn reply(tx: &mpsc::UnboundedSender<Out>, id: &str, data: &Value) {
    match serde_json::value::to_raw_value(data) {
        Ok(raw) => {
            let _ = tx.send(Out::Text(wire::encode_reply(id, &raw)));
        }
        Err(err) => tracing::warn!(%err, "reply not encodable"),
    }
}
