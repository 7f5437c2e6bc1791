//! The HTTP server: one port for RTM (WebSocket upgrade) and Web, optionally over TLS.

use crate::cutoff::Cutoff;
use crate::faults::Faults;
use crate::state::State;
use bytes::Bytes;
use http::{HeaderName, HeaderValue, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use lc_protocol::{Api, ApiVersion};
use std::convert::Infallible;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

/// Connection-level timing rules (§1.2 of the notes); shorter in tests.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timing {
    /// Time allowed between connecting and a successful `login`.
    pub(crate) login_deadline: Duration,
    /// Time without any frame after which a logged-in connection is closed.
    pub(crate) idle_timeout: Duration,
    /// Time after which a request still unanswered gets `request_timeout` (15 s in the
    /// real service; only a response delay set with `Sandbox::set_response_delay` makes a
    /// request that slow).
    pub(crate) request_timeout: Duration,
}

/// What every connection task shares.
pub(crate) struct Shared {
    state: Mutex<State>,
    faults: Mutex<Faults>,
    pub(crate) base_url: String,
    pub(crate) timing: Timing,
    pub(crate) shutdown: watch::Receiver<bool>,
    /// The Inbenta side (its own state and lock).
    pub(crate) inbenta: Arc<crate::inbenta::Hub>,
}

impl Shared {
    pub(crate) fn new(
        state: State,
        base_url: String,
        timing: Timing,
        shutdown: watch::Receiver<bool>,
    ) -> Self {
        Self {
            state: Mutex::new(state),
            faults: Mutex::new(Faults::default()),
            base_url,
            timing,
            inbenta: crate::inbenta::Hub::new(shutdown.clone()),
            shutdown,
        }
    }

    /// Locks the state; a handler that panicked does not poison the sandbox.
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Locks the armed faults (a lock of its own: taking it never waits for an action).
    pub(crate) fn faults(&self) -> MutexGuard<'_, Faults> {
        self.faults
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The lifecycle header a response of `version` carries (§0 of the notes): legacy
/// versions answer with `Legacy: <end of the legacy stage>`, deprecated ones with
/// `Deprecation: <end of the deprecated stage>`.
///
/// The real dates are not published; these are [I] plausible ones: 3.5 became legacy when
/// 3.6 became stable (2025-08-07) and stays legacy for a year (`Legacy: 2026-08-07`);
/// 3.3 and 3.4 are deprecated until `2026-02-07`.
pub(crate) fn lifecycle_header(version: ApiVersion) -> Option<(HeaderName, HeaderValue)> {
    let (name, date) = match version {
        ApiVersion::V3_5 => ("legacy", "2026-08-07"),
        ApiVersion::V3_3 | ApiVersion::V3_4 => ("deprecation", "2026-02-07"),
        _ => return None,
    };
    Some((
        HeaderName::from_static(name),
        HeaderValue::from_static(date),
    ))
}

/// Accepts connections until `shutdown` turns true.
pub(crate) async fn serve(listener: TcpListener, tls: Option<TlsAcceptor>, shared: Arc<Shared>) {
    let mut shutdown = shared.shutdown.clone();
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
        let _ = stream.set_nodelay(true);
        let shared = shared.clone();
        let tls = tls.clone();
        tokio::spawn(async move {
            match tls {
                Some(acceptor) => match acceptor.accept(stream).await {
                    Ok(stream) => serve_connection(TokioIo::new(stream), shared).await,
                    Err(err) => tracing::debug!(%peer, %err, "TLS handshake failed"),
                },
                None => serve_connection(TokioIo::new(stream), shared).await,
            }
        });
    }
}

async fn serve_connection<I>(io: I, shared: Arc<Shared>)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
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
    let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    let connection = builder.serve_connection_with_upgrades(io, service);
    tokio::select! {
        biased;
        () = cutoff.cut_off() => tracing::debug!("HTTP connection dropped (fault injection)"),
        result = connection => {
            if let Err(err) = result {
                tracing::debug!(%err, "connection ended with an error");
            }
        }
        _ = shutdown.changed() => {}
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
        _ => None,
    };
    match parts.as_slice() {
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

async fn route(
    req: Request<Incoming>,
    shared: Arc<Shared>,
    cutoff: &Cutoff,
) -> Response<Full<Bytes>> {
    let path = req.uri().path().to_owned();
    tracing::info!(method = %req.method(), %path, "request");
    if crate::inbenta::owns(&path) {
        return crate::inbenta::route(req, shared).await;
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

/// A plain-text response.
pub(crate) fn text(status: StatusCode, body: &str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_owned())));
    *response.status_mut() = status;
    response
}
