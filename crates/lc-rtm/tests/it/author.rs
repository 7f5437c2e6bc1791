//! Acting as a bot with an agent's token (API 3.5 and older): the request envelope
//! carries `author_id`; on 3.6 such a request is refused before it is sent.

use crate::common::{WAIT, config};
use futures_util::{SinkExt, StreamExt};
use lc_protocol::id::Token;
use lc_protocol::{ApiVersion, CallOptions, Error, Transport};
use lc_rtm::{AgentSession, RtmClient};
use serde_json::value::RawValue;
use serde_json::{Value, json};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

/// A WebSocket server that answers every LiveChat request with success and reports
/// each request frame it read.
async fn recording_server() -> (String, mpsc::UnboundedReceiver<Value>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}", listener.local_addr().unwrap());
    let (seen, frames) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let seen = seen.clone();
            tokio::spawn(async move {
                let mut ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
                while let Some(Ok(Message::Text(text))) = ws.next().await {
                    let frame: Value = serde_json::from_str(text.as_str()).unwrap();
                    let id = frame["request_id"].as_str().map(str::to_owned);
                    let action = frame["action"].as_str().unwrap_or_default().to_owned();
                    let _ = seen.send(frame);
                    let empty = RawValue::from_string("{}".into()).unwrap();
                    let reply =
                        lc_protocol::wire::livechat::encode_success(id.as_deref(), &action, &empty);
                    if ws.send(Message::text(reply)).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (url, frames)
}

/// The next request frame of `action`.
async fn next_frame(frames: &mut mpsc::UnboundedReceiver<Value>, action: &str) -> Value {
    tokio::time::timeout(WAIT, async {
        loop {
            let frame = frames.recv().await.expect("server gone");
            if frame["action"] == action {
                return frame;
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no {action} request"))
}

#[tokio::test]
async fn on_3_5_a_request_as_a_bot_carries_its_author_id() {
    let (url, mut frames) = recording_server().await;
    let session = AgentSession::agent()
        .version(ApiVersion::V3_5)
        .base_url(&url);
    let client = RtmClient::connect(session, Token::new("dal:agent"), config());
    let as_bot = CallOptions::default().author_id("bot-1");
    client
        .call_raw_with("send_event", json!({"chat_id": "C1"}), as_bot)
        .await
        .unwrap();
    let login = next_frame(&mut frames, "login").await;
    assert!(login.get("author_id").is_none(), "{login}");
    let sent = next_frame(&mut frames, "send_event").await;
    assert_eq!(sent["author_id"], "bot-1", "{sent}");
    // Without an author the request is the agent's own.
    client.call_raw("list_chats", json!({})).await.unwrap();
    let own = next_frame(&mut frames, "list_chats").await;
    assert!(own.get("author_id").is_none(), "{own}");
    client.close();
}

#[tokio::test]
async fn on_3_6_a_request_as_a_bot_is_refused_before_it_is_sent() {
    let (url, mut frames) = recording_server().await;
    let session = AgentSession::agent().base_url(&url);
    let client = RtmClient::connect(session, Token::new("dal:agent"), config());
    let as_bot = CallOptions::default().author_id("bot-1");
    let err = client
        .call_raw_with("send_event", json!({"chat_id": "C1"}), as_bot)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidInput(_)), "{err:?}");
    assert!(err.to_string().contains("bot token"), "{err}");
    // The connection works, and the refused request never reached the server.
    client.call_raw("list_chats", json!({})).await.unwrap();
    let mut actions = Vec::new();
    while let Ok(Some(frame)) =
        tokio::time::timeout(Duration::from_millis(200), frames.recv()).await
    {
        actions.push(frame["action"].as_str().unwrap_or_default().to_owned());
    }
    assert!(actions.contains(&"list_chats".to_owned()), "{actions:?}");
    assert!(!actions.contains(&"send_event".to_owned()), "{actions:?}");
    client.close();
}
