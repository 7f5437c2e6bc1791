//! A short Inbenta chat against an embedded lc-sandbox: an app with one agent, an end
//! user created over REST who opens a chat, gets the agent, says hello, gets an answer
//! with a read receipt, and closes the chat.
//!
//! `cargo run -p livechat --example inbenta_chat`

#![allow(clippy::print_stdout)]

use futures_util::StreamExt;
use livechat::inbenta::{
    Chat, ChatEvent, ChatItem, ChatOptions, InbentaClient, InbentaConfig, NewUser,
    SubscriptionItem, UserClient,
};
use livechat::inbenta::{InbentaActivityType, InbentaPush};
use livechat::sandbox::{NewInbentaAgent, NewInbentaApp, Sandbox};
use std::time::Duration;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sandbox = Sandbox::builder().start().await?;
    let app = sandbox.create_inbenta_app(NewInbentaApp::new("demo-app"));
    let ann = sandbox.create_inbenta_agent(&app.app_id, NewInbentaAgent::new("Ann"));
    let config = InbentaConfig::server(&app.app_id, sandbox.http_url());
    let client = InbentaClient::new(config);

    // The agent's side: a client logged in with the agent's token that answers.
    let agent = client.login(&ann.id, ann.token).await?;
    let agent_side = tokio::spawn(answer_as_agent(agent));

    // The end user's side.
    let bob = client.create_user(NewUser::new("Bob")).await?;
    println!(
        "created user {} ({})",
        bob.user.id,
        bob.user.name.as_deref().unwrap_or("")
    );
    let bob = client.login(&bob.user.id, bob.token).await?;
    println!(
        "agents available: {}",
        bob.agents_available("1", None).await?
    );
    let chat = Chat::init(
        &bob,
        ChatOptions::new("1").lang("en").assign_max_attempts(2),
    )
    .await?;
    let mut events = chat.events();
    let Some(agent) = chat.search_agent().await? else {
        println!("no agent: forever alone");
        chat.close().await?;
        return Ok(());
    };
    println!(
        "{} joined chat {}",
        agent.name.as_deref().unwrap_or("?"),
        chat.id()
    );
    chat.send_user_activity(InbentaActivityType::Writing)
        .await?;
    let sending = chat.send_message("Hello! Where is my order?");
    println!("sending message, event id {}", sending.event_id());
    let sent = sending.await?;
    println!("stored as message {}", sent.message.id);

    let mut answered = false;
    let mut read = false;
    let deadline = tokio::time::sleep(Duration::from_secs(10));
    tokio::pin!(deadline);
    while !(answered && read) {
        let event = tokio::select! {
            event = events.next() => event,
            () = &mut deadline => None,
        };
        match event.map(ChatItem::into_event) {
            Some(ChatEvent::MessageReceived(m)) => {
                let text = m.message.message.as_ref().and_then(|t| t.as_str());
                println!("agent says: {}", text.unwrap_or("(not text)"));
                chat.read_message(&m.message.id).await?;
                answered = true;
            }
            Some(ChatEvent::MessageRead(r)) if r.message.id == sent.message.id => {
                println!("the agent read our message");
                read = true;
            }
            Some(ChatEvent::UserActivity(a)) => println!("{} is {}", a.user_id, a.kind),
            Some(_) => {}
            None => break,
        }
    }
    chat.close().await?;
    println!("chat closed: {}", chat.is_closed());
    agent_side.await??;
    sandbox.shutdown().await;
    Ok(())
}

/// Opens each chat the agent joins, answers the first message, reads it, and ends when
/// the chat closes.
async fn answer_as_agent(agent: UserClient) -> Result<(), livechat::Error> {
    let mut joins = agent.subscribe("user:joined");
    let Some(SubscriptionItem::Push(InbentaPush::UserJoined(joined))) = joins.next().await else {
        return Ok(());
    };
    let Some(chat_id) = joined.chat_id else {
        return Ok(());
    };
    let chat = Chat::init(&agent, ChatOptions::load(chat_id)).await?;
    let mut events = chat.events();
    while let Some(item) = events.next().await {
        match item.event {
            ChatEvent::MessageReceived(m) => {
                chat.read_message(&m.message.id).await?;
                chat.send_message("Hi Bob, it ships tomorrow.").await?;
            }
            ChatEvent::ChatClosed(_) => break,
            _ => {}
        }
    }
    Ok(())
}
