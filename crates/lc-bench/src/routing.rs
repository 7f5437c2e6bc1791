//! `lc-bench routing`: the load generator of the lc-sandbox routing benchmark. It is
//! kept cheap so that the sandbox gets the CPU: each frame is read into a small struct of
//! the fields checked, borrowed from the frame (the payload kept as raw JSON, read only
//! for the pushes the generator acts on), and each frame sent is written straight from a
//! borrowed struct. Every frame is still checked: a response must answer the request
//! waited for and succeed, a message push must be for the connection's chat.

use crate::Flavour;
use crate::roles::{Result, emit, start_chat, tokens};
use clap::Args;
use futures_util::{SinkExt, StreamExt};
use lc_bench::{Line, cpu_time, raise_open_files};
use lc_bench_raw::rtm::{self as raw_rtm, Connect, Ws};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

/// The options of `lc-bench routing`.
#[derive(Debug, Args)]
pub(crate) struct RoutingOptions {
    /// The sandbox's `ws://host:port`.
    #[arg(long)]
    ws: String,
    /// The organization id.
    #[arg(long)]
    org: String,
    /// The agents' tokens, one a line.
    #[arg(long)]
    agents: PathBuf,
    /// The customers' tokens, one a line (as many as agents).
    #[arg(long)]
    customers: PathBuf,
    /// Round trips each customer makes.
    #[arg(long, default_value_t = 10)]
    rounds: u64,
}

/// What the load generator reads of a frame (other fields are skipped unread).
#[derive(Debug, Deserialize)]
struct Frame<'a> {
    /// `response` or `push`.
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(borrow)]
    action: Cow<'a, str>,
    #[serde(borrow, default)]
    request_id: Option<Cow<'a, str>>,
    /// Responses only.
    #[serde(default)]
    success: Option<bool>,
    #[serde(borrow, default)]
    payload: Option<&'a RawValue>,
}

/// The payload of an `incoming_event` push, as far as it is checked.
#[derive(Debug, Deserialize)]
struct IncomingEvent<'a> {
    #[serde(borrow)]
    chat_id: Cow<'a, str>,
    #[serde(borrow)]
    event: Event<'a>,
}

/// An event of an `incoming_event` push, as far as it is checked.
#[derive(Debug, Deserialize)]
struct Event<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(borrow, default)]
    text: Option<Cow<'a, str>>,
}

impl IncomingEvent<'_> {
    /// The text of a message event (`None` for other events).
    fn message(&self) -> Option<&str> {
        (self.event.kind == "message")
            .then_some(self.event.text.as_deref())
            .flatten()
    }
}

/// A `send_event` request of a message, written as JSON without an intermediate value.
#[derive(Debug, Serialize)]
struct SendMessage<'a> {
    request_id: &'a str,
    action: &'static str,
    payload: SendPayload<'a>,
}

/// The payload of [`SendMessage`].
#[derive(Debug, Serialize)]
struct SendPayload<'a> {
    chat_id: &'a str,
    event: NewMessage<'a>,
}

/// The message event of [`SendPayload`].
#[derive(Debug, Serialize)]
struct NewMessage<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    text: &'a str,
}

/// The text frame of a `send_event` request `request_id` with message `text` in `chat`.
fn send_message(request_id: &str, chat: &str, text: &str) -> Message {
    let frame = SendMessage {
        request_id,
        action: "send_event",
        payload: SendPayload {
            chat_id: chat,
            event: NewMessage {
                kind: "message",
                text,
            },
        },
    };
    Message::text(serde_json::to_string(&frame).expect("a request serializes"))
}

/// The next text frame, `None` when the connection ends (control frames are answered by
/// tungstenite and skipped).
async fn next_text(ws: &mut Ws) -> Option<Utf8Bytes> {
    loop {
        match ws.next().await? {
            Ok(Message::Text(text)) => return Some(text),
            Ok(_) => continue,
            Err(_) => return None,
        }
    }
}

/// `text` read as a [`Frame`].
fn frame(text: &str) -> Result<Frame<'_>> {
    serde_json::from_str(text).map_err(|e| format!("an unexpected frame ({e}): {text}"))
}

/// The checked payload of an `incoming_event` push.
fn incoming_event<'a>(frame: &Frame<'a>, text: &str) -> Result<IncomingEvent<'a>> {
    let payload = frame.payload.ok_or_else(|| format!("no payload: {text}"))?;
    serde_json::from_str(payload.get()).map_err(|e| format!("an unexpected push ({e}): {text}"))
}

/// Fails on a response that is not the successful answer to `request_id`.
fn check_response(frame: &Frame<'_>, request_id: &str, text: &str) -> Result {
    if frame.request_id.as_deref() != Some(request_id) {
        return Err(format!(
            "a response to another request than {request_id}: {text}"
        ));
    }
    if frame.success != Some(true) {
        return Err(format!("{request_id} failed: {text}"));
    }
    Ok(())
}

/// The read buffer of the load generator's connections: tungstenite zero-fills its free
/// room before every read, and the frames read here are a few hundred bytes (a longer
/// frame still gets room for its whole length).
const READ_BUFFER_SIZE: usize = 4 << 10;

/// A WebSocket to `url` reading into [`READ_BUFFER_SIZE`], logged in with `token`.
async fn logged_in(url: &str, token: &str) -> Ws {
    let connect = Connect::default().read_buffer_size(READ_BUFFER_SIZE);
    let mut ws = raw_rtm::open(url, connect).await;
    raw_rtm::login(&mut ws, &format!("Bearer {token}")).await;
    ws
}

/// Customer/agent pairs on raw connections: each customer starts a chat, then sends
/// `rounds` messages, each once the agent's answer to the previous one arrived; agents
/// answer every customer message. Prints `lc-bench measuring` when every chat is
/// started, then the row; fails when any frame was not as expected.
///
/// The connections run on a current-thread runtime: the generator only offers load, and
/// one thread that takes every ready socket of a poll in turn does the same work with
/// far fewer wake-ups than two workers that park and wake each other (and the sandbox,
/// sent its frames in bursts, parks less often too).
pub(crate) fn routing(options: RoutingOptions) -> Result {
    raise_open_files();
    let agents = tokens(&options.agents)?;
    let customers = tokens(&options.customers)?;
    let runtime = Flavour::Current.runtime();
    runtime.block_on(async {
        // Logins 50 at a time (the sandbox closes a connection idle for 30 s, so the
        // setup must not take that long).
        let setup = Arc::new(tokio::sync::Semaphore::new(50));
        let mut logins = Vec::new();
        for token in agents {
            let url = format!("{}/v3.6/agent/rtm/ws", options.ws);
            let setup = setup.clone();
            logins.push(tokio::spawn(async move {
                let _permit = setup.acquire().await;
                logged_in(&url, &token).await
            }));
        }
        // The first problem an agent met, and how many agents met one.
        let failures = Arc::new(AtomicU64::new(0));
        let first_failure = Arc::new(std::sync::Mutex::new(None));
        let mut agent_tasks = Vec::new();
        for login in logins {
            let ws = login.await.map_err(|e| e.to_string())?;
            let (failures, first_failure) = (failures.clone(), first_failure.clone());
            agent_tasks.push(tokio::spawn(async move {
                if let Err(problem) = answer(ws).await {
                    failures.fetch_add(1, Ordering::SeqCst);
                    let mut first = first_failure.lock().unwrap_or_else(|p| p.into_inner());
                    first.get_or_insert(problem);
                }
            }));
        }
        let pairs = customers.len();
        let ready = Arc::new(tokio::sync::Barrier::new(pairs + 1));
        let start = Arc::new(tokio::sync::Barrier::new(pairs + 1));
        let mut customer_tasks = Vec::new();
        for token in customers {
            let url = format!(
                "{}/v3.6/customer/rtm/ws?organization_id={}",
                options.ws, options.org
            );
            let (setup, ready, start, rounds) =
                (setup.clone(), ready.clone(), start.clone(), options.rounds);
            customer_tasks.push(tokio::spawn(async move {
                let permit = setup.acquire().await;
                let mut ws = logged_in(&url, &token).await;
                let chat = start_chat(&mut ws).await;
                drop(permit);
                ready.wait().await;
                start.wait().await;
                let outcome = converse(&mut ws, &chat, rounds).await;
                (ws, outcome)
            }));
        }
        ready.wait().await;
        emit(&Line::new("measuring"));
        // Let the parent read the sandbox's CPU first.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let wall = Instant::now();
        let cpu = cpu_time();
        start.wait().await;
        let mut kept = Vec::new();
        let mut problems = Vec::new();
        for task in customer_tasks {
            let (ws, outcome) = task.await.map_err(|e| e.to_string())?;
            kept.push(ws);
            if let Err(problem) = outcome {
                problems.push(problem);
            }
        }
        let wall = wall.elapsed();
        let cpu = cpu_time() - cpu;
        for task in agent_tasks {
            task.abort();
        }
        if let Some(problem) = problems.first() {
            return Err(format!(
                "{} customers failed, first: {problem}",
                problems.len()
            ));
        }
        let failed = failures.load(Ordering::SeqCst);
        if failed > 0 {
            let first = first_failure
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .take();
            return Err(format!(
                "{failed} agents failed, first: {}",
                first.unwrap_or_default()
            ));
        }
        emit(
            &Line::new("row")
                .field("pairs", pairs)
                .field("round_trips", pairs as u64 * options.rounds)
                .field("wall_us", wall.as_micros())
                .field("client_cpu_us", cpu.as_micros()),
        );
        Ok(())
    })
}

/// A customer's side: `rounds` times, sends `hi` to `chat` and waits for both the
/// successful response and the agent's `re` pushed in that chat.
async fn converse(ws: &mut Ws, chat: &str, rounds: u64) -> Result {
    let mut request_id = String::new();
    for n in 0..rounds {
        request_id.clear();
        let _ = write!(request_id, "m{n}");
        ws.send(send_message(&request_id, chat, "hi"))
            .await
            .map_err(|e| format!("sending {request_id}: {e}"))?;
        let (mut answered, mut replied) = (false, false);
        while !(answered && replied) {
            let text = next_text(ws)
                .await
                .ok_or_else(|| format!("the connection ended before {request_id}'s answer"))?;
            let frame = frame(&text)?;
            match frame.kind.as_ref() {
                "response" if !answered => {
                    check_response(&frame, &request_id, &text)?;
                    answered = true;
                }
                "push" if frame.action == "incoming_event" => {
                    let push = incoming_event(&frame, &text)?;
                    if push.chat_id != chat {
                        return Err(format!("a push for another chat than {chat}: {text}"));
                    }
                    match push.message() {
                        Some("re") if !replied => replied = true,
                        // Its own message pushed back to its author; other events
                        // (system messages of the chat's start).
                        Some("hi") | None => {}
                        Some(_) => return Err(format!("an unexpected message in {chat}: {text}")),
                    }
                }
                "push" => {}
                _ => return Err(format!("an unexpected frame: {text}")),
            }
        }
    }
    Ok(())
}

/// An agent's side: answers every customer message `hi` with `re` in the push's chat,
/// and checks that each of its own requests succeeds, in order. Runs until the
/// connection ends.
async fn answer(mut ws: Ws) -> Result {
    // Requests sent and answered so far.
    let (mut sent, mut answered) = (0u64, 0u64);
    let mut request_id = String::new();
    while let Some(text) = next_text(&mut ws).await {
        let frame = frame(&text)?;
        match frame.kind.as_ref() {
            "response" => {
                answered += 1;
                if answered > sent {
                    return Err(format!("a response to no request: {text}"));
                }
                request_id.clear();
                let _ = write!(request_id, "r{answered}");
                check_response(&frame, &request_id, &text)?;
            }
            "push" if frame.action == "incoming_event" => {
                let push = incoming_event(&frame, &text)?;
                match push.message() {
                    Some("hi") => {
                        sent += 1;
                        request_id.clear();
                        let _ = write!(request_id, "r{sent}");
                        let reply = send_message(&request_id, &push.chat_id, "re");
                        ws.send(reply)
                            .await
                            .map_err(|e| format!("sending {request_id}: {e}"))?;
                    }
                    // Its own answer pushed back to its author; other events.
                    Some("re") | None => {}
                    Some(_) => return Err(format!("an unexpected message: {text}")),
                }
            }
            "push" => {}
            _ => return Err(format!("an unexpected frame: {text}")),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_response_passes_only_as_the_successful_answer_to_its_request() {
        let ok = r#"{"request_id":"m3","action":"send_event","type":"response","success":true,"payload":{"event_id":"e1"}}"#;
        let read = frame(ok).expect("a response frame");
        assert_eq!(read.kind, "response");
        assert!(check_response(&read, "m3", ok).is_ok());
        assert!(check_response(&read, "m4", ok).is_err(), "another request");
        let failed = r#"{"request_id":"m3","action":"send_event","type":"response","success":false,"payload":{"error":{"type":"validation","message":"no"}}}"#;
        let read = frame(failed).expect("a failure frame");
        assert!(check_response(&read, "m3", failed).is_err(), "a failure");
        assert!(frame("not json").is_err());
        assert!(frame(r#"{"action":"x"}"#).is_err(), "no type");
    }

    #[test]
    fn an_incoming_event_push_gives_its_chat_and_message_text() {
        let push = r#"{"action":"incoming_event","type":"push","payload":{"chat_id":"C\"1","thread_id":"T1","event":{"id":"e","created_at":"x","type":"message","text":"r\u00e9","author_id":"a@b"}}}"#;
        let read = frame(push).expect("a push frame");
        assert_eq!(
            (read.kind.as_ref(), read.action.as_ref()),
            ("push", "incoming_event")
        );
        let event = incoming_event(&read, push).expect("an incoming_event payload");
        assert_eq!(event.chat_id, "C\"1", "escaped text is unescaped");
        assert_eq!(event.message(), Some("ré"));
        let system = r#"{"action":"incoming_event","type":"push","payload":{"chat_id":"C1","event":{"type":"system_message","text":"joined"}}}"#;
        let read = frame(system).expect("a push frame");
        let event = incoming_event(&read, system).expect("an incoming_event payload");
        assert_eq!(event.message(), None, "not a message");
        let wrong = r#"{"action":"incoming_event","type":"push","payload":{"chat_id":"C1"}}"#;
        let read = frame(wrong).expect("a push frame");
        assert!(incoming_event(&read, wrong).is_err(), "no event");
    }

    #[test]
    fn a_message_request_is_the_json_the_sandbox_expects() {
        let Message::Text(text) = send_message("r7", "C\"1", "re") else {
            panic!("a text frame");
        };
        let sent: serde_json::Value = serde_json::from_str(text.as_str()).expect("JSON");
        assert_eq!(
            sent,
            serde_json::json!({
                "request_id": "r7",
                "action": "send_event",
                "payload": {"chat_id": "C\"1", "event": {"type": "message", "text": "re"}},
            })
        );
    }
}
