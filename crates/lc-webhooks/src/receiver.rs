//! [`WebhookReceiver`]: the HTTP side, and [`Webhooks`], the stream it feeds.

use crate::recent::Recent;
use bytes::Bytes;
use futures_util::Stream;
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::Body;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use lc_protocol::id::Token;
use lc_protocol::webhook::Webhook;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// The largest delivery body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// Deliveries waiting in the stream at most, by default; more are answered 503 so that
/// LiveChat sends them again.
const DEFAULT_BUFFER: usize = 1024;

/// Receives webhook deliveries over HTTP (see the crate docs for the answers it gives).
/// Cheap to clone: clones share the secret, the stream and what was given.
#[derive(Clone)]
pub struct WebhookReceiver {
    inner: Arc<Inner>,
}

struct Inner {
    secret: Token,
    sender: mpsc::Sender<Webhook>,
    recent: Mutex<Recent>,
}

impl std::fmt::Debug for WebhookReceiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookReceiver")
            .field("secret", &self.inner.secret)
            .finish_non_exhaustive()
    }
}

impl WebhookReceiver {
    /// A receiver of deliveries carrying `secret` (the `secret_key` given to
    /// `register_webhook`), and the stream of what it receives.
    pub fn new(secret: impl Into<String>) -> (Self, Webhooks) {
        Self::with_buffer(secret, DEFAULT_BUFFER)
    }

    /// As [`new`](Self::new), with at most `buffer` deliveries waiting in the stream.
    pub fn with_buffer(secret: impl Into<String>, buffer: usize) -> (Self, Webhooks) {
        let (sender, receiver) = mpsc::channel(buffer.max(1));
        let inner = Inner {
            secret: Token::new(secret.into()),
            sender,
            recent: Mutex::new(Recent::default()),
        };
        (
            Self {
                inner: Arc::new(inner),
            },
            Webhooks { receiver },
        )
    }

    /// Answers one HTTP request: from your own server (hyper, axum, ...) for the path
    /// you registered.
    pub async fn handle<B>(&self, request: Request<B>) -> Response<Full<Bytes>>
    where
        B: Body,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        if request.method() != Method::POST {
            return answer(StatusCode::METHOD_NOT_ALLOWED, "webhooks are POSTed");
        }
        let body = match Limited::new(request.into_body(), MAX_BODY_BYTES)
            .collect()
            .await
        {
            Ok(body) => body.to_bytes(),
            Err(error) if error.is::<LengthLimitError>() => {
                return answer(StatusCode::PAYLOAD_TOO_LARGE, "the body is too large");
            }
            Err(error) => {
                tracing::debug!(%error, "webhook body not read");
                return answer(StatusCode::BAD_REQUEST, "the body could not be read");
            }
        };
        let webhook = match Webhook::from_json(&body) {
            Ok(webhook) => webhook,
            Err(error) => {
                tracing::debug!(%error, "not a webhook");
                return answer(StatusCode::BAD_REQUEST, "not a webhook envelope");
            }
        };
        if !webhook.secret_matches(self.inner.secret.expose()) {
            tracing::warn!(action = %webhook.action, "webhook with a wrong secret dropped");
            return answer(StatusCode::UNAUTHORIZED, "wrong secret");
        }
        let key = webhook.redelivery_key();
        if self.lock().contains(key, Instant::now()) {
            tracing::debug!(action = %webhook.action, "redelivered webhook answered, not given again");
            return answer(StatusCode::OK, "");
        }
        match self.inner.sender.try_send(webhook) {
            Ok(()) => {
                self.lock().insert(key, Instant::now());
                answer(StatusCode::OK, "")
            }
            Err(mpsc::error::TrySendError::Full(_)) => {
                tracing::warn!("webhook stream full: answered 503, LiveChat sends it again");
                answer(StatusCode::SERVICE_UNAVAILABLE, "busy")
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {
                answer(StatusCode::SERVICE_UNAVAILABLE, "nobody listens")
            }
        }
    }

    /// Serves deliveries on `listener` (HTTP/1.1 and HTTP/2, any path) until the
    /// listener fails. Put TLS in front of it in production: the secret travels in the
    /// body.
    ///
    /// # Errors
    /// The listener's accept error.
    pub async fn serve(self, listener: TcpListener) -> std::io::Result<()> {
        loop {
            let (stream, _) = listener.accept().await?;
            let receiver = self.clone();
            tokio::spawn(async move {
                let service = service_fn(move |request| {
                    let receiver = receiver.clone();
                    async move { Ok::<_, Infallible>(receiver.handle(request).await) }
                });
                let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
                if let Err(error) = builder
                    .serve_connection(TokioIo::new(stream), service)
                    .await
                {
                    tracing::debug!(%error, "webhook connection ended with an error");
                }
            });
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Recent> {
        self.inner
            .recent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

fn answer(status: StatusCode, text: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(text.as_bytes())));
    *response.status_mut() = status;
    response
}

/// A [`WebhookReceiver`] is a `tower` service: mount it in a tower stack or any server
/// that takes one (axum's `Router::route_service`, for example). It never fails: every
/// outcome is an HTTP answer.
impl<B> tower_service::Service<Request<B>> for WebhookReceiver
where
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future =
        Pin<Box<dyn std::future::Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let receiver = self.clone();
        Box::pin(async move { Ok(receiver.handle(request).await) })
    }
}

/// The deliveries a [`WebhookReceiver`] accepted, each once, in the order they came.
#[derive(Debug)]
pub struct Webhooks {
    receiver: mpsc::Receiver<Webhook>,
}

impl Stream for Webhooks {
    type Item = Webhook;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Webhook>> {
        self.receiver.poll_recv(cx)
    }
}
