//! A customer chatting from the terminal: every line read from stdin is a message, every
//! agent message is printed. It ends at the end of input (after waiting a little for the
//! last answers), so `echo hi | cargo run -p livechat --example terminal_chat` works.
//!
//! By default it starts an embedded lc-sandbox with an agent who answers every message.
//! To talk to LiveChat, give an organization id and a customer access token:
//!
//! ```text
//! cargo run -p livechat --example terminal_chat -- --org <organization id> --token <token> [--group <id>]
//! LIVECHAT_ORGANIZATION_ID=... LIVECHAT_CUSTOMER_TOKEN=... cargo run -p livechat --example terminal_chat
//! ```

#![allow(clippy::print_stdout)]

use futures_util::StreamExt;
use livechat::Error;
use livechat::agent::AgentClient;
use livechat::agent::AgentPush;
use livechat::customer::push::IncomingEvent;
use livechat::customer::{Connected, CustomerClient, CustomerConfig, Pagination, Stopped};
use livechat::id::{ChatId, Token};
use livechat::rtm::{AgentSession, RtmConfig, RtmEvent};
use livechat::sandbox::{NewAgent, NewCustomer, Sandbox};
use livechat::types::Event;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};

/// How long to wait for answers after the end of input.
const GRACE: Duration = Duration::from_secs(3);

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |name: &str, env: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1).cloned())
            .or_else(|| std::env::var(env).ok())
    };
    match arg("--org", "LIVECHAT_ORGANIZATION_ID") {
        Some(org) => {
            let token = arg("--token", "LIVECHAT_CUSTOMER_TOKEN")
                .ok_or("--token (or LIVECHAT_CUSTOMER_TOKEN) is required with --org")?;
            let mut config = CustomerConfig::new(org);
            if let Some(group) = arg("--group", "LIVECHAT_GROUP") {
                config = config.group(group.parse::<u32>()?);
            }
            chat(CustomerClient::connect(config, Token::new(token))).await?;
        }
        None => embedded().await?,
    }
    Ok(())
}

/// The embedded sandbox, its answering agent, and the chat.
async fn embedded() -> Result<(), Box<dyn std::error::Error>> {
    let sandbox = Sandbox::builder().start().await?;
    let agent = sandbox.create_agent(NewAgent::new("anna@example.com").name("Anna"));
    let customer = sandbox.create_customer(NewCustomer::new().name("You"));
    let session = AgentSession::agent().base_url(sandbox.ws_url());
    let agent = AgentClient::connect_rtm(session, agent.token, RtmConfig::default());
    agent.list_routing_statuses().await?; // logged in and accepting chats
    let answering = tokio::spawn(answer(agent.clone()));

    let config = CustomerConfig::new(sandbox.organization_id())
        .base_urls(sandbox.ws_url(), sandbox.http_url());
    println!(
        "(embedded sandbox at {}; end the input to quit)",
        sandbox.http_url()
    );
    let result = chat(CustomerClient::connect(config, customer.token)).await;

    answering.abort();
    agent.transport().close();
    sandbox.shutdown().await;
    Ok(result?)
}

/// The sandbox's agent: answers every customer message.
async fn answer(agent: AgentClient<livechat::rtm::RtmClient<AgentSession>>) -> Result<(), Error> {
    let mut pushes = agent.events();
    while let Some(item) = pushes.next().await {
        let RtmEvent::Push {
            push: AgentPush::IncomingEvent(incoming),
            request_id: None,
        } = item
        else {
            continue;
        };
        if let Some(text) = incoming.event.text() {
            let reply = format!("You said \"{text}\". How can I help?");
            agent
                .send_event(incoming.chat_id, Event::message(reply))
                .await?;
        }
    }
    Ok(())
}

/// Reads lines, sends them, prints the agents' messages; ends at the end of input.
async fn chat(client: CustomerClient) -> Result<(), Error> {
    let _connected = client.on::<Connected>(|connected| {
        println!(
            "connected as {} (agents {:?})",
            connected.customer.name.as_deref().unwrap_or("a customer"),
            connected.availability
        );
    });
    let _stopped = client.on::<Stopped>(|stopped| println!("connection ended: {}", stopped.reason));
    // Our own messages come back as pushes too: print only the others'.
    let me = client.get_customer().await?.id.to_string();
    let answers = Arc::new(AtomicUsize::new(0));
    let counted = answers.clone();
    let _messages = client.on::<IncomingEvent>(move |incoming| {
        let author = incoming.event.author_id().map(|a| a.to_string());
        if let (Some(author), Some(text)) = (author, incoming.event.text()) {
            if author != me {
                println!("agent: {text}");
                counted.fetch_add(1, Ordering::SeqCst);
            }
        }
    });

    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    let mut chat: Option<ChatId> = None;
    let mut sent = 0;
    while let Ok(Some(line)) = lines.next_line().await {
        let text = line.trim();
        if text.is_empty() {
            continue;
        }
        let chat_id = match &chat {
            Some(id) => id.clone(),
            None => open_chat(&client).await?,
        };
        match client
            .send_event(chat_id.clone(), Event::message(text))
            .await
        {
            Ok(_) => sent += 1,
            // The agent closed the chat meanwhile: start a new thread with the message.
            Err(Error::Api { error, .. }) if error.kind == livechat::ErrorType::ChatInactive => {
                client.resume_chat(chat_id.clone()).await?;
                client
                    .send_event(chat_id.clone(), Event::message(text))
                    .await?;
                sent += 1;
            }
            Err(other) => return Err(other),
        }
        chat = Some(chat_id);
    }
    // The end of input: wait a little for the answers, then leave.
    let _ = tokio::time::timeout(GRACE, async {
        while answers.load(Ordering::SeqCst) < sent {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    client.destroy();
    Ok(())
}

/// The customer's chat: the latest one (resumed if needed), or a new one.
async fn open_chat(client: &CustomerClient) -> Result<ChatId, Error> {
    let chats = client.get_chats_summary(Pagination::new(0, 1)).await?;
    match chats.chats_summary.into_iter().next() {
        Some(summary) if summary.active => Ok(summary.id),
        Some(summary) => {
            client.resume_chat(summary.id.clone()).await?;
            Ok(summary.id)
        }
        None => Ok(client.start_chat().await?.chat_id),
    }
}
