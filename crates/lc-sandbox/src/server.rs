//! The HTTP server: one port for RTM (WebSocket upgrade) and Web, optionally over TLS.
//!
//! Bounded: at most `max_connections` connections at once (others are closed at once),
//! [`HEADER_READ_TIMEOUT`] to send a request's headers, and an HTTP connection idle for
//! [`IDLE_TIMEOUT`] (or the builder's `http_idle_timeout`) between requests is closed
//! (WebSockets have their own timeouts).

use crate::body::{RequestBody, SharedBody};
use crate::cutoff::Cutoff;
use crate::response::text;
use crate::shared::Shared;
use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use lc_protocol::{Api, ApiVersion};
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_rustls::TlsAcceptor;

/// How many connections are served at once unless the builder says otherwise.
pub(crate) const DEFAULT_MAX_CONNECTIONS: usize = 16_384;
/// How long a client has to send a request's headers (and a TLS handshake).
pub(crate) const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How long an HTTP connection may sit without a byte read or written, by default.
pub(crate) const IDLE_TIMEOUT: Duration = Duration::from_secs(120);

/// Accepts connections until `shutdown` turns true.
pub(crate) async fn serve(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    shared: Arc<Shared>,
    max_connections: usize,
) {
    let mut shutdown = shared.shutdown.clone();
    let slots = Arc::new(Semaphore::new(max_connections));
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = shutdown.changed() => break,
        };
        let (stream, peer) = match accepted {
            Ok(pair) => pair,
            Err(err) => {
                tracing::warn!(%err, "accept failed");
                continue;
            }
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            tracing::warn!(%peer, max_connections, "connection refused: too many open");
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let shared = shared.clone();
        let tls = tls.clone();
        tokio::spawn(async move {
            let stream = Activity::new(stream, slot);
            match tls {
                Some(acceptor) => {
                    let accepted =
                        tokio::time::timeout(HEADER_READ_TIMEOUT, acceptor.accept(stream)).await;
                    match accepted {
                        Ok(Ok(stream)) => serve_connection(TokioIo::new(stream), shared).await,
                        Ok(Err(err)) => tracing::debug!(%peer, %err, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                }
                None => serve_connection(TokioIo::new(stream), shared).await,
            }
        });
    }
}

async fn serve_connection<I>(io: TokioIo<I>, shared: Arc<Shared>)
where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Idle + Unpin + Send + 'static,
{
    let last_active = io.inner().last_active();
    let idle_timeout = shared.timing.http_idle_timeout;
    let mut shutdown = shared.shutdown.clone();
    // Cut by a Web action dropped after applying: the connection ends without a response.
    let cutoff = Cutoff::new();
    let service = service_fn({
        let cutoff = cutoff.clone();
        move |req| {
            let shared = shared.clone();
            let cutoff = cutoff.clone();
            async move { Ok::<_, Infallible>(route(req, shared, &cutoff).await) }
        }
    });
    let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT);
    let connection = builder.serve_connection_with_upgrades(io, service);
    tokio::pin!(connection);
    let mut idle_check = tokio::time::interval(idle_timeout / 4);
    loop {
        tokio::select! {
            biased;
            () = cutoff.cut_off() => {
                tracing::debug!("HTTP connection dropped (fault injection)");
                return;
            }
            result = connection.as_mut() => {
                if let Err(err) = result {
                    tracing::debug!(%err, "connection ended with an error");
                }
                return;
            }
            _ = shutdown.changed() => return,
            _ = idle_check.tick() => {
                if last_active.idle_for() >= idle_timeout {
                    tracing::debug!("idle HTTP connection closed");
                    return;
                }
            }
        }
    }
}

/// When a connection last read or wrote a byte.
#[derive(Debug)]
pub(crate) struct LastActive {
    started: Instant,
    /// Milliseconds after `started`.
    at: AtomicU64,
}

impl LastActive {
    fn touch(&self) {
        let ms = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.at.store(ms, Ordering::Relaxed);
    }

    /// How long ago the connection last read or wrote.
    pub(crate) fn idle_for(&self) -> Duration {
        let at = Duration::from_millis(self.at.load(Ordering::Relaxed));
        self.started.elapsed().saturating_sub(at)
    }
}

/// A stream that knows when it was last active (through TLS too).
pub(crate) trait Idle {
    /// Its activity record.
    fn last_active(&self) -> Arc<LastActive>;
}

/// A TCP stream that records its activity, holding its connection slot for as long as
/// it lives (after a WebSocket upgrade too).
pub(crate) struct Activity<S> {
    inner: S,
    last: Arc<LastActive>,
    _slot: OwnedSemaphorePermit,
}

impl<S> Activity<S> {
    fn new(inner: S, slot: OwnedSemaphorePermit) -> Self {
        let last = Arc::new(LastActive {
            started: Instant::now(),
            at: AtomicU64::new(0),
        });
        Self {
            inner,
            last,
            _slot: slot,
        }
    }
}

impl<S> Idle for Activity<S> {
    fn last_active(&self) -> Arc<LastActive> {
        self.last.clone()
    }
}

impl<S: Idle> Idle for tokio_rustls::server::TlsStream<S> {
    fn last_active(&self) -> Arc<LastActive> {
        self.get_ref().0.last_active()
    }
}

impl<S: tokio::io::AsyncRead + Unpin> tokio::io::AsyncRead for Activity<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.last.touch();
        }
        polled
    }
}

impl<S: tokio::io::AsyncWrite + Unpin> tokio::io::AsyncWrite for Activity<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, data);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.last.touch();
        }
        polled
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// A parsed request path.
enum Route {
    Rtm(Api, ApiVersion),
    Action(Api, ApiVersion, String),
    File(String),
    NotFound,
}

fn parse_route(path: &str) -> Route {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    let version = |v: &str| {
        v.strip_prefix('v')
            .and_then(|v| v.parse::<ApiVersion>().ok())
    };
    let api = |a: &str| match a {
        "agent" => Some(Api::Agent),
        "customer" => Some(Api::Customer),
        "configuration" => Some(Api::Configuration),
        _ => None,
    };
    match parts.as_slice() {
        // The Configuration API has no RTM.
        [_, "configuration", "rtm", "ws"] => Route::NotFound,
        [v, a, "rtm", "ws"] => match (version(v), api(a)) {
            (Some(v), Some(a)) => Route::Rtm(a, v),
            _ => Route::NotFound,
        },
        [v, a, "action", name] => match (version(v), api(a)) {
            (Some(v), Some(a)) => Route::Action(a, v, (*name).to_owned()),
            _ => Route::NotFound,
        },
        ["files", id, ..] => Route::File((*id).to_owned()),
        _ => Route::NotFound,
    }
}

/// Answers one request, then reads what the route left of its body
/// ([`SharedBody::finish`]).
pub(crate) async fn route<B: RequestBody>(
    req: Request<B>,
    shared: Arc<Shared>,
    cutoff: &Cutoff,
) -> Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    let (body, rest) = SharedBody::split(body);
    let mut response = answer(Request::from_parts(parts, body), shared, cutoff).await;
    if response.status() != StatusCode::SWITCHING_PROTOCOLS {
        rest.finish(&mut response).await;
    }
    response
}

/// The response of the route that owns the request's path.
async fn answer<B: RequestBody>(
    req: Request<B>,
    shared: Arc<Shared>,
    cutoff: &Cutoff,
) -> Response<Full<Bytes>> {
    let path = req.uri().path().to_owned();
    tracing::info!(method = %req.method(), %path, "request");
    if crate::accounts_service::owns(&path) {
        return crate::accounts_service::route(req, shared).await;
    }
    if crate::inbenta::owns(&path) {
        return crate::inbenta::route(req, shared).await;
    }
    if crate::console::owns(&shared, &path) {
        return crate::console::route(req, shared).await;
    }
    match parse_route(&path) {
        Route::Rtm(api, version) => crate::rtm::upgrade(req, api, version, shared),
        Route::Action(api, version, name) => {
            crate::web::action(req, api, version, name, shared, cutoff).await
        }
        Route::File(id) => crate::web::file(&id, &shared),
        Route::NotFound => text(StatusCode::NOT_FOUND, "not found"),
    }
}
