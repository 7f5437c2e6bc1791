//! Shared helpers of the lc-inbenta integration tests: a sandbox with an Inbenta app,
//! logged-in users and agents, and awaiting events with a deadline.

#![allow(dead_code, unreachable_pub)]

use futures_util::{Stream, StreamExt};
use lc_inbenta::{
    Chat, ChatEvent, ChatItem, ChatOptions, EventStream, InbentaClient, InbentaConfig, NewUser,
    UserClient,
};
use lc_rtm::RtmConfig;
use lc_sandbox::{InbentaApp, NewInbentaAgent, NewInbentaApp, Sandbox};
use std::time::Duration;

/// How long any awaited event may take before the test fails.
pub const WAIT: Duration = Duration::from_secs(10);

/// A sandbox with one Inbenta app.
pub struct World {
    pub sandbox: Sandbox,
    pub app: InbentaApp,
    /// A client of the app, not logged in.
    pub client: InbentaClient,
}

impl World {
    pub async fn new(app: NewInbentaApp) -> Self {
        let sandbox = Sandbox::builder().start().await.unwrap();
        let app = sandbox.create_inbenta_app(app);
        let client = InbentaClient::new(config(&sandbox, &app.app_id));
        Self {
            sandbox,
            app,
            client,
        }
    }

    /// A new end user, logged in.
    pub async fn user(&self, name: &str) -> UserClient {
        let created = self.client.create_user(NewUser::new(name)).await.unwrap();
        self.client
            .login(&created.user.id, created.token)
            .await
            .unwrap()
    }

    /// A new agent of the sandbox, logged in with the client.
    pub async fn agent(&self, spec: NewInbentaAgent) -> UserClient {
        let agent = self.sandbox.create_inbenta_agent(&self.app.app_id, spec);
        self.client.login(&agent.id, agent.token).await.unwrap()
    }

    pub async fn shutdown(self) {
        self.sandbox.shutdown().await;
    }
}

/// Bob's chat, assigned to the agent Ann, with a handle on each side.
pub struct Assigned {
    pub world: World,
    pub bob: UserClient,
    pub ann: UserClient,
    /// Bob's handle, made before the search: its first `events()` has Ann's join.
    pub chat: Chat,
    /// Ann's handle, loaded by id once she joined.
    pub ann_chat: Chat,
}

impl Assigned {
    /// A world of app `app_id` where Bob creates a chat and Ann, the only agent, takes it.
    pub async fn new(app_id: &str) -> Self {
        let world = World::new(lc_sandbox::NewInbentaApp::new(app_id)).await;
        let ann = world.agent(NewInbentaAgent::new("Ann")).await;
        let bob = world.user("Bob").await;
        let chat = Chat::init(&bob, ChatOptions::new("1").assign_max_attempts(1))
            .await
            .unwrap();
        let agent = within("search", chat.search_agent()).await.unwrap();
        assert_eq!(agent.map(|a| a.id), Some(ann.user().id.clone()));
        let ann_chat = Chat::init(&ann, ChatOptions::load(chat.id()))
            .await
            .unwrap();
        Self {
            world,
            bob,
            ann,
            chat,
            ann_chat,
        }
    }
}

/// The id of a logged-in client's user.
pub fn id_of(client: &UserClient) -> String {
    client.user().id.clone()
}

/// The client configuration for `app_id` on `sandbox`, with quick reconnections.
pub fn config(sandbox: &Sandbox, app_id: &str) -> InbentaConfig {
    let mut rtm = RtmConfig::default();
    rtm.backoff.initial = Duration::from_millis(20);
    rtm.backoff.max = Duration::from_millis(200);
    InbentaConfig::server(app_id, sandbox.http_url()).rtm_config(rtm)
}

/// The next item of `stream` that `accept` maps to `Some`, or a panic after [`WAIT`].
pub async fn next_where<S, T, U>(stream: &mut S, what: &str, accept: impl Fn(T) -> Option<U>) -> U
where
    S: Stream<Item = T> + Unpin,
{
    tokio::time::timeout(WAIT, async {
        loop {
            let item = stream
                .next()
                .await
                .unwrap_or_else(|| panic!("stream ended before {what}"));
            if let Some(found) = accept(item) {
                return found;
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no {what} within {WAIT:?}"))
}

/// Runs `future` with the [`WAIT`] deadline.
pub async fn within<F: std::future::IntoFuture>(what: &str, future: F) -> F::Output {
    tokio::time::timeout(WAIT, future.into_future())
        .await
        .unwrap_or_else(|_| panic!("{what} took longer than {WAIT:?}"))
}

/// Macro-free helper: the next chat event matching a pattern, via a closure.
pub async fn next_event<U>(
    events: &mut EventStream<ChatItem>,
    what: &str,
    accept: impl Fn(ChatEvent) -> Option<U>,
) -> U {
    next_where(events, what, |item: lc_inbenta::ChatItem| {
        accept(item.event)
    })
    .await
}
