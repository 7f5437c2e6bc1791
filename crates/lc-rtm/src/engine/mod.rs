//! The connection task: connect, log in, correlate requests, heartbeat, reconnect.
//!
//! The task reads the socket and answers each request through its oneshot. A typed
//! call's request carries the decoder of its response type: a LiveChat response naming
//! its `request_id` before its `payload` is decoded straight into that type during the
//! read (`on_typed_response`), other frames take the plain path. Callers
//! write their own requests to the socket ([`Engine::try_write`]) when the connection
//! is served, the engine task is not writing and nothing waits in the queue: that costs
//! no wake-up of the task. A caller's frame is buffered and flushed once its task ran
//! again, so that requests made together leave in one write (a batch). Otherwise the
//! request goes through the bounded queue to the task, which writes the queued requests
//! back to back (`send_queued`). The socket and the request slots sit behind one short
//! lock ([`Link`]), taken for each poll and never held across an await; every write,
//! the callers' included, is bounded by the write timeout (a caller's write never
//! waits: what the socket does not take at once the task flushes, within the timeout).

use crate::config::RtmConfig;
use crate::event::RtmEvent;
use crate::status::{Health, RtmStatus};
use futures_util::{SinkExt, StreamExt};
use lc_protocol::auth::TokenProvider;
use lc_protocol::backoff::Jitter;
use lc_protocol::error::ErrorType;
use lc_protocol::id::Token;
use lc_protocol::session::{Disconnect, Session};
use lc_protocol::wire::typed::Answer;
use lc_protocol::wire::{Dialect, Incoming};
use lc_protocol::{Api, ApiError, Error, FrameError, TransportFailure};
use serde_json::value::RawValue;
use std::collections::VecDeque;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::sync::mpsc::error::TryRecvError;
use tokio::time::{Instant, MissedTickBehavior, interval_at, sleep, timeout};
use tokio_tungstenite::Connector;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::error::Error as WsError;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

mod job;
mod link;
mod rules;
mod scan;
mod slots;

pub(crate) use job::{Job, Ticket};
pub(crate) use link::{Link, Written};
use link::{Writer, Ws};

use rules::{
    handshake_refusal_is_permanent, is_loopback, login_error_is_fatal, read_failure,
    upgrade_request,
};
use scan::{leading_request_id, reply_id};
use slots::{Slots, WS_PING};

type PushOf<S> = <<S as Session>::Dialect as Dialect>::Push;

/// Orders for the engine.
pub(crate) enum Command {
    Request(Job),
    /// Callers' frames are buffered that no caller flushes (the socket took only part of
    /// them, or the caller went away first): flush them.
    Flush,
    Close,
}

/// What the engine shares with its clients.
pub(crate) struct Engine<S: Session> {
    pub(crate) session: S,
    pub(crate) tokens: Arc<dyn TokenProvider>,
    pub(crate) config: RtmConfig,
    pub(crate) events: lc_protocol::fanout::Fanout<RtmEvent<PushOf<S>>>,
    pub(crate) connector: Connector,
    /// Why the engine stopped for good (the server's reason, a refused handshake, a
    /// fatal login error), once it has: later calls get it.
    pub(crate) ended: std::sync::OnceLock<Error>,
    /// How many requests wait for the connection (see [`Ticket`]).
    pub(crate) waiting: Arc<AtomicUsize>,
    /// Whether requests come together: a caller that opens a batch then lets its task
    /// run once more before flushing, so that the others join it (one write); set when
    /// a request is written with others in flight, cleared when a deferred batch got
    /// no company (a lone request flushed at once saves the task's extra turn, which on
    /// a quiet multi-thread runtime can wake an idle worker). Starts set.
    pub(crate) defer_flush: AtomicBool,
    /// Whether the plaintext warning was given.
    pub(crate) warned_plaintext: AtomicBool,
    /// The status and the last round trip, for [`crate::RtmClient::status`] and
    /// [`crate::RtmClient::latency`].
    pub(crate) health: Health,
    /// The connection being served, which callers write their requests to when they
    /// can (see [`Engine::try_write`]).
    pub(crate) link: Mutex<Link>,
    /// The last request id given (ids are not reused across connections).
    pub(crate) next_id: AtomicU64,
}

/// How a connection ended.
enum Ended {
    /// `close()` was called.
    Closed,
    /// The socket died, a write got stuck or the heartbeat went unanswered.
    Lost(String),
    /// The server said why, with a push.
    Server(Disconnect),
}

/// What the engine writes in one turn of its serve loop.
struct Writes {
    /// A caller's frame owed its flush (see [`Writer::Owed`]).
    owed: Option<String>,
    /// Whether the heartbeat goes out.
    ping: bool,
}

/// Why a login did not succeed.
enum LoginFailure {
    Closed,
    Retry(String),
    Fatal(Error),
}

/// The most a server may make the engine wait before reconnecting (a day).
const MAX_SERVER_WAIT: Duration = Duration::from_secs(86_400);

impl<S: Session> Engine<S>
where
    PushOf<S>: Clone,
{
    fn emit(&self, event: RtmEvent<PushOf<S>>) {
        // No subscriber is fine.
        self.events.send(event);
    }

    /// Runs until closed or stopped by the server.
    pub(crate) async fn run(self: Arc<Self>, mut commands: mpsc::UnboundedReceiver<Command>) {
        let mut queue = VecDeque::new();
        let mut region: Option<String> = None;
        let mut logged_in_once = false;
        let mut attempt = 0u32;
        let mut jitter = Jitter::new();
        loop {
            // The least wait the server asked for before the next attempt.
            let mut at_least = Duration::ZERO;
            // Boxed: connecting (TLS, handshake, login) needs far more state than
            // serving, and an unboxed future would keep room for it in the task for
            // the whole life of the connection.
            let open =
                Box::pin(self.open(region.as_deref(), logged_in_once, &mut commands, &mut queue));
            match open.await {
                Ok((ws, token)) => {
                    logged_in_once = true;
                    self.health.set_status(RtmStatus::Connected);
                    self.emit(RtmEvent::Connected);
                    let started = Instant::now();
                    let (ended, served) = self.serve(ws, &mut commands, &mut queue).await;
                    // Only a connection that proved stable starts the backoff again: a
                    // server that ends every session at once is not hit in a loop.
                    if served || started.elapsed() >= self.config.stable_after {
                        attempt = 0;
                    }
                    match ended {
                        Ended::Closed => return self.stop(queue, "closed by the client", None),
                        Ended::Lost(reason) => self.emit(RtmEvent::Disconnected { reason }),
                        Ended::Server(Disconnect::Reconnect { reason }) => {
                            self.emit(RtmEvent::Disconnected { reason })
                        }
                        Ended::Server(Disconnect::ReconnectAfter {
                            reason,
                            at_least: wait,
                        }) => {
                            tracing::info!(%reason, ?wait, "the server asked to wait before reconnecting");
                            at_least = wait.min(MAX_SERVER_WAIT);
                            self.emit(RtmEvent::Disconnected { reason })
                        }
                        Ended::Server(Disconnect::RenewToken { reason }) => {
                            self.invalidate(&token).await;
                            self.emit(RtmEvent::Disconnected { reason })
                        }
                        Ended::Server(Disconnect::SwitchRegion {
                            reason,
                            region: new,
                        }) => {
                            tracing::info!(%reason, region = %new, "switching region");
                            region = Some(new);
                            self.emit(RtmEvent::Disconnected { reason });
                        }
                        Ended::Server(Disconnect::Stop { reason }) => {
                            self.emit(RtmEvent::Disconnected {
                                reason: reason.clone(),
                            });
                            let error = Error::SessionEnded {
                                reason: reason.clone(),
                            };
                            return self.stop(queue, &reason, Some(error));
                        }
                    }
                }
                Err(LoginFailure::Closed) => return self.stop(queue, "closed by the client", None),
                Err(LoginFailure::Fatal(error)) => {
                    let reason = error.to_string();
                    self.emit(RtmEvent::Disconnected {
                        reason: reason.clone(),
                    });
                    return self.stop(queue, &reason, Some(error));
                }
                Err(LoginFailure::Retry(reason)) => self.emit(RtmEvent::Disconnected { reason }),
            }
            let delay = self
                .config
                .backoff
                .delay(attempt, jitter.unit())
                .max(at_least);
            attempt = attempt.saturating_add(1);
            self.health.set_status(RtmStatus::Reconnecting { attempt });
            self.emit(RtmEvent::Reconnecting { attempt, delay });
            if self
                .until_closed(sleep(delay), &mut commands, &mut queue)
                .await
                .is_none()
            {
                return self.stop(queue, "closed by the client", None);
            }
        }
    }

    /// Fails every queued request and announces the stop; `error` (if any) is what
    /// queued and later calls get, [`Error::Closed`] otherwise.
    fn stop(&self, queue: VecDeque<Job>, reason: &str, error: Option<Error>) {
        if let Some(error) = &error {
            let _ = self.ended.set(error.clone());
        }
        for job in queue {
            let result = Err(error.clone().unwrap_or(Error::Closed));
            job.answer(result);
        }
        self.health.set_status(RtmStatus::Stopped {
            reason: reason.to_owned(),
        });
        self.emit(RtmEvent::Stopped {
            reason: reason.to_owned(),
        });
    }

    /// Tells the provider `token` was refused, within the token timeout.
    async fn invalidate(&self, token: &Token) {
        let bounded = timeout(self.config.token_timeout, self.tokens.invalidate(token));
        if bounded.await.is_err() {
            tracing::warn!(after = ?self.config.token_timeout, "the token provider did not take the token back in time");
        }
    }

    /// Warns once when tokens would go over plaintext to a host other than this one.
    fn warn_plaintext(&self, request: &tokio_tungstenite::tungstenite::handshake::client::Request) {
        let uri = request.uri();
        if uri.scheme_str() != Some("ws") {
            return;
        }
        let host = uri.host().unwrap_or_default();
        if is_loopback(host) || self.warned_plaintext.swap(true, Ordering::Relaxed) {
            return;
        }
        tracing::warn!(
            host,
            "plaintext ws:// connection to another host: tokens and messages travel unencrypted; use wss://"
        );
    }

    /// Connects and logs in; gives the socket and the token it logged in with.
    async fn open(
        &self,
        region: Option<&str>,
        reconnect: bool,
        commands: &mut mpsc::UnboundedReceiver<Command>,
        queue: &mut VecDeque<Job>,
    ) -> Result<(Ws, Token), LoginFailure> {
        let wait = self.config.token_timeout;
        let token = match self
            .until_closed(timeout(wait, self.tokens.token()), commands, queue)
            .await
        {
            None => return Err(LoginFailure::Closed),
            Some(Err(_)) => {
                let message = format!("the token provider gave no token within {wait:?}");
                let error = Error::transport(TransportFailure::Token, message, None);
                return Err(LoginFailure::Retry(error.to_string()));
            }
            Some(Ok(Err(err))) => {
                let error = Error::transport(TransportFailure::Token, err.to_string(), None);
                return Err(LoginFailure::Retry(error.to_string()));
            }
            Some(Ok(Ok(token))) => token,
        };
        let token_region = self.session.token_region(&token);
        let url = self.session.url(region.or(token_region.as_deref()));
        let request = match upgrade_request(&url, self.session.upgrade_headers(&token)) {
            Ok(request) => request,
            Err(reason) => return Err(LoginFailure::Retry(reason)),
        };
        self.warn_plaintext(&request);
        let limit = self.config.max_message_size;
        let ws_config = WebSocketConfig::default()
            .read_buffer_size(self.config.read_buffer_size.max(1024))
            .max_message_size(Some(limit))
            .max_frame_size(Some(limit));
        // Nagle off: requests are small and latency-bound.
        let connect = tokio_tungstenite::connect_async_tls_with_config(
            request,
            Some(ws_config),
            true,
            Some(self.connector.clone()),
        );
        let connect = timeout(self.config.connect_timeout, connect);
        let mut ws = match self.until_closed(connect, commands, queue).await {
            None => return Err(LoginFailure::Closed),
            Some(Err(_)) => {
                return Err(LoginFailure::Retry(format!(
                    "connecting to {url} timed out"
                )));
            }
            Some(Ok(Err(WsError::Http(response)))) => {
                let status = response.status().as_u16();
                let message = format!("the server refused the WebSocket upgrade to {url}");
                let error = Error::transport(TransportFailure::Handshake { status }, message, None);
                if status == 401 {
                    // The token was refused: a fresh one may do.
                    self.invalidate(&token).await;
                    return Err(LoginFailure::Retry(error.to_string()));
                }
                if handshake_refusal_is_permanent(status) {
                    return Err(LoginFailure::Fatal(error));
                }
                return Err(LoginFailure::Retry(error.to_string()));
            }
            Some(Ok(Err(err))) => {
                return Err(LoginFailure::Retry(format!(
                    "cannot connect to {url}: {err}"
                )));
            }
            Some(Ok(Ok((ws, _)))) => ws,
        };
        let Some((action, payload)) = self.session.login(&token, reconnect) else {
            return Ok((ws, token));
        };
        let frame = self
            .session
            .dialect()
            .encode_request("login", &action, &payload);
        if let Err(reason) = self.write(&mut ws, Message::text(frame)).await {
            return Err(LoginFailure::Retry(format!("login not sent: {reason}")));
        }
        let answer = timeout(
            self.config.request_timeout,
            self.await_reply(&mut ws, "login"),
        );
        match self.until_closed(answer, commands, queue).await {
            None => Err(LoginFailure::Closed),
            Some(Err(_)) => Err(LoginFailure::Retry("login timed out".into())),
            Some(Ok(Err(reason))) => Err(LoginFailure::Retry(reason)),
            Some(Ok(Ok(Ok(response)))) => {
                self.emit(RtmEvent::LoggedIn { response });
                Ok((ws, token))
            }
            Some(Ok(Ok(Err(error)))) if login_error_is_fatal(&error) => {
                Err(LoginFailure::Fatal(Error::Api {
                    action,
                    error,
                    http_status: None,
                }))
            }
            Some(Ok(Ok(Err(error)))) => {
                if error.kind == ErrorType::Authentication {
                    self.invalidate(&token).await;
                }
                Err(LoginFailure::Retry(format!("login failed: {error}")))
            }
        }
    }

    /// Writes one message within [`RtmConfig::write_timeout`].
    async fn write(&self, ws: &mut Ws, message: Message) -> Result<(), String> {
        self.bounded(ws.send(message)).await
    }

    /// Runs `write` within [`RtmConfig::write_timeout`]. A socket with room takes the
    /// bytes at once, so the first poll runs without a timer: only a write that has to
    /// wait for the peer registers one.
    async fn bounded<F>(&self, write: F) -> Result<(), String>
    where
        F: Future<Output = Result<(), WsError>>,
    {
        let limit = self.config.write_timeout;
        let mut write = std::pin::pin!(write);
        let first = std::future::poll_fn(|cx| Poll::Ready(write.as_mut().poll(cx))).await;
        let result = match first {
            Poll::Ready(result) => result,
            Poll::Pending => match timeout(limit, write).await {
                Ok(result) => result,
                Err(_) => {
                    return Err(format!(
                        "write stuck for {limit:?}: the peer stopped reading"
                    ));
                }
            },
        };
        result.map_err(|err| format!("write failed: {err}"))
    }

    /// Sends queued requests while the server has free slots: their frames are written
    /// back to back and flushed once, so that a burst of requests costs one write to the
    /// socket, not one each. The engine holds the writer's place meanwhile (see
    /// [`Writer`]).
    ///
    /// When the write fails or gets stuck, the frame whose tail never left is cut, so the
    /// server cannot act on it: that request goes back to the front of the queue (when
    /// the connection ends), to go out again after reconnecting, as do the requests not
    /// written yet. The frames before it may have reached the server: they stay pending,
    /// and fail as lost with the connection. (Waiting for room and flushing drain what is
    /// buffered, so when they fail the last frame buffered is cut; buffering a frame can
    /// write the buffer too, and when that fails the frame just buffered is cut, and the
    /// one before may have left whole.)
    async fn send_queued(&self, queue: &mut VecDeque<Job>) -> Result<(), String> {
        let max = self.config.max_pending.max(1);
        let mut last: Option<String> = None;
        let mut last_is_cut = true;
        let written = self
            .bounded(async {
                // The job leaves the queue only once its frame is written: a write given
                // up on (stuck, failed) leaves it there.
                while let Some(job) = queue.front() {
                    if job.reply.is_closed() {
                        queue.pop_front();
                        continue;
                    }
                    if self.link().slots.in_use() >= max {
                        break;
                    }
                    let id = self.request_id();
                    let frame = self.session.dialect().encode_request_as(
                        &id,
                        &job.action,
                        &job.payload,
                        job.author_id.as_deref(),
                    );
                    self.poll_ws(|ws, cx| ws.poll_ready_unpin(cx)).await?;
                    let mut link = self.link();
                    let Some(ws) = link.ws.as_mut() else {
                        return Err(WsError::AlreadyClosed);
                    };
                    if let Err(err) = ws.start_send_unpin(Message::text(frame)) {
                        last_is_cut = false;
                        return Err(err);
                    }
                    let Some(mut job) = queue.pop_front() else {
                        break;
                    };
                    tracing::debug!(action = %job.action, request_id = %id, "request sent");
                    job.ticket = None;
                    job.sent = Some(Instant::now());
                    link.slots.pending.insert(id.clone(), job);
                    last = Some(id);
                }
                if last.is_some() {
                    self.poll_ws(|ws, cx| ws.poll_flush_unpin(cx)).await?;
                }
                Ok(())
            })
            .await;
        if let Err(reason) = written {
            self.link().cut = last.filter(|_| last_is_cut);
            return Err(reason);
        }
        Ok(())
    }

    /// Writes one message to the served socket within [`RtmConfig::write_timeout`]
    /// (the engine holds the writer's place).
    async fn write_served(&self, message: Message) -> Result<(), String> {
        let mut message = Some(message);
        self.bounded(async {
            self.poll_ws(|ws, cx| ws.poll_ready_unpin(cx)).await?;
            if let Some(message) = message.take() {
                self.with_ws(|ws| ws.start_send_unpin(message))?;
            }
            self.poll_ws(|ws, cx| ws.poll_flush_unpin(cx)).await
        })
        .await
    }

    /// The link to the served connection, locked (for a few statements, never across an
    /// await).
    fn link(&self) -> std::sync::MutexGuard<'_, Link> {
        self.link.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A request id not used before on this client.
    fn request_id(&self) -> String {
        (self.next_id.fetch_add(1, Ordering::Relaxed) + 1).to_string()
    }

    /// Runs `f` on the served socket; an error when there is none.
    fn with_ws<T>(&self, f: impl FnOnce(&mut Ws) -> Result<T, WsError>) -> Result<T, WsError> {
        match self.link().ws.as_mut() {
            Some(ws) => f(ws),
            None => Err(WsError::AlreadyClosed),
        }
    }

    /// Polls the served socket with `poll` until it is ready, taking the lock for each
    /// poll only.
    async fn poll_ws<T>(
        &self,
        mut poll: impl FnMut(&mut Ws, &mut Context<'_>) -> Poll<Result<T, WsError>>,
    ) -> Result<T, WsError> {
        std::future::poll_fn(|cx| match self.link().ws.as_mut() {
            Some(ws) => poll(ws, cx),
            None => Poll::Ready(Err(WsError::AlreadyClosed)),
        })
        .await
    }

    /// The next message of the served socket. It waits while a caller's frame is owed
    /// its flush: the engine flushes it first (the caller's [`Command::Flush`] wakes it),
    /// so that a read never writes out the tail of a frame the cut rule counts as cut.
    fn poll_read(&self, cx: &mut Context<'_>) -> Poll<Option<Result<Message, WsError>>> {
        let mut link = self.link();
        if link.writer != Writer::Free {
            // Woken by whoever gives the writer's place back.
            link.reader = Some(cx.waker().clone());
            return Poll::Pending;
        }
        match link.ws.as_mut() {
            Some(ws) => ws.poll_next_unpin(cx),
            None => Poll::Ready(None),
        }
    }

    /// Writes `job`'s frame from the caller's task, without waking the engine task, when
    /// the connection is served, nobody but callers writes, nothing waits in the queue
    /// and the server has a free slot. The first frame of a batch is buffered and its
    /// caller flushes the batch ([`Written::Leads`]): at once while requests come one at
    /// a time, after letting its task run once more while they come together (see
    /// [`Engine::defers_flush`]), so that requests made together (a `join_all`, several
    /// tasks) join it and leave in one write; a frame buffered meanwhile joins
    /// ([`Written::Joined`]). Nothing here waits: a socket without room leaves the rest
    /// to the engine task. Gives the job back, for the queue, when it cannot be written
    /// so (nothing of it is then pending).
    pub(crate) fn try_write(&self, mut job: Job) -> Result<Written, Job> {
        if self.waiting.load(Ordering::Acquire) != 0 {
            return Err(job);
        }
        let max = self.config.max_pending.max(1);
        let mut link = self.link();
        let link = &mut *link;
        let Some(ws) = link.ws.as_mut() else {
            return Err(job);
        };
        let joins = match link.writer {
            Writer::Free => false,
            Writer::Batch(_) => true,
            Writer::Engine | Writer::Owed(_) => return Err(job),
        };
        if link.slots.in_use() >= max {
            return Err(job);
        }
        let id = self.request_id();
        let frame = self.session.dialect().encode_request_as(
            &id,
            &job.action,
            &job.payload,
            job.author_id.as_deref(),
        );
        let mut cx = Context::from_waker(std::task::Waker::noop());
        if !matches!(ws.poll_ready_unpin(&mut cx), Poll::Ready(Ok(()))) {
            return Err(job);
        }
        if ws.start_send_unpin(Message::text(frame)).is_err() {
            return Err(job);
        }
        tracing::debug!(action = %job.action, request_id = %id, "request buffered");
        if !joins && link.slots.in_use() > 0 {
            self.defer_flush.store(true, Ordering::Relaxed);
        }
        job.sent = Some(Instant::now());
        link.writer = Writer::Batch(id.clone());
        link.slots.pending.insert(id, job);
        Ok(if joins {
            link.batched += 1;
            Written::Joined
        } else {
            link.batched = 1;
            Written::Leads
        })
    }

    /// Whether the caller that opened a batch lets its task run once more before
    /// flushing it (see [`Engine::defer_flush`]).
    pub(crate) fn defers_flush(&self) -> bool {
        self.defer_flush.load(Ordering::Relaxed)
    }

    /// Flushes the batch the caller opened ([`Written::Leads`]), unless the engine task
    /// took it over meanwhile; `true` when the socket took only part of it: the caller
    /// sends [`Command::Flush`] and the engine flushes the rest within the write timeout
    /// (a flush that fails leaves it to the engine too, which then ends the connection
    /// with the last frame cut).
    pub(crate) fn flush_batch(&self, deferred: bool) -> bool {
        let mut link = self.link();
        let Writer::Batch(last) = &link.writer else {
            return false;
        };
        if deferred && link.batched == 1 {
            // Nobody joined while the caller's task ran again: flush at once next time.
            self.defer_flush.store(false, Ordering::Relaxed);
        }
        let last = last.clone();
        let mut cx = Context::from_waker(std::task::Waker::noop());
        let flushed = match link.ws.as_mut() {
            Some(ws) => matches!(ws.poll_flush_unpin(&mut cx), Poll::Ready(Ok(()))),
            None => false,
        };
        if !flushed {
            link.writer = Writer::Owed(last);
            return true;
        }
        let reader = link.free();
        drop(link);
        if let Some(reader) = reader {
            reader.wake();
        }
        false
    }

    /// Leaves the batch a caller opened, and will not flush, to the engine task; `true`
    /// when there was one: the caller then sends [`Command::Flush`].
    pub(crate) fn hand_over_batch(&self) -> bool {
        let mut link = self.link();
        let Writer::Batch(last) = &link.writer else {
            return false;
        };
        link.writer = Writer::Owed(last.clone());
        true
    }

    /// Reads frames until the reply to `id`, passing pushes on.
    async fn await_reply(
        &self,
        ws: &mut Ws,
        id: &str,
    ) -> Result<Result<Box<RawValue>, ApiError>, String> {
        loop {
            let text = match ws.next().await {
                Some(Ok(Message::Text(text))) => text,
                Some(Ok(Message::Close(_))) | None => return Err("closed during login".into()),
                Some(Err(err)) => {
                    return Err(format!("read failed during login: {}", read_failure(&err)));
                }
                Some(Ok(_)) => continue,
            };
            match self.session.dialect().decode(text.as_str()) {
                Ok(Incoming::Reply(reply)) if reply.request_id.as_deref() == Some(id) => {
                    return Ok(reply.result);
                }
                Ok(Incoming::Reply(_)) => {}
                Ok(Incoming::Push(push)) => self.emit(RtmEvent::Push {
                    push: push.push,
                    request_id: push.request_id,
                }),
                Err(err) => {
                    if reply_id(self.session.api(), text.as_str()).as_deref() == Some(id) {
                        return Err(format!("unreadable login response: {err}"));
                    }
                    tracing::warn!(%err, "malformed frame during login");
                }
            }
        }
    }

    /// Serves a logged-in connection until it ends; says also whether the server
    /// answered a request on it.
    async fn serve(
        &self,
        ws: Ws,
        commands: &mut mpsc::UnboundedReceiver<Command>,
        queue: &mut VecDeque<Job>,
    ) -> (Ended, bool) {
        self.link().serve(ws);
        let period = self.config.ping_interval;
        let mut heartbeat = interval_at(Instant::now() + period, period);
        heartbeat.set_missed_tick_behavior(MissedTickBehavior::Delay);
        // The heartbeat is due but waits for a free slot.
        let mut ping_due = false;
        let mut heard_since_tick = false;
        let ping = self.session.ping();
        let max = self.config.max_pending.max(1);
        let ended = 'serve: loop {
            // What the engine writes now, if anything: then it holds the writer's place
            // (callers queue meanwhile) until it reads again. A batch a caller is about
            // to flush is left to that caller (others may still join it): the engine
            // waits for the writer's place as a reader does.
            let writes = {
                let mut link = self.link();
                link.slots.forget_abandoned();
                let ping_now = ping_due && (ping.is_none() || link.slots.in_use() < max);
                let queued = !queue.is_empty() && link.slots.in_use() < max;
                let owed = matches!(link.writer, Writer::Owed(_));
                let batch = matches!(link.writer, Writer::Batch(_));
                (!batch && (owed || ping_now || queued)).then(|| Writes {
                    owed: match std::mem::replace(&mut link.writer, Writer::Engine) {
                        Writer::Owed(id) => Some(id),
                        _ => None,
                    },
                    ping: ping_now,
                })
            };
            if let Some(Writes {
                owed,
                ping: ping_now,
            }) = writes
            {
                if let Some(id) = owed {
                    let flushed = self.bounded(self.poll_ws(|ws, cx| ws.poll_flush_unpin(cx)));
                    if let Err(reason) = flushed.await {
                        self.link().cut = Some(id);
                        break Ended::Lost(reason);
                    }
                }
                if ping_now {
                    let (id, message) = match &ping {
                        Some((action, payload)) => {
                            let id = format!("ping-{}", self.request_id());
                            let frame = self.session.dialect().encode_request(&id, action, payload);
                            (id, Message::text(frame))
                        }
                        // No heartbeat request in this API: a WebSocket ping, answered by
                        // the peer's WebSocket layer with a pong.
                        None => (WS_PING.to_owned(), Message::Ping(Default::default())),
                    };
                    if let Err(reason) = self.write_served(message).await {
                        break Ended::Lost(format!("heartbeat not sent: {reason}"));
                    }
                    ping_due = false;
                    let mut link = self.link();
                    link.slots.ping = Some(id);
                    link.slots.ping_sent = Some(Instant::now());
                    link.slots.ping_counts = ping.is_some();
                }
                if let Err(reason) = self.send_queued(queue).await {
                    break 'serve Ended::Lost(reason);
                }
                self.link().writer = Writer::Free;
            }
            tokio::select! {
                command = commands.recv() => {
                    // Whatever else is queued already goes out in the same write.
                    if !take_all(command, commands, queue) {
                        self.link().writer = Writer::Engine;
                        let _ = self.write_served(Message::Close(None)).await;
                        break Ended::Closed;
                    }
                },
                message = std::future::poll_fn(|cx| self.poll_read(cx)) => {
                    heard_since_tick = true;
                    match message {
                        Some(Ok(Message::Text(text))) => {
                            if let Some(end) = self.on_text(text.as_str()) {
                                break end;
                            }
                        }
                        Some(Ok(Message::Pong(_))) => {
                            let mut link = self.link();
                            if link.slots.ping.as_deref() == Some(WS_PING) {
                                link.slots.ping = None;
                                self.record_ping(&mut link.slots);
                            }
                        }
                        Some(Ok(Message::Close(frame))) => {
                            break Ended::Lost(frame.map_or("closed by the server".into(), |f| format!("closed by the server: {}", f.reason)));
                        }
                        None => break Ended::Lost("connection closed".into()),
                        Some(Err(err)) => {
                            let reason = read_failure(&err);
                            tracing::warn!(%reason, "connection failed");
                            break Ended::Lost(reason);
                        }
                        Some(Ok(_)) => {}
                    }
                },
                _ = heartbeat.tick() => {
                    let mut link = self.link();
                    // A batch still open now may have a caller that is no longer polled
                    // (its future kept, not awaited): this task flushes it.
                    if let Writer::Batch(last) = &link.writer {
                        link.writer = Writer::Owed(last.clone());
                    }
                    let unanswered = link.slots.ping.is_some();
                    drop(link);
                    if unanswered {
                        break Ended::Lost("heartbeat unanswered: connection dead".into());
                    }
                    if ping_due && !heard_since_tick {
                        // Every slot stayed taken and nothing came for a whole period.
                        break Ended::Lost("heartbeat not sent and nothing received: connection dead".into());
                    }
                    heard_since_tick = false;
                    ping_due = true;
                }
            }
        };
        let error = match &ended {
            Ended::Server(Disconnect::Stop { reason }) => Some(Error::SessionEnded {
                reason: reason.clone(),
            }),
            _ => None,
        };
        let (lost, cut, served) = self.link().end();
        if let Some(mut job) = cut {
            match &error {
                Some(error) => job.answer(Err(error.clone())),
                None => {
                    job.ticket = Some(Ticket::hold(&self.waiting));
                    job.sent = None;
                    queue.push_front(job);
                }
            }
        }
        for job in lost {
            match &error {
                Some(error) => job.answer(Err(error.clone())),
                None => job.lost(),
            }
        }
        (ended, served)
    }

    /// Records the round trip of the heartbeat just answered.
    fn record_ping(&self, slots: &mut Slots) {
        if let Some(sent) = slots.ping_sent.take() {
            self.health.record(sent.elapsed(), true);
        }
    }

    /// Handles one text frame; `Some` when it ends the connection. The frame is decoded
    /// before the lock is taken, and the caller answered after it is given back.
    fn on_text(&self, text: &str) -> Option<Ended> {
        if self.on_typed_response(text) {
            return None;
        }
        match self.session.dialect().decode(text) {
            Ok(Incoming::Reply(reply)) => {
                let id = reply.request_id.unwrap_or_default();
                self.on_reply(id, reply.result.map(Answer::Raw));
                None
            }
            Ok(Incoming::Push(push)) => {
                let disconnect = self.session.disconnect(&push.push);
                self.emit(RtmEvent::Push {
                    push: push.push,
                    request_id: push.request_id,
                });
                disconnect.map(Ended::Server)
            }
            Err(err) => {
                // A response whose id can still be read fails its request at once
                // rather than leaving it to time out.
                self.on_malformed(reply_id(self.session.api(), text), err);
                None
            }
        }
    }

    /// The one-pass path of a LiveChat response whose `request_id` comes before its
    /// payload, answering a request that carries a decoder: the payload is decoded
    /// straight into the caller's type. `false` when the frame takes the plain path.
    fn on_typed_response(&self, text: &str) -> bool {
        if self.session.api() == Api::Inbenta {
            return false;
        }
        let Some(id) = leading_request_id(text) else {
            return false;
        };
        let decoder = {
            let link = self.link();
            link.slots
                .pending
                .get(id.as_ref())
                .and_then(|job| job.decoder)
        };
        let Some(decoder) = decoder else {
            return false;
        };
        match decoder.decode(text) {
            Ok(Some(reply)) if reply.request_id == id => {
                self.on_reply(reply.request_id, reply.result);
                true
            }
            // Not a plain response after all.
            Ok(_) => false,
            Err(err) => {
                self.on_malformed(Some(id.into_owned()), err);
                true
            }
        }
    }

    /// Answers the request `id` (or frees the heartbeat's or an abandoned request's
    /// slot) with `result`.
    fn on_reply(&self, id: String, result: Result<Answer, ApiError>) {
        let job = {
            let mut link = self.link();
            let slots = &mut link.slots;
            let heartbeat = slots.ping.as_deref() == Some(id.as_str());
            if slots.answered(&id) {
                if heartbeat {
                    self.record_ping(slots);
                }
                return;
            }
            let job = slots.pending.remove(&id);
            slots.served |= job.is_some();
            job
        };
        let Some(job) = job else {
            tracing::debug!(request_id = %id, "reply to no pending request");
            return;
        };
        if let Some(sent) = job.sent {
            self.health.record(sent.elapsed(), false);
        }
        match result {
            Ok(answer) => job.answer(Ok(answer)),
            Err(error) => {
                let action = job.action.clone();
                job.answer(Err(Error::Api {
                    action,
                    error,
                    http_status: None,
                }));
            }
        }
    }

    /// A frame that could not be decoded: fails the request `id` it answers, if any.
    fn on_malformed(&self, id: Option<String>, err: FrameError) {
        let failed = {
            let mut link = self.link();
            let slots = &mut link.slots;
            match id {
                Some(id) if slots.answered(&id) => {
                    tracing::warn!(%err, request_id = %id, "malformed response");
                    None
                }
                Some(id) if slots.pending.contains_key(&id) => {
                    tracing::warn!(%err, request_id = %id, "malformed response fails its request");
                    slots.pending.remove(&id)
                }
                _ => {
                    tracing::warn!(%err, "malformed frame ignored");
                    None
                }
            }
        };
        if let Some(job) = failed {
            let action = job.action.clone();
            job.answer(Err(Error::Decode {
                action,
                source: err,
            }));
        }
    }

    /// Runs `future` while queueing incoming requests; `None` if the client closed
    /// meanwhile.
    async fn until_closed<F: Future>(
        &self,
        future: F,
        commands: &mut mpsc::UnboundedReceiver<Command>,
        queue: &mut VecDeque<Job>,
    ) -> Option<F::Output> {
        tokio::pin!(future);
        loop {
            tokio::select! {
                output = &mut future => return Some(output),
                command = commands.recv() => match command {
                    Some(Command::Request(job)) => queue.push_back(job),
                    // Nothing to flush: no connection is served.
                    Some(Command::Flush) => {}
                    None | Some(Command::Close) => return None,
                },
            }
        }
    }
}

/// Queues `command` and every command already waiting behind it; `false` when one of
/// them closes the client (or every handle is gone).
fn take_all(
    mut command: Option<Command>,
    commands: &mut mpsc::UnboundedReceiver<Command>,
    queue: &mut VecDeque<Job>,
) -> bool {
    loop {
        match command {
            Some(Command::Request(job)) => queue.push_back(job),
            // The serve loop flushes what a caller left before it reads again.
            Some(Command::Flush) => {}
            None | Some(Command::Close) => return false,
        }
        command = match commands.try_recv() {
            Ok(next) => Some(next),
            Err(TryRecvError::Empty) => return true,
            Err(TryRecvError::Disconnected) => None,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::sync::oneshot;

    fn request(action: &str) -> Command {
        let (reply, _) = oneshot::channel();
        Command::Request(Job {
            action: action.to_owned(),
            payload: lc_protocol::wire::empty_object(),
            author_id: None,
            reply,
            decoder: None,
            ticket: None,
            sent: None,
        })
    }

    #[test]
    fn a_burst_of_requests_is_taken_at_once_and_a_close_among_them_ends_it() {
        let (sender, mut commands) = mpsc::unbounded_channel();
        let mut queue = VecDeque::new();
        for action in ["b", "c"] {
            sender.send(request(action)).unwrap();
        }
        assert!(take_all(Some(request("a")), &mut commands, &mut queue));
        let actions: Vec<_> = queue.iter().map(|job| job.action.as_str()).collect();
        assert_eq!(actions, ["a", "b", "c"]);
        sender.send(request("d")).unwrap();
        sender.send(Command::Close).unwrap();
        assert!(!take_all(
            commands.try_recv().ok(),
            &mut commands,
            &mut queue
        ));
        assert_eq!(queue.len(), 4);
        drop(sender);
        assert!(!take_all(None, &mut commands, &mut queue));
    }
}
