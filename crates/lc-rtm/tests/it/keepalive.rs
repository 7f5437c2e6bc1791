//! Sessions without a login or ping request (Inbenta-like) against a bare WebSocket
//! server: WebSocket-level keepalive, upgrade headers, per-request timeouts.

#![allow(clippy::unwrap_used, clippy::result_large_err)]

use crate::common::{HeaderSession, WAIT};
use futures_util::{SinkExt, StreamExt};
use lc_protocol::Error;
use lc_protocol::id::Token;
use lc_protocol::inbenta::InbentaPush;
use lc_protocol::wire::inbenta::Inbenta;
use lc_rtm::{PushStream, RtmClient, RtmConfig, RtmEvent};
use serde_json::value::RawValue;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};

/// What the server saw.
enum Seen {
    Connected { token: Option<String> },
    Ping,
}

/// How the test server behaves once a socket is open.
#[derive(Clone, Copy)]
enum Behaviour {
    /// Reads frames (so pings get their pong) and answers requests after `delay`.
    Answer { delay: Duration },
    /// Never reads: pings stay unanswered.
    Deaf,
}

/// A WebSocket server on 127.0.0.1:0 reporting what it sees.
async fn server(behaviour: Behaviour) -> (String, mpsc::UnboundedReceiver<Seen>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/ws", listener.local_addr().unwrap());
    let (seen, report) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            let seen = seen.clone();
            tokio::spawn(async move {
                let mut token = None;
                let callback = |request: &Request, response: Response| {
                    token = request
                        .headers()
                        .get("x-test-token")
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned);
                    Ok(response)
                };
                let mut ws = tokio_tungstenite::accept_hdr_async(tcp, callback)
                    .await
                    .unwrap();
                let _ = seen.send(Seen::Connected { token });
                let Behaviour::Answer { delay } = behaviour else {
                    // Keep the socket open without ever reading it.
                    tokio::time::sleep(Duration::from_secs(60)).await;
                    return;
                };
                while let Some(Ok(message)) = ws.next().await {
                    match message {
                        Message::Ping(_) => {
                            let _ = seen.send(Seen::Ping);
                        }
                        Message::Text(text) => {
                            let frame =
                                lc_protocol::wire::inbenta::decode_request(text.as_str()).unwrap();
                            tokio::time::sleep(delay).await;
                            let reply = lc_protocol::wire::inbenta::encode_reply(
                                &frame.id,
                                &RawValue::from_string(r#"{"ok":true}"#.into()).unwrap(),
                            );
                            ws.send(Message::text(reply)).await.unwrap();
                        }
                        _ => {}
                    }
                }
            });
        }
    });
    (url, report)
}

fn client(url: String, ping_interval: Duration) -> RtmClient<HeaderSession> {
    let mut config = RtmConfig::default()
        .ping_interval(ping_interval)
        .request_timeout(Duration::from_millis(300));
    config.backoff.initial = Duration::from_millis(20);
    config.backoff.max = Duration::from_millis(100);
    let session = HeaderSession {
        url,
        dialect: Inbenta::new(),
    };
    RtmClient::connect(session, Token::new("secret-token"), config)
}

async fn next_seen(report: &mut mpsc::UnboundedReceiver<Seen>) -> Seen {
    tokio::time::timeout(WAIT, report.recv())
        .await
        .expect("the server saw nothing")
        .expect("server gone")
}

async fn next_disconnect(events: &mut PushStream<InbentaPush>) -> String {
    tokio::time::timeout(WAIT, async {
        loop {
            if let Some(RtmEvent::Disconnected { reason }) = events.next().await {
                return reason;
            }
        }
    })
    .await
    .expect("no disconnect")
}

#[tokio::test]
async fn without_a_ping_request_websocket_pings_keep_the_connection_alive() {
    let (url, mut report) = server(Behaviour::Answer {
        delay: Duration::ZERO,
    })
    .await;
    let client = client(url, Duration::from_millis(40));
    let Seen::Connected { token } = next_seen(&mut report).await else {
        panic!("a ping before the connection");
    };
    assert_eq!(
        token.as_deref(),
        Some("secret-token"),
        "upgrade header sent"
    );
    for _ in 0..4 {
        assert!(matches!(next_seen(&mut report).await, Seen::Ping));
    }
    // Every ping was answered: still the first connection, and it carries requests.
    let reply = client
        .request("any:event", lc_protocol::wire::empty_object())
        .await
        .unwrap();
    assert_eq!(reply.get(), r#"{"ok":true}"#);
    while let Ok(seen) = report.try_recv() {
        assert!(
            !matches!(seen, Seen::Connected { .. }),
            "reconnected though pongs came"
        );
    }
    client.close();
}

#[tokio::test]
async fn an_unanswered_websocket_ping_declares_the_connection_dead() {
    let (url, mut report) = server(Behaviour::Deaf).await;
    let client = client(url, Duration::from_millis(40));
    let mut events = client.subscribe();
    assert!(matches!(
        next_seen(&mut report).await,
        Seen::Connected { .. }
    ));
    let reason = next_disconnect(&mut events).await;
    assert!(reason.contains("heartbeat"), "{reason}");
    // And it connects again, with the header again.
    let Seen::Connected { token } = next_seen(&mut report).await else {
        panic!("no reconnection");
    };
    assert_eq!(token.as_deref(), Some("secret-token"));
    client.close();
}

#[tokio::test]
async fn a_request_may_wait_longer_than_the_default_timeout() {
    let (url, _report) = server(Behaviour::Answer {
        delay: Duration::from_millis(600),
    })
    .await;
    let client = client(url, Duration::from_secs(15));
    let short = client
        .request("slow:event", lc_protocol::wire::empty_object())
        .await;
    assert!(matches!(short, Err(Error::Timeout { .. })), "{short:?}");
    let long = client
        .request_with_timeout(
            "slow:event",
            lc_protocol::wire::empty_object(),
            Duration::from_secs(5),
        )
        .await
        .unwrap();
    assert_eq!(long.get(), r#"{"ok":true}"#);
    client.close();
}
