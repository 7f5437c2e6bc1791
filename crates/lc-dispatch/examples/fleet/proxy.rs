//! A round-robin HTTP load balancer, as one runs in front of replicas: each request goes
//! to the next replica; a replica that refuses the connection is skipped (as nginx's
//! `proxy_next_upstream error` does), one that dies with the request gets it answered
//! 502.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::net::TcpListener;

/// The balancer's replicas and counters.
#[derive(Clone, Default)]
pub(crate) struct Proxy {
    upstreams: Arc<Mutex<Vec<SocketAddr>>>,
    next: Arc<AtomicUsize>,
    /// Requests answered 502: the replica died with them (or closed a pooled
    /// connection as it was reused).
    pub(crate) lost: Arc<AtomicUsize>,
    /// Connections that failed (refused by a dead replica), passed to the next one.
    pub(crate) skipped: Arc<AtomicUsize>,
}

impl Proxy {
    pub(crate) fn add(&self, upstream: SocketAddr) {
        self.upstreams
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(upstream);
    }

    /// Serves on a free port of 127.0.0.1; its address.
    pub(crate) async fn start(&self) -> std::io::Result<SocketAddr> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let client: Client<HttpConnector, Full<Bytes>> =
            Client::builder(TokioExecutor::new()).build_http();
        let proxy = self.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (proxy, client) = (proxy.clone(), client.clone());
                tokio::spawn(async move {
                    let service = service_fn(move |request| {
                        let (proxy, client) = (proxy.clone(), client.clone());
                        async move { Ok::<_, Infallible>(proxy.forward(&client, request).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(addr)
    }

    async fn forward(
        &self,
        client: &Client<HttpConnector, Full<Bytes>>,
        request: Request<Incoming>,
    ) -> Response<Full<Bytes>> {
        let (parts, body) = request.into_parts();
        let Ok(body) = body.collect().await.map(|b| b.to_bytes()) else {
            return status(StatusCode::BAD_REQUEST);
        };
        let upstreams = self
            .upstreams
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        for _ in 0..upstreams.len() {
            let upstream = upstreams[self.next.fetch_add(1, Ordering::Relaxed) % upstreams.len()];
            let uri = format!(
                "http://{upstream}{}",
                parts.uri.path_and_query().map_or("/", |p| p.as_str())
            );
            let mut forwarded = Request::builder().method(parts.method.clone()).uri(uri);
            for (name, value) in &parts.headers {
                forwarded = forwarded.header(name, value);
            }
            let Ok(forwarded) = forwarded.body(Full::new(body.clone())) else {
                return status(StatusCode::BAD_REQUEST);
            };
            match client.request(forwarded).await {
                Ok(response) => {
                    let code = response.status();
                    let body = response.into_body().collect().await;
                    return match body {
                        Ok(body) => {
                            let mut answer = Response::new(Full::new(body.to_bytes()));
                            *answer.status_mut() = code;
                            answer
                        }
                        Err(_) => self.died(),
                    };
                }
                Err(error) if error.is_connect() => {
                    self.skipped.fetch_add(1, Ordering::Relaxed);
                }
                Err(_) => return self.died(),
            }
        }
        status(StatusCode::BAD_GATEWAY)
    }

    fn died(&self) -> Response<Full<Bytes>> {
        self.lost.fetch_add(1, Ordering::Relaxed);
        status(StatusCode::BAD_GATEWAY)
    }
}

fn status(code: StatusCode) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = code;
    response
}
