//! What the Web benches share: the raw hyper client they measure the SDK against.

use bytes::Bytes;
use http::{Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

/// The baseline: a plain hyper client and a hand-built request.
#[derive(Clone)]
pub(crate) struct RawWeb {
    pub(crate) client: Client<HttpConnector, Full<Bytes>>,
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
    /// A pooled client with `TCP_NODELAY`, as in lc-web's engine (so that the protocol
    /// work is compared), for `url` with `authorization`.
    pub(crate) fn new(url: String, authorization: String) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        Self {
            client: Client::builder(TokioExecutor::new()).build(connector),
            url,
            authorization,
        }
    }
}
