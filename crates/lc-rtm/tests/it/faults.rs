//! Network faults the engine must survive, each reproduced over real sockets: against
//! lc-sandbox, or against a bare WebSocket / TCP server written here when the sandbox
//! cannot produce the fault (a peer that stops reading, refused handshakes, oversize
//! frames).

#![allow(clippy::unwrap_used, clippy::result_large_err)]

use crate::common::{HeaderSession, WAIT, config, connected, next};
use futures_util::{SinkExt, StreamExt};
use lc_protocol::auth::TokenProvider;
use lc_protocol::id::Token;
use lc_protocol::wire::inbenta::{Inbenta, decode_request};
use lc_protocol::{Error, ErrorType, Transport, TransportFailure, agent};
use lc_rtm::{AgentSession, CustomerSession, PushStream, RtmClient, RtmConfig, RtmEvent};
use lc_sandbox::{AgentHandle, NewAgent, NewCustomer, Sandbox};
use serde_json::value::RawValue;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

async fn world() -> (Sandbox, AgentHandle) {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let agent = sandbox.create_agent(NewAgent::new("smith@example.com"));
    (sandbox, agent)
}

fn agent_client(
    sandbox: &Sandbox,
    tokens: impl TokenProvider,
    config: RtmConfig,
) -> RtmClient<AgentSession> {
    RtmClient::connect(
        AgentSession::agent().base_url(sandbox.ws_url()),
        tokens,
        config,
    )
}

async fn disconnected<P: Clone + Send + 'static + std::fmt::Debug>(
    events: &mut PushStream<P>,
    what: &str,
) -> String {
    match next(events, what, |e| matches!(e, RtmEvent::Disconnected { .. })).await {
        RtmEvent::Disconnected { reason } => reason,
        _ => unreachable!(),
    }
}

async fn stopped<P: Clone + Send + 'static + std::fmt::Debug>(
    events: &mut PushStream<P>,
    what: &str,
) -> String {
    match next(events, what, |e| matches!(e, RtmEvent::Stopped { .. })).await {
        RtmEvent::Stopped { reason } => reason,
        _ => unreachable!(),
    }
}

fn raw(json: &str) -> Box<RawValue> {
    RawValue::from_string(json.to_owned()).unwrap()
}

fn bare_client(
    url: String,
    tokens: impl TokenProvider,
    config: RtmConfig,
) -> RtmClient<HeaderSession> {
    let session = HeaderSession {
        url,
        dialect: Inbenta::new(),
    };
    RtmClient::connect(session, tokens, config)
}

/// A TCP server on 127.0.0.1:0 running `serve` on every connection; counts them.
async fn tcp_server<F, Fut>(serve: F) -> (String, Arc<AtomicUsize>)
where
    F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/ws", listener.local_addr().unwrap());
    let count = Arc::new(AtomicUsize::new(0));
    let counter = count.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(serve(tcp));
        }
    });
    (url, count)
}

// ---------------------------------------------------------------------------------------
// 1. Writes are bounded.

#[tokio::test]
async fn a_peer_that_stops_reading_ends_the_connection_and_close_still_ends() {
    let (url, _) = tcp_server(|tcp| async move {
        let _ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
        // Never read: the client's writes fill the socket buffers.
        tokio::time::sleep(Duration::from_secs(60)).await;
    })
    .await;
    let config = config()
        .write_timeout(Duration::from_millis(300))
        .request_timeout(Duration::from_secs(2))
        .ping_interval(Duration::from_secs(60));
    let client = bare_client(url, Token::new("t"), config);
    let mut events = client.subscribe();
    connected(&mut events, "connected").await;
    let big = format!("{{\"data\":\"{}\"}}", "x".repeat(1 << 20));
    for _ in 0..48 {
        let client = client.clone();
        let payload = raw(&big);
        tokio::spawn(async move { client.request("any:event", payload).await });
    }
    let reason = disconnected(&mut events, "the stuck write ending the connection").await;
    assert!(reason.contains("write"), "{reason}");
    client.close();
    let reason = tokio::time::timeout(Duration::from_secs(3), stopped(&mut events, "stopped"))
        .await
        .expect("close() must end");
    assert!(reason.contains("closed"), "{reason}");
}

// ---------------------------------------------------------------------------------------
// 1b. A batched write stuck halfway: only the cut frame goes out again.

#[tokio::test]
async fn a_batch_stuck_halfway_sends_only_the_cut_frame_again_and_the_ones_before_fail_as_lost() {
    // The first connection opens late, so that the three requests wait in the queue and
    // go out in one batch, and then never reads: the small frame leaves whole, the big
    // one fills the socket buffers and its tail stays in the client. The next
    // connections answer every request and note its name.
    let opened = Arc::new(AtomicUsize::new(0));
    let names = Arc::new(Mutex::new(Vec::<String>::new()));
    let (url, _) = {
        let (opened, names) = (opened.clone(), names.clone());
        tcp_server(move |tcp| {
            let first = opened.fetch_add(1, Ordering::SeqCst) == 0;
            let names = names.clone();
            async move {
                if first {
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    let _ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
                    tokio::time::sleep(Duration::from_secs(60)).await;
                    return;
                }
                let unlimited = WebSocketConfig::default()
                    .max_message_size(None)
                    .max_frame_size(None);
                let mut ws = tokio_tungstenite::accept_async_with_config(tcp, Some(unlimited))
                    .await
                    .unwrap();
                while let Some(Ok(message)) = ws.next().await {
                    let Message::Text(text) = message else {
                        continue;
                    };
                    let request = decode_request(text.as_str()).unwrap();
                    names.lock().unwrap().push(request.name);
                    let reply = format!(r#"{{"id":"{}","data":{{}}}}"#, request.id);
                    if ws.send(Message::text(reply)).await.is_err() {
                        return;
                    }
                }
            }
        })
        .await
    };
    // Long enough for a debug-built server to take the big frame on the next connection.
    let config = config()
        .write_timeout(Duration::from_secs(2))
        .ping_interval(Duration::from_secs(60));
    let client = bare_client(url, Token::new("t"), config);
    let mut events = client.subscribe();
    let big = raw(&format!("{{\"data\":\"{}\"}}", "x".repeat(32 << 20)));
    // Polled in this order before the first connection is up: queued a, b, c.
    let (a, b, c) = tokio::time::timeout(
        WAIT,
        futures_util::future::join3(
            client.request("a:small", raw("{}")),
            client.request("b:big", big),
            client.request("c:small", raw("{}")),
        ),
    )
    .await
    .expect("every request ends");
    let reason = disconnected(&mut events, "the stuck batch ending the connection").await;
    assert!(reason.contains("write stuck"), "{reason}");
    // The frame before the cut one may have reached the server: lost, not resent.
    assert!(
        matches!(&a, Err(Error::ConnectionLost { action }) if action == "a:small"),
        "{a:?}"
    );
    // The cut frame never left whole: sent again, then the one not written yet.
    b.unwrap();
    c.unwrap();
    assert_eq!(*names.lock().unwrap(), ["b:big", "c:small"]);
    client.close();
}

// ---------------------------------------------------------------------------------------
// 1c. Requests made together leave in one write.

/// A blocking TCP stream that notes the size of every read that brought data.
struct ReadSizes {
    tcp: std::net::TcpStream,
    sizes: Vec<usize>,
}

impl std::io::Read for ReadSizes {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let read = self.tcp.read(buf)?;
        if read > 0 {
            self.sizes.push(read);
        }
        Ok(read)
    }
}

impl std::io::Write for ReadSizes {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.tcp.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.tcp.flush()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_made_together_leave_in_one_write_and_are_all_answered() {
    // The server is a thread of its own, blocked in `read` until bytes come: after each
    // frame it notes how many reads brought data so far (a write that came in parts
    // would most likely wake it for the first part), and answers every request.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("ws://{}/ws", listener.local_addr().unwrap());
    let server = std::thread::spawn(move || {
        let (tcp, _) = listener.accept().unwrap();
        let stream = ReadSizes {
            tcp,
            sizes: Vec::new(),
        };
        let mut ws = tokio_tungstenite::tungstenite::accept(stream).unwrap();
        // Reads so far, before the first frame and after each one.
        let mut reads = vec![ws.get_ref().sizes.len()];
        while let Ok(message) = ws.read() {
            let Message::Text(text) = message else {
                continue;
            };
            let request = decode_request(text.as_str()).unwrap();
            reads.push(ws.get_ref().sizes.len());
            let reply = format!(r#"{{"id":"{}","data":{{}}}}"#, request.id);
            if ws.send(Message::text(reply)).is_err() {
                break;
            }
        }
        reads
    });
    let config = config().ping_interval(Duration::from_secs(60));
    let client = bare_client(url, Token::new("t"), config);
    let mut events = client.subscribe();
    connected(&mut events, "connected").await;
    let shared = &client;
    let burst = |round: usize| {
        let calls = (0..10).map(move |i| {
            let name = format!("burst{round}:{i}");
            let client = shared.clone();
            async move { client.request_with_timeout(&name, raw("{}"), WAIT).await }
        });
        futures_util::future::join_all(calls)
    };
    for answer in burst(1).await {
        answer.unwrap();
    }
    // One at a time afterwards: each is answered too (and flushed without waiting for
    // company once a lone request found none).
    for i in 0..3 {
        client
            .request(&format!("single:{i}"), raw("{}"))
            .await
            .unwrap();
    }
    // Bursts after lone requests: the first requests of the first of them may leave
    // (and even be answered) one by one; once requests overlap again they batch.
    for round in 2..=5 {
        for answer in burst(round).await {
            answer.unwrap();
        }
    }
    client.close();
    let reads = tokio::task::spawn_blocking(move || server.join().unwrap())
        .await
        .unwrap();
    assert_eq!(reads.len(), 1 + 53, "frames received: {reads:?}");
    // The reads that brought frames `from..to` (counted from 0).
    let reads_for = |from: usize, to: usize| reads[to] - reads[from];
    assert_eq!(
        reads_for(0, 10),
        1,
        "the first burst came in parts: {reads:?}"
    );
    assert_eq!(
        reads_for(43, 53),
        1,
        "the last burst came in parts: {reads:?}"
    );
}

#[tokio::test]
async fn a_lone_request_leaves_in_the_first_poll_of_its_call() {
    // The server tells the test the name of every request it receives, as it comes.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("ws://{}/ws", listener.local_addr().unwrap());
    let (seen, received) = std::sync::mpsc::channel::<String>();
    let server = std::thread::spawn(move || {
        let (tcp, _) = listener.accept().unwrap();
        let mut ws = tokio_tungstenite::tungstenite::accept(tcp).unwrap();
        while let Ok(message) = ws.read() {
            let Message::Text(text) = message else {
                continue;
            };
            let request = decode_request(text.as_str()).unwrap();
            let _ = seen.send(request.name.clone());
            let reply = format!(r#"{{"id":"{}","data":{{}}}}"#, request.id);
            if ws.send(Message::text(reply)).is_err() {
                break;
            }
        }
    });
    // No heartbeat during the test: nothing but the call itself may flush its frame.
    let config = config().ping_interval(Duration::from_secs(60));
    let client = bare_client(url, Token::new("t"), config);
    let mut events = client.subscribe();
    connected(&mut events, "connected").await;
    // Requests one at a time: none waits for company.
    for i in 0..3 {
        let name = format!("single:{i}");
        client.request(&name, raw("{}")).await.unwrap();
        assert_eq!(received.recv_timeout(WAIT).unwrap(), name);
    }
    // Polled once and then not again: its frame must be on the wire already.
    let mut call = Box::pin(client.request("lone", raw("{}")));
    assert!(futures_util::FutureExt::now_or_never(call.as_mut()).is_none());
    let arrived = tokio::task::spawn_blocking(move || received.recv_timeout(WAIT))
        .await
        .unwrap();
    assert_eq!(
        arrived.as_deref(),
        Ok("lone"),
        "the frame waited for another poll of its call"
    );
    call.await.unwrap();
    client.close();
    tokio::task::spawn_blocking(move || server.join().unwrap())
        .await
        .unwrap();
}

// ---------------------------------------------------------------------------------------
// 2. The server's limit of 10 pending requests.

#[tokio::test]
async fn the_heartbeat_ping_counts_against_the_pending_limit() {
    let (sandbox, agent) = world().await;
    let config = config().ping_interval(Duration::from_millis(300));
    let client = agent_client(&sandbox, agent.token.clone(), config);
    let mut events = client.subscribe();
    // The sandbox holds the ping for 250 ms: it is pending there while requests come.
    sandbox.set_action_delay("ping", Duration::from_millis(250));
    connected(&mut events, "connected").await;
    tokio::time::sleep(Duration::from_millis(380)).await;
    let calls = (0..10).map(|_| {
        let client = client.clone();
        async move { client.call(&agent::ListChats::new()).await }
    });
    let results = futures_util::future::join_all(calls).await;
    let failures: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert!(failures.is_empty(), "{failures:?}");
    client.close();
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_request_that_timed_out_keeps_its_slot_until_the_server_answers() {
    let (sandbox, agent) = world().await;
    let config = config().request_timeout(Duration::from_millis(200));
    let client = agent_client(&sandbox, agent.token.clone(), config);
    client.call(&agent::ListChats::new()).await.unwrap();
    sandbox.set_action_delay("list_routing_statuses", Duration::from_millis(700));
    let slow = (0..10).map(|_| {
        let client = client.clone();
        async move { client.call(&agent::ListRoutingStatuses::new()).await }
    });
    let results = futures_util::future::join_all(slow).await;
    assert!(
        results
            .iter()
            .all(|r| matches!(r, Err(Error::Timeout { .. }))),
        "{results:?}"
    );
    // The server still holds those 10: these must wait for them, not be refused.
    let calls = (0..10).map(|_| {
        let client = client.clone();
        async move {
            let payload = lc_protocol::wire::empty_object();
            client
                .request_with_timeout("list_chats", payload, Duration::from_secs(5))
                .await
        }
    });
    let results = futures_util::future::join_all(calls).await;
    let failures: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert!(failures.is_empty(), "{failures:?}");
    client.close();
    sandbox.shutdown().await;
}

// ---------------------------------------------------------------------------------------
// 3. Backoff after unstable connections; blocked customers wait.

#[tokio::test]
async fn a_server_that_ends_every_session_at_once_gets_growing_backoff() {
    let (sandbox, agent) = world().await;
    let client = agent_client(&sandbox, agent.token.clone(), config());
    let mut events = client.subscribe();
    let mut attempts = Vec::new();
    for _ in 0..4 {
        connected(&mut events, "connected").await;
        sandbox.disconnect(agent.id.as_str(), "connection_timeout");
        let event = next(&mut events, "reconnecting", |e| {
            matches!(e, RtmEvent::Reconnecting { .. })
        })
        .await;
        let RtmEvent::Reconnecting { attempt, .. } = event else {
            unreachable!()
        };
        attempts.push(attempt);
    }
    assert_eq!(attempts, [1, 2, 3, 4]);
    client.close();
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_temporarily_blocked_customer_waits_the_timeout_the_server_gives() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let customer = sandbox.create_customer(NewCustomer::new().name("Jane"));
    let session = CustomerSession::customer(sandbox.organization_id()).base_url(sandbox.ws_url());
    let client = RtmClient::connect(session, customer.token.clone(), config());
    let mut events = client.subscribe();
    connected(&mut events, "connected").await;
    sandbox.send_raw_frame(
        customer.id.as_str(),
        r#"{"version":"3.6","action":"customer_disconnected","type":"push","payload":{"reason":"customer_temporarily_blocked","data":{"timeout":30}}}"#,
    );
    let event = next(&mut events, "reconnecting", |e| {
        matches!(e, RtmEvent::Reconnecting { .. })
    })
    .await;
    let RtmEvent::Reconnecting { delay, .. } = event else {
        unreachable!()
    };
    assert!(delay >= Duration::from_secs(30), "{delay:?}");
    client.close();
    sandbox.shutdown().await;
}

// ---------------------------------------------------------------------------------------
// 4. Malformed responses fail their request at once.

#[tokio::test]
async fn a_malformed_response_fails_its_request_at_once() {
    let (sandbox, agent) = world().await;
    let client = agent_client(&sandbox, agent.token.clone(), config());
    let mut events = client.subscribe();
    connected(&mut events, "connected").await;
    sandbox.set_action_delay("list_chats", Duration::from_secs(2));
    let spawn = || {
        let client = client.clone();
        tokio::spawn(async move {
            let started = Instant::now();
            let result = client.call(&agent::ListChats::new()).await;
            (result, started.elapsed())
        })
    };
    // Request ids are "1", "2", "3" on a fresh connection.
    let (first, second, third) = (spawn(), spawn(), spawn());
    tokio::time::sleep(Duration::from_millis(200)).await;
    // A whole envelope whose failure payload is not an error object.
    sandbox.send_raw_frame(
        agent.id.as_str(),
        r#"{"request_id":"1","action":"list_chats","type":"response","success":false,"payload":{"oops":1}}"#,
    );
    // A truncated response.
    sandbox.send_raw_frame(
        agent.id.as_str(),
        r#"{"request_id":"2","action":"list_chats","type":"response","success":true,"payload":{"chats_su"#,
    );
    // A malformed push caused by request 3 does not fail it.
    sandbox.send_raw_frame(
        agent.id.as_str(),
        r#"{"version":"3.6","request_id":"3","action":"incoming_event","type":"push","payload":{"chat_id":7}}"#,
    );
    for task in [first, second] {
        let (result, took) = task.await.unwrap();
        let err = result.unwrap_err();
        assert!(matches!(err, Error::Decode { .. }), "{err:?}");
        assert!(took < Duration::from_millis(1500), "{took:?}");
    }
    let (result, _) = third.await.unwrap();
    result.unwrap();
    client.close();
    sandbox.shutdown().await;
}

// ---------------------------------------------------------------------------------------
// 5. Refused handshakes and fatal stops.

/// Refuses the WebSocket upgrade with `status` unless the token header is `good`.
async fn refusing_server(status: u16) -> (String, Arc<AtomicUsize>) {
    tcp_server(move |tcp| async move {
        let callback = |request: &Request, response: Response| {
            let token = request.headers().get("x-test-token");
            if token.is_some_and(|t| t == "good") {
                return Ok(response);
            }
            let mut refusal = ErrorResponse::new(Some("refused".into()));
            *refusal.status_mut() =
                tokio_tungstenite::tungstenite::http::StatusCode::from_u16(status).unwrap();
            Err(refusal)
        };
        let Ok(mut ws) = tokio_tungstenite::accept_hdr_async(tcp, callback).await else {
            return;
        };
        while let Some(Ok(message)) = ws.next().await {
            if let Message::Text(text) = message {
                let frame = lc_protocol::wire::inbenta::decode_request(text.as_str()).unwrap();
                let reply = lc_protocol::wire::inbenta::encode_reply(&frame.id, &raw("{}"));
                ws.send(Message::text(reply)).await.unwrap();
            }
        }
    })
    .await
}

/// Gives `bad` first, then `good`; records what was invalidated.
#[derive(Default)]
struct Rotating {
    asked: AtomicUsize,
    invalidated: Mutex<Vec<String>>,
}

#[async_trait::async_trait]
impl TokenProvider for Rotating {
    async fn token(&self) -> Result<Token, Error> {
        let n = self.asked.fetch_add(1, Ordering::SeqCst);
        let bad = n == 0 || !self.invalidated.lock().unwrap().iter().any(|t| t == "bad");
        Ok(Token::new(if bad { "bad" } else { "good" }))
    }

    async fn invalidate(&self, rejected: &Token) {
        self.invalidated
            .lock()
            .unwrap()
            .push(rejected.expose().to_owned());
    }
}

#[tokio::test]
async fn a_401_handshake_invalidates_the_token_and_retries_with_a_fresh_one() {
    let (url, _) = refusing_server(401).await;
    let tokens = Arc::new(Rotating::default());
    let client = bare_client(url, tokens.clone(), config());
    let reply = tokio::time::timeout(WAIT, client.request("any:event", raw("{}")))
        .await
        .expect("never connected")
        .unwrap();
    assert_eq!(reply.get(), "{}");
    assert_eq!(*tokens.invalidated.lock().unwrap(), ["bad"]);
    client.close();
}

#[tokio::test]
async fn a_403_or_404_handshake_stops_with_a_typed_error() {
    for status in [403u16, 404] {
        let (url, connections) = refusing_server(status).await;
        let client = bare_client(url, Token::new("bad"), config());
        let mut events = client.subscribe();
        // Queued before the refusal: it gets the refusal too.
        let queued = {
            let client = client.clone();
            tokio::spawn(async move { client.request("any:event", raw("{}")).await })
        };
        stopped(&mut events, "stopped").await;
        let is_refusal = |err: &Error| {
            matches!(
                err,
                Error::Transport { failure: TransportFailure::Handshake { status: s }, .. } if *s == status
            )
        };
        let err = queued.await.unwrap().unwrap_err();
        assert!(is_refusal(&err), "{err:?}");
        let err = client.request("any:event", raw("{}")).await.unwrap_err();
        assert!(is_refusal(&err), "{err:?}");
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(
            connections.load(Ordering::SeqCst),
            1,
            "retried HTTP {status}"
        );
    }
}

#[tokio::test]
async fn after_a_fatal_login_error_later_calls_get_that_error() {
    let (sandbox, agent) = world().await;
    sandbox.fail_next("login", "license_expired", 1);
    let client = agent_client(&sandbox, agent.token.clone(), config());
    let mut events = client.subscribe();
    stopped(&mut events, "stopped").await;
    let err = client.call(&agent::ListChats::new()).await.unwrap_err();
    assert_eq!(
        err.error_type(),
        Some(&ErrorType::LicenseExpired),
        "{err:?}"
    );
    sandbox.shutdown().await;
}

#[tokio::test]
async fn requests_in_flight_when_the_session_ends_get_session_ended() {
    let (sandbox, agent) = world().await;
    let client = agent_client(&sandbox, agent.token.clone(), config());
    let mut events = client.subscribe();
    connected(&mut events, "connected").await;
    sandbox.set_action_delay("list_chats", Duration::from_secs(1));
    let in_flight = {
        let client = client.clone();
        tokio::spawn(async move { client.call(&agent::ListChats::new()).await })
    };
    tokio::time::sleep(Duration::from_millis(150)).await;
    sandbox.disconnect(agent.id.as_str(), "agent_logged_out_remotely");
    let err = in_flight.await.unwrap().unwrap_err();
    assert!(
        matches!(&err, Error::SessionEnded { reason } if reason == "agent_logged_out_remotely"),
        "{err:?}"
    );
    sandbox.shutdown().await;
}

// ---------------------------------------------------------------------------------------
// 6. The queue is bounded.

#[tokio::test]
async fn the_queue_is_bounded_during_an_outage() {
    // Nothing listens here: every attempt fails and requests wait.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("ws://{}", listener.local_addr().unwrap());
    drop(listener);
    let config = config().max_queued(3);
    let client = RtmClient::connect(AgentSession::agent().base_url(url), Token::new("t"), config);
    let waiting: Vec<_> = (0..3)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.call(&agent::ListChats::new()).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    let err = client.call(&agent::ListChats::new()).await.unwrap_err();
    assert!(
        matches!(&err, Error::QueueFull { capacity: 3, action } if action == "list_chats"),
        "{err:?}"
    );
    assert!(started.elapsed() < Duration::from_millis(100));
    client.close();
    for task in waiting {
        assert!(matches!(task.await.unwrap(), Err(Error::Closed)));
    }
}

// ---------------------------------------------------------------------------------------
// 7. Message size.

#[tokio::test]
async fn an_oversize_message_ends_the_connection_with_a_reason_naming_its_size() {
    let (url, _) = tcp_server(|tcp| async move {
        let mut ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
        while let Some(Ok(message)) = ws.next().await {
            if let Message::Text(text) = message {
                let frame = lc_protocol::wire::inbenta::decode_request(text.as_str()).unwrap();
                let data = format!("{{\"blob\":\"{}\"}}", "y".repeat(2 << 20));
                let reply = lc_protocol::wire::inbenta::encode_reply(&frame.id, &raw(&data));
                let _ = ws.send(Message::text(reply)).await;
            }
        }
    })
    .await;
    let config = config()
        .max_message_size(1 << 20)
        .request_timeout(Duration::from_secs(3));
    let client = bare_client(url, Token::new("t"), config);
    let mut events = client.subscribe();
    connected(&mut events, "connected").await;
    let result = client.request("any:event", raw("{}")).await;
    assert!(
        matches!(result, Err(Error::ConnectionLost { .. })),
        "{:?}",
        result.map(|r| r.get().len())
    );
    let reason = disconnected(&mut events, "disconnected").await;
    assert!(
        reason.contains("exceeds the limit of 1048576 bytes"),
        "{reason}"
    );
    client.close();
}

#[tokio::test]
async fn a_message_larger_than_the_read_buffer_arrives_whole() {
    let (url, _) = tcp_server(|tcp| async move {
        let mut ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
        while let Some(Ok(message)) = ws.next().await {
            if let Message::Text(text) = message {
                let frame = lc_protocol::wire::inbenta::decode_request(text.as_str()).unwrap();
                let data = format!("{{\"blob\":\"{}\"}}", "y".repeat(200 << 10));
                let reply = lc_protocol::wire::inbenta::encode_reply(&frame.id, &raw(&data));
                let _ = ws.send(Message::text(reply)).await;
            }
        }
    })
    .await;
    let config = config().read_buffer_size(1024);
    let client = bare_client(url, Token::new("t"), config);
    let mut events = client.subscribe();
    connected(&mut events, "connected").await;
    let reply = client.request("any:event", raw("{}")).await.unwrap();
    let value: serde_json::Value = serde_json::from_str(reply.get()).unwrap();
    assert_eq!(value["blob"].as_str().map(str::len), Some(200 << 10));
    client.close();
}

// ---------------------------------------------------------------------------------------
// 8. Token providers are bounded.

/// Hangs on the first call, then gives `token`.
struct HangsOnce {
    token: Token,
    asked: AtomicUsize,
}

#[async_trait::async_trait]
impl TokenProvider for HangsOnce {
    async fn token(&self) -> Result<Token, Error> {
        if self.asked.fetch_add(1, Ordering::SeqCst) == 0 {
            std::future::pending::<()>().await;
        }
        Ok(self.token.clone())
    }
}

#[tokio::test]
async fn a_token_provider_that_hangs_fails_the_login_attempt_which_is_retried() {
    let (sandbox, agent) = world().await;
    let config = config().token_timeout(Duration::from_millis(200));
    let tokens = HangsOnce {
        token: agent.token.clone(),
        asked: AtomicUsize::new(0),
    };
    let client = agent_client(&sandbox, tokens, config);
    let mut events = client.subscribe();
    let reason = disconnected(&mut events, "the failed attempt").await;
    assert!(reason.contains("no token"), "{reason}");
    connected(&mut events, "connected").await;
    client.call(&agent::ListChats::new()).await.unwrap();
    client.close();
    sandbox.shutdown().await;
}

// ---------------------------------------------------------------------------------------
// 9. Plaintext to other hosts.

#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Logs {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

#[tokio::test]
async fn plaintext_urls_to_other_hosts_are_warned_about_once() {
    let logs = Logs::default();
    let sink = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::WARN)
        .with_ansi(false)
        .with_writer(move || sink.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let config = config().connect_timeout(Duration::from_millis(100));
    // TEST-NET-1: never reachable; every attempt fails and is retried.
    let client = RtmClient::connect(
        AgentSession::agent().base_url("ws://192.0.2.1:9"),
        Token::new("dal:secret"),
        config.clone(),
    );
    let mut events = client.subscribe();
    for _ in 0..3 {
        disconnected(&mut events, "a failed attempt").await;
    }
    client.close();
    // Loopback is fine.
    let local = RtmClient::connect(
        AgentSession::agent().base_url("ws://localhost:9"),
        Token::new("dal:secret"),
        config,
    );
    let mut events = local.subscribe();
    disconnected(&mut events, "a failed local attempt").await;
    local.close();
    let text = logs.text();
    assert_eq!(text.matches("plaintext").count(), 1, "{text}");
    assert!(text.contains("192.0.2.1"), "{text}");
    assert!(!text.contains("secret"), "{text}");
}
