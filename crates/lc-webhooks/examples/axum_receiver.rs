//! Receives LiveChat webhooks in an axum app, next to its other routes, and prints them.
//!
//! ```text
//! LIVECHAT_WEBHOOK_SECRET=... cargo run -p lc-webhooks --example axum_receiver --features axum
//! ```
//!
//! Register `https://<your host>/livechat/webhooks` (`register_webhook`, with the same
//! secret) and put TLS in front: the secret travels in the body. `GET /health` answers
//! `ok`. Set `ADDR` to listen elsewhere than `127.0.0.1:8080`.

#![allow(clippy::print_stdout)]

use axum::Router;
use axum::routing::get;
use futures_util::StreamExt;
use lc_protocol::agent::AgentPush;
use lc_webhooks::WebhookReceiver;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let secret = std::env::var("LIVECHAT_WEBHOOK_SECRET").unwrap_or_else(|_| {
        println!("LIVECHAT_WEBHOOK_SECRET is not set: using `change-me`");
        "change-me".to_owned()
    });
    let addr = std::env::var("ADDR").unwrap_or_else(|_| "127.0.0.1:8080".to_owned());

    let (receiver, mut webhooks) = WebhookReceiver::new(secret);
    let app = Router::new()
        .route("/health", get(|| async { "ok" }))
        .merge(receiver.into_router("/livechat/webhooks"));
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!(
        "webhooks: POST http://{}/livechat/webhooks",
        listener.local_addr()?
    );
    tokio::spawn(async move { axum::serve(listener, app).await });

    while let Some(webhook) = webhooks.next().await {
        match &webhook.payload {
            AgentPush::IncomingEvent(incoming) => println!(
                "{} in chat {}: {}",
                incoming.event.kind(),
                incoming.chat_id,
                incoming.event.text().unwrap_or("")
            ),
            AgentPush::Unknown { name, payload } => {
                println!("{name} (untyped): {payload}");
            }
            other => println!("{}: {other:?}", webhook.action),
        }
    }
    Ok(())
}
