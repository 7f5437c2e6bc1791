//! The example's scene without an account: an embedded lc-sandbox, a human agent online
//! over RTM, and a scripted customer who says hello and then asks for a human.

use super::{Result, Settings, start, stop};
use futures_util::{Stream, StreamExt};
use livechat::agent::{AgentClient, AgentPush, TransferChatTarget};
use livechat::customer::{CustomerClient, CustomerConfig, CustomerEvent, CustomerPush};
use livechat::rtm::{AgentSession, RtmConfig, RtmEvent};
use livechat::sandbox::{NewAgent, NewCustomer, Sandbox};
use livechat::types::Event;
use std::time::Duration;

/// How long each step may take.
const STEP: Duration = Duration::from_secs(10);

pub(crate) async fn run() -> Result<()> {
    let sandbox = Sandbox::builder().start().await?;
    let admin = sandbox.create_agent(NewAgent::new("admin@example.com").name("Admin"));
    let human = sandbox.create_agent(NewAgent::new("ann@example.com").name("Ann"));
    let customer = sandbox.create_customer(NewCustomer::new().name("Jane"));
    println!("sandbox listening on {}", sandbox.http_url());

    // Ann, a human agent, is online and accepting chats.
    let session = AgentSession::agent().base_url(sandbox.ws_url());
    let ann = AgentClient::connect_rtm(session, human.token.clone(), RtmConfig::default());
    let mut ann_events = ann.events();
    ann.list_routing_statuses().await?;

    // The bot: created, its webhooks registered, accepting chats.
    let settings = Settings {
        api_url: sandbox.http_url(),
        admin: admin.token.clone(),
        client_id: "webhook-bot-example".into(),
        organization_id: sandbox.organization_id(),
        webhook_url: None,
        listen: "127.0.0.1:0".into(),
        handoff: TransferChatTarget::agents([human.id.clone()]),
    };
    let (registered, _bot) = start(&settings).await?;
    let bot_id = registered.bot_id.clone();
    println!("bot {bot_id} is accepting chats");

    // Jane starts a chat: the bot gets it, greets her and echoes her.
    let config = CustomerConfig::new(sandbox.organization_id())
        .base_urls(sandbox.ws_url(), sandbox.http_url());
    let jane = CustomerClient::connect(config, customer.token.clone());
    let mut jane_events = jane.events();
    let chat = jane.start_chat().await?;
    let chat_id = chat.chat_id;
    let said = |author: &str| {
        let author = author.to_owned();
        move |event: &CustomerEvent| match event {
            CustomerEvent::Push(CustomerPush::IncomingEvent(push))
                if push.event.author_id().map(|a| a.as_str()) == Some(author.as_str()) =>
            {
                push.event.text().map(str::to_owned)
            }
            _ => None,
        }
    };
    let greeting = next(&mut jane_events, said(bot_id.as_str())).await?;
    println!("bot: {greeting}");
    jane.send_event(chat_id.clone(), Event::message("Hello bot"))
        .await?;
    let echo = next(&mut jane_events, said(bot_id.as_str())).await?;
    println!("bot: {echo}");
    if echo != "You said: Hello bot" {
        return Err(format!("unexpected answer {echo:?}").into());
    }

    // Jane asks for a human: the bot transfers the chat to Ann, who answers.
    jane.send_event(chat_id.clone(), Event::message("Can I talk to a human?"))
        .await?;
    next(&mut ann_events, |event| match event {
        RtmEvent::Push { push, .. } => match push {
            AgentPush::ChatTransferred(p) if p.chat_id == chat_id => Some(()),
            AgentPush::IncomingChat(p) if p.chat.id == chat_id => Some(()),
            AgentPush::UserAddedToChat(p) if p.chat_id == chat_id => Some(()),
            _ => None,
        },
        _ => None,
    })
    .await?;
    ann.send_event(chat_id.clone(), Event::message("Hi Jane, Ann here."))
        .await?;
    let from_ann = next(&mut jane_events, said(human.id.as_str())).await?;
    println!("Ann: {from_ann}");

    let deliveries = sandbox.webhook_deliveries().len();
    println!("the bot heard about the chat through {deliveries} webhook deliveries; done");
    stop(&settings, registered).await?;
    jane.destroy();
    ann.transport().close();
    sandbox.shutdown().await;
    Ok(())
}

/// The first item of `events` that `pick` maps to something, within [`STEP`].
async fn next<E, T>(
    events: &mut (impl Stream<Item = E> + Unpin),
    mut pick: impl FnMut(&E) -> Option<T>,
) -> Result<T> {
    let found = tokio::time::timeout(STEP, async {
        while let Some(event) = events.next().await {
            if let Some(found) = pick(&event) {
                return Some(found);
            }
        }
        None
    })
    .await;
    match found {
        Ok(Some(found)) => Ok(found),
        Ok(None) => Err("the event stream ended".into()),
        Err(_) => Err(format!("nothing within {STEP:?}").into()),
    }
}
