//! [`Poster`]: one HTTP attempt — `POST <url>` with a JSON body, on hyper's client;
//! `http://` and `https://` (rustls with ring, the Mozilla roots of webpki-roots).

use bytes::Bytes;
use http::header::{CONTENT_TYPE, USER_AGENT};
use http::{Request, Uri};
use http_body_util::Full;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use std::time::Duration;

/// Why an attempt got no status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PostError {
    /// The URL cannot be used (not a URL, another scheme): retrying is pointless.
    Unusable(String),
    /// No answer within the timeout.
    Timeout(Duration),
    /// Connecting or exchanging failed.
    Connection(String),
}

impl std::fmt::Display for PostError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PostError::Unusable(why) | PostError::Connection(why) => f.write_str(why),
            PostError::Timeout(after) => write!(f, "no answer within {after:?}"),
        }
    }
}

/// Sends the attempts (cheap to clone: one connection pool).
#[derive(Clone)]
pub(crate) struct Poster {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
}

impl std::fmt::Debug for Poster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Poster").finish_non_exhaustive()
    }
}

impl Poster {
    /// A client for `http://` and `https://` URLs.
    pub(crate) fn new() -> Self {
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        let tls = lc_protocol::Tls::default().client_config();
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config((*tls).clone())
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .build(https);
        Self { client }
    }

    /// POSTs `body` to `url` as `application/json`; the status of the answer, which
    /// must come within `timeout` (connecting included).
    pub(crate) async fn post(
        &self,
        url: &str,
        body: Bytes,
        timeout: Duration,
    ) -> Result<u16, PostError> {
        let uri: Uri = url
            .parse()
            .map_err(|e| PostError::Unusable(format!("`{url}` is not a URL: {e}")))?;
        if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.host().is_none() {
            return Err(PostError::Unusable(format!(
                "`{url}` is not an http:// or https:// URL"
            )));
        }
        let request = Request::post(uri)
            .header(CONTENT_TYPE, "application/json")
            .header(
                USER_AGENT,
                concat!("lc-sandbox/", env!("CARGO_PKG_VERSION")),
            )
            .body(Full::new(body))
            .map_err(|e| PostError::Unusable(e.to_string()))?;
        match tokio::time::timeout(timeout, self.client.request(request)).await {
            Err(_) => Err(PostError::Timeout(timeout)),
            Ok(Err(error)) => Err(PostError::Connection(chain(&error))),
            Ok(Ok(response)) => Ok(response.status().as_u16()),
        }
    }
}

/// An error and its sources, `: `-separated (hyper's own message says little).
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
