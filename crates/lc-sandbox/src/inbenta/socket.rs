//! The realtime channel at `/v1/ws`: authentication before the upgrade, then one JSON
//! text frame per request, reply and push (`docs/inbenta-wire.md`).
//!
//! Fault injection reaches it too: while logins are refused the handshake answers 503,
//! a request to drop after applying cuts the socket before it runs (so that nothing
//! more is written to it) and a chaos plan drops it after some frames or some time.

use super::ctx::{Ctx, Who};
use super::error::Fail;
use super::events;
use super::hub::Hub;
use super::state::{ConnId, ConnRec, Out};
use crate::body::RequestBody;
use crate::cutoff::Cutoff;
use crate::out_queue::OutQueue;
use crate::query::query_param;
use crate::shared::Shared;
use crate::writer::write_frames;
use bytes::Bytes;
use futures_util::StreamExt;
use http::{Request, Response};
use http_body_util::Full;
use lc_protocol::wire::inbenta::{self as wire, RequestFrame};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

/// Largest frame accepted.
const MAX_FRAME: usize = 4 << 20;
/// How long the end of a connection waits for its writer to flush.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(2);

/// The user a socket belongs to: `appId` and `token` from the query, or the headers
/// `x-hyper-appid` and `x-hyper-token`.
fn authenticate<B: RequestBody>(req: &Request<B>, hub: &Hub) -> Result<(String, String), Fail> {
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

/// Answers the WebSocket handshake (401 before upgrading for a bad app or token; 503
/// while logins are refused, see `Sandbox::refuse_logins_for`) and serves the socket.
pub(crate) fn upgrade<B: RequestBody>(
    mut req: Request<B>,
    shared: Arc<Shared>,
) -> Response<Full<Bytes>> {
    let (app, user) = match authenticate(&req, &shared.inbenta) {
        Ok(pair) => pair,
        Err(fail) => return fail.response(),
    };
    if shared.faults().refuse_login() {
        return Fail::new(503, "Service unavailable, try again later").response();
    }
    let serve = move |ws| serve(ws, shared, app, user);
    crate::upgrade::accept(&mut req, MAX_FRAME, "Inbenta", serve)
        .unwrap_or_else(|| Fail::bad_request("Expected a WebSocket upgrade").response())
}

/// Serves one socket until it closes, is dropped or the sandbox stops.
async fn serve<S>(ws: WebSocketStream<S>, shared: Arc<Shared>, app: String, user: String)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let hub = shared.inbenta.clone();
    let (sink, mut stream) = ws.split();
    let cutoff = Cutoff::new();
    let (tx, rx) = crate::out_queue::out_queue(cutoff.clone(), crate::out_queue::MAX_QUEUED_BYTES);
    let conn = hub.lock().add_conn(ConnRec {
        app: app.clone(),
        user: user.clone(),
        tx: tx.clone(),
        cutoff: cutoff.clone(),
    });
    if let Some(plan) = shared.faults().conn_plan() {
        tx.send(Out::Arm(plan));
    }
    let writer = tokio::spawn(write_frames(sink, rx, cutoff.clone(), shared.clone()));
    let mut shutdown = hub.shutdown.clone();
    let sock = Sock {
        shared: &shared,
        conn,
        app: &app,
        user: &user,
        tx: &tx,
        cutoff: &cutoff,
    };
    loop {
        tokio::select! {
            biased;
            () = cutoff.cut_off() => break,
            message = stream.next() => match message {
                Some(Ok(Message::Text(text))) => sock.on_text(text.as_str()),
                Some(Ok(Message::Close(_))) | None => break,
                Some(Ok(_)) => {}
                Some(Err(err)) => {
                    tracing::debug!(conn, %err, "Inbenta WebSocket read failed");
                    break;
                }
            },
            _ = shutdown.wait_for(|stop| *stop) => {
                tx.send(Out::Close);
                break;
            }
        }
    }
    hub.lock().conns.remove(&conn);
    drop(tx);
    crate::writer::finish(writer, FLUSH_TIMEOUT).await;
}

/// One socket, as its requests need it.
struct Sock<'a> {
    shared: &'a Arc<Shared>,
    conn: ConnId,
    app: &'a str,
    user: &'a str,
    tx: &'a OutQueue,
    cutoff: &'a Cutoff,
}

impl Sock<'_> {
    /// Handles one text frame. A frame that is not a request gets no reply, except one that
    /// carries an `id`, which gets a 400 for it.
    fn on_text(&self, text: &str) {
        let (conn, tx) = (self.conn, self.tx);
        let request = match wire::decode_request(text) {
            Ok(request) => request,
            Err(problem) => {
                tracing::debug!(conn, %problem, "unreadable Inbenta frame");
                let id = serde_json::from_str::<Value>(text)
                    .ok()
                    .and_then(|v| v.get("id").and_then(Value::as_str).map(str::to_owned));
                if let Some(id) = id {
                    let fail = Fail::bad_request(format!("Malformed request: {problem}"));
                    tx.send(Out::Text(wire::encode_error(&id, &fail.to_wire())));
                }
                return;
            }
        };
        self.handle(&request);
    }

    /// Runs one request and answers it (at once, or when an agent search ends). A request to
    /// drop after applying cuts the socket first, then runs: no reply, pushes to the other
    /// sockets as usual.
    fn handle(&self, request: &RequestFrame) {
        let (conn, tx) = (self.conn, self.tx);
        if self.cutoff.is_cut() {
            return;
        }
        // A failure armed with `Sandbox::fail_next` for this event: answered with the
        // error's HTTP-like code, nothing applied (as a server fault before storing).
        let failure = self.shared.faults().take_failure(&request.name);
        if let Some(error) = failure {
            let code = crate::web::status_of(&error.kind).as_u16();
            let message = error.message.clone();
            let fail = Fail::new(code, message);
            tx.send(Out::Text(wire::encode_error(&request.id, &fail.to_wire())));
            return;
        }
        let drop_after = self.shared.faults().take_drop(&request.name);
        if drop_after {
            self.cutoff.cut();
        }
        let hub = &self.shared.inbenta;
        let who = Who::User(self.user.to_owned());
        let mut st = hub.lock();
        let mut ctx = Ctx::new(hub, &mut st, self.app);
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
                    let agent = super::assign::wait_for_agent(rx).await;
                    reply(&tx, &id, &events::assign_reply(agent));
                });
            }
            Err(fail) => {
                tx.send(Out::Text(wire::encode_error(&request.id, &fail.to_wire())));
            }
        }
        ctx.flush_later();
        tracing::debug!(conn, event = %request.name, drop_after, "inbenta event");
    }
}

fn reply(tx: &OutQueue, id: &str, data: &Value) {
    match serde_json::value::to_raw_value(data) {
        Ok(raw) => {
            tx.send(Out::Text(wire::encode_reply(id, &raw)));
        }
        Err(err) => tracing::warn!(%err, "reply not encodable"),
    }
}

/// A realtime socket the fuzzer (`crates/lc-fuzz`) drives in process: registered like a
/// WebSocket's, with no socket nor writer; what the sandbox writes to it stays in its
/// queue.
#[cfg(feature = "fuzzing")]
pub(crate) struct InProcess {
    shared: Arc<Shared>,
    conn: ConnId,
    app: String,
    user: String,
    tx: OutQueue,
    written: crate::out_queue::OutReceiver,
    cutoff: Arc<Cutoff>,
}

#[cfg(feature = "fuzzing")]
impl InProcess {
    /// Opens a socket for the user of session `token` in app `app`; `None` when the app
    /// or token is unknown.
    pub(crate) fn open(shared: Arc<Shared>, app: &str, token: &str) -> Option<Self> {
        let user = shared
            .inbenta
            .lock()
            .app(app)
            .ok()?
            .tokens
            .get(token)?
            .clone();
        let cutoff = Cutoff::new();
        // No socket: the fuzzer takes what was written after each input (see the RTM one).
        let (tx, written) = crate::out_queue::out_queue(cutoff.clone(), usize::MAX / 2);
        let conn = shared.inbenta.lock().add_conn(ConnRec {
            app: app.to_owned(),
            user: user.clone(),
            tx: tx.clone(),
            cutoff: cutoff.clone(),
        });
        Some(Self {
            shared,
            conn,
            app: app.to_owned(),
            user,
            tx,
            written,
            cutoff,
        })
    }

    /// Handles one text frame as the reader of a socket does.
    pub(crate) fn on_text(&self, text: &str) {
        let sock = Sock {
            shared: &self.shared,
            conn: self.conn,
            app: &self.app,
            user: &self.user,
            tx: &self.tx,
            cutoff: &self.cutoff,
        };
        sock.on_text(text);
    }

    /// The text frames written to the socket since the last call.
    pub(crate) fn written(&mut self) -> Vec<String> {
        let mut frames = Vec::new();
        while let Some(out) = self.written.try_recv() {
            if let Out::Text(text) = out {
                frames.push(text);
            }
        }
        frames
    }
}

#[cfg(feature = "fuzzing")]
impl Drop for InProcess {
    fn drop(&mut self) {
        self.shared.inbenta.lock().conns.remove(&self.conn);
    }
}
