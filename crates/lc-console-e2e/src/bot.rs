//! The echo bot: an lc-agent RTM client that accepts chats and answers every customer
//! message with `echo: <text>`.

use futures_util::StreamExt;
use lc_agent::AgentClient;
use lc_protocol::Transport;
use lc_protocol::agent::AgentPush;
use lc_protocol::id::ChatId;
use lc_protocol::types::{Event, RoutingStatus};
use lc_rtm::{AgentSession, RtmConfig, RtmEvent};
use lc_sandbox::{AgentHandle, Sandbox};

/// The running bot (stopped when dropped).
pub(crate) struct Bot {
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Bot {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Connects the bot, makes it accept chats, and answers in the background.
pub(crate) async fn start(sandbox: &Sandbox, bot: &AgentHandle) -> Result<Bot, String> {
    let session = AgentSession::agent().base_url(sandbox.ws_url());
    let client = AgentClient::connect_rtm(session, bot.token.clone(), RtmConfig::default());
    let mut events = client.events();
    client
        .set_routing_status(RoutingStatus::AcceptingChats)
        .await
        .map_err(|e| format!("bot set_routing_status: {e}"))?;
    let me = bot.id.to_string();
    let task = tokio::spawn(async move {
        while let Some(event) = events.next().await {
            let (chat, text) = match &event {
                RtmEvent::Push { push, .. } | RtmEvent::Recovered { push, .. } => match push {
                    AgentPush::IncomingChat(p) => {
                        let last = p
                            .chat
                            .thread
                            .as_ref()
                            .and_then(|t| t.events.as_ref()?.last());
                        (p.chat.id.clone(), last.and_then(|e| customer_text(e, &me)))
                    }
                    AgentPush::IncomingEvent(p) => {
                        (p.chat_id.clone(), customer_text(&p.event, &me))
                    }
                    _ => continue,
                },
                _ => continue,
            };
            if let Some(text) = text {
                answer(&client, chat, &text).await;
            }
        }
    });
    Ok(Bot { task })
}

/// The text of a message that is not the bot's own.
fn customer_text(event: &Event, me: &str) -> Option<String> {
    let author = event.author_id()?;
    if author.as_str() == me {
        return None;
    }
    event.text().map(str::to_owned)
}

async fn answer<T: Transport>(client: &AgentClient<T>, chat: ChatId, text: &str) {
    let reply = Event::message(format!("echo: {text}"));
    if let Err(e) = client.send_event(chat, reply).await {
        println!("bot: send_event failed: {e}");
    }
}
