//! What the lc-agent integration tests share: a [`World`] around a real lc-sandbox (an
//! agent, a customer, the agent's client under test over RTM or Web and an RTM
//! connection of the same agent that accepts chats and sees pushes), helpers that await
//! pushes with a deadline, and one scenario per behaviour both transports carry
//! ([`chats`], [`events`], [`customers`], [`status`]), generic over the transport.

#![allow(dead_code)]

pub(crate) mod chats;
pub(crate) mod customers;
pub(crate) mod events;
pub(crate) mod status;

use futures_util::StreamExt;
use lc_agent::AgentClient;
use lc_protocol::agent::{AgentPush, GetChatResponse};
use lc_protocol::customer::CustomerPush;
use lc_protocol::id::{ChatId, ThreadId};
use lc_protocol::types::RoutingStatus;
use lc_protocol::{ApiVersion, Transport, customer};
use lc_rtm::{AgentSession, CustomerSession, PushStream, RtmClient, RtmConfig, RtmEvent};
use lc_sandbox::{AgentHandle, CustomerHandle, NewAgent, NewCustomer, Sandbox};
use lc_web::{WebClient, WebConfig};
use std::fmt::Debug;
use std::time::Duration;

/// How long any awaited push may take before the test fails.
pub(crate) const WAIT: Duration = Duration::from_secs(10);

/// The RTM transport of an agent.
pub(crate) type Rtm = RtmClient<AgentSession>;

/// An agent client over RTM.
pub(crate) type RtmAgent = AgentClient<Rtm>;

/// The world whose client under test is the agent's RTM connection.
pub(crate) type RtmWorld = World<Rtm>;

/// The world whose client under test sends every method over Web.
pub(crate) type WebWorld = World<WebClient>;

/// A transport whose agent client the tests exercise.
pub(crate) trait UnderTest: Transport + Sized {
    /// The client under test of `agent` at `version`; `rtm` is the agent's RTM
    /// connection (at the same version).
    fn client(
        sandbox: &Sandbox,
        agent: &AgentHandle,
        version: ApiVersion,
        rtm: &RtmAgent,
    ) -> AgentClient<Self>;
}

impl UnderTest for Rtm {
    /// Over RTM the client under test is the agent's RTM connection itself.
    fn client(_: &Sandbox, _: &AgentHandle, _: ApiVersion, rtm: &RtmAgent) -> RtmAgent {
        rtm.clone()
    }
}

impl UnderTest for WebClient {
    /// Over Web the client under test sends every method over HTTP.
    fn client(
        sandbox: &Sandbox,
        agent: &AgentHandle,
        version: ApiVersion,
        _: &RtmAgent,
    ) -> AgentClient<WebClient> {
        web_agent(sandbox, agent, version)
    }
}

/// RTM settings that reconnect quickly.
pub(crate) fn rtm_config() -> RtmConfig {
    let mut config = RtmConfig::default();
    config.backoff.initial = Duration::from_millis(20);
    config.backoff.max = Duration::from_millis(200);
    config
}

/// An RTM client of `agent` at `version`, logged in (a first request has resolved).
pub(crate) async fn rtm_agent(
    sandbox: &Sandbox,
    agent: &AgentHandle,
    version: ApiVersion,
) -> RtmAgent {
    let session = AgentSession::agent()
        .base_url(sandbox.ws_url())
        .version(version);
    let client = AgentClient::connect_rtm(session, agent.token.clone(), rtm_config());
    client.list_routing_statuses().await.unwrap();
    client
}

/// A Web client of `agent` at `version`.
pub(crate) fn web_agent(
    sandbox: &Sandbox,
    agent: &AgentHandle,
    version: ApiVersion,
) -> AgentClient<WebClient> {
    let session = AgentSession::agent()
        .base_url(sandbox.http_url())
        .version(version);
    AgentClient::connect_web(session, agent.token.clone(), WebConfig::default())
}

/// A sandbox with an agent (Smith) and a customer (Jane).
pub(crate) struct World<T> {
    pub(crate) sandbox: Sandbox,
    pub(crate) agent: AgentHandle,
    pub(crate) customer: CustomerHandle,
    /// The client under test.
    pub(crate) client: AgentClient<T>,
    /// The same agent over RTM: accepts chats and sees pushes (over RTM, the very
    /// connection of `client`).
    pub(crate) rtm: RtmAgent,
    version: ApiVersion,
}

impl<T: UnderTest> World<T> {
    /// The world at API 3.6.
    pub(crate) async fn new() -> Self {
        Self::of(ApiVersion::V3_6).await
    }

    /// The world with both clients at `version`.
    pub(crate) async fn of(version: ApiVersion) -> Self {
        let sandbox = Sandbox::builder().start().await.unwrap();
        let agent = sandbox.create_agent(NewAgent::new("smith@example.com"));
        let customer = sandbox.create_customer(NewCustomer::new().name("Jane"));
        let rtm = rtm_agent(&sandbox, &agent, version).await;
        let client = T::client(&sandbox, &agent, version, &rtm);
        Self {
            sandbox,
            agent,
            customer,
            client,
            rtm,
            version,
        }
    }

    /// The world at API 3.6 and a chat the customer started.
    pub(crate) async fn with_chat() -> (Self, CustomerChat) {
        let world = Self::new().await;
        let chat = world.customer_chat().await;
        (world, chat)
    }

    /// A second agent (Jones), connected over RTM and accepting chats, with its own
    /// client over `T`.
    pub(crate) async fn other_agent(&self) -> OtherAgent<T> {
        let handle = self.create_other_agent();
        let rtm = rtm_agent(&self.sandbox, &handle, self.version).await;
        let client = T::client(&self.sandbox, &handle, self.version, &rtm);
        OtherAgent {
            handle,
            client,
            rtm,
        }
    }
}

impl<T: Transport> World<T> {
    /// A second agent (Jones), not connected.
    pub(crate) fn create_other_agent(&self) -> AgentHandle {
        self.sandbox
            .create_agent(NewAgent::new("jones@example.com"))
    }

    /// The customer starts a chat, which is routed to the agent.
    pub(crate) async fn customer_chat(&self) -> CustomerChat {
        let mut pushes = self.rtm.events();
        let session = CustomerSession::customer(self.sandbox.organization_id())
            .base_url(self.sandbox.ws_url());
        let customer = RtmClient::connect(session, self.customer.token.clone(), rtm_config());
        let started = customer.call(&customer::StartChat::new()).await.unwrap();
        next_push(&mut pushes, "incoming_chat", |p| {
            matches!(p, AgentPush::IncomingChat(_))
        })
        .await;
        CustomerChat {
            customer,
            chat_id: started.chat_id,
            thread_id: started.thread_id,
        }
    }

    /// The routing status of the agent, as the client under test lists it.
    pub(crate) async fn my_routing_status(&self) -> RoutingStatus {
        let statuses = self.client.list_routing_statuses().await.unwrap();
        let mine = statuses.iter().find(|s| s.agent_id == self.agent.id);
        mine.unwrap().status.clone()
    }

    /// Closes the RTM connection and stops the sandbox.
    pub(crate) async fn shutdown(self) {
        self.rtm.transport().close();
        self.sandbox.shutdown().await;
    }
}

/// A second agent of the world; its RTM connection closes on drop.
pub(crate) struct OtherAgent<T> {
    pub(crate) handle: AgentHandle,
    /// Its client over the transport under test (over RTM, the connection `rtm`).
    pub(crate) client: AgentClient<T>,
    /// Its RTM connection.
    pub(crate) rtm: RtmAgent,
}

impl<T> Drop for OtherAgent<T> {
    fn drop(&mut self) {
        self.rtm.transport().close();
    }
}

/// A chat the customer started; the customer's connection closes on drop.
pub(crate) struct CustomerChat {
    pub(crate) customer: RtmClient<CustomerSession>,
    pub(crate) chat_id: ChatId,
    pub(crate) thread_id: ThreadId,
}

impl CustomerChat {
    /// The customer's pushes from now on.
    pub(crate) fn pushes(&self) -> PushStream<CustomerPush> {
        self.customer.subscribe()
    }
}

impl Drop for CustomerChat {
    fn drop(&mut self) {
        self.customer.close();
    }
}

/// The next item of `events` that `accept` takes, or a panic after [`WAIT`].
pub(crate) async fn next_event<P: Clone + Send + Debug + 'static>(
    events: &mut (impl futures_util::Stream<Item = RtmEvent<P>> + Unpin),
    what: &str,
    accept: impl Fn(&RtmEvent<P>) -> bool,
) -> RtmEvent<P> {
    tokio::time::timeout(WAIT, async {
        loop {
            let event = events
                .next()
                .await
                .unwrap_or_else(|| panic!("stream ended before {what}"));
            if accept(&event) {
                return event;
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no {what}"))
}

/// The next push of `events` that `accept` takes, or a panic after [`WAIT`].
pub(crate) async fn next_push<P: Clone + Send + Debug + 'static>(
    events: &mut (impl futures_util::Stream<Item = RtmEvent<P>> + Unpin),
    what: &str,
    accept: impl Fn(&P) -> bool,
) -> P {
    let event = next_event(
        events,
        what,
        |e| matches!(e, RtmEvent::Push { push, .. } if accept(push)),
    )
    .await;
    let RtmEvent::Push { push, .. } = event else {
        unreachable!()
    };
    push
}

/// The reason of the first disconnection in `events`, or a panic after [`WAIT`].
pub(crate) async fn next_disconnection<P: Clone + Send + Debug + 'static>(
    events: &mut (impl futures_util::Stream<Item = RtmEvent<P>> + Unpin),
) -> String {
    let event = next_event(events, "a disconnection", |e| {
        matches!(e, RtmEvent::Disconnected { .. } | RtmEvent::Stopped { .. })
    })
    .await;
    match event {
        RtmEvent::Disconnected { reason } | RtmEvent::Stopped { reason } => reason,
        _ => unreachable!(),
    }
}

/// The ids of the users of `chat`.
pub(crate) fn user_ids(chat: &GetChatResponse) -> Vec<String> {
    chat.users
        .iter()
        .filter_map(|u| u.id().map(str::to_owned))
        .collect()
}
