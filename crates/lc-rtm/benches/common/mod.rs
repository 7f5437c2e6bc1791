//! What the RTM benches share: the raw tokio-tungstenite client they measure the SDK
//! against.

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// A hand-driven RTM connection: the baseline.
pub(crate) struct RawRtm {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    next_id: u64,
}

impl RawRtm {
    /// Connects to `url` and logs in with `bearer` (`Bearer <token>`).
    pub(crate) async fn login(url: &str, bearer: &str) -> RawRtm {
        // Nagle off and the engine's read buffer size (`RtmConfig::read_buffer_size`), so
        // that only the protocol handling is compared.
        let config = WebSocketConfig::default().read_buffer_size(16 << 10);
        let (ws, _) = tokio_tungstenite::connect_async_with_config(url, Some(config), true)
            .await
            .expect("the sandbox accepts the WebSocket");
        let mut rtm = RawRtm { ws, next_id: 0 };
        let login = serde_json::json!({
            "request_id": "login",
            "action": "login",
            "payload": {"token": bearer},
        });
        rtm.ws
            .send(Message::text(login.to_string()))
            .await
            .expect("login sent");
        let mut pending = vec!["login".to_owned()];
        rtm.await_responses(&mut pending).await;
        rtm
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
            let message = self
                .ws
                .next()
                .await
                .expect("the connection stays open")
                .expect("a frame");
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
