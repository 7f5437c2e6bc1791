//! A LiveChat 3.6 bot the way LiveChat documents it: created with the Configuration API,
//! told about chats by webhooks, answering over the Web API with its own bot token, and
//! handing the chat to a human when the customer asks for one.
//!
//! ```sh
//! cargo run -p livechat --example webhook_bot
//! ```
//!
//! Without `LIVECHAT_PAT` it runs against an embedded lc-sandbox, with a scripted
//! customer (who says hello, then asks for a human) and a human agent, and exits 0 when
//! the human has the chat. With these variables it runs against LiveChat until Ctrl-C,
//! then deletes its bot and webhooks:
//!
//! | variable | what |
//! |---|---|
//! | `LIVECHAT_ACCOUNT_ID`, `LIVECHAT_PAT` | an administrator's personal access token (scopes `agents-bot--my:rw`, `webhooks.configuration:rw`) |
//! | `LIVECHAT_CLIENT_ID` | the client id of your application (it owns the bot and the webhooks) |
//! | `LIVECHAT_ORGANIZATION_ID` | your organization id |
//! | `LIVECHAT_WEBHOOK_URL` | the public HTTPS address LiveChat posts webhooks to, forwarded to `LIVECHAT_LISTEN` |
//! | `LIVECHAT_LISTEN` | where the bot listens (default `0.0.0.0:8080`) |
//! | `LIVECHAT_HUMAN_GROUP` | the group a chat is transferred to on request (default 0) |
//! | `LIVECHAT_API_URL` | the API host (default `https://api.livechatinc.com`) |

#![allow(clippy::print_stdout)]

use futures_util::StreamExt;
use livechat::accounts::BotTokens;
use livechat::agent::{AgentClient, AgentPush, TransferChatTarget};
use livechat::configuration::{
    ConfigurationClient, ConfigurationSession, WebhookChatPresence, WebhookFilters, WebhookType,
};
use livechat::id::{AgentId, ChatId, Token};
use livechat::types::{ConfigGroupMembership, ConfigGroupPriority, Event, RoutingStatus, UserType};
use livechat::web::{AgentSession, WebClient, WebConfig};
use livechat::webhooks::{WebhookReceiver, Webhooks};
use std::error::Error;

mod scene;

type Result<T> = std::result::Result<T, Box<dyn Error + Send + Sync>>;

/// Where the bot works and who it answers to.
struct Settings {
    /// The API host (LiveChat's, or the sandbox's).
    api_url: String,
    /// Credentials for the Configuration API.
    admin: Token,
    client_id: String,
    organization_id: String,
    /// Where LiveChat posts webhooks, and where the bot listens for them.
    webhook_url: Option<String>,
    listen: String,
    /// Where a chat goes when the customer asks for a human.
    handoff: TransferChatTarget,
}

/// The bot's registrations, to undo when it stops.
struct Registered {
    bot_id: AgentId,
    webhook_ids: Vec<String>,
}

#[tokio::main]
async fn main() -> Result<()> {
    match Settings::from_env()? {
        Some(settings) => {
            let (registered, bot) = start(&settings).await?;
            println!(
                "bot {} is accepting chats; Ctrl-C stops it",
                registered.bot_id
            );
            tokio::select! {
                result = bot => result??,
                _ = tokio::signal::ctrl_c() => {}
            }
            stop(&settings, registered).await
        }
        None => scene::run().await,
    }
}

impl Settings {
    /// The real service's settings from `LIVECHAT_*`, or `None` without `LIVECHAT_PAT`.
    fn from_env() -> Result<Option<Self>> {
        let Ok(pat) = std::env::var("LIVECHAT_PAT") else {
            return Ok(None);
        };
        let var = |name: &str| std::env::var(name).map_err(|_| format!("{name} is not set"));
        let group: u32 = std::env::var("LIVECHAT_HUMAN_GROUP")
            .unwrap_or_else(|_| "0".into())
            .parse()?;
        Ok(Some(Self {
            api_url: std::env::var("LIVECHAT_API_URL")
                .unwrap_or_else(|_| "https://api.livechatinc.com".into()),
            admin: Token::basic(&var("LIVECHAT_ACCOUNT_ID")?, &pat),
            client_id: var("LIVECHAT_CLIENT_ID")?,
            organization_id: var("LIVECHAT_ORGANIZATION_ID")?,
            webhook_url: Some(var("LIVECHAT_WEBHOOK_URL")?),
            listen: std::env::var("LIVECHAT_LISTEN").unwrap_or_else(|_| "0.0.0.0:8080".into()),
            handoff: TransferChatTarget::groups([group]),
        }))
    }

    fn configuration(&self) -> ConfigurationClient {
        let session = ConfigurationSession::configuration().base_url(&self.api_url);
        ConfigurationClient::connect_web(session, self.admin.clone(), WebConfig::default())
    }
}

/// Creates the bot, listens for webhooks, registers them, switches the bot on and
/// spawns its loop.
async fn start(settings: &Settings) -> Result<(Registered, tokio::task::JoinHandle<Result<()>>)> {
    let config = settings.configuration();
    let bot = config
        .create_bot("Echo bot")
        .owner_client_id(&settings.client_id)
        .groups(vec![ConfigGroupMembership::new(
            0,
            ConfigGroupPriority::First,
        )])
        .await?;

    // The secret LiveChat echoes in every delivery: only LiveChat and this bot know it.
    let secret = uuid::Uuid::new_v4().simple().to_string();
    let (receiver, webhooks) = WebhookReceiver::new(secret.clone());
    let listener = tokio::net::TcpListener::bind(&settings.listen).await?;
    let url = match &settings.webhook_url {
        Some(url) => url.clone(),
        None => format!("http://{}/livechat", listener.local_addr()?),
    };
    tokio::spawn(receiver.serve(listener));

    // Only chats this application's bots are in; only what customers write.
    let in_my_chats = WebhookFilters {
        chat_presence: Some(WebhookChatPresence {
            my_bots: Some(true),
            ..WebhookChatPresence::default()
        }),
        ..WebhookFilters::default()
    };
    let mut webhook_ids = Vec::new();
    for (action, author) in [
        ("incoming_chat", None),
        ("incoming_event", Some(UserType::Customer)),
    ] {
        let filters = WebhookFilters {
            author_type: author,
            ..in_my_chats.clone()
        };
        let registered = config
            .register_webhook(
                action,
                secret.as_str(),
                &url,
                &settings.client_id,
                WebhookType::Bot,
            )
            .filters(filters)
            .await?;
        webhook_ids.push(registered.id);
    }

    // The bot's own token, issued again before it expires, for the Agent Chat Web API.
    let tokens = BotTokens::builder(
        bot.id.as_str(),
        bot.secret,
        &settings.client_id,
        &settings.organization_id,
    )
    .api_url(&settings.api_url)
    .build();
    let session = AgentSession::agent().base_url(&settings.api_url);
    let agent = AgentClient::connect_web(session, tokens, WebConfig::default());
    agent
        .set_routing_status(RoutingStatus::AcceptingChats)
        .await?;

    let handoff = settings.handoff.clone();
    let task = tokio::spawn(async move { answer(agent, webhooks, handoff).await });
    let registered = Registered {
        bot_id: bot.id,
        webhook_ids,
    };
    Ok((registered, task))
}

/// The bot: greets each new chat, echoes what the customer writes, and transfers the
/// chat to `handoff` when the customer asks for a human.
async fn answer(
    agent: AgentClient<WebClient>,
    mut webhooks: Webhooks,
    handoff: TransferChatTarget,
) -> Result<()> {
    while let Some(webhook) = webhooks.next().await {
        match &webhook.payload {
            AgentPush::IncomingChat(incoming) => {
                let greeting =
                    "Hi, I am a bot. I repeat what you say; write \"human\" for a person.";
                agent
                    .send_event(incoming.chat.id.clone(), Event::message(greeting))
                    .await?;
            }
            AgentPush::IncomingEvent(incoming) => {
                let Some(text) = incoming.event.text() else {
                    continue;
                };
                reply(&agent, incoming.chat_id.clone(), text, &handoff).await?;
            }
            _ => {}
        }
    }
    Ok(())
}

async fn reply(
    agent: &AgentClient<WebClient>,
    chat: ChatId,
    text: &str,
    handoff: &TransferChatTarget,
) -> Result<()> {
    if text.to_lowercase().contains("human") {
        agent
            .send_event(
                chat.clone(),
                Event::message("Sure, a person will take it from here."),
            )
            .await?;
        agent.transfer_chat(chat).target(handoff.clone()).await?;
    } else {
        agent
            .send_event(chat, Event::message(format!("You said: {text}")))
            .await?;
    }
    Ok(())
}

/// Unregisters the webhooks and deletes the bot.
async fn stop(settings: &Settings, registered: Registered) -> Result<()> {
    let config = settings.configuration();
    for id in registered.webhook_ids {
        config.unregister_webhook(id, &settings.client_id).await?;
    }
    config.delete_bot(registered.bot_id).await?;
    println!("bot and webhooks removed");
    Ok(())
}
