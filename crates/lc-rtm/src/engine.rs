//! The connection task: connect, log in, correlate requests, heartbeat, reconnect.

use crate::config::RtmConfig;
use crate::event::RtmEvent;
use crate::session::{Disconnect, Session};
use futures_util::{SinkExt, StreamExt};
use lc_protocol::auth::TokenProvider;
use lc_protocol::backoff::Jitter;
use lc_protocol::error::ErrorType;
use lc_protocol::id::Token;
use lc_protocol::wire::{Dialect, Incoming};
use lc_protocol::{ApiError, Error};
use serde_json::value::RawValue;
use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::sync::Arc;
use tokio::net::TcpStream;
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio::time::{Instant, MissedTickBehavior, interval_at, sleep};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{Connector, MaybeTlsStream, WebSocketStream};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;
type PushOf<S> = <<S as Session>::Dialect as Dialect>::Push;

/// A request waiting to be sent or answered.
pub(crate) struct Job {
    pub(crate) action: String,
    pub(crate) payload: Box<RawValue>,
    pub(crate) reply: oneshot::Sender<Result<Box<RawValue>, Error>>,
}

impl Job {
    fn answer(self, result: Result<Box<RawValue>, Error>) {
        // The caller may have timed out and gone away: nothing to do then.
        let _ = self.reply.send(result);
    }

    fn lost(self) {
        let action = self.action.clone();
        self.answer(Err(Error::ConnectionLost { action }));
    }
}

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
    pub(crate) events: broadcast::Sender<RtmEvent<PushOf<S>>>,
    pub(crate) connector: Connector,
    /// The reason the server ended the session for good, once it has.
    pub(crate) ended: std::sync::OnceLock<String>,
}

/// How a connection ended.
enum Ended {
    /// `close()` was called.
    Closed,
    /// The socket died or the heartbeat went unanswered.
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

impl<S: Session> Engine<S>
where
    PushOf<S>: Clone,
{
    fn emit(&self, event: RtmEvent<PushOf<S>>) {
        // No subscriber is fine.
        let _ = self.events.send(event);
    }

    /// Runs until closed or stopped by the server.
    pub(crate) async fn run(self: Arc<Self>, mut commands: mpsc::UnboundedReceiver<Command>) {
        let mut queue = VecDeque::new();
        let mut region: Option<String> = None;
        let mut logged_in_once = false;
        let mut attempt = 0u32;
        let mut jitter = Jitter::new();
        loop {
            match self
                .open(region.as_deref(), logged_in_once, &mut commands, &mut queue)
                .await
            {
                Ok((ws, token)) => {
                    attempt = 0;
                    logged_in_once = true;
                    self.emit(RtmEvent::Connected);
                    match self.serve(ws, &mut commands, &mut queue).await {
                        Ended::Closed => return self.stop(queue, "closed by the client", None),
                        Ended::Lost(reason) => self.emit(RtmEvent::Disconnected { reason }),
                        Ended::Server(Disconnect::Reconnect { reason }) => {
                            self.emit(RtmEvent::Disconnected { reason })
                        }
                        Ended::Server(Disconnect::RenewToken { reason }) => {
                            self.tokens.invalidate(&token).await;
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
                    return self.stop(queue, &reason, Some(error));
                }
                Err(LoginFailure::Retry(reason)) => self.emit(RtmEvent::Disconnected { reason }),
            }
            let delay = self.config.backoff.delay(attempt, jitter.unit());
            attempt = attempt.saturating_add(1);
            self.emit(RtmEvent::Reconnecting { attempt, delay });
            if until_closed(sleep(delay), &mut commands, &mut queue)
                .await
                .is_none()
            {
                return self.stop(queue, "closed by the client", None);
            }
        }
    }

    /// Fails every queued request and announces the stop.
    fn stop(&self, queue: VecDeque<Job>, reason: &str, error: Option<Error>) {
        if let Some(Error::SessionEnded { reason }) = &error {
            let _ = self.ended.set(reason.clone());
        }
        for job in queue {
            let result = Err(error.clone().unwrap_or(Error::Closed));
            job.answer(result);
        }
        self.emit(RtmEvent::Stopped {
            reason: reason.to_owned(),
        });
    }

    /// Connects and logs in; gives the socket and the token it logged in with.
    async fn open(
        &self,
        region: Option<&str>,
        reconnect: bool,
        commands: &mut mpsc::UnboundedReceiver<Command>,
        queue: &mut VecDeque<Job>,
    ) -> Result<(Ws, Token), LoginFailure> {
        let token = match until_closed(self.tokens.token(), commands, queue).await {
            None => return Err(LoginFailure::Closed),
            Some(Err(err)) => return Err(LoginFailure::Retry(format!("no token: {err}"))),
            Some(Ok(token)) => token,
        };
        let token_region = self.session.token_region(&token);
        let url = self.session.url(region.or(token_region.as_deref()));
        let request = match upgrade_request(&url, self.session.upgrade_headers(&token)) {
            Ok(request) => request,
            Err(reason) => return Err(LoginFailure::Retry(reason)),
        };
        // Nagle off: requests are small and latency-bound.
        let connect = tokio_tungstenite::connect_async_tls_with_config(
            request,
            None,
            true,
            Some(self.connector.clone()),
        );
        let connect = tokio::time::timeout(self.config.connect_timeout, connect);
        let mut ws = match until_closed(connect, commands, queue).await {
            None => return Err(LoginFailure::Closed),
            Some(Err(_)) => {
                return Err(LoginFailure::Retry(format!(
                    "connecting to {url} timed out"
                )));
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
        if let Err(err) = ws.send(Message::text(frame)).await {
            return Err(LoginFailure::Retry(format!("login not sent: {err}")));
        }
        let answer = tokio::time::timeout(
            self.config.request_timeout,
            self.await_reply(&mut ws, "login"),
        );
        match until_closed(answer, commands, queue).await {
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
                    self.tokens.invalidate(&token).await;
                }
                Err(LoginFailure::Retry(format!("login failed: {error}")))
            }
        }
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
                Some(Err(err)) => return Err(format!("read failed during login: {err}")),
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
                Err(err) => tracing::warn!(%err, "malformed frame during login"),
            }
        }
    }

    /// Serves a logged-in connection until it ends.
    async fn serve(
        &self,
        ws: Ws,
        commands: &mut mpsc::UnboundedReceiver<Command>,
        queue: &mut VecDeque<Job>,
    ) -> Ended {
        let (mut sink, mut stream) = ws.split();
        let mut pending: HashMap<String, Job> = HashMap::new();
        let mut next_id = 0u64;
        let period = self.config.ping_interval;
        let mut heartbeat = interval_at(Instant::now() + period, period);
        heartbeat.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut ping_unanswered: Option<String> = None;
        let ended = loop {
            pending.retain(|_, job| !job.reply.is_closed());
            while pending.len() < self.config.max_pending {
                let Some(job) = queue.pop_front() else { break };
                if job.reply.is_closed() {
                    continue;
                }
                next_id += 1;
                let id = next_id.to_string();
                let frame = self
                    .session
                    .dialect()
                    .encode_request(&id, &job.action, &job.payload);
                tracing::debug!(action = %job.action, request_id = %id, "request sent");
                if sink.send(Message::text(frame)).await.is_err() {
                    // Not sent: it goes out again after reconnecting; the read side
                    // notices the broken socket.
                    queue.push_front(job);
                    break;
                }
                pending.insert(id, job);
            }
            tokio::select! {
                command = commands.recv() => match command {
                    Some(Command::Request(job)) => queue.push_back(job),
                    None | Some(Command::Close) => {
                        let _ = sink.send(Message::Close(None)).await;
                        break Ended::Closed;
                    }
                },
                message = stream.next() => match message {
                    Some(Ok(Message::Text(text))) => {
                        if let Some(end) = self.on_text(text.as_str(), &mut pending, &mut ping_unanswered) {
                            break end;
                        }
                    }
                    Some(Ok(Message::Pong(_))) => {
                        if ping_unanswered.as_deref() == Some(WS_PING) {
                            ping_unanswered = None;
                        }
                    }
                    Some(Ok(Message::Close(frame))) => {
                        break Ended::Lost(frame.map_or("closed by the server".into(), |f| format!("closed by the server: {}", f.reason)));
                    }
                    None => break Ended::Lost("connection closed".into()),
                    Some(Err(err)) => break Ended::Lost(format!("connection failed: {err}")),
                    Some(Ok(_)) => {}
                },
                _ = heartbeat.tick() => {
                    if ping_unanswered.is_some() {
                        break Ended::Lost("heartbeat unanswered: connection dead".into());
                    }
                    let (id, message) = match self.session.ping() {
                        Some((action, payload)) => {
                            next_id += 1;
                            let id = format!("ping-{next_id}");
                            let frame = self.session.dialect().encode_request(&id, &action, &payload);
                            (id, Message::text(frame))
                        }
                        // No heartbeat request in this API: a WebSocket ping, answered
                        // by the peer's WebSocket layer with a pong.
                        None => (WS_PING.to_owned(), Message::Ping(Default::default())),
                    };
                    if sink.send(message).await.is_err() {
                        break Ended::Lost("heartbeat not sent".into());
                    }
                    ping_unanswered = Some(id);
                }
            }
        };
        for (_, job) in pending.drain() {
            job.lost();
        }
        ended
    }

    /// Handles one text frame; `Some` when it ends the connection.
    fn on_text(
        &self,
        text: &str,
        pending: &mut HashMap<String, Job>,
        ping: &mut Option<String>,
    ) -> Option<Ended> {
        match self.session.dialect().decode(text) {
            Ok(Incoming::Reply(reply)) => {
                let id = reply.request_id.unwrap_or_default();
                if ping.as_deref() == Some(id.as_str()) {
                    *ping = None;
                } else if let Some(job) = pending.remove(&id) {
                    let action = job.action.clone();
                    job.answer(reply.result.map_err(|error| Error::Api {
                        action,
                        error,
                        http_status: None,
                    }));
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
                tracing::warn!(%err, "malformed frame ignored");
                None
            }
        }
    }
}

/// The marker of an unanswered WebSocket-level ping (APIs without a ping request).
const WS_PING: &str = "websocket-ping";

/// The upgrade request to `url` with the session's extra headers (marked sensitive).
fn upgrade_request(
    url: &str,
    headers: Vec<(&'static str, String)>,
) -> Result<tokio_tungstenite::tungstenite::handshake::client::Request, String> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    use tokio_tungstenite::tungstenite::http::{HeaderName, HeaderValue};
    let mut request = url
        .into_client_request()
        .map_err(|err| format!("invalid URL {url}: {err}"))?;
    for (name, value) in headers {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| format!("invalid upgrade header name {name:?}"))?;
        let mut value = HeaderValue::from_str(&value)
            .map_err(|_| format!("invalid value for upgrade header {name}"))?;
        value.set_sensitive(true);
        request.headers_mut().insert(name, value);
    }
    Ok(request)
}

/// Whether a login error means that retrying cannot help.
fn login_error_is_fatal(error: &ApiError) -> bool {
    !matches!(
        error.kind,
        ErrorType::Authentication
            | ErrorType::Internal
            | ErrorType::ServiceUnavailable
            | ErrorType::TooManyRequests
            | ErrorType::RequestTimeout
            | ErrorType::PendingRequestsLimitReached
    )
}

/// Runs `future` while queueing incoming requests; `None` if the client closed meanwhile.
async fn until_closed<F: Future>(
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
