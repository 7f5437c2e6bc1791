//! RTM: WebSocket connections and their rules (§1.2–§1.9 of the notes): the login
//! deadline, the idle timeout, at most 10 pending requests, per-request versions, and the
//! frames themselves.
//!
//! Each connection has a reader (this module's loop), a writer task fed through the
//! connection's [`Outgoing`] channel, and a worker task that handles requests delayed by
//! fault injection ([`crate::Sandbox::set_response_delay`]). Without a delay a request is
//! handled as soon as it is read, so nothing is ever pending; with one, requests wait in
//! the worker's queue, in arrival order, and count as pending until answered.
//!
//! A [`Cutoff`] ends the connection abruptly (fault injection): the writer stops without
//! writing what is queued, the reader stops reading, and nothing is answered any more.

use crate::body::RequestBody;
use crate::cutoff::Cutoff;
use crate::dispatch::dispatch;
use crate::handler::{Ctx, Reply, err};
use crate::response::{lifecycle_header, text};
use crate::shared::Shared;
use crate::state::{AuthKind, ConnId, ConnRec, Outgoing, State};
use crate::writer::write_frames;
use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream::SplitStream;
use http::{Request, Response, StatusCode, header};
use http_body_util::Full;
use lc_protocol::error::{ApiError, ErrorType};
use lc_protocol::wire::livechat::{self, RequestFrame};
use lc_protocol::{Api, ApiVersion, TransportKind};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

/// Largest message the sandbox accepts, as the largest Web body (the real service
/// documents none; the largest request, a 16 KB message with its properties, is far
/// below). A larger one closes the connection with close code 1009 (message too big).
const MAX_FRAME: usize = 1 << 20;
/// Most unanswered requests one connection may have (§1.2); the next one fails with
/// `pending_requests_limit_reached` at once.
const MAX_PENDING: usize = 10;
/// How long the end of a connection waits for its writer to flush.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(2);

/// Answers a WebSocket handshake on an RTM path and serves the connection.
///
/// Customers must name the organization (`organization_id`, or `license_id` in 3.3); a
/// wrong or missing one fails the handshake with the Web status of the error.
pub(crate) fn upgrade<B: RequestBody>(
    mut req: Request<B>,
    api: Api,
    version: ApiVersion,
    shared: Arc<Shared>,
) -> Response<Full<Bytes>> {
    if !req.headers().contains_key(header::SEC_WEBSOCKET_KEY) {
        return text(StatusCode::BAD_REQUEST, "expected a WebSocket upgrade");
    }
    if api == Api::Customer {
        let checked =
            crate::web::check_organization(req.uri(), version, false, &shared.lock().settings);
        if let Err(error) = checked {
            return crate::web::error_response(&error, version);
        }
    }
    let serve = move |ws| serve(ws, api, version, shared);
    let Some(mut response) = crate::upgrade::accept(&mut req, MAX_FRAME, "RTM", serve) else {
        return text(StatusCode::BAD_REQUEST, "expected a WebSocket upgrade");
    };
    if let Some((name, value)) = lifecycle_header(version) {
        response.headers_mut().insert(name, value);
    }
    response
}

/// A request waiting in a connection's worker queue.
struct Queued {
    request: RequestFrame,
    arrived: Instant,
    delay: Duration,
}

/// Who the console's journal names as the author of the frames read from a connection:
/// kept between frames instead of looked up in the state for each.
#[derive(Debug, Default)]
struct Journaled {
    /// The user logged in on the connection when last looked up.
    user: Option<String>,
    /// Whether `user` is still who is logged in: someone was, no login was read since,
    /// and no request waited in the worker's queue (a delayed login) when it was looked
    /// up. A login only ever replaces who is logged in.
    fresh: bool,
}

/// The reader side of one connection.
struct Conn {
    id: ConnId,
    shared: Arc<Shared>,
    /// Cuts the connection at once.
    cutoff: Arc<Cutoff>,
    /// Requests read but not answered yet.
    pending: Arc<AtomicUsize>,
    /// The worker's queue.
    queue: mpsc::UnboundedSender<Queued>,
}

/// Serves one WebSocket until it closes, times out, is dropped or the sandbox stops.
async fn serve<S>(ws: WebSocketStream<S>, api: Api, version: ApiVersion, shared: Arc<Shared>)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (sink, stream) = ws.split();
    let cutoff = Cutoff::new();
    let (tx, rx) = crate::out_queue::out_queue(cutoff.clone(), crate::out_queue::MAX_QUEUED_BYTES);
    let id = register(&mut shared.lock(), api, version, tx, cutoff.clone());
    crate::console::hooks::watch(&shared, id);
    let writer = tokio::spawn(write_frames(sink, rx, cutoff.clone(), shared.clone()));
    let (queue, queued) = mpsc::unbounded_channel();
    let pending = Arc::new(AtomicUsize::new(0));
    let worker = tokio::spawn(work(
        shared.clone(),
        id,
        cutoff.clone(),
        queued,
        pending.clone(),
    ));
    let conn = Conn {
        id,
        shared: shared.clone(),
        cutoff,
        pending,
        queue,
    };
    conn.read_frames(stream).await;
    worker.abort();
    {
        // The agent's status follows its connections (offline with the last one).
        let mut state = shared.lock();
        customer_leaving(&mut state, id);
        let removed = state.on_connection_closed(id);
        crate::push::deliver(&mut state, None);
        drop(removed);
    }
    crate::writer::finish(writer, FLUSH_TIMEOUT).await;
}

/// When `conn` is a customer's last connection: the customer leaves the tracked
/// website, and the agents that hear about it get `customer_left`.
fn customer_leaving(state: &mut State, conn: ConnId) {
    let Some(crate::state::Principal::Customer(customer)) =
        state.conns.get(&conn).and_then(|c| c.principal.clone())
    else {
        return;
    };
    if state.user_conns(customer.as_str()) == [conn] {
        crate::agent_api::announce_left(state, &customer);
    }
}

/// Adds a connection, not logged in yet, to the state.
fn register(
    state: &mut State,
    api: Api,
    version: ApiVersion,
    tx: crate::out_queue::OutQueue,
    cutoff: Arc<Cutoff>,
) -> ConnId {
    state.next_conn += 1;
    let id = state.next_conn;
    let rec = ConnRec {
        api,
        version,
        principal: None,
        pushes: None,
        away: false,
        session: Default::default(),
        tx,
        cutoff,
        chaos_armed: false,
    };
    state.conns.insert(id, rec);
    id
}

/// Handles the requests that wait for a response delay, in arrival order. A request
/// whose delay reaches the request timeout is answered `request_timeout` at the timeout
/// and never runs.
async fn work(
    shared: Arc<Shared>,
    conn: ConnId,
    cutoff: Arc<Cutoff>,
    mut queue: mpsc::UnboundedReceiver<Queued>,
    pending: Arc<AtomicUsize>,
) {
    let timeout = shared.timing.request_timeout;
    while let Some(queued) = queue.recv().await {
        if queued.delay >= timeout {
            sleep_until(queued.arrived + timeout).await;
            let error = ApiError::new(ErrorType::RequestTimeout);
            respond(&shared.lock(), conn, &queued.request, &Err(error));
        } else {
            sleep_until(queued.arrived + queued.delay).await;
            handle_request(&shared, conn, &cutoff, &queued.request);
        }
        pending.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Conn {
    /// Reads frames until the connection ends, enforcing the login deadline and the idle
    /// timeout. Both close with a `connection_timeout` disconnect push first (§1.7 asks it
    /// for idle connections; [I] the sandbox sends it on the login deadline too). Any
    /// frame, control pings included, restarts the idle timer; nothing extends the login
    /// deadline. A cut ends it first, before any frame still buffered is read.
    async fn read_frames<S>(&self, mut stream: SplitStream<WebSocketStream<S>>)
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let timing = self.shared.timing;
        let mut last_frame = Instant::now();
        let mut shutdown = self.shared.shutdown.clone();
        // Once logged in, a connection stays logged in (a login only replaces who is).
        let mut logged_in = false;
        let mut journal = Journaled::default();
        // The timer is not moved at every frame: when it fires before the idle timeout
        // (frames came meanwhile), it is set again to the new deadline.
        let deadline = sleep_until(Instant::now() + timing.login_deadline);
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                biased;
                () = self.cutoff.cut_off() => break,
                message = stream.next() => {
                    match message {
                        Some(Ok(Message::Text(text))) => {
                            last_frame = Instant::now();
                            self.on_text(text.as_str(), &mut journal);
                        }
                        Some(Ok(Message::Binary(data))) => {
                            last_frame = Instant::now();
                            match std::str::from_utf8(&data) {
                                Ok(text) => self.on_text(text, &mut journal),
                                Err(_) => self.reply_malformed("binary frame is not UTF-8"),
                            }
                        }
                        Some(Ok(Message::Ping(_) | Message::Pong(_))) => {
                            last_frame = Instant::now();
                        }
                        Some(Ok(Message::Frame(_))) => {}
                        Some(Ok(Message::Close(_))) | None => break,
                        Some(Err(err)) => {
                            tracing::debug!(conn = self.id, %err, "WebSocket read failed");
                            break;
                        }
                    }
                    if !logged_in && self.logged_in() {
                        // From now on the idle timeout, not the login deadline.
                        logged_in = true;
                        deadline.as_mut().reset(last_frame + timing.idle_timeout);
                    }
                }
                () = &mut deadline => {
                    // A delayed login may have completed while waiting for the deadline.
                    logged_in = logged_in || self.logged_in();
                    let idle_at = last_frame + timing.idle_timeout;
                    if logged_in && Instant::now() < idle_at {
                        deadline.as_mut().reset(idle_at);
                        continue;
                    }
                    crate::state::close_conn(&self.shared.lock(), self.id, "connection_timeout");
                    break;
                }
                _ = shutdown.changed() => {
                    if let Some(c) = self.shared.lock().conns.get(&self.id) {
                        c.tx.send(Outgoing::Close);
                    }
                    break;
                }
            }
        }
    }

    /// Whether the connection has logged in.
    fn logged_in(&self) -> bool {
        self.shared
            .lock()
            .conns
            .get(&self.id)
            .is_some_and(|c| c.principal.is_some())
    }

    /// Handles a text frame now, or queues it when a response delay is armed; refuses it
    /// when [`MAX_PENDING`] requests are already waiting.
    fn on_text(&self, text: &str, journal: &mut Journaled) {
        if crate::console::hooks::reading(&self.shared) {
            if !journal.fresh {
                let waiting = self.pending.load(Ordering::SeqCst);
                journal.user = crate::console::hooks::user_of(&self.shared, self.id);
                journal.fresh = waiting == 0 && journal.user.is_some();
            }
            crate::console::hooks::read(&self.shared, self.id, journal.user.as_deref(), text);
        }
        let request = match livechat::decode_request(text) {
            Ok(request) => request,
            Err(problem) => return self.reply_malformed(&problem.to_string()),
        };
        if request.action == "login" {
            journal.fresh = false;
        }
        let pending = self.pending.load(Ordering::SeqCst);
        if pending >= MAX_PENDING {
            let error = ApiError::new(ErrorType::PendingRequestsLimitReached);
            return respond(&self.shared.lock(), self.id, &request, &Err(error));
        }
        let delay = self.shared.faults().delay_for(&request.action);
        if delay.is_zero() && pending == 0 {
            return handle_request(&self.shared, self.id, &self.cutoff, &request);
        }
        self.pending.fetch_add(1, Ordering::SeqCst);
        let queued = Queued {
            request,
            arrived: Instant::now(),
            delay,
        };
        if self.queue.send(queued).is_err() {
            self.pending.fetch_sub(1, Ordering::SeqCst);
        }
    }

    /// Answers a frame that is not a request with a `validation` error (no request id).
    fn reply_malformed(&self, problem: &str) {
        let state = self.shared.lock();
        if let Some(c) = state.conns.get(&self.id) {
            let error = err(
                ErrorType::Validation,
                format!("Wrong format of request: {problem}"),
            );
            c.send(livechat::encode_failure(None, "", &error));
        }
    }
}

/// The version a request runs in (§1.3): its `version` field, which may not be lower than
/// the connection's ([I] `validation`) and must be one the sandbox serves
/// (`unsupported_version`); the connection's version when absent.
fn request_version(requested: Option<&str>, conn: ApiVersion) -> Result<ApiVersion, ApiError> {
    let Some(requested) = requested else {
        return Ok(conn);
    };
    match requested.parse::<ApiVersion>() {
        Ok(version) if version >= conn => Ok(version),
        Ok(version) => Err(err(
            ErrorType::Validation,
            format!("Version {version} is lower than the connection's version {conn}: prohibited"),
        )),
        Err(_) => Err(ApiError::new(ErrorType::UnsupportedVersion)),
    }
}

/// Runs one request (or the failure armed for it with `Sandbox::fail_next`), answers it
/// and delivers the pushes it caused; a failed action's pushes are discarded.
///
/// Fault injection decides first ([`Faults::fate`](crate::faults::Faults::fate)): a
/// `login` refused while logins are refused is answered `service_unavailable` and the
/// connection closed; a request to drop after applying cuts the connection before it
/// runs, so that neither its answer nor the pushes to this connection are written, then
/// runs as usual (the other connections get their pushes). The first successful login
/// draws the connection's chaos plan.
fn handle_request(shared: &Shared, conn: ConnId, cutoff: &Cutoff, request: &RequestFrame) {
    if cutoff.is_cut() {
        // Dropped: nothing more is read from it.
        return;
    }
    let fate = shared.faults().fate(&request.action);
    if fate.drop_after {
        cutoff.cut();
    }
    let mut state = shared.lock();
    let Some(rec) = state.conns.get(&conn) else {
        return;
    };
    let (api, conn_version, principal) = (rec.api, rec.version, rec.principal.clone());
    let action = request.action.as_str();
    let refused = fate.refused.then(|| {
        err(
            ErrorType::ServiceUnavailable,
            "Service unavailable, try again later",
        )
    });
    let reply = match (
        fate.forced.or(refused),
        request_version(request.version.as_deref(), conn_version),
    ) {
        (Some(error), _) | (None, Err(error)) => Err(error),
        (None, Ok(_)) if action == "ping" => crate::handler::encode(&lc_protocol::Empty {}),
        (None, Ok(version)) if action == "login" => match api {
            Api::Agent => crate::agent_api::login(&mut state, conn, version, &request.payload),
            _ => crate::customer_api::login(&mut state, conn, version, &request.payload),
        },
        (None, Ok(version)) => match principal {
            None => Err(err(ErrorType::Authentication, "Log in first")),
            Some(who) => {
                let (client_id, auth) = login_credential(&state, conn);
                let api = who.api();
                let mut ctx = Ctx {
                    state: &mut state,
                    who,
                    version,
                    transport: TransportKind::Rtm,
                    conn: Some(conn),
                    client_id,
                    auth,
                };
                dispatch(&mut ctx, api, action, &request.payload)
            }
        },
    };
    respond(&state, conn, request, &reply);
    if action == "login" && reply.is_ok() {
        arm_chaos(shared, &mut state, conn);
    }
    if reply.is_err() {
        state.outbox = Default::default();
    }
    crate::push::deliver(&mut state, Some((conn, request.request_id.as_deref())));
    if fate.refused {
        if let Some(c) = state.conns.get(&conn) {
            c.tx.send(Outgoing::Close);
        }
    }
    tracing::debug!(
        conn,
        action,
        ok = reply.is_ok(),
        fate.drop_after,
        "rtm action"
    );
}

/// Draws the chaos plan of a connection that has just logged in for the first time and
/// hands it to its writer, after the login response.
fn arm_chaos(shared: &Shared, state: &mut State, conn: ConnId) {
    let Some(c) = state.conns.get_mut(&conn) else {
        return;
    };
    if std::mem::replace(&mut c.chaos_armed, true) {
        return;
    }
    if let Some(plan) = shared.faults().conn_plan() {
        c.tx.send(Outgoing::Arm(plan));
    }
}

/// Sends the response to `request` on its connection.
fn respond(state: &State, conn: ConnId, request: &RequestFrame, reply: &Reply) {
    let Some(c) = state.conns.get(&conn) else {
        return;
    };
    let request_id = request.request_id.as_deref();
    let action = request.action.as_str();
    c.send(match reply {
        Ok(payload) => livechat::encode_success(request_id, action, payload),
        Err(error) => livechat::encode_failure(request_id, action, error),
    });
}

/// The client id and kind of the token connection `conn` logged in with (`None` and
/// `Bearer` when it is gone or expired).
fn login_credential(state: &State, conn: ConnId) -> (Option<String>, AuthKind) {
    state
        .conns
        .get(&conn)
        .and_then(|c| c.session.token.as_deref())
        .and_then(|token| crate::auth::credential(state, token).ok())
        .map_or((None, AuthKind::Bearer), |c| (c.client_id, c.kind))
}

/// A connection the fuzzer (`crates/lc-fuzz`) drives in process: registered like a
/// WebSocket's, with no socket, writer or worker; what the sandbox writes to it stays in
/// its queue.
#[cfg(feature = "fuzzing")]
pub(crate) struct InProcess {
    conn: Conn,
    written: crate::out_queue::OutReceiver,
    _queued: mpsc::UnboundedReceiver<Queued>,
}

#[cfg(feature = "fuzzing")]
impl InProcess {
    /// Registers a connection of `api` in `version`, not logged in yet.
    pub(crate) fn open(shared: Arc<Shared>, api: Api, version: ApiVersion) -> Self {
        let cutoff = Cutoff::new();
        // No socket, so no frame size limit on the way in and nothing that could stop
        // reading on the way out: the fuzzer takes what was written after each input.
        let (tx, written) = crate::out_queue::out_queue(cutoff.clone(), usize::MAX / 2);
        let id = register(&mut shared.lock(), api, version, tx, cutoff.clone());
        let (queue, queued) = mpsc::unbounded_channel();
        let conn = Conn {
            id,
            shared,
            cutoff,
            pending: Arc::new(AtomicUsize::new(0)),
            queue,
        };
        Self {
            conn,
            written,
            _queued: queued,
        }
    }

    /// Handles one text frame as the reader of a WebSocket does.
    pub(crate) fn on_text(&self, text: &str) {
        self.conn.on_text(text, &mut Journaled::default());
    }

    /// Whether the state still knows the connection.
    pub(crate) fn registered(&self) -> bool {
        self.conn.shared.lock().conns.contains_key(&self.conn.id)
    }

    /// What was written to the connection since the last call: its text frames, and
    /// whether a close was ordered.
    pub(crate) fn written(&mut self) -> (Vec<String>, bool) {
        let (mut frames, mut closed) = (Vec::new(), false);
        while let Some(out) = self.written.try_recv() {
            match out {
                Outgoing::Text(text) => frames.push(text),
                Outgoing::Close => closed = true,
                Outgoing::Arm(_) => {}
            }
        }
        (frames, closed)
    }
}

#[cfg(feature = "fuzzing")]
impl Drop for InProcess {
    fn drop(&mut self) {
        let mut state = self.conn.shared.lock();
        customer_leaving(&mut state, self.conn.id);
        let removed = state.on_connection_closed(self.conn.id);
        crate::push::deliver(&mut state, None);
        drop(removed);
    }
}
