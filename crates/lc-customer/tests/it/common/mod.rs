//! A sandbox with an agent (over RTM, accepting chats) and a customer client.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use futures_util::StreamExt;
use lc_agent::AgentClient;
use lc_customer::{CustomerClient, CustomerConfig, CustomerEvent, EventKind, EventStream};
use lc_protocol::agent::AgentPush;
use lc_protocol::auth::TokenProvider;
use lc_protocol::id::{ChatId, ThreadId};
use lc_rtm::{AgentSession, RtmClient, RtmConfig, RtmEvent};
use lc_sandbox::{AgentHandle, CustomerHandle, NewAgent, NewCustomer, Sandbox, SandboxBuilder};
use std::time::Duration;

pub const WAIT: Duration = Duration::from_secs(10);

pub type Agent = AgentClient<RtmClient<AgentSession>>;

pub struct World {
    pub sandbox: Sandbox,
    pub agent_handle: AgentHandle,
    pub agent: Agent,
    pub customer: CustomerHandle,
    pub client: CustomerClient,
    /// The customer client's events since it was created.
    pub events: EventStream<CustomerEvent>,
}

pub fn rtm_config() -> RtmConfig {
    let mut config = RtmConfig::default();
    config.backoff.initial = Duration::from_millis(20);
    config.backoff.max = Duration::from_millis(200);
    config
}

pub fn config(sandbox: &Sandbox) -> CustomerConfig {
    CustomerConfig::new(sandbox.organization_id())
        .base_urls(sandbox.ws_url(), sandbox.http_url())
        .rtm_config(rtm_config())
}

pub async fn world() -> World {
    world_with(Sandbox::builder(), |c| c).await
}

/// A world from a sandbox builder, with the customer's configuration changed by `edit`.
pub async fn world_with(
    builder: SandboxBuilder,
    edit: impl FnOnce(CustomerConfig) -> CustomerConfig,
) -> World {
    let sandbox = builder.start().await.unwrap();
    let agent_handle = sandbox.create_agent(NewAgent::new("smith@example.com").name("Agent Smith"));
    let session = AgentSession::agent().base_url(sandbox.ws_url());
    let agent = AgentClient::connect_rtm(session, agent_handle.token.clone(), rtm_config());
    agent.list_routing_statuses().await.unwrap(); // logged in, accepting chats
    let customer = sandbox.create_customer(NewCustomer::new().name("Jane"));
    let client = connect(&sandbox, edit(config(&sandbox)), customer.token.clone());
    let mut events = client.events();
    next_of::<lc_customer::Connected>(&mut events).await;
    World {
        sandbox,
        agent_handle,
        agent,
        customer,
        client,
        events,
    }
}

pub fn connect(
    _sandbox: &Sandbox,
    config: CustomerConfig,
    tokens: impl TokenProvider,
) -> CustomerClient {
    CustomerClient::connect(config, tokens)
}

/// The next event of kind `K`, or a panic after [`WAIT`].
pub async fn next_of<K: EventKind + Clone>(events: &mut EventStream<CustomerEvent>) -> K {
    let found = next_event(events, K::NAME, |e| K::from_event(e).is_some()).await;
    K::from_event(&found).unwrap().clone()
}

/// The next event accepted by `accept`, or a panic after [`WAIT`].
pub async fn next_event(
    events: &mut EventStream<CustomerEvent>,
    what: &str,
    accept: impl Fn(&CustomerEvent) -> bool,
) -> CustomerEvent {
    tokio::time::timeout(WAIT, async {
        loop {
            let event = events
                .next()
                .await
                .unwrap_or_else(|| panic!("event stream ended before {what}"));
            if accept(&event) {
                return event;
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no {what}"))
}

/// The next agent push accepted by `accept`, or a panic after [`WAIT`].
pub async fn agent_push(
    pushes: &mut (impl futures_util::Stream<Item = lc_rtm::RtmEvent<AgentPush>> + Unpin),
    what: &str,
    mut accept: impl FnMut(&AgentPush) -> bool,
) -> AgentPush {
    tokio::time::timeout(WAIT, async {
        loop {
            let event = pushes
                .next()
                .await
                .unwrap_or_else(|| panic!("agent stream ended before {what}"));
            if let RtmEvent::Push { push, .. } = event {
                if accept(&push) {
                    return push;
                }
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("the agent got no {what}"))
}

/// The customer starts a chat, routed to the agent (who got `incoming_chat`).
pub async fn start_chat(w: &World) -> (ChatId, ThreadId) {
    let mut pushes = w.agent.events();
    let started = w.client.start_chat().await.unwrap();
    agent_push(
        &mut pushes,
        "incoming_chat",
        |p| matches!(p, AgentPush::IncomingChat(c) if c.chat.id == started.chat_id),
    )
    .await;
    (started.chat_id, started.thread_id)
}

pub async fn shutdown(w: World) {
    w.client.destroy();
    w.agent.transport().close();
    w.sandbox.shutdown().await;
}
