//! livechat-rs quickstart: a customer and an agent chat through an embedded lc-sandbox,
//! with no account and no network.
//!
//! ```sh
//! cargo run -p quickstart
//! ```
//!
//! The agent works over RTM (it accepts the chat and answers as pushes arrive) and over
//! Web (it uploads a file); the customer uses the customer SDK. Each step prints what
//! happened; the program exits when the chat is closed, or with an error after 10 s of
//! silence.
#![allow(clippy::print_stdout)]

use futures_util::{Stream, StreamExt};
use livechat::agent::AgentClient;
use livechat::agent::AgentPush;
use livechat::customer::CustomerPush;
use livechat::customer::{CustomerClient, CustomerConfig, CustomerEvent, Rating};
use livechat::rtm::{AgentSession, RtmConfig, RtmEvent};
use livechat::sandbox::{NewAgent, NewCustomer, Sandbox};
use livechat::types::Event;
use livechat::web::{Upload, WebConfig};
use std::error::Error;
use std::time::Duration;

const QUIET: Duration = Duration::from_secs(10);

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    // 1. A local LiveChat server with one agent and one customer.
    let sandbox = Sandbox::builder().start().await?;
    let agent = sandbox.create_agent(NewAgent::new("ann@example.com").name("Ann"));
    let customer = sandbox.create_customer(NewCustomer::new().name("Bob"));
    println!("sandbox listening on {}", sandbox.http_url());

    // 2. The agent connects over RTM (login, heartbeat and reconnects are automatic).
    let session = AgentSession::agent().base_url(sandbox.ws_url());
    let ann = AgentClient::connect_rtm(session, agent.token.clone(), RtmConfig::default());
    let mut ann_pushes = ann.events();
    ann.list_routing_statuses().await?;
    println!("agent Ann is logged in and accepting chats");

    // 3. The customer connects and starts a chat.
    let config = CustomerConfig::new(sandbox.organization_id())
        .base_urls(sandbox.ws_url(), sandbox.http_url());
    let bob = CustomerClient::connect(config, customer.token.clone());
    let mut bob_events = bob.events();
    let chat = bob.start_chat().await?;
    bob.send_event(
        chat.chat_id.clone(),
        Event::message("Hi! Where is my order?"),
    )
    .await?;
    println!("customer Bob started chat {}", chat.chat_id);

    // 4. Ann sees the chat and the message, and answers.
    let incoming = next(&mut ann_pushes, |event| match event {
        RtmEvent::Push {
            push: AgentPush::IncomingEvent(push),
            ..
        } => push.event.text().map(str::to_owned),
        _ => None,
    })
    .await?;
    println!("Ann got: {incoming:?}");
    ann.send_event(
        chat.chat_id.clone(),
        Event::message("It ships today. Here is the receipt."),
    )
    .await?;

    // 5. Ann uploads the receipt over the Web API and sends it as a file event.
    let web = AgentClient::connect_web(
        AgentSession::agent().base_url(sandbox.http_url()),
        agent.token.clone(),
        WebConfig::default(),
    );
    let receipt = Upload::bytes("receipt.txt", "Order #1042: 1 x teapot, shipped.");
    let uploaded = web.upload_file(receipt).await?;
    web.send_event(chat.chat_id.clone(), Event::file(uploaded.url))
        .await?;

    // 6. Bob gets Ann's message and file (his own message comes back too; skipped), rates
    //    the chat and closes it.
    for _ in 0..2 {
        let got = next(&mut bob_events, |event| match event {
            CustomerEvent::Push(CustomerPush::IncomingEvent(push))
                if push.event.author_id().map(|a| a.as_str()) == Some(agent.id.as_str()) =>
            {
                match &push.event {
                    Event::Message(message) => message.text.clone(),
                    Event::File(file) => file.url.as_ref().map(|url| format!("a file at {url}")),
                    _ => None,
                }
            }
            _ => None,
        })
        .await?;
        println!("Bob got: {got:?}");
    }
    bob.rate_chat(
        chat.chat_id.clone(),
        Rating::good().comment("Quick and kind"),
    )
    .await?;
    bob.close_thread(chat.chat_id.clone()).await?;
    next(&mut ann_pushes, |event| match event {
        RtmEvent::Push {
            push: AgentPush::ChatDeactivated(_),
            ..
        } => Some(()),
        _ => None,
    })
    .await?;
    println!("Bob rated the chat and closed it; Ann was told. Done.");

    bob.destroy();
    ann.transport().close();
    sandbox.shutdown().await;
    Ok(())
}

/// The first item of `stream` that `pick` maps to something, or an error after
/// [`QUIET`] without one.
async fn next<S, T>(
    stream: &mut S,
    mut pick: impl FnMut(S::Item) -> Option<T>,
) -> Result<T, Box<dyn Error>>
where
    S: Stream + Unpin,
{
    let found = tokio::time::timeout(QUIET, async {
        while let Some(item) = stream.next().await {
            if let Some(value) = pick(item) {
                return Some(value);
            }
        }
        None
    })
    .await;
    match found {
        Ok(Some(value)) => Ok(value),
        Ok(None) => Err("the stream ended".into()),
        Err(_) => Err(format!("nothing arrived within {QUIET:?}").into()),
    }
}
