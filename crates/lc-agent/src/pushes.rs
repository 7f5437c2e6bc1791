//! Pushes over RTM: the event stream and typed handlers (`on`).

use crate::AgentClient;
use crate::Pushes;
use futures_util::StreamExt;
use lc_protocol::PushPayload;
use lc_protocol::agent::AgentPush;
use lc_rtm::{AgentSession, RtmClient, RtmEvent};
use tokio::task::JoinHandle;

impl AgentClient<RtmClient<AgentSession>> {
    /// A new stream of every push and lifecycle item ([`RtmEvent`]) from now on;
    /// dropping it unsubscribes.
    ///
    /// Each push comes once. After a reconnection the client reads its chats and gives
    /// what happened meanwhile (new chats and threads, events, users added or removed,
    /// deactivations) as [`RtmEvent::Recovered`] items, in order, before newer pushes.
    /// A subscriber that reads too slowly gets [`RtmEvent::Missed`] and can call
    /// [`Pushes::catch_up`].
    pub fn pushes(&self) -> Pushes {
        match &self.hub {
            Some(hub) => hub.subscribe(&self.transport),
            None => {
                // Built with `new`: a hub from now on.
                let hub = crate::recovery::Hub::start(&self.transport, 1024);
                hub.subscribe(&self.transport)
            }
        }
    }

    /// Calls `handler` with every push of type `P` (e.g.
    /// [`IncomingChat`](lc_protocol::agent::push::IncomingChat)) from now on, in a task
    /// of its own, until the returned [`Subscription`] is dropped or
    /// [unsubscribed](Subscription::unsubscribe).
    ///
    /// The handler gets every push once, also those recovered after a reconnection; if
    /// it falls behind, what it missed is read from the server and given to it.
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
                let recovered = match event {
                    RtmEvent::Missed(count) => match stream.catch_up().await {
                        Ok(recovered) => recovered,
                        Err(err) => {
                            tracing::warn!(count, %err, "a push handler missed pushes and could not catch up");
                            continue;
                        }
                    },
                    event => vec![event],
                };
                for event in &recovered {
                    if let RtmEvent::Push { push, .. } | RtmEvent::Recovered { push } = event {
                        if let Some(payload) = P::from_push(push) {
                            handler(payload);
                        }
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
