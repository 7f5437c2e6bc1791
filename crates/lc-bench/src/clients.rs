//! The baselines: a raw tokio-tungstenite RTM client and a raw hyper Web client, as in
//! the criterion benches (`crates/lc-rtm/benches/rtm.rs`, `crates/lc-web/benches/web.rs`),
//! here also over TLS.

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use http::{Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{Connector, MaybeTlsStream, WebSocketStream};

/// The WebSocket of a raw client.
pub(crate) type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Opens a WebSocket to `url` (Nagle off, as the SDK does), trusting `tls` for wss://.
pub(crate) async fn open(url: &str, tls: Option<Arc<rustls::ClientConfig>>) -> Ws {
    let connector = tls.map(Connector::Rustls);
    let (ws, _) = tokio_tungstenite::connect_async_tls_with_config(url, None, true, connector)
        .await
        .unwrap_or_else(|e| panic!("the sandbox accepts the WebSocket {url}: {e}"));
    ws
}

/// Sends a text frame.
pub(crate) async fn send(ws: &mut Ws, frame: String) {
    ws.send(Message::text(frame)).await.expect("frame sent");
}

/// The next JSON text frame, or `None` when the connection ends.
pub(crate) async fn next_json(ws: &mut Ws) -> Option<Value> {
    loop {
        match ws.next().await? {
            Ok(Message::Text(text)) => {
                return Some(serde_json::from_str(text.as_str()).expect("a JSON frame"));
            }
            Ok(_) => continue,
            Err(_) => return None,
        }
    }
}

/// Sends a `login` and waits for its successful response; returns its payload.
pub(crate) async fn login(ws: &mut Ws, bearer: &str) -> Value {
    let login = serde_json::json!({
        "request_id": "login",
        "action": "login",
        "payload": {"token": bearer},
    });
    send(ws, login.to_string()).await;
    loop {
        let frame = next_json(ws).await.expect("the login response");
        if frame["type"] == "response" && frame["request_id"] == "login" {
            assert_eq!(frame["success"], true, "login failed: {frame}");
            return frame["payload"].clone();
        }
    }
}

/// A hand-driven RTM connection: the RTM baseline.
pub(crate) struct RawRtm {
    ws: Ws,
    next_id: u64,
}

impl RawRtm {
    /// Connects to `url` and logs in with `bearer` (`Bearer <token>`).
    pub(crate) async fn login(
        url: &str,
        bearer: &str,
        tls: Option<Arc<rustls::ClientConfig>>,
    ) -> Self {
        let mut ws = open(url, tls).await;
        login(&mut ws, bearer).await;
        Self { ws, next_id: 0 }
    }

    /// Writes one `list_routing_statuses` request (not flushed) and returns its id.
    async fn feed_request(&mut self) -> String {
        self.next_id += 1;
        let id = self.next_id.to_string();
        let frame =
            format!(r#"{{"request_id":"{id}","action":"list_routing_statuses","payload":{{}}}}"#);
        self.ws
            .feed(Message::text(frame))
            .await
            .expect("request written");
        id
    }

    /// Reads frames until every id of `pending` has its successful response.
    async fn await_responses(&mut self, pending: &mut Vec<String>) {
        while !pending.is_empty() {
            let frame = next_json(&mut self.ws)
                .await
                .expect("the connection stays open");
            if frame["type"] != "response" {
                continue;
            }
            let Some(id) = frame["request_id"].as_str() else {
                continue;
            };
            if let Some(at) = pending.iter().position(|p| p == id) {
                assert_eq!(frame["success"], true, "request failed: {frame}");
                pending.swap_remove(at);
            }
        }
    }

    /// `count` requests written back to back, then all their responses.
    pub(crate) async fn requests(&mut self, count: usize) {
        let mut pending = Vec::with_capacity(count);
        for _ in 0..count {
            pending.push(self.feed_request().await);
        }
        self.ws.flush().await.expect("requests sent");
        self.await_responses(&mut pending).await;
    }
}

/// The least any RTM client with a background reader task costs: the caller writes its
/// own frames (as [`RawRtm`] does), a reader task reads the socket and hands each
/// response to its caller through a oneshot. The gap between it and [`RawRtm`] is the
/// wake-up from the reader task to the caller; an SDK cannot avoid it without making
/// every caller read the socket.
pub(crate) struct ReaderRtm {
    sink: futures_util::stream::SplitSink<Ws, Message>,
    pending: Arc<std::sync::Mutex<HashMap<String, oneshot::Sender<Value>>>>,
    next_id: u64,
}

impl ReaderRtm {
    /// Connects to `url`, logs in with `bearer` and starts the reader task.
    pub(crate) async fn login(
        url: &str,
        bearer: &str,
        tls: Option<Arc<rustls::ClientConfig>>,
    ) -> Self {
        let mut ws = open(url, tls).await;
        login(&mut ws, bearer).await;
        let (sink, mut stream) = ws.split();
        let pending: Arc<std::sync::Mutex<HashMap<String, oneshot::Sender<Value>>>> =
            Arc::default();
        let answers = pending.clone();
        tokio::spawn(async move {
            while let Some(Ok(message)) = stream.next().await {
                let Message::Text(text) = message else {
                    continue;
                };
                let frame: Value = serde_json::from_str(text.as_str()).expect("a JSON frame");
                if frame["type"] != "response" {
                    continue;
                }
                let Some(id) = frame["request_id"].as_str() else {
                    continue;
                };
                let waiting = answers.lock().expect("not poisoned").remove(id);
                if let Some(reply) = waiting {
                    let _ = reply.send(frame);
                }
            }
        });
        Self {
            sink,
            pending,
            next_id: 0,
        }
    }

    /// `count` requests written back to back, then all their responses, each through
    /// its oneshot.
    pub(crate) async fn requests(&mut self, count: usize) {
        let mut answers = Vec::with_capacity(count);
        for _ in 0..count {
            self.next_id += 1;
            let id = self.next_id.to_string();
            let (reply, answer) = oneshot::channel();
            self.pending
                .lock()
                .expect("not poisoned")
                .insert(id.clone(), reply);
            let frame = format!(
                r#"{{"request_id":"{id}","action":"list_routing_statuses","payload":{{}}}}"#
            );
            self.sink
                .feed(Message::text(frame))
                .await
                .expect("request written");
            answers.push(answer);
        }
        self.sink.flush().await.expect("requests sent");
        for answer in answers {
            let frame = answer.await.expect("the connection stays open");
            assert_eq!(frame["success"], true, "request failed: {frame}");
        }
    }
}

/// The Web baseline: a plain hyper client and a hand-built request.
pub(crate) struct RawWeb {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    url: String,
    authorization: String,
}

impl RawWeb {
    /// A client POSTing to `url` with `Authorization: <bearer>`.
    pub(crate) fn new(url: String, bearer: &str, tls: Arc<rustls::ClientConfig>) -> Self {
        // The same socket option as lc-web's engine, so that the protocol work is compared.
        let mut http = HttpConnector::new();
        http.set_nodelay(true);
        http.enforce_http(false);
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config((*tls).clone())
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        Self {
            client: Client::builder(TokioExecutor::new()).build(connector),
            url,
            authorization: bearer.to_owned(),
        }
    }

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
