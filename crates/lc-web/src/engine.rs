//! [`HttpEngine`]: pooled HTTP/1.1 and HTTP/2 over rustls, with timeouts and the retry
//! policy. It knows nothing of any chat API; [`crate::WebClient`] and the Inbenta REST
//! client build on it.

use crate::config::{RetryPolicy, WebConfig};
use crate::upload::Upload;
use bytes::Bytes;
use futures_util::StreamExt;
use http::header::{
    CONTENT_LENGTH, CONTENT_TYPE, HeaderName, HeaderValue, RETRY_AFTER, USER_AGENT,
};
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Either, Full, Limited, StreamBody};
use hyper::body::Frame;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use lc_protocol::backoff::Jitter;
use lc_protocol::{Error, TransportFailure};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The largest response body read (32 MiB); a larger one is an error.
pub const MAX_RESPONSE_BYTES: usize = 32 * 1024 * 1024;

/// A request body: whole (most requests; no allocation to wrap it) or streamed (uploads).
type Body = Either<Full<Bytes>, UnsyncBoxBody<Bytes, std::io::Error>>;

/// One HTTP request for [`HttpEngine::send`].
#[derive(Debug, Clone)]
pub struct HttpRequest {
    /// The method.
    pub method: Method,
    /// The absolute URL.
    pub url: String,
    /// Headers besides `User-Agent`, which the engine sets.
    pub headers: HeaderMap,
    /// The body (empty for none).
    pub body: Bytes,
    /// Whether sending it twice does no harm; see [`RetryPolicy`].
    pub idempotent: bool,
    /// What to call the request in errors and logs (default: the URL's path).
    pub label: String,
    /// How long each attempt may take, instead of [`WebConfig::timeout`] (default
    /// `None`: the engine's).
    pub timeout: Option<Duration>,
}

impl HttpRequest {
    /// A request without headers or body; `GET`, `HEAD`, `PUT` and `DELETE` are
    /// idempotent, others are not.
    pub fn new(method: Method, url: impl Into<String>) -> Self {
        let url = url.into();
        let label = url
            .split_once("://")
            .and_then(|(_, rest)| rest.find('/').map(|at| &rest[at..]))
            .map_or_else(
                || url.clone(),
                |path| path.split('?').next().unwrap_or(path).to_owned(),
            );
        let idempotent = matches!(
            method,
            Method::GET | Method::HEAD | Method::PUT | Method::DELETE
        );
        Self {
            method,
            url,
            headers: HeaderMap::new(),
            body: Bytes::new(),
            idempotent,
            label,
            timeout: None,
        }
    }

    /// Adds a header.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when the name or value is not valid in a header.
    pub fn header(mut self, name: &str, value: &str) -> Result<Self, Error> {
        let name = HeaderName::try_from(name)
            .map_err(|_| Error::InvalidInput(format!("`{name}` is not a header name")))?;
        let value = HeaderValue::try_from(value)
            .map_err(|_| Error::InvalidInput(format!("the value of `{name}` is not valid")))?;
        self.headers.insert(name, value);
        Ok(self)
    }

    /// Sets a JSON body and its `Content-Type`.
    ///
    /// # Errors
    /// [`Error::Encode`] when `body` cannot be serialized.
    pub fn json(mut self, body: &impl serde::Serialize) -> Result<Self, Error> {
        let bytes = serde_json::to_vec(body).map_err(|source| Error::Encode {
            action: self.label.clone(),
            source: source.into(),
        })?;
        self.body = Bytes::from(bytes);
        self.headers
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        Ok(self)
    }

    /// Overrides whether the request is safe to send twice.
    pub fn idempotent(mut self, yes: bool) -> Self {
        self.idempotent = yes;
        self
    }

    /// Names the request in errors and logs.
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    /// Sets [`timeout`](Self::timeout).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }
}

/// A request taken apart, for [`HttpEngine::send_parts`]: the URL parsed, the label
/// borrowed.
pub(crate) struct Outgoing<'a> {
    pub(crate) method: Method,
    pub(crate) uri: http::Uri,
    /// Headers besides `User-Agent`, which the engine sets.
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
    pub(crate) label: &'a str,
    pub(crate) timeout: Option<Duration>,
}

/// `url` parsed (the string becomes the URI's buffer), or the error naming `label`.
pub(crate) fn parse_uri(url: String, label: &str) -> Result<http::Uri, Error> {
    http::Uri::try_from(url)
        .map_err(|err| Error::InvalidInput(format!("bad request for {label}: {err}")))
}

/// A response the engine read whole.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    /// The status.
    pub status: StatusCode,
    /// The HTTP version the server answered with (HTTP/2 when TLS negotiated it).
    pub version: http::Version,
    /// The headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Bytes,
}

/// A pooled HTTP(S) client with timeouts and retries; cheap to clone.
///
/// Statuses other than the retried ones (see [`RetryPolicy`]) come back as an
/// [`HttpResponse`] for the caller to read: error bodies differ between APIs.
#[derive(Clone)]
pub struct HttpEngine {
    inner: Arc<Inner>,
}

struct Inner {
    client: Client<HttpsConnector<HttpConnector>, Body>,
    config: WebConfig,
    /// [`WebConfig::user_agent`] as a header, made once (`None` when it is not valid in
    /// a header).
    user_agent: Option<HeaderValue>,
    jitter: Mutex<Jitter>,
}

impl std::fmt::Debug for HttpEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpEngine")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

/// What one attempt gave.
enum Attempt {
    Response(HttpResponse),
    /// Failed; `reached` tells whether the server may have seen the request.
    Failed {
        error: Error,
        reached: bool,
    },
}

impl HttpEngine {
    /// An engine with `config`'s timeouts, retry policy and TLS settings.
    pub fn new(config: WebConfig) -> Self {
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(config.connect_timeout));
        http.set_nodelay(true);
        let tls = config.tls.client_config();
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config((*tls).clone())
            .https_or_http()
            .enable_http1();
        let https = if config.http2 {
            https.enable_http2().wrap_connector(http)
        } else {
            https.wrap_connector(http)
        };
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(60))
            .build(https);
        let user_agent = HeaderValue::try_from(config.user_agent.as_str()).ok();
        Self {
            inner: Arc::new(Inner {
                client,
                config,
                user_agent,
                jitter: Mutex::new(Jitter::new()),
            }),
        }
    }

    /// The engine's settings.
    pub fn config(&self) -> &WebConfig {
        &self.inner.config
    }

    /// Sends `request`, retrying per the policy, and reads the whole response.
    ///
    /// # Errors
    /// [`Error::Timeout`] when an attempt takes longer than the configured timeout,
    /// [`Error::Transport`] when the connection fails or the body is too large, both
    /// after the retries the policy allows.
    pub fn send(
        &self,
        request: HttpRequest,
    ) -> impl Future<Output = Result<HttpResponse, Error>> + Send + '_ {
        let HttpRequest {
            method,
            url,
            headers,
            body,
            idempotent,
            label,
            timeout,
        } = request;
        let uri = parse_uri(url, &label);
        async move {
            let outgoing = Outgoing {
                method,
                uri: uri?,
                headers,
                body,
                label: &label,
                timeout,
            };
            self.send_parts(outgoing, move || idempotent).await
        }
    }

    /// Like [`send`](Self::send), with the request already taken apart, asking
    /// `idempotent` only when a retry depends on it.
    ///
    /// The parts are taken out before the future is made, so that the future (boxed by
    /// every call through [`Transport`](lc_protocol::Transport)) keeps each of them once.
    pub(crate) fn send_parts<'a>(
        &'a self,
        outgoing: Outgoing<'a>,
        idempotent: impl Fn() -> bool + Send + Sync + 'a,
    ) -> impl Future<Output = Result<HttpResponse, Error>> + Send + 'a {
        let Outgoing {
            method,
            uri,
            mut headers,
            body,
            label,
            timeout,
        } = outgoing;
        // hyper sets the `Content-Length` of a body it knows, after adding `Host`: set
        // here, it would be a 7th header and grow the map that has room for 6 (a copy
        // into a new 1.2 KiB map on every request). An empty body gets none from hyper,
        // and a length the caller set is replaced by the body's, as before.
        if body.is_empty() || headers.contains_key(CONTENT_LENGTH) {
            headers.insert(CONTENT_LENGTH, HeaderValue::from(body.len()));
        }
        let attempts = self.inner.config.retry.max_attempts.max(1);
        async move {
            let mut attempt = 0;
            loop {
                // Made in a block of its own: a request in scope across the await would
                // be kept in this future, moved out or not. The attempt's future (with its
                // timer and the body being read) is boxed apart, so that the future of a
                // call stays under 1 KiB: larger blocks miss the allocator's per-thread
                // cache (about 0.8 KiB of 1.2 KiB, as a whole, took its slow path).
                let sent = Box::pin({
                    let mut request = Request::new(Either::Left(Full::new(body.clone())));
                    *request.method_mut() = method.clone();
                    *request.uri_mut() = uri.clone();
                    // Each attempt sends the map it finds and, unless it is the last,
                    // leaves a clone for the next (a copy without hashing). The first
                    // sends the caller's, made with room for what the engine and hyper
                    // add; only a retry's clone (sized to fit) grows as they add theirs.
                    *request.headers_mut() = if attempt + 1 >= attempts {
                        std::mem::take(&mut headers)
                    } else {
                        let spare = headers.clone();
                        std::mem::replace(&mut headers, spare)
                    };
                    self.attempt(label, request, timeout)
                });
                let outcome = sent.await;
                attempt += 1;
                match self.retry_delay(&outcome, &idempotent, attempt) {
                    // Rare: boxed, so that this future does not carry room for its timer.
                    Some(delay) => Box::pin(self.pause(label, attempt, delay, &outcome)).await,
                    None => return outcome.into_result(),
                }
            }
        }
    }

    /// Sends `upload` as `multipart/form-data` with `POST`, retrying per the policy
    /// when its body can be built again, and reads the whole response.
    ///
    /// # Errors
    /// [`Error::Cancelled`] when the upload's token is cancelled (the connection is
    /// dropped, so the server never sees a whole file); otherwise as
    /// [`send`](HttpEngine::send).
    pub async fn upload(
        &self,
        url: &str,
        headers: HeaderMap,
        label: &str,
        upload: &mut Upload,
    ) -> Result<HttpResponse, Error> {
        let cancel = upload.cancel.clone().unwrap_or_default();
        let work = async {
            let mut attempt = 0;
            loop {
                let body = upload.body().await.map_err(|err| {
                    Error::transport(
                        TransportFailure::Local,
                        format!("cannot read the file for {label}: {err}"),
                        Some(Arc::new(err)),
                    )
                })?;
                let Some(body) = body else {
                    return Err(Error::InvalidInput(format!(
                        "the stream of {label} was already sent"
                    )));
                };
                let mut builder = Request::builder().method(Method::POST).uri(url);
                if let Some(map) = builder.headers_mut() {
                    map.extend(headers.clone());
                }
                let frames = body.stream.map(|chunk| chunk.map(Frame::data));
                let request = builder
                    .header(CONTENT_TYPE, body.content_type)
                    .header(CONTENT_LENGTH, body.len)
                    .body(Either::Right(StreamBody::new(frames).boxed_unsync()))
                    .map_err(|err| {
                        Error::InvalidInput(format!("bad request for {label}: {err}"))
                    })?;
                let outcome = self.attempt(label, request, None).await;
                attempt += 1;
                let delay = if upload.replayable() {
                    self.retry_delay(&outcome, &|| false, attempt)
                } else {
                    None
                };
                match delay {
                    Some(delay) => self.pause(label, attempt, delay, &outcome).await,
                    None => return outcome.into_result(),
                }
            }
        };
        tokio::select! {
            () = cancel.cancelled() => Err(Error::Cancelled { action: label.to_owned() }),
            result = work => result,
        }
    }

    /// One attempt within `timeout` (else the configured one), the body read whole.
    /// hyper takes the request before the future is made (it sends nothing until
    /// polled), so that the future does not keep a copy of it.
    fn attempt<'a>(
        &'a self,
        label: &'a str,
        mut request: Request<Body>,
        timeout: Option<Duration>,
    ) -> impl Future<Output = Attempt> + Send + 'a {
        if let Some(agent) = &self.inner.user_agent {
            request.headers_mut().insert(USER_AGENT, agent.clone());
        }
        let timeout = timeout.unwrap_or(self.inner.config.timeout);
        let response = self.inner.client.request(request);
        self.finish(label, response, timeout)
    }

    /// Waits for `response` and reads its body, within `timeout`.
    async fn finish(
        &self,
        label: &str,
        response: hyper_util::client::legacy::ResponseFuture,
        timeout: Duration,
    ) -> Attempt {
        let work = async {
            // Taken apart at once: a response in scope across the body's await would be
            // kept in this future.
            let (parts, body) = match response.await {
                Ok(response) => response.into_parts(),
                Err(err) => {
                    let reached = !err.is_connect();
                    let failure = if reached {
                        TransportFailure::Dropped
                    } else {
                        TransportFailure::Connect
                    };
                    return Attempt::Failed {
                        error: Error::transport(
                            failure,
                            format!("{label}: {err}"),
                            Some(Arc::new(err)),
                        ),
                        reached,
                    };
                }
            };
            match Limited::new(body, MAX_RESPONSE_BYTES).collect().await {
                Ok(collected) => Attempt::Response(HttpResponse {
                    status: parts.status,
                    version: parts.version,
                    headers: parts.headers,
                    body: collected.to_bytes(),
                }),
                Err(err) => Attempt::Failed {
                    error: Error::transport(
                        read_failure(&*err),
                        format!("{label}: reading the response failed: {err}"),
                        Some(Arc::from(err)),
                    ),
                    reached: true,
                },
            }
        };
        match tokio::time::timeout(timeout, work).await {
            Ok(outcome) => outcome,
            Err(_) => Attempt::Failed {
                error: Error::Timeout {
                    action: label.to_owned(),
                    after: timeout,
                },
                reached: true,
            },
        }
    }

    /// How long to wait before attempt `attempt + 1`, or `None` to stop here.
    fn retry_delay(
        &self,
        outcome: &Attempt,
        idempotent: &dyn Fn() -> bool,
        attempt: u32,
    ) -> Option<Duration> {
        let policy: &RetryPolicy = &self.inner.config.retry;
        if attempt >= policy.max_attempts.max(1) {
            return None;
        }
        let safe = || policy.retry_unsafe || idempotent();
        let floor = match outcome {
            Attempt::Response(response) => match response.status {
                // The server did not act on the request: always safe to repeat.
                StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => {
                    let after = retry_after(&response.headers);
                    if after.is_some_and(|after| after > policy.max_retry_after) {
                        return None;
                    }
                    after.unwrap_or_default()
                }
                status if status.is_server_error() && safe() => Duration::ZERO,
                _ => return None,
            },
            Attempt::Failed { reached, .. } if !reached || safe() => Duration::ZERO,
            Attempt::Failed { .. } => return None,
        };
        let unit = self.inner.jitter.lock().map_or(0.5, |mut j| j.unit());
        Some(floor + policy.backoff.delay(attempt - 1, unit))
    }

    async fn pause(&self, label: &str, attempt: u32, delay: Duration, outcome: &Attempt) {
        let cause = match outcome {
            Attempt::Response(response) => format!("HTTP {}", response.status),
            Attempt::Failed { error, .. } => error.to_string(),
        };
        tracing::debug!(request = label, attempt, ?delay, %cause, "retrying");
        tokio::time::sleep(delay).await;
    }
}

impl Attempt {
    fn into_result(self) -> Result<HttpResponse, Error> {
        match self {
            Attempt::Response(response) => Ok(response),
            Attempt::Failed { error, .. } => Err(error),
        }
    }
}

/// `Retry-After` in seconds (HTTP dates are not used by chat APIs and are ignored).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    let seconds: f64 = value.parse().ok()?;
    (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds.min(86_400.0)))
}

/// Why reading a response body failed: over the size limit, or the connection broke.
fn read_failure(err: &(dyn std::error::Error + 'static)) -> TransportFailure {
    if err.is::<http_body_util::LengthLimitError>() {
        TransportFailure::TooLarge
    } else {
        TransportFailure::Dropped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_url_paths_and_methods_decide_idempotence() {
        let get = HttpRequest::new(Method::GET, "https://h.example/v1/users?x=1");
        assert_eq!(get.label, "/v1/users");
        assert!(get.idempotent);
        assert!(!HttpRequest::new(Method::POST, "http://h/x").idempotent);
    }

    #[test]
    fn retry_after_reads_seconds_only() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static("2"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(2)));
        headers.insert(RETRY_AFTER, HeaderValue::from_static("-1"));
        assert_eq!(retry_after(&headers), None);
        headers.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&headers), None);
    }

    fn response(status: StatusCode, retry: Option<&'static str>) -> Attempt {
        let mut headers = HeaderMap::new();
        if let Some(value) = retry {
            headers.insert(RETRY_AFTER, HeaderValue::from_static(value));
        }
        Attempt::Response(HttpResponse {
            status,
            version: http::Version::HTTP_11,
            headers,
            body: Bytes::new(),
        })
    }

    fn failed(reached: bool) -> Attempt {
        Attempt::Failed {
            error: Error::Closed,
            reached,
        }
    }

    #[test]
    fn the_policy_retries_only_what_is_safe() {
        let engine = HttpEngine::new(WebConfig::default());
        let retried =
            |outcome: &Attempt, idempotent: bool| engine.retry_delay(outcome, &|| idempotent, 1);
        assert!(retried(&response(StatusCode::TOO_MANY_REQUESTS, None), false).is_some());
        assert!(retried(&response(StatusCode::SERVICE_UNAVAILABLE, None), false).is_some());
        assert!(retried(&response(StatusCode::INTERNAL_SERVER_ERROR, None), false).is_none());
        assert!(retried(&response(StatusCode::INTERNAL_SERVER_ERROR, None), true).is_some());
        assert!(retried(&response(StatusCode::BAD_REQUEST, None), true).is_none());
        assert!(retried(&failed(false), false).is_some());
        assert!(retried(&failed(true), false).is_none());
        assert!(retried(&failed(true), true).is_some());
        assert!(engine.retry_delay(&failed(false), &|| true, 4).is_none());
    }

    #[test]
    fn retry_after_is_a_floor_under_the_backoff_and_capped() {
        let engine = HttpEngine::new(WebConfig::default());
        let delay = engine
            .retry_delay(
                &response(StatusCode::TOO_MANY_REQUESTS, Some("3")),
                &|| false,
                1,
            )
            .unwrap();
        assert!(delay >= Duration::from_secs(3));
        assert!(delay <= Duration::from_millis(3200));
        let too_long = response(StatusCode::TOO_MANY_REQUESTS, Some("3600"));
        assert!(engine.retry_delay(&too_long, &|| false, 1).is_none());
    }
}
