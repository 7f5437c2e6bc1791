//! Pushes over RTM: the event stream ([`events`](AgentClient::events)) and typed
//! handlers ([`on`](AgentClient::on), [`once`](AgentClient::once)).

use crate::recovery::Pushes;
use crate::{AgentClient, AgentEvent};
use futures_util::StreamExt;
use lc_protocol::agent::AgentPush;
use lc_protocol::listen::{every, first};
use lc_protocol::{EventStream, PushPayload, Subscription};
use lc_rtm::{AgentSession, RtmClient, RtmConfig, RtmEvent};

impl AgentClient<RtmClient<AgentSession>> {
    /// A new stream of every push and lifecycle item ([`AgentEvent`]) from now on;
    /// dropping it unsubscribes.
    ///
    /// Each push comes once. After a reconnection the client reads its chats and gives
    /// what happened meanwhile (new chats and threads, events, users added or removed,
    /// deactivations) as [`RtmEvent::Recovered`] items, in order, before newer pushes.
    /// A subscriber that reads too slowly gets [`RtmEvent::Missed`] and can call
    /// [`EventStream::catch_up`].
    ///
    /// ```no_run
    /// use futures_util::StreamExt;
    /// use lc_protocol::agent::AgentPush;
    /// use lc_rtm::RtmEvent;
    ///
    /// # async fn demo(client: lc_agent::AgentClient<lc_rtm::RtmClient<lc_rtm::AgentSession>>) {
    /// let mut events = client.events();
    /// while let Some(event) = events.next().await {
    ///     match event {
    ///         RtmEvent::Push { push: AgentPush::IncomingChat(incoming), .. } => {
    ///             println!("new chat {}", incoming.chat.id);
    ///         }
    ///         RtmEvent::Recovered { push } => println!("while we were away: {push:?}"),
    ///         RtmEvent::Missed(_) => {
    ///             let missed = events.catch_up().await.unwrap_or_default();
    ///             println!("caught up on {} items", missed.len());
    ///         }
    ///         _ => {}
    ///     }
    /// }
    /// # }
    /// ```
    pub fn events(&self) -> EventStream<AgentEvent> {
        EventStream::new(self.push_source())
    }

    fn push_source(&self) -> Pushes {
        // A client built with `new` starts its hub here, once: its pushes from now on.
        self.hub
            .get_or_init(|| {
                crate::recovery::Hub::start(&self.transport, RtmConfig::default().push_buffer)
            })
            .subscribe(&self.transport)
    }

    /// Calls `handler` with every push of type `P` (e.g.
    /// [`IncomingChat`](lc_protocol::agent::push::IncomingChat)) from now on, in a task
    /// of its own, until the returned [`Subscription`] is dropped or
    /// [turned off](Subscription::off) (lc-sdk-js `on` and `subscribePush`; turning it
    /// off is the unsubscribe function `on` returns, and `unsubscribePush`). Several
    /// handlers of the same push may be active at once.
    ///
    /// The handler gets every push once, also those recovered after a reconnection; if
    /// it falls behind, what it missed is read from the server and given to it.
    ///
    /// Must be called within a tokio runtime.
    ///
    /// ```no_run
    /// use lc_protocol::agent::push::IncomingEvent;
    ///
    /// # fn demo(client: lc_agent::AgentClient<lc_rtm::RtmClient<lc_rtm::AgentSession>>) {
    /// let messages = client.on::<IncomingEvent>(|push| {
    ///     println!("{}: {}", push.chat_id, push.event.text().unwrap_or_default());
    /// });
    /// // Later: stop the handler (the function lc-sdk-js `on` returns).
    /// messages.off();
    /// # }
    /// ```
    pub fn on<P>(&self, handler: impl FnMut(&P) + Send + 'static) -> Subscription
    where
        P: PushPayload<Set = AgentPush> + 'static,
    {
        self.listen::<P>(every(handler))
    }

    /// Calls `handler` with the next push of type `P` only, as [`on`](Self::on) does
    /// for every one (as customer-sdk `once`); dropping the subscription before that
    /// cancels it.
    ///
    /// Must be called within a tokio runtime.
    pub fn once<P>(&self, handler: impl FnOnce(&P) + Send + 'static) -> Subscription
    where
        P: PushPayload<Set = AgentPush> + 'static,
    {
        self.listen::<P>(first(handler))
    }

    /// Calls `handler` with the pushes of type `P` in a task of its own while it
    /// returns true.
    fn listen<P>(&self, mut handler: impl FnMut(&P) -> bool + Send + 'static) -> Subscription
    where
        P: PushPayload<Set = AgentPush> + 'static,
    {
        let mut stream = self.events();
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
                            if !handler(payload) {
                                return;
                            }
                        }
                    }
                }
            }
        });
        let (stop, finished) = (task.abort_handle(), task.abort_handle());
        Subscription::new(move || stop.abort(), move || finished.is_finished())
    }
}
