//! Pushes over RTM: the event stream and typed handlers (`on`).

use crate::AgentClient;
use futures_util::StreamExt;
use lc_protocol::PushPayload;
use lc_protocol::agent::AgentPush;
use lc_rtm::{AgentSession, PushStream, RtmClient, RtmEvent};
use tokio::task::JoinHandle;

impl AgentClient<RtmClient<AgentSession>> {
    /// A new stream of every push and lifecycle item ([`RtmEvent`]) from now on;
    /// dropping it unsubscribes.
    pub fn pushes(&self) -> PushStream<AgentPush> {
        self.transport.subscribe()
    }

    /// Calls `handler` with every push of type `P` (e.g.
    /// [`IncomingChat`](lc_protocol::agent::push::IncomingChat)) from now on, in a task
    /// of its own, until the returned [`Subscription`] is dropped or
    /// [unsubscribed](Subscription::unsubscribe).
    ///
    /// This is the seed's `on(push, handler)` (and `subscribePush`); dropping the
    /// subscription is its unsubscribe function (and `unsubscribePush`). Unlike
    /// lc-sdk-js, several handlers of the same push may be active at once.
    ///
    /// Must be called within a tokio runtime.
    pub fn on<P>(&self, mut handler: impl FnMut(&P) + Send + 'static) -> Subscription
    where
        P: PushPayload<Set = AgentPush> + 'static,
    {
        let mut stream = self.pushes();
        let task = tokio::spawn(async move {
            while let Some(event) = stream.next().await {
                if let RtmEvent::Push { push, .. } = &event {
                    if let Some(payload) = P::from_push(push) {
                        handler(payload);
                    }
                }
            }
        });
        Subscription { task }
    }
}

/// A handler registered with [`AgentClient::on`]; dropping it unsubscribes.
#[derive(Debug)]
#[must_use = "dropping a Subscription unsubscribes its handler at once"]
pub struct Subscription {
    task: JoinHandle<()>,
}

impl Subscription {
    /// Stops calling the handler (the same as dropping the subscription).
    pub fn unsubscribe(self) {}
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.task.abort();
    }
}
