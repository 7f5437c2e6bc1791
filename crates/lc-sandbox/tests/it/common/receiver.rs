//! A small real webhook receiver for the integration tests: a hyper HTTP/1 server on
//! 127.0.0.1 port 0 that records every request and answers by a script.

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;

/// How the receiver answers one request.
#[derive(Debug, Clone, Copy)]
pub enum Answer {
    /// At once, with this status.
    Status(u16),
    /// Not for a minute (longer than any test's webhook timeout).
    Hang,
}

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Hit {
    pub method: String,
    pub path: String,
    pub content_type: Option<String>,
    /// The body as JSON (`Null` when it is not JSON).
    pub body: Value,
    /// The raw body.
    pub raw: Bytes,
}

/// A running receiver.
pub struct Receiver {
    pub addr: SocketAddr,
    hits: Arc<Mutex<Vec<Hit>>>,
}

impl Receiver {
    /// Answers 200 to everything.
    pub async fn ok() -> Receiver {
        Receiver::scripted(vec![], Answer::Status(200)).await
    }

    /// Answers `script` in order (one answer per request), then `then` for ever.
    pub async fn scripted(script: Vec<Answer>, then: Answer) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let hits: Arc<Mutex<Vec<Hit>>> = Arc::default();
        let seen = hits.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (hits, script) = (seen.clone(), script.clone());
                let service = service_fn(move |req: Request<Incoming>| {
                    let (hits, script) = (hits.clone(), script.clone());
                    async move {
                        let answer = record(&hits, req, &script, then).await;
                        let status = match answer {
                            Answer::Status(status) => status,
                            Answer::Hang => {
                                tokio::time::sleep(Duration::from_secs(60)).await;
                                200
                            }
                        };
                        let response = Response::builder()
                            .status(status)
                            .body(Full::new(Bytes::new()))
                            .unwrap();
                        Ok::<_, Infallible>(response)
                    }
                });
                tokio::spawn(async move {
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Receiver { addr, hits }
    }

    /// `http://127.0.0.1:port/hook`.
    pub fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    /// What it got so far.
    pub fn hits(&self) -> Vec<Hit> {
        self.hits.lock().unwrap().clone()
    }

    /// Waits (up to `timeout`) until it got `count` requests; returns what it got.
    pub async fn wait_for(&self, count: usize, timeout: Duration) -> Vec<Hit> {
        let deadline = Instant::now() + timeout;
        loop {
            let hits = self.hits();
            if hits.len() >= count || Instant::now() >= deadline {
                return hits;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// Records `req`; the answer its position in the script calls for.
async fn record(
    hits: &Mutex<Vec<Hit>>,
    req: Request<Incoming>,
    script: &[Answer],
    then: Answer,
) -> Answer {
    let method = req.method().to_string();
    let path = req.uri().path().to_owned();
    let content_type = req
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let raw = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let body = serde_json::from_slice(&raw).unwrap_or(Value::Null);
    let mut hits = hits.lock().unwrap();
    let answer = script.get(hits.len()).copied().unwrap_or(then);
    hits.push(Hit {
        method,
        path,
        content_type,
        body,
        raw,
    });
    answer
}
