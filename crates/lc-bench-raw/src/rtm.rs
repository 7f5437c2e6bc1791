//! The raw RTM clients: tokio-tungstenite driven by hand, JSON frames written as strings
//! and read as `serde_json::Value`.

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{Connector, MaybeTlsStream, WebSocketStream};

/// The WebSocket of a raw client.
pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// The lc-rtm engine's default read buffer size (`RtmConfig::read_buffer_size`), which
/// [`RawRtm::login`] uses so that only the protocol handling is compared.
pub const ENGINE_READ_BUFFER_SIZE: usize = 16 << 10;

/// How a raw client opens its WebSocket.
#[derive(Clone, Default)]
pub struct Connect {
    /// The TLS configuration trusted for `wss://`; `None` for tokio-tungstenite's default
    /// (the webpki roots).
    pub tls: Option<Arc<rustls::ClientConfig>>,
    /// The WebSocket settings; `None` for tokio-tungstenite's defaults.
    pub config: Option<WebSocketConfig>,
}

impl Connect {
    /// Trusting `tls` for `wss://`, with tokio-tungstenite's default settings.
    pub fn tls(tls: Arc<rustls::ClientConfig>) -> Self {
        Self {
            tls: Some(tls),
            config: None,
        }
    }

    /// The same, reading into a buffer of `size` bytes (tungstenite's default: 128 KiB,
    /// zero-filled before every read) instead; a longer message still gets room for its
    /// whole length.
    pub fn read_buffer_size(mut self, size: usize) -> Self {
        let config = self.config.unwrap_or_default();
        self.config = Some(config.read_buffer_size(size));
        self
    }
}

/// Opens a WebSocket to `url` (Nagle off, as the SDK does) as `connect` says.
pub async fn open(url: &str, connect: Connect) -> Ws {
    let connector = connect.tls.map(Connector::Rustls);
    let (ws, _) =
        tokio_tungstenite::connect_async_tls_with_config(url, connect.config, true, connector)
            .await
            .unwrap_or_else(|e| panic!("the sandbox accepts the WebSocket {url}: {e}"));
    ws
}

/// Sends a text frame.
pub async fn send(ws: &mut Ws, frame: String) {
    ws.send(Message::text(frame)).await.expect("frame sent");
}

/// The next JSON text frame, or `None` when the connection ends.
pub async fn next_json(ws: &mut Ws) -> Option<Value> {
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
pub async fn login(ws: &mut Ws, bearer: &str) -> Value {
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

/// One `list_routing_statuses` request frame with `id`.
fn request_frame(id: &str) -> Message {
    Message::text(format!(
        r#"{{"request_id":"{id}","action":"list_routing_statuses","payload":{{}}}}"#
    ))
}

/// A hand-driven RTM connection: the RTM baseline. One task writes its requests and
/// reads their responses itself.
pub struct RawRtm {
    ws: Ws,
    next_id: u64,
}

impl RawRtm {
    /// Connects to `url` (default TLS roots, Nagle off and the engine's read buffer size,
    /// [`ENGINE_READ_BUFFER_SIZE`]) and logs in with `bearer` (`Bearer <token>`).
    pub async fn login(url: &str, bearer: &str) -> Self {
        let connect = Connect {
            tls: None,
            config: Some(WebSocketConfig::default().read_buffer_size(ENGINE_READ_BUFFER_SIZE)),
        };
        Self::login_with(url, bearer, connect).await
    }

    /// Connects to `url` as `connect` says and logs in with `bearer` (`Bearer <token>`).
    pub async fn login_with(url: &str, bearer: &str, connect: Connect) -> Self {
        let mut ws = open(url, connect).await;
        login(&mut ws, bearer).await;
        Self { ws, next_id: 0 }
    }

    /// Writes one `list_routing_statuses` request (not flushed) and returns its id.
    async fn feed_request(&mut self) -> String {
        self.next_id += 1;
        let id = self.next_id.to_string();
        self.ws
            .feed(request_frame(&id))
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
    pub async fn requests(&mut self, count: usize) {
        let mut pending = Vec::with_capacity(count);
        for _ in 0..count {
            pending.push(self.feed_request().await);
        }
        self.ws.flush().await.expect("requests sent");
        self.await_responses(&mut pending).await;
    }
}

/// The callers waiting for a response, by request id.
type Waiting = Arc<std::sync::Mutex<HashMap<String, oneshot::Sender<Value>>>>;

/// The least any RTM client with a background reader task costs: the caller writes its
/// own frames (as [`RawRtm`] does), a reader task reads the socket and hands each
/// response to its caller through a oneshot. The gap between it and [`RawRtm`] is the
/// wake-up from the reader task to the caller; an SDK cannot avoid it without making
/// every caller read the socket.
pub struct ReaderRtm {
    sink: futures_util::stream::SplitSink<Ws, Message>,
    pending: Waiting,
    next_id: u64,
}

impl ReaderRtm {
    /// Connects to `url` as `connect` says, logs in with `bearer` and starts the reader
    /// task.
    pub async fn login(url: &str, bearer: &str, connect: Connect) -> Self {
        let mut ws = open(url, connect).await;
        login(&mut ws, bearer).await;
        let (sink, mut stream) = ws.split();
        let pending: Waiting = Arc::default();
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
    pub async fn requests(&mut self, count: usize) {
        let mut answers = Vec::with_capacity(count);
        for _ in 0..count {
            self.next_id += 1;
            let id = self.next_id.to_string();
            let (reply, answer) = oneshot::channel();
            self.pending
                .lock()
                .expect("not poisoned")
                .insert(id.clone(), reply);
            self.sink
                .feed(request_frame(&id))
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
