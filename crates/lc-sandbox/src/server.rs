//! The HTTP server: one port for RTM (WebSocket upgrade) and Web, optionally over TLS.

use crate::body::RequestBody;
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
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

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

pub(crate) async fn route<B: RequestBody>(
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
    match parse_route(&path) {
        Route::Rtm(api, version) => crate::rtm::upgrade(req, api, version, shared),
        Route::Action(api, version, name) => {
            crate::web::action(req, api, version, name, shared, cutoff).await
        }
        Route::File(id) => crate::web::file(&id, &shared),
        Route::NotFound => text(StatusCode::NOT_FOUND, "not found"),
    }
}
