//! Load: 1,000 customers and 50 agents chatting over RTM against one sandbox, and nothing
//! is lost — every event sent arrives exactly once at each recipient (the chat's customer
//! and its agent), counted as `incoming_event` per (chat, event id) on both sides.
//!
//! Bounded to run in well under a minute in a debug build on two cores: one tokio runtime
//! with one task per client (1,050 sockets, 2,100 file descriptors with the server's side,
//! well under the usual `ulimit -n`), handshakes in waves of [`WAVE`], and [`MESSAGES`]
//! messages per side per chat (10,000 messages, 20,000 deliveries; about 10 s).

#![allow(clippy::unwrap_used)]

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use lc_sandbox::{NewAgent, NewCustomer, Sandbox};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use tokio::sync::{Semaphore, watch};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

const CUSTOMERS: usize = 1_000;
const AGENTS: usize = 50;
/// Messages each side sends in each chat.
const MESSAGES: usize = 5;
/// Clients connecting and logging in at the same time.
const WAVE: usize = 100;
/// Requests a client keeps in flight (the sandbox allows 10 pending).
const WINDOW: usize = 8;
/// The whole exchange must be over by then.
const BOUND: Duration = Duration::from_secs(50);

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;
/// (chat id, event id).
type Key = (String, String);

/// What one client saw and did.
#[derive(Default)]
struct Tally {
    /// Events it sent (from the `send_event` responses).
    sent: Vec<Key>,
    /// `incoming_event` pushes of messages it received, per (chat, event).
    received: HashMap<Key, u32>,
}

/// Completion counters shared by every client.
#[derive(Default)]
struct Progress {
    /// Chats in which the customer has seen every message of both sides.
    customer_done: AtomicUsize,
    /// Chats in which the agent has seen every message of both sides.
    agent_done: AtomicUsize,
}

/// One RTM client: a socket, its requests in flight, its queued messages and its tally.
struct Client {
    sink: SplitSink<Ws, Message>,
    stream: SplitStream<Ws>,
    next_id: u64,
    /// Request id → chat of each `send_event` in flight.
    in_flight: HashMap<String, String>,
    /// Chats to send a message to, in order.
    queue: VecDeque<String>,
    /// Messages seen per chat.
    seen: HashMap<String, usize>,
    /// Whether it answers `incoming_chat` with messages (agents do).
    answers_chats: bool,
    tally: Tally,
}

impl Client {
    /// Connects to `url` and logs in with `token`; agents answer new chats.
    async fn login(url: &str, token: &str, answers_chats: bool) -> Client {
        let (ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
        let (sink, stream) = ws.split();
        let mut client = Client {
            sink,
            stream,
            next_id: 0,
            in_flight: HashMap::new(),
            queue: VecDeque::new(),
            seen: HashMap::new(),
            answers_chats,
            tally: Tally::default(),
        };
        let response = client.call("login", json!({"token": token})).await;
        assert_eq!(response["success"], true, "{response}");
        client
    }

    /// Sends a request; returns its id.
    async fn send(&mut self, action: &str, payload: Value) -> String {
        self.next_id += 1;
        let id = self.next_id.to_string();
        let frame = json!({"request_id": id, "action": action, "payload": payload});
        self.sink
            .send(Message::text(frame.to_string()))
            .await
            .unwrap();
        id
    }

    /// Sends a request and handles frames until its response, which it returns.
    async fn call(&mut self, action: &str, payload: Value) -> Value {
        let id = self.send(action, payload).await;
        loop {
            let frame = self.next_frame().await;
            if frame["type"] == "response" && frame["request_id"] == id.as_str() {
                return frame;
            }
            self.handle(frame);
        }
    }

    /// The next frame as JSON.
    async fn next_frame(&mut self) -> Value {
        loop {
            match self.stream.next().await {
                Some(Ok(Message::Text(text))) => {
                    return serde_json::from_str(text.as_str()).unwrap();
                }
                Some(Ok(Message::Close(_))) | None => panic!("connection closed"),
                Some(Ok(_)) => {}
                Some(Err(e)) => panic!("read failed: {e}"),
            }
        }
    }

    /// Sends queued messages while fewer than [`WINDOW`] requests are in flight.
    async fn pump(&mut self, label: &str) {
        while self.in_flight.len() < WINDOW {
            let Some(chat) = self.queue.pop_front() else {
                return;
            };
            let text = format!("{label} in {chat}");
            let payload = json!({"chat_id": chat, "event": {"type": "message", "text": text}});
            let id = self.send("send_event", payload).await;
            self.in_flight.insert(id, chat);
        }
    }

    /// Books a frame: `send_event` responses, `incoming_chat` (the agent answers with
    /// [`MESSAGES`] messages) and message `incoming_event`s. Returns the chat whose
    /// messages are now all seen, if any.
    fn handle(&mut self, frame: Value) -> Option<String> {
        match (frame["type"].as_str(), frame["action"].as_str()) {
            (Some("response"), Some("send_event")) => {
                let id = frame["request_id"].as_str().unwrap_or_default();
                let chat = self.in_flight.remove(id).expect("a send_event in flight");
                assert_eq!(frame["success"], true, "{frame}");
                let event = frame["payload"]["event_id"].as_str().unwrap().to_owned();
                self.tally.sent.push((chat, event));
                None
            }
            (Some("push"), Some("incoming_chat")) if self.answers_chats => {
                let chat = frame["payload"]["chat"]["id"].as_str().unwrap();
                self.queue
                    .extend(std::iter::repeat_n(chat.to_owned(), MESSAGES));
                None
            }
            (Some("push"), Some("incoming_event")) => {
                let payload = &frame["payload"];
                if payload["event"]["type"] != "message" {
                    return None;
                }
                let chat = payload["chat_id"].as_str().unwrap().to_owned();
                let event = payload["event"]["id"].as_str().unwrap().to_owned();
                *self
                    .tally
                    .received
                    .entry((chat.clone(), event))
                    .or_default() += 1;
                let seen = self.seen.entry(chat.clone()).or_default();
                *seen += 1;
                (*seen == 2 * MESSAGES).then_some(chat)
            }
            _ => None,
        }
    }

    /// Exchanges messages until `stop`, counting chats completed in `done`; then makes
    /// sure nothing is left in transit (a `ping` answered after every earlier frame) and
    /// returns the tally.
    async fn run(
        mut self,
        label: String,
        done: &AtomicUsize,
        mut stop: watch::Receiver<bool>,
    ) -> Tally {
        loop {
            self.pump(&label).await;
            tokio::select! {
                message = self.stream.next() => {
                    let frame = match message {
                        Some(Ok(Message::Text(text))) => serde_json::from_str(text.as_str()).unwrap(),
                        Some(Ok(_)) => continue,
                        other => panic!("{label}: connection ended: {other:?}"),
                    };
                    if self.handle(frame).is_some() {
                        done.fetch_add(1, Ordering::SeqCst);
                    }
                }
                _ = stop.wait_for(|stop| *stop) => break,
            }
        }
        assert!(
            self.in_flight.is_empty() && self.queue.is_empty(),
            "{label}"
        );
        let flushed = self.call("ping", json!({})).await;
        assert_eq!(flushed["success"], true);
        let _ = self.sink.close().await;
        self.tally
    }
}

/// Waits until both sides have completed every chat, or the bound passes.
async fn wait_for_completion(progress: &Progress, started: Instant) {
    while progress.customer_done.load(Ordering::SeqCst) < CUSTOMERS
        || progress.agent_done.load(Ordering::SeqCst) < CUSTOMERS
    {
        assert!(
            started.elapsed() < BOUND,
            "not done within {BOUND:?}: customers {}, agents {} of {CUSTOMERS}",
            progress.customer_done.load(Ordering::SeqCst),
            progress.agent_done.load(Ordering::SeqCst)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Merges the `received` counts of several clients.
fn merged(tallies: &[Tally]) -> HashMap<Key, u32> {
    let mut all = HashMap::new();
    for tally in tallies {
        for (key, count) in &tally.received {
            *all.entry(key.clone()).or_default() += count;
        }
    }
    all
}

/// Asserts that every sent event was received exactly once by `side`, and nothing else.
fn assert_exactly_once(side: &str, sent: &HashSet<Key>, received: &HashMap<Key, u32>) {
    let missing = sent.iter().filter(|k| !received.contains_key(*k)).count();
    let duplicated = received.values().filter(|c| **c > 1).count();
    let unknown = received.keys().filter(|k| !sent.contains(*k)).count();
    assert_eq!(
        (missing, duplicated, unknown),
        (0, 0, 0),
        "{side}: missing, duplicated, unknown events"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_customers_and_fifty_agents_chat_and_every_event_arrives_exactly_once() {
    let started = Instant::now();
    let sandbox = Sandbox::builder()
        .login_deadline(Duration::from_secs(120))
        .idle_timeout(Duration::from_secs(120))
        .start()
        .await
        .unwrap();
    let agent_url = format!("{}/v3.6/agent/rtm/ws", sandbox.ws_url());
    let customer_url = format!(
        "{}/v3.6/customer/rtm/ws?organization_id={}",
        sandbox.ws_url(),
        sandbox.organization_id()
    );
    let progress = Arc::new(Progress::default());
    let (stop_tx, stop) = watch::channel(false);
    let wave = Arc::new(Semaphore::new(WAVE));

    let mut agents = Vec::new();
    for n in 0..AGENTS {
        let handle = sandbox.create_agent(NewAgent::new(format!("agent{n}@example.com")));
        let token = handle.bearer().expose().to_owned();
        let client = Client::login(&agent_url, &token, true).await;
        let (progress, stop) = (progress.clone(), stop.clone());
        agents.push(tokio::spawn(async move {
            client
                .run(format!("agent {n}"), &progress.agent_done, stop)
                .await
        }));
    }

    let mut customers = Vec::new();
    for n in 0..CUSTOMERS {
        let handle = sandbox.create_customer(NewCustomer::new().name(format!("Customer {n}")));
        let token = handle.bearer().expose().to_owned();
        let (url, wave) = (customer_url.clone(), wave.clone());
        let (progress, stop) = (progress.clone(), stop.clone());
        customers.push(tokio::spawn(async move {
            let permit = wave.acquire_owned().await.unwrap();
            let mut client = Client::login(&url, &token, false).await;
            drop(permit);
            let started = client.call("start_chat", json!({})).await;
            assert_eq!(started["success"], true, "{started}");
            let chat = started["payload"]["chat_id"].as_str().unwrap().to_owned();
            client
                .queue
                .extend(std::iter::repeat_n(chat.clone(), MESSAGES));
            client
                .run(format!("customer {n}"), &progress.customer_done, stop)
                .await
        }));
    }

    wait_for_completion(&progress, started).await;
    stop_tx.send(true).unwrap();
    let mut agent_tallies = Vec::new();
    for agent in agents {
        agent_tallies.push(agent.await.unwrap());
    }
    let mut customer_tallies = Vec::new();
    for customer in customers {
        customer_tallies.push(customer.await.unwrap());
    }

    let sent: HashSet<Key> = agent_tallies
        .iter()
        .chain(&customer_tallies)
        .flat_map(|t| t.sent.iter().cloned())
        .collect();
    assert_eq!(sent.len(), CUSTOMERS * MESSAGES * 2, "distinct events sent");
    assert_exactly_once("customers", &sent, &merged(&customer_tallies));
    assert_exactly_once("agents", &sent, &merged(&agent_tallies));
    let busiest = agent_tallies
        .iter()
        .map(|t| t.sent.len())
        .max()
        .unwrap_or(0);
    assert!(
        busiest <= (CUSTOMERS / AGENTS + 1) * MESSAGES,
        "chats are spread over the agents (busiest sent {busiest})"
    );
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
    sandbox.shutdown().await;
}
