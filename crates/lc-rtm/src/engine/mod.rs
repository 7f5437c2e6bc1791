//! The connection task: connect, log in, correlate requests, heartbeat, reconnect.

use crate::config::RtmConfig;
use crate::event::RtmEvent;
use crate::status::{Health, RtmStatus};
use futures_util::{SinkExt, StreamExt};
use lc_protocol::auth::TokenProvider;
use lc_protocol::backoff::Jitter;
use lc_protocol::error::ErrorType;
use lc_protocol::id::Token;
use lc_protocol::session::{Disconnect, Session};
use lc_protocol::wire::{Dialect, Incoming};
use lc_protocol::{ApiError, Error, TransportFailure};
use serde_json::value::RawValue;
use std::collections::VecDeque;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::Poll;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::sync::mpsc::error::TryRecvError;
use tokio::time::{Instant, MissedTickBehavior, interval_at, sleep, timeout};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::error::Error as WsError;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{Connector, MaybeTlsStream, WebSocketStream};

mod job;
mod rules;
mod scan;
mod slots;

pub(crate) use job::{Job, Ticket};

use rules::{
    handshake_refusal_is_permanent, is_loopback, login_error_is_fatal, read_failure,
    upgrade_request,
};
use scan::reply_id;
use slots::{Slots, WS_PING};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;
type PushOf<S> = <<S as Session>::Dialect as Dialect>::Push;

/// Orders for the engine.
pub(crate) enum Command {
    Request(Job),
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
    /// Whether the plaintext warning was given.
    pub(crate) warned_plaintext: AtomicBool,
    /// The status and the last round trip, for [`crate::RtmClient::status`] and
    /// [`crate::RtmClient::latency`].
    pub(crate) health: Health,
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
    /// socket, not one each.
    ///
    /// When the write fails or gets stuck, the frame whose tail never left is cut, so the
    /// server cannot act on it: that request goes back to the front of the queue, to go
    /// out again after reconnecting, as do the requests not written yet. The frames
    /// before it may have reached the server: they stay pending, and fail as lost with
    /// the connection. (Waiting for room and flushing drain what is buffered, so when
    /// they fail the last frame buffered is cut; buffering a frame can write the buffer
    /// too, and when that fails the frame just buffered is cut, and the one before may
    /// have left whole.)
    async fn send_queued(
        &self,
        ws: &mut Ws,
        queue: &mut VecDeque<Job>,
        slots: &mut Slots,
        next_id: &mut u64,
    ) -> Result<(), String> {
        let max = self.config.max_pending.max(1);
        if queue.is_empty() || slots.in_use() >= max {
            return Ok(());
        }
        let mut last: Option<String> = None;
        let mut last_is_cut = true;
        let written = self
            .bounded(async {
                while slots.in_use() < max {
                    // The job leaves the queue only once its frame is written: a write
                    // given up on (stuck, failed) leaves it there.
                    let Some(job) = queue.front() else {
                        break;
                    };
                    if job.reply.is_closed() {
                        queue.pop_front();
                        continue;
                    }
                    *next_id += 1;
                    let id = next_id.to_string();
                    let frame = self.session.dialect().encode_request_as(
                        &id,
                        &job.action,
                        &job.payload,
                        job.author_id.as_deref(),
                    );
                    std::future::poll_fn(|cx| ws.poll_ready_unpin(cx)).await?;
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
                    slots.pending.insert(id.clone(), job);
                    last = Some(id);
                }
                if last.is_some() {
                    ws.flush().await?;
                }
                Ok(())
            })
            .await;
        if let Err(reason) = written {
            let cut = last.filter(|_| last_is_cut);
            if let Some(mut job) = cut.and_then(|id| slots.pending.remove(&id)) {
                job.ticket = Some(Ticket::hold(&self.waiting));
                job.sent = None;
                queue.push_front(job);
            }
            return Err(reason);
        }
        Ok(())
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
        let mut ws = ws;
        let mut slots = Slots::default();
        let mut next_id = 0u64;
        let period = self.config.ping_interval;
        let mut heartbeat = interval_at(Instant::now() + period, period);
        heartbeat.set_missed_tick_behavior(MissedTickBehavior::Delay);
        // The heartbeat is due but waits for a free slot.
        let mut ping_due = false;
        let mut heard_since_tick = false;
        let ping = self.session.ping();
        let max = self.config.max_pending.max(1);
        let ended = 'serve: loop {
            slots.forget_abandoned();
            if ping_due && (ping.is_none() || slots.in_use() < max) {
                let (id, message) = match &ping {
                    Some((action, payload)) => {
                        next_id += 1;
                        let id = format!("ping-{next_id}");
                        let frame = self.session.dialect().encode_request(&id, action, payload);
                        (id, Message::text(frame))
                    }
                    // No heartbeat request in this API: a WebSocket ping, answered by
                    // the peer's WebSocket layer with a pong.
                    None => (WS_PING.to_owned(), Message::Ping(Default::default())),
                };
                if let Err(reason) = self.write(&mut ws, message).await {
                    break Ended::Lost(format!("heartbeat not sent: {reason}"));
                }
                ping_due = false;
                slots.ping = Some(id);
                slots.ping_sent = Some(Instant::now());
                slots.ping_counts = ping.is_some();
            }
            if let Err(reason) = self
                .send_queued(&mut ws, queue, &mut slots, &mut next_id)
                .await
            {
                break 'serve Ended::Lost(reason);
            }
            tokio::select! {
                command = commands.recv() => {
                    // Whatever else is queued already goes out in the same write.
                    if !take_all(command, commands, queue) {
                        let _ = self.write(&mut ws, Message::Close(None)).await;
                        break Ended::Closed;
                    }
                },
                message = ws.next() => {
                    heard_since_tick = true;
                    match message {
                        Some(Ok(Message::Text(text))) => {
                            if let Some(end) = self.on_text(text.as_str(), &mut slots) {
                                break end;
                            }
                        }
                        Some(Ok(Message::Pong(_))) => {
                            if slots.ping.as_deref() == Some(WS_PING) {
                                slots.ping = None;
                                self.record_ping(&mut slots);
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
                    if slots.ping.is_some() {
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
        for (_, job) in slots.pending.drain() {
            match &error {
                Some(error) => job.answer(Err(error.clone())),
                None => job.lost(),
            }
        }
        (ended, slots.served)
    }

    /// Records the round trip of the heartbeat just answered.
    fn record_ping(&self, slots: &mut Slots) {
        if let Some(sent) = slots.ping_sent.take() {
            self.health.record(sent.elapsed(), true);
        }
    }

    /// Handles one text frame; `Some` when it ends the connection.
    fn on_text(&self, text: &str, slots: &mut Slots) -> Option<Ended> {
        match self.session.dialect().decode(text) {
            Ok(Incoming::Reply(reply)) => {
                let id = reply.request_id.unwrap_or_default();
                let heartbeat = slots.ping.as_deref() == Some(id.as_str());
                if slots.answered(&id) {
                    if heartbeat {
                        self.record_ping(slots);
                    }
                    return None;
                }
                if let Some(job) = slots.pending.remove(&id) {
                    slots.served = true;
                    if let Some(sent) = job.sent {
                        self.health.record(sent.elapsed(), false);
                    }
                    match reply.result {
                        Ok(payload) => job.answer(Ok(payload)),
                        Err(error) => {
                            let action = job.action.clone();
                            job.answer(Err(Error::Api {
                                action,
                                error,
                                http_status: None,
                            }));
                        }
                    }
                } else {
                    tracing::debug!(request_id = %id, "reply to no pending request");
                }
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
                let id = reply_id(self.session.api(), text);
                match id {
                    Some(id) if slots.answered(&id) => {
                        tracing::warn!(%err, request_id = %id, "malformed response");
                    }
                    Some(id) if slots.pending.contains_key(&id) => {
                        tracing::warn!(%err, request_id = %id, "malformed response fails its request");
                        if let Some(job) = slots.pending.remove(&id) {
                            let action = job.action.clone();
                            job.answer(Err(Error::Decode {
                                action,
                                source: err,
                            }));
                        }
                    }
                    _ => tracing::warn!(%err, "malformed frame ignored"),
                }
                None
            }
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
