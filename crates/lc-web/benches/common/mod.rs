//! What the Web benches share: the raw hyper client they measure the SDK against.

use bytes::Bytes;
use http::{Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

/// The baseline: a plain hyper client and a hand-built request.
#[derive(Clone)]
pub(crate) struct RawWeb {
    pub(crate) client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    pub(crate) url: String,
    pub(crate) authorization: String,
}

impl RawWeb {
    /// One `list_routing_statuses` call; asserts a 200 with a JSON array.
    pub(crate) async fn list_routing_statuses(&self) {
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

impl RawWeb {
    /// A pooled client as lc-web's engine makes it (so that the protocol work is
    /// compared): a rustls connector that also speaks plain HTTP, `TCP_NODELAY`, the same
    /// pool settings; for `url` with `authorization`.
    pub(crate) fn new(url: String, authorization: String) -> Self {
        let mut http = HttpConnector::new();
        http.set_nodelay(true);
        http.enforce_http(false);
        let tls = lc_web::WebConfig::default().tls.client_config();
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config((*tls).clone())
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        Self {
            client: Client::builder(TokioExecutor::new())
                .pool_idle_timeout(std::time::Duration::from_secs(60))
                .build(connector),
            url,
            authorization,
        }
    }
}
