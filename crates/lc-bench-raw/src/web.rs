//! The raw Web client: a plain hyper-util client and a hand-built request.

use bytes::Bytes;
use http::{Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

/// The idle timeout of lc-web's connection pool, for [`RawWeb::new`] callers that compare
/// with lc-web's engine.
pub const ENGINE_POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// The Web baseline: a pooled hyper client POSTing a hand-built request.
#[derive(Clone)]
pub struct RawWeb {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    url: String,
    authorization: String,
}

impl RawWeb {
    /// A client POSTing to `url` with `Authorization: <authorization>`, made as lc-web's
    /// engine makes its own (so that the protocol work is compared): a rustls connector
    /// trusting `tls` that also speaks plain HTTP, and `TCP_NODELAY`. The pool closes
    /// connections idle for `pool_idle_timeout` (`None`: hyper-util's default).
    pub fn new(
        url: String,
        authorization: &str,
        tls: Arc<rustls::ClientConfig>,
        pool_idle_timeout: Option<Duration>,
    ) -> Self {
        let mut http = HttpConnector::new();
        http.set_nodelay(true);
        http.enforce_http(false);
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config((*tls).clone())
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let mut builder = Client::builder(TokioExecutor::new());
        if let Some(timeout) = pool_idle_timeout {
            builder.pool_idle_timeout(timeout);
        }
        Self {
            client: builder.build(connector),
            url,
            authorization: authorization.to_owned(),
        }
    }

    /// One `list_routing_statuses` call; asserts a 200 with a JSON array.
    pub async fn list_routing_statuses(&self) {
        let request = Request::builder()
            .method(Method::POST)
            .uri(&self.url)
            .header("authorization", &self.authorization)
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from_static(b"{}")))
            .expect("a valid request");
        let response = self.client.request(request).await.expect("a response");
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .expect("the body")
            .to_bytes();
        assert_eq!(status, StatusCode::OK, "{body:?}");
        let statuses: Value = serde_json::from_slice(&body).expect("a JSON body");
        assert!(statuses.is_array(), "{statuses}");
    }
}
