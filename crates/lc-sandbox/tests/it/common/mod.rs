//! A small raw client for the sandbox integration tests: real sockets, raw frames, so
//! that the tests check the wire and not our own SDK.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

pub mod config;
pub mod inbenta;
pub mod receiver;
pub mod web;

use futures_util::{SinkExt, StreamExt};
use lc_sandbox::{AgentHandle, CustomerHandle, NewAgent, NewCustomer, Sandbox};
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long a test waits for a frame that should come.
pub const WAIT: Duration = Duration::from_secs(5);

/// A raw RTM connection.
pub struct Rtm {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    next_id: u64,
    /// Pushes received while waiting for responses, oldest first.
    pub pushes: VecDeque<Value>,
}

impl Rtm {
    /// Connects to `/v{version}/agent/rtm/ws`.
    pub async fn agent(sandbox: &Sandbox, version: &str) -> Rtm {
        Self::connect(&format!("{}/v{version}/agent/rtm/ws", sandbox.ws_url())).await
    }

    /// Connects to `/v{version}/customer/rtm/ws?organization_id=…`.
    pub async fn customer(sandbox: &Sandbox, version: &str) -> Rtm {
        let url = format!(
            "{}/v{version}/customer/rtm/ws?organization_id={}",
            sandbox.ws_url(),
            sandbox.organization_id()
        );
        Self::connect(&url).await
    }

    /// Connects to any URL.
    pub async fn connect(url: &str) -> Rtm {
        let (ws, _) = tokio_tungstenite::connect_async(url)
            .await
            .unwrap_or_else(|e| panic!("connect {url}: {e}"));
        Rtm {
            ws,
            next_id: 0,
            pushes: VecDeque::new(),
        }
    }

    /// Sends a raw text frame.
    pub async fn send_text(&mut self, text: &str) {
        self.ws.send(Message::text(text.to_owned())).await.unwrap();
    }

    /// Sends `action` and returns the whole response frame, keeping pushes aside.
    pub async fn request(&mut self, action: &str, payload: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id.to_string();
        let frame = json!({"request_id": id, "action": action, "payload": payload});
        self.send_text(&frame.to_string()).await;
        loop {
            let frame = self
                .next_frame()
                .await
                .unwrap_or_else(|| panic!("no response to {action}"));
            if frame["type"] == "push" {
                self.pushes.push_back(frame);
            } else if frame["request_id"] == id.as_str() {
                return frame;
            }
        }
    }

    /// Like [`request`](Self::request), but `None` once the connection is closed
    /// (instead of panicking).
    pub async fn try_request(&mut self, action: &str, payload: Value) -> Option<Value> {
        self.next_id += 1;
        let id = self.next_id.to_string();
        let frame = json!({"request_id": id, "action": action, "payload": payload});
        self.ws.send(Message::text(frame.to_string())).await.ok()?;
        loop {
            let frame = self.next_frame().await?;
            if frame["type"] == "push" {
                self.pushes.push_back(frame);
            } else if frame["request_id"] == id.as_str() {
                return Some(frame);
            }
        }
    }

    /// The next raw WebSocket message (`None`: the stream ended), within [`WAIT`].
    pub async fn raw_next(
        &mut self,
    ) -> Option<Result<Message, tokio_tungstenite::tungstenite::Error>> {
        tokio::time::timeout(WAIT, self.ws.next())
            .await
            .expect("a message or the end of the stream")
    }

    /// Sends `action`, asserts success and returns the response payload.
    pub async fn ok(&mut self, action: &str, payload: Value) -> Value {
        let frame = self.request(action, payload).await;
        assert_eq!(frame["success"], true, "{action} failed: {frame}");
        frame["payload"].clone()
    }

    /// Sends `action`, asserts failure and returns the error type.
    pub async fn fails(&mut self, action: &str, payload: Value) -> String {
        let frame = self.request(action, payload).await;
        assert_eq!(frame["success"], false, "{action} should fail: {frame}");
        frame["payload"]["error"]["type"]
            .as_str()
            .unwrap()
            .to_owned()
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

    /// The next push named `name` (skipping others), with the whole envelope.
    pub async fn push(&mut self, name: &str) -> Value {
        self.push_where(name, |_| true).await
    }

    /// The next push named `name` whose envelope satisfies `accept` (others are kept).
    pub async fn push_where(&mut self, name: &str, accept: impl Fn(&Value) -> bool) -> Value {
        if let Some(at) = self
            .pushes
            .iter()
            .position(|p| p["action"] == name && accept(p))
        {
            return self.pushes.remove(at).unwrap();
        }
        loop {
            let frame = self
                .next_frame()
                .await
                .unwrap_or_else(|| panic!("no matching `{name}` push"));
            if frame["type"] == "push" && frame["action"] == name && accept(&frame) {
                return frame;
            }
            self.pushes.push_back(frame);
        }
    }

    /// The next response frame (pushes are kept aside).
    pub async fn next_response(&mut self) -> Value {
        loop {
            let frame = self.next_frame().await.expect("a response");
            if frame["type"] == "push" {
                self.pushes.push_back(frame);
            } else {
                return frame;
            }
        }
    }

    /// Asserts that no push named `name` arrives within `within`.
    pub async fn no_push(&mut self, name: &str, within: Duration) {
        assert!(
            !self.pushes.iter().any(|p| p["action"] == name),
            "unexpected `{name}`: {:?}",
            self.pushes
        );
        let deadline = tokio::time::Instant::now() + within;
        while let Ok(Some(Ok(message))) = tokio::time::timeout_at(deadline, self.ws.next()).await {
            if let Message::Text(text) = message {
                let frame: Value = serde_json::from_str(text.as_str()).unwrap();
                assert!(frame["action"] != name, "unexpected `{name}`: {frame}");
                self.pushes.push_back(frame);
            }
        }
    }

    /// Waits until the server closes the connection; returns the frames seen before.
    pub async fn closed(&mut self) -> Vec<Value> {
        let mut frames = Vec::new();
        loop {
            match tokio::time::timeout(Duration::from_secs(40), self.ws.next()).await {
                Err(_) => panic!("the connection was not closed"),
                Ok(None | Some(Err(_)) | Some(Ok(Message::Close(_)))) => return frames,
                Ok(Some(Ok(Message::Text(text)))) => {
                    frames.push(serde_json::from_str(text.as_str()).unwrap())
                }
                Ok(Some(Ok(_))) => {}
            }
        }
    }

    /// Sends a WebSocket control ping.
    pub async fn control_ping(&mut self) {
        self.ws
            .send(Message::Ping(Vec::new().into()))
            .await
            .unwrap();
    }
}

/// A sandbox with one agent and one customer.
pub struct World {
    pub sandbox: Sandbox,
    pub agent: AgentHandle,
    pub customer: CustomerHandle,
}

impl World {
    pub async fn new() -> World {
        World::with(Sandbox::builder()).await
    }

    /// A world on a sandbox configured by `builder`.
    pub async fn with(builder: lc_sandbox::SandboxBuilder) -> World {
        let sandbox = builder.start().await.unwrap();
        let agent = sandbox.create_agent(NewAgent::new("smith@example.com").name("Agent Smith"));
        let customer = sandbox.create_customer(NewCustomer::new().name("Jane"));
        World {
            sandbox,
            agent,
            customer,
        }
    }

    /// An agent connection, logged in.
    pub async fn agent_rtm(&self, version: &str) -> Rtm {
        let mut rtm = Rtm::agent(&self.sandbox, version).await;
        rtm.ok("login", json!({"token": self.agent.bearer().expose()}))
            .await;
        rtm
    }

    /// An agent connection of `version`, logged in to hear about every online customer.
    pub async fn watching_agent_rtm(&self, version: &str) -> Rtm {
        let mut rtm = Rtm::agent(&self.sandbox, version).await;
        let login = json!({
            "token": self.agent.bearer().expose(),
            "customer_monitoring_level": "online",
        });
        rtm.ok("login", login).await;
        rtm
    }

    /// A customer connection, logged in.
    pub async fn customer_rtm(&self, version: &str) -> Rtm {
        let mut rtm = Rtm::customer(&self.sandbox, version).await;
        rtm.ok("login", json!({"token": self.customer.bearer().expose()}))
            .await;
        rtm
    }

    /// The customer starts a chat with "hi" (API 3.6), routed to the agent: the agent's
    /// connection (past its `incoming_chat`), the customer's and the chat id.
    pub async fn started_chat(&self) -> (Rtm, Rtm, String) {
        let mut agent = self.agent_rtm("3.6").await;
        let mut customer = self.customer_rtm("3.6").await;
        let started = customer
            .ok(
                "start_chat",
                json!({"chat": {"thread": {"events": [{"type": "message", "text": "hi"}]}}}),
            )
            .await;
        agent.push("incoming_chat").await;
        let chat_id = started["chat_id"].as_str().unwrap().to_owned();
        (agent, customer, chat_id)
    }
}
