//! A LiveChat 3.6 bot meant to run as several replicas behind a load balancer: webhooks
//! arrive at any replica, a [`Dispatcher`] on a shared store (Redis) makes sure one
//! replica at a time handles a chat and that every customer message is answered once,
//! in order, even when a replica dies mid-answer.
//!
//! Each replica answers a webhook only after it was handled (200), or with 503 so that
//! LiveChat delivers it again (to another replica, behind a round-robin balancer). The
//! handler treats a webhook as "this chat has news": under the chat's lease it reads
//! the thread and answers, oldest first, every customer message without an answer —
//! an answer carries `custom_id = "re:<message id>"`, so what a dead replica already
//! sent is seen and not sent again.
//!
//! ```sh
//! FLEET_API_URL=https://api.livechatinc.com FLEET_BOT_ID=… FLEET_BOT_SECRET=… \
//! FLEET_CLIENT_ID=… FLEET_ORGANIZATION_ID=… FLEET_WEBHOOK_SECRET=… \
//! FLEET_REDIS_URL=redis://redis.internal:6379/ FLEET_LISTEN=0.0.0.0:8080 \
//! cargo run -p lc-dispatch --example fleet_bot
//! ```
//!
//! | variable | what |
//! |---|---|
//! | `FLEET_API_URL` | the API host (LiveChat's, or an lc-sandbox) |
//! | `FLEET_BOT_ID`, `FLEET_BOT_SECRET` | the bot (`create_bot` once, for all replicas) |
//! | `FLEET_CLIENT_ID`, `FLEET_ORGANIZATION_ID` | your application's client id, your organization |
//! | `FLEET_WEBHOOK_SECRET` | the `secret_key` the `incoming_event` webhook was registered with |
//! | `FLEET_LISTEN` | where this replica listens (default `0.0.0.0:8080`); it prints `listening on ADDR` |
//! | `FLEET_REDIS_URL` | the shared store; without it, this process keeps its store in memory (one replica only) |
//! | `FLEET_REPLICA` | this replica's name, in logs and answers (default: a random id) |
//!
//! SIGTERM or Ctrl-C: the replica stops taking webhooks (503), finishes the chats it
//! was answering, releases their leases and exits 0.

#![allow(clippy::print_stdout)]

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::routing::post;
use lc_accounts::BotTokens;
use lc_agent::AgentClient;
use lc_dispatch::{Context, Dispatcher, Envelope, HandlerError, MemoryStore, RedisStore, Store};
use lc_protocol::agent::AgentPush;
use lc_protocol::id::ChatId;
use lc_protocol::types::{Event, RoutingStatus};
use lc_protocol::webhook::Webhook;
use lc_rtm::AgentSession;
use lc_web::{WebClient, WebConfig};
use std::collections::HashSet;
use std::error::Error;
use std::sync::Arc;
use std::time::Duration;

type Result<T> = std::result::Result<T, Box<dyn Error + Send + Sync>>;

/// What every request handler needs.
#[derive(Clone)]
struct Replica {
    dispatcher: Dispatcher<Webhook>,
    secret: Arc<str>,
}

#[tokio::main]
async fn main() -> Result<()> {
    let var = |name: &str| std::env::var(name).map_err(|_| format!("{name} is not set"));
    let api_url = var("FLEET_API_URL")?;
    let name = std::env::var("FLEET_REPLICA")
        .unwrap_or_else(|_| uuid::Uuid::new_v4().simple().to_string());
    let tokens = BotTokens::builder(
        var("FLEET_BOT_ID")?.as_str(),
        var("FLEET_BOT_SECRET")?,
        &var("FLEET_CLIENT_ID")?,
        &var("FLEET_ORGANIZATION_ID")?,
    )
    .api_url(&api_url)
    .build();
    let session = AgentSession::agent().base_url(&api_url);
    let agent = AgentClient::connect_web(session, tokens, WebConfig::default());
    agent
        .set_routing_status(RoutingStatus::AcceptingChats)
        .await?;
    let bot_id = var("FLEET_BOT_ID")?;

    let dispatcher = match std::env::var("FLEET_REDIS_URL") {
        Ok(url) => {
            let store = RedisStore::connect(&url).await?.prefix("fleet-bot");
            build(store, &name, agent, bot_id)
        }
        Err(_) => build(MemoryStore::new(), &name, agent, bot_id),
    };
    let replica = Replica {
        dispatcher: dispatcher.clone(),
        secret: Arc::from(var("FLEET_WEBHOOK_SECRET")?),
    };
    let app = Router::new()
        .route("/livechat", post(receive))
        .layer(DefaultBodyLimit::max(1 << 20))
        .with_state(replica);
    let listen = std::env::var("FLEET_LISTEN").unwrap_or_else(|_| "0.0.0.0:8080".into());
    let listener = tokio::net::TcpListener::bind(&listen).await?;
    println!("listening on {}", listener.local_addr()?);

    let stopping = dispatcher.clone();
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            stop_signal().await;
            // Refuse new webhooks (503: LiveChat sends them again, to another replica)
            // and finish the chats being answered.
            stopping.shutdown().await;
        })
        .await?;
    println!("stopped");
    Ok(())
}

/// The dispatcher of this replica: chats a lease of 3 s apart when a replica dies.
fn build(
    store: impl Store,
    name: &str,
    agent: AgentClient<WebClient>,
    bot_id: String,
) -> Dispatcher<Webhook> {
    let agent = Arc::new(agent);
    let name: Arc<str> = Arc::from(name);
    let bot_id: Arc<str> = Arc::from(bot_id);
    let owner = format!("{name}-{}", uuid::Uuid::new_v4().simple());
    Dispatcher::builder(store)
        .owner(owner)
        .concurrency(64)
        .queue(512)
        .lease(Duration::from_secs(3), Duration::from_secs(6))
        .build(move |cx: Context, webhook: Webhook| {
            let (agent, name, bot_id) = (agent.clone(), name.clone(), bot_id.clone());
            async move { catch_up(&cx, &agent, &name, &bot_id, webhook).await }
        })
}

/// One webhook delivery: 200 once handled (or already handled), 503 otherwise.
async fn receive(State(replica): State<Replica>, body: Bytes) -> StatusCode {
    let Ok(webhook) = Webhook::from_json(&body) else {
        return StatusCode::BAD_REQUEST;
    };
    if !webhook.secret_matches(&replica.secret) {
        return StatusCode::UNAUTHORIZED;
    }
    let Some(envelope) = Envelope::from_webhook(webhook) else {
        return StatusCode::OK;
    };
    let Ok(ticket) = replica.dispatcher.try_submit(envelope) else {
        return StatusCode::SERVICE_UNAVAILABLE;
    };
    if ticket.await.redeliver() {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    }
}

/// Answers, oldest first, every customer message of the thread without an answer yet.
async fn catch_up(
    cx: &Context,
    agent: &AgentClient<WebClient>,
    name: &str,
    bot_id: &str,
    webhook: Webhook,
) -> std::result::Result<(), HandlerError> {
    let AgentPush::IncomingEvent(incoming) = webhook.payload else {
        return Ok(());
    };
    let chat: ChatId = incoming.chat_id.clone();
    let read = agent
        .get_chat(chat.clone())
        .thread_id(incoming.thread_id.clone())
        .await?;
    let events = read.thread.and_then(|t| t.events).unwrap_or_default();
    let answered: HashSet<&str> = events
        .iter()
        .filter_map(|e| e.custom_id()?.strip_prefix("re:"))
        .collect();
    for event in &events {
        let (Some(id), Some(text)) = (event.id(), event.text()) else {
            continue;
        };
        let from_bot = event.author_id().is_some_and(|a| a.as_str() == bot_id);
        if from_bot || answered.contains(id.as_str()) {
            continue;
        }
        if cx.lease_lost() {
            return Err("the chat's lease was lost: another replica answers".into());
        }
        let mut answer = Event::message(format!("re {text} ({name})"));
        answer.set_custom_id(Some(format!("re:{id}")));
        agent.send_event(chat.clone(), answer).await?;
    }
    Ok(())
}

/// SIGTERM or Ctrl-C.
async fn stop_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => return std::future::pending().await,
            };
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
