//! [`RtmClient`]: the handle users and role clients hold.

use crate::config::RtmConfig;
use crate::engine::{Command, Engine, Job, Ticket, Written};
use crate::event::RtmEvent;
use crate::status::RtmStatus;
use async_trait::async_trait;
use futures_util::Stream;
use lc_protocol::auth::TokenProvider;
use lc_protocol::fanout::{Fanout, FanoutReceiver, Received};
use lc_protocol::session::Session;
use lc_protocol::wire::Dialect;
use lc_protocol::wire::typed::{Answer, ResponseDecoder};
use lc_protocol::{Api, ApiVersion, CallOptions, Error, RawRequest, Transport, TransportKind};
use serde_json::value::RawValue;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::Connector;
use tracing::Instrument;

type PushOf<S> = <<S as Session>::Dialect as Dialect>::Push;
type Receiver<P> = FanoutReceiver<RtmEvent<P>>;

/// A WebSocket connection to a chat API that stays logged in: requests are correlated,
/// queued while disconnected, timed out; the connection is kept alive with a heartbeat
/// and re-established (with a fresh token and login) when it drops.
///
/// Cloning gives another handle to the same connection.
pub struct RtmClient<S: Session> {
    engine: Arc<Engine<S>>,
    commands: mpsc::UnboundedSender<Command>,
    closed: Arc<AtomicBool>,
    /// The stream subscribed before the engine started, for the first subscriber.
    first: Arc<Mutex<Option<Receiver<PushOf<S>>>>>,
}

impl<S: Session> Clone for RtmClient<S> {
    fn clone(&self) -> Self {
        Self {
            engine: self.engine.clone(),
            commands: self.commands.clone(),
            closed: self.closed.clone(),
            first: self.first.clone(),
        }
    }
}

impl<S: Session> std::fmt::Debug for RtmClient<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RtmClient")
            .field("api", &self.engine.session.api())
            .field("version", &self.engine.session.version())
            .field("closed", &self.closed.load(Ordering::Relaxed))
            .finish()
    }
}

impl<S: Session> RtmClient<S>
where
    PushOf<S>: Clone,
{
    /// Starts the connection in the background; requests sent before it is logged in wait
    /// in the queue. `wss://` servers are verified as [`RtmConfig::tls`] says.
    pub fn connect(session: S, tokens: impl TokenProvider, config: RtmConfig) -> Self {
        let tokens: Arc<dyn TokenProvider> = Arc::new(tokens);
        let connector = Connector::Rustls(config.tls.client_config());
        // Subscribed before the engine starts: the first subscriber cannot miss the login,
        // however late it comes.
        let events = Fanout::new(config.push_buffer);
        let first = events.subscribe();
        let engine = Arc::new(Engine {
            session,
            tokens,
            config,
            events,
            connector,
            ended: std::sync::OnceLock::new(),
            waiting: Arc::default(),
            warned_plaintext: AtomicBool::new(false),
            defer_flush: AtomicBool::new(true),
            health: crate::status::Health::new(),
            link: std::sync::Mutex::default(),
            next_id: std::sync::atomic::AtomicU64::new(0),
        });
        let (commands, receiver) = mpsc::unbounded_channel();
        tokio::spawn(engine.clone().run(receiver));
        Self {
            engine,
            commands,
            closed: Arc::new(AtomicBool::new(false)),
            first: Arc::new(Mutex::new(Some(first))),
        }
    }

    /// A new stream of pushes and lifecycle items, from now on; dropping it
    /// unsubscribes. The first stream taken starts when the client was created (its
    /// first items are the login's), so that whoever subscribes first cannot miss them;
    /// later ones start when they are taken.
    pub fn subscribe(&self) -> PushStream<PushOf<S>> {
        let first = self
            .first
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let receiver = first.unwrap_or_else(|| self.engine.events.subscribe());
        PushStream { inner: receiver }
    }

    /// Sends `action` with `payload` and waits for the response payload.
    ///
    /// # Errors
    /// The API error, [`Error::Timeout`], [`Error::ConnectionLost`] when the socket died
    /// with the request in flight, [`Error::Decode`] when its response was unreadable,
    /// [`Error::QueueFull`] when [`RtmConfig::max_queued`] requests wait already,
    /// [`Error::Closed`], or why the engine stopped for good
    /// ([`Error::SessionEnded`], a refused handshake, a fatal login error).
    pub async fn request(
        &self,
        action: &str,
        payload: Box<RawValue>,
    ) -> Result<Box<RawValue>, Error> {
        let after = self.engine.config.request_timeout;
        self.request_with_timeout(action, payload, after).await
    }

    /// Like [`request`](Self::request), waiting up to `after` instead of
    /// [`RtmConfig::request_timeout`]: for requests the server answers only once
    /// something else happened (e.g. Inbenta's `chats:assign`, answered when the agent
    /// search ends).
    ///
    /// # Errors
    /// As [`request`](Self::request).
    pub async fn request_with_timeout(
        &self,
        action: &str,
        payload: Box<RawValue>,
        after: std::time::Duration,
    ) -> Result<Box<RawValue>, Error> {
        match self.enqueue(action, payload, after, None, None).await? {
            Answer::Raw(raw) => Ok(raw),
            // Only a request with a decoder is answered typed.
            Answer::Typed(_) => Err(Error::Decode {
                action: action.to_owned(),
                source: lc_protocol::FrameError::WrongType {
                    field: "payload",
                    expected: "a raw payload",
                },
            }),
        }
    }

    /// Sends one request with the settings of its call (timeout, author), answered
    /// typed when `decoder` is given and the frame allows it.
    async fn send_with(
        &self,
        action: &str,
        payload: Box<RawValue>,
        options: CallOptions,
        decoder: Option<ResponseDecoder>,
    ) -> Result<Answer, Error> {
        let after = options
            .timeout
            .unwrap_or(self.engine.config.request_timeout);
        let author_id = options.author_id_for(self.version())?.map(str::to_owned);
        self.enqueue(action, payload, after, author_id, decoder)
            .await
    }

    /// Queues one request, sent as `author_id` when set, and waits up to `after` for
    /// its response.
    async fn enqueue(
        &self,
        action: &str,
        payload: Box<RawValue>,
        after: std::time::Duration,
        author_id: Option<String>,
        decoder: Option<ResponseDecoder>,
    ) -> Result<Answer, Error> {
        if self.closed.load(Ordering::Acquire) {
            return Err(Error::Closed);
        }
        if let Some(error) = self.engine.ended.get() {
            return Err(error.clone());
        }
        let (reply, answer) = oneshot::channel();
        let job = Job {
            action: action.to_owned(),
            payload,
            author_id,
            reply,
            decoder,
            ticket: None,
            sent: None,
        };
        // The caller writes its own frame when the way is clear (no wake-up of the
        // engine task); otherwise the request waits in the engine's bounded queue.
        match self.engine.try_write(job) {
            Ok(Written::Joined) => {}
            Ok(Written::Leads) => {
                let batch = Batch {
                    engine: &self.engine,
                    commands: &self.commands,
                    flushed: false,
                };
                let deferred = self.engine.defers_flush();
                if deferred {
                    // Requests made together with this one join its batch meanwhile.
                    yield_once().await;
                }
                batch.flush(deferred);
            }
            Err(mut job) => {
                let capacity = self.engine.config.max_queued;
                let Some(ticket) = Ticket::take(&self.engine.waiting, capacity) else {
                    return Err(Error::QueueFull {
                        action: action.to_owned(),
                        capacity,
                    });
                };
                job.ticket = Some(ticket);
                self.commands
                    .send(Command::Request(job))
                    .map_err(|_| self.stopped_error())?;
            }
        }
        let span = tracing::debug_span!("rtm_request", action, latency_ms = tracing::field::Empty);
        // The clock is read only for a span someone records.
        let started = (!span.is_disabled()).then(std::time::Instant::now);
        let result = async {
            match tokio::time::timeout(after, answer).await {
                Ok(Ok(result)) => result,
                Ok(Err(_)) => Err(self.stopped_error()),
                Err(_) => Err(Error::Timeout {
                    action: action.to_owned(),
                    after,
                }),
            }
        }
        .instrument(span.clone())
        .await;
        if let Some(started) = started {
            span.record("latency_ms", started.elapsed().as_millis() as u64);
        }
        result
    }

    /// Where the connection stands now: connecting, connected, reconnecting (with the
    /// attempt) or stopped (with the reason). Cheap to call: it reads a value the engine
    /// keeps up to date, without waiting.
    pub fn status(&self) -> RtmStatus {
        self.engine.health.status()
    }

    /// The round trip of the last heartbeat answered (the `ping` request, or the
    /// WebSocket ping of APIs without one) — before the first one, of the last request
    /// answered; `None` before either. Cheap to call: an atomic read.
    pub fn latency(&self) -> Option<std::time::Duration> {
        self.engine.health.latency()
    }

    /// Why requests fail once the engine stopped: why it stopped for good, or `Closed`.
    fn stopped_error(&self) -> Error {
        self.engine.ended.get().cloned().unwrap_or(Error::Closed)
    }

    /// Closes the connection: queued requests and later calls fail with
    /// [`Error::Closed`], requests in flight with [`Error::ConnectionLost`] (the server
    /// may have seen them).
    pub fn close(&self) {
        self.closed.store(true, Ordering::Release);
        let _ = self.commands.send(Command::Close);
    }
}

#[async_trait]
impl<S: Session> Transport for RtmClient<S>
where
    PushOf<S>: Clone,
{
    fn api(&self) -> Api {
        self.engine.session.api()
    }

    fn kind(&self) -> TransportKind {
        TransportKind::Rtm
    }

    fn version(&self) -> ApiVersion {
        self.engine.session.version()
    }

    fn pause(&self, delay: std::time::Duration) -> lc_protocol::transport::Pause {
        Box::pin(tokio::time::sleep(delay))
    }

    async fn send_raw(&self, request: RawRequest) -> Result<Box<RawValue>, Error> {
        self.request(&request.action, request.payload).await
    }

    async fn send_raw_with(
        &self,
        request: RawRequest,
        options: CallOptions,
    ) -> Result<Box<RawValue>, Error> {
        let payload = request.payload;
        match self
            .send_with(&request.action, payload, options, None)
            .await?
        {
            Answer::Raw(raw) => Ok(raw),
            // Only a request sent with a decoder is answered typed.
            Answer::Typed(_) => Err(Error::Decode {
                action: request.action,
                source: lc_protocol::FrameError::WrongType {
                    field: "payload",
                    expected: "a raw payload",
                },
            }),
        }
    }

    async fn send_decoded_with(
        &self,
        request: RawRequest,
        options: CallOptions,
        decoder: ResponseDecoder,
    ) -> Result<Answer, Error> {
        self.send_with(&request.action, request.payload, options, Some(decoder))
            .await
    }
}

async fn yield_once() {
    let mut yielded = false;
    std::future::poll_fn(|cx| {
        if yielded {
            return Poll::Ready(());
        }
        yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    })
    .await;
}

/// A batch of frames its caller flushes once its task ran again (see
/// [`Written::Leads`]); when the caller goes away first, the engine task flushes it.
struct Batch<'a, S: Session>
where
    PushOf<S>: Clone,
{
    engine: &'a Engine<S>,
    commands: &'a mpsc::UnboundedSender<Command>,
    /// Whether the caller flushed it.
    flushed: bool,
}

impl<S: Session> Batch<'_, S>
where
    PushOf<S>: Clone,
{
    /// Flushes the batch now.
    fn flush(mut self, deferred: bool) {
        self.flushed = true;
        if self.engine.flush_batch(deferred) {
            // The socket took part of it: the engine flushes the rest.
            let _ = self.commands.send(Command::Flush);
        }
    }
}

impl<S: Session> Drop for Batch<'_, S>
where
    PushOf<S>: Clone,
{
    fn drop(&mut self) {
        // The caller went away before flushing: the engine flushes what is buffered.
        if !self.flushed && self.engine.hand_over_batch() {
            let _ = self.commands.send(Command::Flush);
        }
    }
}

/// The pushes and lifecycle items of one subscriber (see [`RtmClient::subscribe`]).
pub struct PushStream<P> {
    inner: Receiver<P>,
}

impl<P: Clone + Send + 'static> Stream for PushStream<P> {
    type Item = RtmEvent<P>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.poll_recv(cx).map(|item| {
            item.map(|received| match received {
                Received::Item(event) => event,
                Received::Missed(missed) => RtmEvent::Missed(missed),
            })
        })
    }
}

impl<S: Session> lc_protocol::RtmTransport for RtmClient<S> where PushOf<S>: Clone {}
