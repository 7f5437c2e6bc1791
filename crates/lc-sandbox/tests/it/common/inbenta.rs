//! A small raw Inbenta client for the sandbox tests: REST over a hyper client and the
//! realtime socket over tokio-tungstenite, with raw JSON frames.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use http::{Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use lc_sandbox::{InbentaApp, NewInbentaApp, Sandbox};
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long a test waits for a frame that should come.
pub const WAIT: Duration = Duration::from_secs(5);

/// An HTTP response, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub content_type: Option<String>,
    pub headers: http::HeaderMap,
    pub body: Bytes,
}

impl Reply {
    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {:?}", self.body))
    }

    /// Asserts a 200 and returns the JSON body.
    pub fn ok(&self) -> Value {
        assert_eq!(self.status, StatusCode::OK, "body: {:?}", self.body);
        self.json()
    }

    /// Asserts the error `status` in Inbenta's shape and returns the message.
    pub fn error(&self, status: u16) -> String {
        assert_eq!(self.status.as_u16(), status, "body: {:?}", self.body);
        let body = self.json();
        assert_eq!(body["error"]["code"], status, "{body}");
        body["error"]["message"].as_str().unwrap().to_owned()
    }
}

/// A REST client bound to a sandbox.
pub struct Rest {
    client: Client<HttpConnector, Full<Bytes>>,
    base: String,
}

impl Rest {
    pub fn new(sandbox: &Sandbox) -> Rest {
        Rest {
            client: Client::builder(TokioExecutor::new()).build_http(),
            base: format!("{}/v1/", sandbox.http_url()),
        }
    }

    /// Any request: `path` is relative to `/v1/`; `headers` as given; a raw body.
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Reply {
        let mut builder = Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base));
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        if let Some(content_type) = content_type {
            builder = builder.header("content-type", content_type);
        }
        let request = builder.body(Full::new(Bytes::from(body))).unwrap();
        let response = tokio::time::timeout(WAIT, self.client.request(request))
            .await
            .expect("a response in time")
            .unwrap();
        let status = response.status();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let headers = response.headers().clone();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        Reply {
            status,
            content_type,
            headers,
            body,
        }
    }

    /// A JSON request (`body` `None`: no body).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> Reply {
        let (content_type, bytes) = match body {
            Some(body) => (Some("application/json"), body.to_string().into_bytes()),
            None => (None, Vec::new()),
        };
        self.raw(method, path, headers, content_type, bytes).await
    }

    /// Creates an end user with the app id alone: `(id, token)`.
    pub async fn new_user(&self, app: &str, name: &str) -> (String, String) {
        let body = self
            .call(
                Method::POST,
                "users",
                &[("x-hyper-appid", app)],
                Some(json!({"name": name, "contact": format!("{name}@example.com")})),
            )
            .await
            .ok();
        let id = body["user"]["id"].as_str().unwrap().to_owned();
        let token = body["session"]["token"].as_str().unwrap().to_owned();
        (id, token)
    }

    /// A multipart upload to `POST /v1/media`.
    pub async fn upload(
        &self,
        headers: &[(&str, &str)],
        chat: &str,
        sender: &str,
        file: (&str, &str, &[u8]),
    ) -> Reply {
        let boundary = "XinbentaBoundaryX";
        let (name, mime, data) = file;
        let mut body = Vec::new();
        for (field, value) in [("chatId", chat), ("senderId", sender)] {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"\r\n\r\n{value}\r\n"
                )
                .as_bytes(),
            );
        }
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"media\"; filename=\"{name}\"\r\nContent-Type: {mime}\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(data);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let content_type = format!("multipart/form-data; boundary={boundary}");
        self.raw(Method::POST, "media", headers, Some(&content_type), body)
            .await
    }
}

/// A raw realtime socket.
pub struct Ws {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    next_id: u64,
    /// Pushes received while waiting for replies, oldest first.
    pub pushes: VecDeque<Value>,
}

/// The socket URL with query credentials.
pub fn ws_url(sandbox: &Sandbox, app: &str, token: &str) -> String {
    format!("{}/v1/ws?appId={app}&token={token}", sandbox.ws_url())
}

impl Ws {
    /// Connects with `?appId=..&token=..`.
    pub async fn connect(sandbox: &Sandbox, app: &str, token: &str) -> Ws {
        Self::connect_request(ws_url(sandbox, app, token).into_client_request().unwrap()).await
    }

    /// Connects with the `x-hyper-appid` and `x-hyper-token` headers.
    pub async fn connect_with_headers(sandbox: &Sandbox, app: &str, token: &str) -> Ws {
        let mut request = format!("{}/v1/ws", sandbox.ws_url())
            .into_client_request()
            .unwrap();
        request
            .headers_mut()
            .insert("x-hyper-appid", app.parse().unwrap());
        request
            .headers_mut()
            .insert("x-hyper-token", token.parse().unwrap());
        Self::connect_request(request).await
    }

    async fn connect_request(
        request: tokio_tungstenite::tungstenite::handshake::client::Request,
    ) -> Ws {
        let (ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
        Ws {
            ws,
            next_id: 0,
            pushes: VecDeque::new(),
        }
    }

    /// Sends a raw text frame.
    pub async fn send_text(&mut self, text: &str) {
        self.ws.send(Message::text(text.to_owned())).await.unwrap();
    }

    /// Sends event `name` and returns its id (the reply is not awaited).
    pub async fn send(&mut self, name: &str, data: Value) -> String {
        self.next_id += 1;
        let id = format!("e-{}", self.next_id);
        let frame = json!({"id": id, "name": name, "data": data});
        self.send_text(&frame.to_string()).await;
        id
    }

    /// The reply to request `id` (pushes are kept aside).
    pub async fn reply(&mut self, id: &str) -> Value {
        loop {
            let frame = self.next_frame().await.expect("a reply");
            if frame.get("id").and_then(Value::as_str) == Some(id) {
                return frame;
            }
            if frame.get("id").is_none() {
                self.pushes.push_back(frame);
            }
        }
    }

    /// Sends event `name` and returns the whole reply frame.
    pub async fn request(&mut self, name: &str, data: Value) -> Value {
        let id = self.send(name, data).await;
        self.reply(&id).await
    }

    /// Sends event `name`, asserts success and returns the reply data.
    pub async fn ok(&mut self, name: &str, data: Value) -> Value {
        let frame = self.request(name, data).await;
        assert!(frame.get("error").is_none(), "{name} failed: {frame}");
        frame["data"].clone()
    }

    /// Sends event `name`, asserts failure and returns the error code.
    pub async fn fails(&mut self, name: &str, data: Value) -> u64 {
        let frame = self.request(name, data).await;
        assert!(frame.get("data").is_none(), "{name} should fail: {frame}");
        frame["error"]["code"].as_u64().unwrap()
    }

    /// The next frame as JSON, or `None` on close or after [`WAIT`].
    pub async fn next_frame(&mut self) -> Option<Value> {
        loop {
            let message = tokio::time::timeout(WAIT, self.ws.next())
                .await
                .ok()??
                .ok()?;
            match message {
                Message::Text(text) => return Some(serde_json::from_str(text.as_str()).unwrap()),
                Message::Close(_) => return None,
                _ => continue,
            }
        }
    }

    /// The next raw WebSocket item (`None` when the stream ended), or a panic after [`WAIT`].
    pub async fn raw_next(
        &mut self,
    ) -> Option<Result<Message, tokio_tungstenite::tungstenite::Error>> {
        tokio::time::timeout(WAIT, self.ws.next())
            .await
            .expect("the socket to say something in time")
    }

    /// The data of the next push named `name` (others are kept).
    pub async fn push(&mut self, name: &str) -> Value {
        self.push_where(name, |_| true).await
    }

    /// The data of the next push named `name` whose data satisfies `accept`.
    pub async fn push_where(&mut self, name: &str, accept: impl Fn(&Value) -> bool) -> Value {
        if let Some(at) = self
            .pushes
            .iter()
            .position(|p| p["name"] == name && accept(&p["data"]))
        {
            return self.pushes.remove(at).unwrap()["data"].clone();
        }
        loop {
            let frame = self
                .next_frame()
                .await
                .unwrap_or_else(|| panic!("no `{name}` push; kept: {:?}", self.pushes));
            if frame.get("id").is_none() && frame["name"] == name && accept(&frame["data"]) {
                return frame["data"].clone();
            }
            self.pushes.push_back(frame);
        }
    }

    /// Asserts that no push named `name` arrives within `within`.
    pub async fn no_push(&mut self, name: &str, within: Duration) {
        assert!(
            !self.pushes.iter().any(|p| p["name"] == name),
            "unexpected `{name}`: {:?}",
            self.pushes
        );
        let deadline = tokio::time::Instant::now() + within;
        while let Ok(Some(Ok(message))) = tokio::time::timeout_at(deadline, self.ws.next()).await {
            if let Message::Text(text) = message {
                let frame: Value = serde_json::from_str(text.as_str()).unwrap();
                assert!(frame["name"] != name, "unexpected `{name}`: {frame}");
                self.pushes.push_back(frame);
            }
        }
    }
}

/// A sandbox with one app, a REST client and helpers to make users and chats.
pub struct World {
    pub sandbox: Sandbox,
    pub app: InbentaApp,
    pub rest: Rest,
}

impl World {
    /// A sandbox with the app `spec` (its secret defaults to `s3cret`, its domain key to `dk`).
    pub async fn new(spec: NewInbentaApp) -> World {
        let sandbox = Sandbox::builder().start().await.unwrap();
        let app = sandbox.create_inbenta_app(spec.secret("s3cret").domain_key("dk"));
        let rest = Rest::new(&sandbox);
        World { sandbox, app, rest }
    }

    /// A world with the default app.
    pub async fn basic() -> World {
        World::new(NewInbentaApp::new("app-1")).await
    }

    pub fn app_id(&self) -> &str {
        &self.app.app_id
    }

    /// A new end user and a socket of theirs: `(id, token, socket)`.
    pub async fn user(&self, name: &str) -> (String, String, Ws) {
        let (id, token) = self.rest.new_user(self.app_id(), name).await;
        let ws = Ws::connect(&self.sandbox, self.app_id(), &token).await;
        (id, token, ws)
    }

    /// A socket of an existing user (an agent, say).
    pub async fn socket(&self, token: &str) -> Ws {
        Ws::connect(&self.sandbox, self.app_id(), token).await
    }

    /// Headers with the app id and the secret.
    pub fn secret_headers(&self) -> Vec<(&str, &str)> {
        vec![
            ("x-hyper-appid", self.app_id()),
            ("x-hyper-secret", "s3cret"),
        ]
    }
}

/// Creates a chat in room 1 for `user` over `ws`; returns its id.
pub async fn create_chat(ws: &mut Ws, user: &str) -> String {
    let data = ws
        .ok(
            "chats:create",
            json!({"room": "1", "source": 3, "lang": "en", "creator": user}),
        )
        .await;
    data["chat"]["id"].as_str().unwrap().to_owned()
}
