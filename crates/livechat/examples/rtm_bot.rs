//! A bot that answers every incoming message with an echo, over RTM.
//!
//! `LIVECHAT_TOKEN=dal:... cargo run -p livechat --example rtm_bot` runs it against
//! LiveChat. Without `LIVECHAT_TOKEN` it starts an embedded lc-sandbox and a scripted
//! customer who says hello, waits for the answer and ends the example.

#![allow(clippy::print_stdout)]

use futures_util::StreamExt;
use livechat::agent::AgentClient;
use livechat::agent::AgentPush;
use livechat::customer::{self, CustomerPush};
use livechat::id::Token;
use livechat::rtm::{AgentSession, CustomerSession, RtmClient, RtmConfig, RtmEvent};
use livechat::sandbox::{CustomerHandle, NewAgent, NewCustomer, Sandbox};
use livechat::types::Event;
use livechat::{Error, Transport};

type Agent = AgentClient<RtmClient<AgentSession>>;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    if let Ok(token) = std::env::var("LIVECHAT_TOKEN") {
        let bot = AgentClient::connect_rtm(
            AgentSession::agent(),
            Token::new(token),
            RtmConfig::default(),
        );
        return Ok(echo(&bot).await?);
    }

    let sandbox = Sandbox::builder().start().await?;
    let agent = sandbox.create_agent(NewAgent::new("echo-bot@example.com"));
    let customer = sandbox.create_customer(NewCustomer::new().name("Jane"));
    let session = AgentSession::agent().base_url(sandbox.ws_url());
    let bot = AgentClient::connect_rtm(session, agent.token, RtmConfig::default());
    bot.list_routing_statuses().await?; // logged in and accepting chats

    let customer = scripted_customer(&sandbox, customer);
    tokio::select! {
        result = echo(&bot) => result?,
        result = customer => result?,
    }
    sandbox.shutdown().await;
    Ok(())
}

/// Answers every message someone else sent with an echo, until the connection stops.
async fn echo(bot: &Agent) -> Result<(), Error> {
    let mut pushes = bot.events();
    while let Some(item) = pushes.next().await {
        // Pushes our own requests caused carry their request id: skip our own messages.
        let RtmEvent::Push {
            push: AgentPush::IncomingEvent(incoming),
            request_id: None,
        } = item
        else {
            continue;
        };
        if let Some(text) = incoming.event.text() {
            let answer = Event::message(format!("You said: {text}"));
            bot.send_event(incoming.chat_id, answer).await?;
        }
    }
    Ok(())
}

/// A customer who starts a chat, says hello and waits for the bot's answer.
async fn scripted_customer(sandbox: &Sandbox, who: CustomerHandle) -> Result<(), Error> {
    let session = CustomerSession::customer(sandbox.organization_id()).base_url(sandbox.ws_url());
    let client = RtmClient::connect(session, who.token, RtmConfig::default());
    let mut pushes = client.subscribe();
    let chat = client.call(&customer::StartChat::new()).await?;
    println!("customer: Hello!");
    client
        .call(&customer::SendEvent::new(
            chat.chat_id,
            Event::message("Hello!"),
        ))
        .await?;
    while let Some(item) = pushes.next().await {
        if let RtmEvent::Push {
            push: CustomerPush::IncomingEvent(incoming),
            request_id: None,
        } = item
        {
            println!("bot: {}", incoming.event.text().unwrap_or_default());
            break;
        }
    }
    client.close();
    Ok(())
}
