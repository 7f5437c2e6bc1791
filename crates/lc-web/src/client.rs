//! [`WebClient`]: the LiveChat Web APIs (agent and customer) as a [`Transport`].

use crate::config::WebConfig;
use crate::engine::{HttpEngine, HttpResponse, Outgoing, parse_uri};
use crate::query::to_query;
use crate::upload::{MAX_UPLOAD_BYTES, Upload};
use async_trait::async_trait;
use bytes::Bytes;
use futures_util::future::Either;
use http::header::{AUTHORIZATION, CONTENT_TYPE, HeaderName, HeaderValue};
use http::{HeaderMap, Method};
use lc_protocol::auth::{TokenProvider, authorization, region_of};
use lc_protocol::call::author_id_removed;
use lc_protocol::error::{ErrorBody, ErrorType};
use lc_protocol::id::Token;
use lc_protocol::percent::encode;
use lc_protocol::session::LiveChatSession;
use lc_protocol::wire::typed::{Answer, ResponseDecoder};
use lc_protocol::{
    Api, ApiVersion, CallOptions, Error, FrameError, HttpMethod, RawRequest, Transport,
    TransportFailure,
};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::Poll;

/// A client of a LiveChat Web API; cheap to clone.
///
/// It is addressed with the same session value as the RTM engine ([`AgentSession`],
/// [`CustomerSession`]: base URL, API version, region, organization, author) and sends
/// `POST {base}/v{version}/{agent|customer}/action/{name}` with a JSON body (GET
/// with query parameters for the GET actions), asks its [`TokenProvider`] for the
/// `Authorization` before every request, and turns the `{"error": ...}` body into the
/// same [`Error::Api`] as RTM, with the HTTP status. On an `authentication` error it
/// asks for a fresh token once; on `misdirected_request` it switches to the region the
/// server names and tries once more. Other failures follow the [`RetryPolicy`].
///
/// ```no_run
/// # async fn demo() -> Result<(), lc_protocol::Error> {
/// use lc_protocol::Transport;
/// use lc_protocol::agent::ListChats;
/// use lc_protocol::id::Token;
/// use lc_protocol::session::AgentSession;
/// use lc_web::{WebClient, WebConfig};
///
/// let client = WebClient::new(AgentSession::agent(), Token::new("dal:..."), WebConfig::default());
/// let chats = client.call(&ListChats::new().limit(5)).await?;
/// println!("{} chats", chats.found_chats);
/// # Ok(())
/// # }
/// ```
///
/// [`RetryPolicy`]: crate::RetryPolicy
/// [`AgentSession`]: lc_protocol::session::AgentSession
/// [`CustomerSession`]: lc_protocol::session::CustomerSession
#[derive(Clone)]
pub struct WebClient {
    inner: Arc<Inner>,
}

struct Inner {
    engine: HttpEngine,
    api: Api,
    tokens: Arc<dyn TokenProvider>,
    /// The token itself when the provider always gives the same one
    /// ([`TokenProvider::fixed`]): calls use it without asking (and copying it) each time.
    fixed: Option<Token>,
    /// `{base}/v{version}/{api}/action/`: the action name completes it.
    action_url: String,
    version: ApiVersion,
    organization_id: Option<String>,
    /// The region of the session (`X-Region`), if set.
    session_region: Option<String>,
    author_id: Option<String>,
    /// The region the server last asked for (`misdirected_request`), and the
    /// `Authorization` value of the last token: one lock per request reads both.
    shared: Mutex<Shared>,
    /// Actions whose lifecycle headers were logged already: a few names, asked on every
    /// response of an old API version, found by comparing (no hashing).
    warned: Mutex<Vec<Box<str>>>,
    /// The parsed URLs of the actions called without a query, up to [`KEPT_URIS`]: a
    /// clone shares the parsed text, where parsing it again costs each request.
    uris: Mutex<Vec<(Box<str>, http::Uri)>>,
}

/// How many actions' URLs a client keeps parsed.
const KEPT_URIS: usize = 64;

impl std::fmt::Debug for WebClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebClient")
            .field("api", &self.inner.api)
            .field("action_url", &self.inner.action_url)
            .field("organization_id", &self.inner.organization_id)
            .field("engine", &self.inner.engine)
            .finish_non_exhaustive()
    }
}

/// What the requests of a client read and update under one lock.
#[derive(Default)]
struct Shared {
    /// The region the server last asked for (`misdirected_request`).
    region: Option<String>,
    /// The last token a request was sent with, its `Authorization` value and the
    /// `X-Region` of the region it names, made once for as long as the provider gives
    /// the same token.
    authorization: Option<Credential>,
}

/// A token's headers, made once per token.
struct Credential {
    token: Token,
    authorization: HeaderValue,
    /// The `X-Region` of the region the token names, if any.
    region: Option<HeaderValue>,
}

/// What `upload_file` answers: the file's temporary URL, to use in a file event.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Uploaded {
    /// The URL of the uploaded file.
    pub url: String,
}

impl WebClient {
    /// A client of the LiveChat Web API `session` addresses (an [`AgentSession`] or a
    /// [`CustomerSession`]: its base URL, version, region, organization and author id;
    /// its login fields are for RTM only), with a token from `tokens` asked before every
    /// request and `config`'s engine settings.
    ///
    /// [`AgentSession`]: lc_protocol::session::AgentSession
    /// [`CustomerSession`]: lc_protocol::session::CustomerSession
    pub fn new<P>(
        session: LiveChatSession<P>,
        tokens: impl TokenProvider,
        config: WebConfig,
    ) -> Self {
        let action_url = session.web_url("");
        warn_plaintext(&action_url);
        Self {
            inner: Arc::new(Inner {
                engine: HttpEngine::new(config),
                api: session.api(),
                fixed: tokens.fixed().cloned(),
                tokens: Arc::new(tokens),
                action_url,
                version: session.version,
                organization_id: session.organization_id,
                session_region: session.region,
                author_id: session.author_id,
                shared: Mutex::default(),
                warned: Mutex::new(Vec::new()),
                uris: Mutex::new(Vec::new()),
            }),
        }
    }

    /// A token from the provider, within [`WebConfig::token_timeout`]. A provider that
    /// answers at once (a fixed token, a cached one) costs no timer: the timeout is armed
    /// only when it has to wait.
    async fn token(&self) -> Result<Token, Error> {
        let limit = self.inner.engine.config().token_timeout;
        // The provider itself, not its `Arc` (whose own boxed future would wrap it).
        let mut token = self.inner.tokens.as_ref().token();
        let first = std::future::poll_fn(|cx| Poll::Ready(token.as_mut().poll(cx))).await;
        if let Poll::Ready(result) = first {
            return result;
        }
        match tokio::time::timeout(limit, token).await {
            Ok(result) => result,
            Err(_) => Err(Error::transport(
                TransportFailure::Token,
                format!("the token provider gave no token within {limit:?}"),
                None,
            )),
        }
    }

    /// Tells the provider `token` was refused, within [`WebConfig::token_timeout`].
    async fn invalidate(&self, token: &Token) {
        let limit = self.inner.engine.config().token_timeout;
        let bounded = tokio::time::timeout(limit, self.inner.tokens.as_ref().invalidate(token));
        if bounded.await.is_err() {
            tracing::warn!(after = ?limit, "the token provider did not take the token back in time");
        }
    }

    /// The underlying engine, for other REST calls.
    pub fn engine(&self) -> &HttpEngine {
        &self.inner.engine
    }

    /// `upload_file`: sends a file as the multipart part `file` and returns its URL.
    ///
    /// Like any call, it asks for a fresh token once after an `authentication` error and
    /// follows a `misdirected_request` once, when the file can be read again (bytes or a
    /// path, not a one-shot reader).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] before sending when the file is over 10 MB;
    /// [`Error::Cancelled`] when its cancellation token fires; otherwise as any call.
    pub async fn upload_file(&self, mut upload: Upload) -> Result<Uploaded, Error> {
        const ACTION: &str = "upload_file";
        if upload.len() > MAX_UPLOAD_BYTES {
            return Err(Error::InvalidInput(format!(
                "`upload_file` takes at most {MAX_UPLOAD_BYTES} bytes; this file has {}",
                upload.len()
            )));
        }
        let url = self.url(ACTION, None)?;
        let mut token = self.token().await?;
        let mut recovery = Recovery::default();
        loop {
            let headers = self.headers(&token, None)?;
            let engine = &self.inner.engine;
            let result = match engine.upload(&url, headers, ACTION, &mut upload).await {
                Ok(response) => self.read(ACTION, response),
                Err(err) => Err(err),
            };
            // A one-shot stream cannot be sent again.
            let again = match &result {
                Err(error) if upload.replayable() => {
                    recovery.retry(self, ACTION, error, &mut token).await?
                }
                _ => false,
            };
            if !again {
                return lc_protocol::transport::decode_response(ACTION, &result?);
            }
        }
    }

    /// The parsed URL of `action` with `query`: kept for an action called without one.
    fn uri(&self, action: &str, query: Option<&RawValue>) -> Result<http::Uri, Error> {
        if query.is_some() {
            return parse_uri(self.url(action, query)?, action);
        }
        let kept = |uris: &[(Box<str>, http::Uri)]| {
            uris.iter()
                .find(|(name, _)| **name == *action)
                .map(|(_, uri)| uri.clone())
        };
        let lock = || {
            self.inner
                .uris
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
        };
        if let Some(uri) = kept(&lock()) {
            return Ok(uri);
        }
        let uri = parse_uri(self.url(action, None)?, action)?;
        let mut uris = lock();
        if uris.len() < KEPT_URIS && kept(&uris).is_none() {
            uris.push((action.into(), uri.clone()));
        }
        Ok(uri)
    }

    /// The action URL, with the query for GET actions and customer requests.
    fn url(&self, action: &str, query: Option<&RawValue>) -> Result<String, Error> {
        let base = &self.inner.action_url;
        let mut url = String::with_capacity(base.len() + action.len());
        url.push_str(base);
        url.push_str(action);
        if query.is_none() && self.inner.organization_id.is_none() {
            return Ok(url);
        }
        let mut pairs = Vec::new();
        if let Some(org) = &self.inner.organization_id {
            pairs.push(("organization_id".to_owned(), org.clone()));
        }
        if let Some(payload) = query {
            pairs.extend(to_query(action, payload)?);
        }
        if !pairs.is_empty() {
            let encoded: Vec<String> = pairs
                .iter()
                .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
                .collect();
            url.push('?');
            url.push_str(&encoded.join("&"));
        }
        Ok(url)
    }

    /// The headers of a request with `token`, sent as `author_id` (this call's) or the
    /// session's author, if any.
    fn headers(&self, token: &Token, author_id: Option<&str>) -> Result<HeaderMap, Error> {
        // Room for these, the content type, the engine's user agent and hyper's host and
        // content length, and no more: a map for 8 keeps 12 entries (over 1 KiB, past
        // the allocator's per-thread cache).
        let author = author_id.or(self.inner.author_id.as_deref());
        let mut headers = HeaderMap::with_capacity(if author.is_some() { 7 } else { 6 });
        let (credential, region) = {
            let mut guard = self
                .inner
                .shared
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let shared = &mut *guard;
            let known = match &shared.authorization {
                Some(known) if known.token == *token => known,
                _ => {
                    let value = HeaderValue::try_from(authorization(token)).map_err(|_| {
                        Error::InvalidInput("the token is not valid in a header".into())
                    })?;
                    let region = region_of(token.expose()).and_then(region_header);
                    shared.authorization.insert(Credential {
                        token: token.clone(),
                        authorization: sensitive(value),
                        region,
                    })
                }
            };
            let credential = known.authorization.clone();
            // The region the server asked for, else the session's, else the token's.
            let region = match (&shared.region, &self.inner.session_region) {
                (Some(switched), _) => HeaderValue::from_str(switched).ok(),
                (None, Some(region)) => HeaderValue::from_str(region).ok(),
                (None, None) => known.region.clone(),
            };
            (credential, region)
        };
        headers.insert(AUTHORIZATION, credential);
        if let Some(region) = region {
            headers.insert(X_REGION, region);
        }
        if let Some(id) = author {
            if self.inner.version > ApiVersion::V3_5 {
                return Err(author_id_removed(self.inner.version));
            }
            let value = HeaderValue::try_from(id)
                .map_err(|_| Error::InvalidInput("the author id is not a header value".into()))?;
            headers.insert(X_AUTHOR_ID, value);
        }
        Ok(headers)
    }

    /// The response body of a success, or the typed error of a failure.
    fn read(&self, action: &str, response: HttpResponse) -> Result<Box<RawValue>, Error> {
        let text = self.success_text(action, &response)?;
        RawValue::from_string(text.to_owned())
            .map_err(|source| body_error(action, response.status.as_u16(), source))
    }

    /// The body of a success decoded straight into `decoder`'s type, in one pass, with
    /// the errors of [`read`](Self::read) and a later typed decode: a body that is not
    /// JSON is [`FrameError::Body`], a payload not of the type [`FrameError::Payload`].
    fn read_typed(
        &self,
        action: &str,
        response: HttpResponse,
        decoder: ResponseDecoder,
    ) -> Result<Answer, Error> {
        let text = self.success_text(action, &response)?;
        decoder.decode_payload(text).map_err(|source| {
            // Only on failure: whether the body was JSON at all tells the two errors apart.
            match serde_json::from_str::<&RawValue>(text) {
                Err(syntax) => body_error(action, response.status.as_u16(), syntax),
                Ok(_) => Error::Decode {
                    action: action.to_owned(),
                    source: FrameError::Payload {
                        name: action.to_owned(),
                        source: source.into(),
                    },
                },
            }
        })
    }

    /// The text of a success's body (`{}` when it is empty), or the typed error of a
    /// failure.
    fn success_text<'r>(&self, action: &str, response: &'r HttpResponse) -> Result<&'r str, Error> {
        self.log_lifecycle(action, &response.headers);
        let status = response.status.as_u16();
        let text = std::str::from_utf8(&response.body).map_err(|_| Error::Decode {
            action: action.to_owned(),
            source: FrameError::Body {
                status,
                source: std::sync::Arc::new(serde::de::Error::custom("the body is not UTF-8")),
            },
        })?;
        if response.status.is_success() {
            return Ok(if text.trim().is_empty() { "{}" } else { text });
        }
        let body: ErrorBody =
            serde_json::from_str(text).map_err(|source| body_error(action, status, source))?;
        Err(Error::Api {
            action: action.to_owned(),
            error: body.error,
            http_status: Some(status),
        })
    }

    /// Logs `Legacy` / `Deprecation` headers, once per action.
    fn log_lifecycle(&self, action: &str, headers: &HeaderMap) {
        let legacy = headers.get(LEGACY).and_then(|v| v.to_str().ok());
        let deprecation = headers.get(DEPRECATION).and_then(|v| v.to_str().ok());
        if legacy.is_none() && deprecation.is_none() {
            return;
        }
        {
            // Every response of an old version carries them: looked up without copying
            // the name, which is kept only the first time.
            let mut warned = self
                .inner
                .warned
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if warned.iter().any(|logged| **logged == *action) {
                return;
            }
            warned.push(action.into());
        }
        let version = self.inner.version;
        if let Some(until) = deprecation {
            tracing::warn!(action, %version, until, "API version is deprecated");
        } else if let Some(until) = legacy {
            tracing::info!(action, %version, until, "API version is legacy");
        }
    }

    /// Whether the tables mark `action` as safe to send twice; unknown actions are not.
    fn is_idempotent(&self, action: &str) -> bool {
        lc_protocol::meta::find_action(self.inner.api, action).is_some_and(|meta| meta.idempotent)
    }

    /// Sends `request` once with `token` (the engine's retries included).
    ///
    /// The URL and headers are made before the future, which is then the engine's own.
    fn send_once<'a>(
        &'a self,
        request: &'a Prepared,
        options: &CallOptions,
        token: &Token,
    ) -> impl Future<Output = Result<HttpResponse, Error>> + Send + 'a {
        let action = request.action.as_str();
        let get = request.query.is_some();
        let outgoing = self.uri(action, request.query.as_deref()).and_then(|uri| {
            let mut headers = self.headers(token, options.author_id.as_deref())?;
            if !get {
                headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            }
            Ok(Outgoing {
                method: if get { Method::GET } else { Method::POST },
                uri,
                headers,
                body: request.body.clone(),
                label: action,
                timeout: options.timeout,
            })
        });
        match outgoing {
            Ok(outgoing) => {
                // Looked up only when a retry depends on it.
                let idempotent = move || get || self.is_idempotent(action);
                Either::Left(self.inner.engine.send_parts(outgoing, idempotent))
            }
            Err(error) => Either::Right(std::future::ready(Err(error))),
        }
    }

    /// Sends `request`, read by `read`, recovering from an `authentication` or
    /// `misdirected_request` error once each.
    ///
    /// The request is made ready before the future, which keeps it once.
    fn send_with<'a, R: Send + 'a>(
        &'a self,
        request: RawRequest,
        options: CallOptions,
        read: impl Fn(&Self, &str, HttpResponse) -> Result<R, Error> + Send + Sync + 'a,
    ) -> impl Future<Output = Result<R, Error>> + Send + 'a {
        let request = Prepared::new(request);
        async move {
            let mut token = match &self.inner.fixed {
                Some(fixed) => Cow::Borrowed(fixed),
                None => Cow::Owned(self.token().await?),
            };
            let mut recovery = Recovery::default();
            loop {
                let result = match self.send_once(&request, &options, &token).await {
                    Ok(response) => read(self, &request.action, response),
                    Err(err) => Err(err),
                };
                let Err(error) = &result else {
                    return result;
                };
                if !recovery.wants(error) {
                    return result;
                }
                // Rare: kept out of this future (boxed by every call), which it would grow.
                let again = Box::pin(recovery.retry(self, &request.action, error, token.to_mut()));
                if !again.await? {
                    return result;
                }
            }
        }
    }
}

/// A body that is not the JSON it should be.
fn body_error(action: &str, status: u16, source: serde_json::Error) -> Error {
    Error::Decode {
        action: action.to_owned(),
        source: FrameError::Body {
            status,
            source: source.into(),
        },
    }
}

/// A request made ready to send, as many times as recovery needs.
struct Prepared {
    action: String,
    /// The payload of a GET action, sent as the query.
    query: Option<Box<RawValue>>,
    /// The JSON body of a POST action (empty for GET).
    body: Bytes,
}

impl Prepared {
    /// `request` as its method sends it; a POST body takes over the payload's buffer.
    fn new(request: RawRequest) -> Self {
        let RawRequest {
            action,
            payload,
            method,
        } = request;
        if method == HttpMethod::Get {
            return Self {
                action,
                query: Some(payload),
                body: Bytes::new(),
            };
        }
        let json: Box<str> = payload.into();
        Self {
            action,
            query: None,
            body: Bytes::from(json.into_boxed_bytes()),
        }
    }
}

/// The `X-Region` value of a region a token names (no allocation for the known ones).
fn region_header(region: &str) -> Option<HeaderValue> {
    match region {
        "dal" => Some(HeaderValue::from_static("dal")),
        "fra" => Some(HeaderValue::from_static("fra")),
        "fra-a" => Some(HeaderValue::from_static("fra-a")),
        "fra-b" => Some(HeaderValue::from_static("fra-b")),
        other => HeaderValue::from_str(other).ok(),
    }
}

/// The region header.
const X_REGION: HeaderName = HeaderName::from_static("x-region");
/// The header of the author a request is sent as (3.5 and older).
const X_AUTHOR_ID: HeaderName = HeaderName::from_static("x-author-id");
/// The header of a response from a legacy API version.
const LEGACY: HeaderName = HeaderName::from_static("legacy");
/// The header of a response from a deprecated API version.
const DEPRECATION: HeaderName = HeaderName::from_static("deprecation");

#[async_trait]
impl Transport for WebClient {
    fn api(&self) -> Api {
        self.inner.api
    }

    fn kind(&self) -> lc_protocol::TransportKind {
        lc_protocol::TransportKind::Web
    }

    fn version(&self) -> ApiVersion {
        self.inner.version
    }

    fn pause(&self, delay: std::time::Duration) -> lc_protocol::transport::Pause {
        Box::pin(tokio::time::sleep(delay))
    }

    async fn send_raw(&self, request: RawRequest) -> Result<Box<RawValue>, Error> {
        self.send_raw_with(request, CallOptions::default()).await
    }

    // The two below box `send_with`'s future itself, where `async fn` would box a future
    // that keeps the arguments once more around it.

    fn send_raw_with<'life0, 'async_trait>(
        &'life0 self,
        request: RawRequest,
        options: CallOptions,
    ) -> BoxFuture<'async_trait, Result<Box<RawValue>, Error>>
    where
        'life0: 'async_trait,
        Self: 'async_trait,
    {
        Box::pin(self.send_with(request, options, Self::read))
    }

    /// Decodes a success's body straight into the response type (one pass, no copy).
    fn send_decoded_with<'life0, 'async_trait>(
        &'life0 self,
        request: RawRequest,
        options: CallOptions,
        decoder: ResponseDecoder,
    ) -> BoxFuture<'async_trait, Result<Answer, Error>>
    where
        'life0: 'async_trait,
        Self: 'async_trait,
    {
        let read = move |client: &Self, action: &str, response| {
            client.read_typed(action, response, decoder)
        };
        Box::pin(self.send_with(request, options, read))
    }
}

/// The future of a [`Transport`] method, as `async_trait` makes it.
type BoxFuture<'a, T> = std::pin::Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The two errors a request recovers from by itself, once each: `authentication` (with
/// a fresh token) and `misdirected_request` (in the region the server names).
#[derive(Debug, Default)]
struct Recovery {
    refreshed: bool,
    switched: bool,
}

impl Recovery {
    /// Whether `error` is one [`retry`](Self::retry) may recover from.
    fn wants(&self, error: &Error) -> bool {
        match error {
            Error::Api { error, .. } => match error.kind {
                ErrorType::Authentication => !self.refreshed,
                ErrorType::MisdirectedRequest => !self.switched,
                _ => false,
            },
            _ => false,
        }
    }

    /// Whether to send again after `error`, having fixed what needs fixing.
    ///
    /// # Errors
    /// When the token provider fails.
    async fn retry(
        &mut self,
        client: &WebClient,
        action: &str,
        error: &Error,
        token: &mut Token,
    ) -> Result<bool, Error> {
        let Error::Api { error, .. } = error else {
            return Ok(false);
        };
        match error.kind {
            ErrorType::Authentication if !self.refreshed => {
                self.refreshed = true;
                client.invalidate(token).await;
                *token = client.token().await?;
                Ok(true)
            }
            ErrorType::MisdirectedRequest if !self.switched => {
                let region = error.data.as_ref().and_then(|d| d.get("region"));
                let Some(region) = region.and_then(|r| r.as_str()) else {
                    return Ok(false);
                };
                self.switched = true;
                tracing::info!(action, region, "switching region");
                client
                    .inner
                    .shared
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .region = Some(region.to_owned());
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}

impl lc_protocol::WebTransport for WebClient {}

/// Warns when requests (and their tokens) would go over plaintext HTTP to a host other
/// than this machine: once per client, as it is made.
fn warn_plaintext(base_url: &str) {
    let Ok(uri) = base_url.parse::<http::Uri>() else {
        return;
    };
    if uri.scheme_str() != Some("http") {
        return;
    }
    let host = uri.host().unwrap_or_default();
    if !is_loopback(host) {
        tracing::warn!(
            host,
            "plaintext http:// to another host: tokens and messages travel unencrypted; use https://"
        );
    }
}

/// Whether `host` (as in a URL, IPv6 in brackets) is this machine.
fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost")
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Marks a header value as sensitive so that hyper never logs it.
fn sensitive(mut value: HeaderValue) -> HeaderValue {
    value.set_sensitive(true);
    value
}

#[cfg(test)]
mod tests {
    use super::*;
    use lc_protocol::session::{AgentSession, CustomerSession};

    #[test]
    fn urls_carry_version_api_and_the_organization() {
        let session = CustomerSession::customer("org 1").base_url("http://h:1/");
        let client = WebClient::new(session, Token::new("t"), WebConfig::default());
        let payload = RawValue::from_string(r#"{"group_id":0,"url":"a&b"}"#.into()).unwrap();
        let url = client
            .url("get_dynamic_configuration", Some(&payload))
            .unwrap();
        assert_eq!(
            url,
            "http://h:1/v3.6/customer/action/get_dynamic_configuration?organization_id=org%201&group_id=0&url=a%26b"
        );
    }

    #[test]
    fn action_urls_without_a_query_are_parsed_once_and_kept_up_to_a_bound() {
        let session = CustomerSession::customer("org 1").base_url("http://h:1/");
        let client = WebClient::new(session, Token::new("t"), WebConfig::default());
        let kept = || client.inner.uris.lock().unwrap().len();
        let first = client.uri("list_chats", None).unwrap();
        assert_eq!(
            first,
            "http://h:1/v3.6/customer/action/list_chats?organization_id=org%201"
        );
        assert_eq!(client.uri("list_chats", None).unwrap(), first);
        assert_eq!(kept(), 1);
        // A query makes another URL each time: not kept.
        let payload = RawValue::from_string(r#"{"group_id":0}"#.into()).unwrap();
        let with_query = client
            .uri("get_dynamic_configuration", Some(&payload))
            .unwrap();
        assert!(
            with_query.to_string().ends_with("&group_id=0"),
            "{with_query}"
        );
        assert_eq!(kept(), 1);
        for i in 0..KEPT_URIS + 5 {
            let uri = client.uri(&format!("action_{i}"), None).unwrap();
            assert!(uri.path().ends_with(&format!("/action_{i}")), "{uri}");
        }
        assert_eq!(kept(), KEPT_URIS);
        // An action beyond the bound is still right, parsed each time.
        let late = client
            .uri(&format!("action_{}", KEPT_URIS + 4), None)
            .unwrap();
        assert!(late.path().ends_with(&format!("/action_{}", KEPT_URIS + 4)));
    }

    #[test]
    fn headers_carry_auth_region_and_author_by_version() {
        let session = AgentSession::agent()
            .version(ApiVersion::V3_5)
            .author_id("bot1");
        let client = WebClient::new(session, Token::new("x"), WebConfig::default());
        let headers = client.headers(&Token::new("fra:abc"), None).unwrap();
        assert_eq!(headers[AUTHORIZATION], "Bearer fra:abc");
        assert!(headers[AUTHORIZATION].is_sensitive());
        assert_eq!(headers["x-region"], "fra");
        assert_eq!(headers["x-author-id"], "bot1");
        // One call's author wins over the session's.
        let headers = client.headers(&Token::new("x"), Some("bot2")).unwrap();
        assert_eq!(headers["x-author-id"], "bot2");
        // API 3.6 has no author ids: refused before sending, pointing to bot tokens.
        let session = AgentSession::agent().author_id("b");
        let client = WebClient::new(session, Token::new("x"), WebConfig::default());
        let err = client.headers(&Token::basic("a", "p"), None).unwrap_err();
        assert!(err.to_string().contains("bot token"), "{err}");
        let client = WebClient::new(AgentSession::agent(), Token::new("x"), WebConfig::default());
        assert!(client.headers(&Token::new("x"), Some("b")).is_err());
        let headers = client.headers(&Token::basic("a", "p"), None).unwrap();
        assert!(headers.get("x-author-id").is_none());
        assert!(headers.get("x-region").is_none());
    }

    #[test]
    fn only_actions_the_tables_mark_idempotent_are_retried_after_reaching_the_server() {
        let client = WebClient::new(AgentSession::agent(), Token::new("t"), WebConfig::default());
        assert!(client.is_idempotent("list_chats"));
        assert!(client.is_idempotent("get_chat"));
        assert!(!client.is_idempotent("send_event"));
        assert!(!client.is_idempotent("get_something_new"));
        let session = CustomerSession::customer("o");
        let customer = WebClient::new(session, Token::new("t"), WebConfig::default());
        assert!(customer.is_idempotent("get_form"));
        assert!(!customer.is_idempotent("check_goals"));
    }

    #[test]
    fn debug_output_hides_tokens() {
        let client = WebClient::new(
            AgentSession::agent(),
            Token::new("dal:secret"),
            WebConfig::default(),
        );
        assert!(!format!("{client:?}").contains("secret"));
    }
}
