//! Listening: the event stream, the `(name, data)` stream (customer-sdk's observable
//! interop), and the `on` / `once` / `off` helpers over them.

use crate::client::CustomerClient;
use crate::connection::CustomerConnection;
use crate::event::{CustomerEvent, EventKind};
use crate::recovery;
use crate::shared::Shared;
use futures_util::{Stream, StreamExt};
use lc_protocol::fanout::{FanoutReceiver, Received};
use lc_protocol::listen::{CatchUp, EventSource, every, first};
use lc_protocol::recovery::{ChatLedger, LedgerPush};
use lc_protocol::{Error, EventStream, Subscription};
use serde_json::Value;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::task::JoinHandle;

impl<T: CustomerConnection> CustomerClient<T> {
    /// A new stream of every event from now on: pushes and lifecycle items. When the
    /// client is connected, it starts with the current [`Connected`](crate::Connected)
    /// event, so that a listener registered after the login still learns it. It ends
    /// when the client is destroyed (at once if it already was); dropping it
    /// unsubscribes.
    ///
    /// A subscriber that reads too slowly gets [`CustomerEvent::Missed`]; it can then
    /// call [`EventStream::catch_up`] to get what it missed of its chats (new chats and
    /// threads, events, users, deactivations), read from the server, as
    /// [`CustomerEvent::Recovered`] items in order.
    pub fn events(&self) -> EventStream<CustomerEvent> {
        let (current, inner) = match self.inner.shared.subscribe() {
            Some((receiver, current)) => (current, Some(receiver)),
            None => (None, None),
        };
        EventStream::new(Events {
            current,
            inner,
            shared: self.inner.shared.clone(),
            ledger: ChatLedger::new(),
        })
    }

    /// The current connection's [`Connected`](crate::Connected) event (the customer and
    /// the availability at login), or `None` while not connected.
    pub fn connected(&self) -> Option<crate::Connected> {
        self.inner.shared.connected()
    }

    /// Every event as `(name, data)` (e.g. `("incoming_event", {...})`,
    /// `("connected", {...})`): customer-sdk's observable interop (`$$observable`), for
    /// code that handles events by name.
    pub fn observe(&self) -> impl Stream<Item = (String, Value)> + Send + 'static {
        self.events()
            .map(|event| (event.name().to_owned(), event.data()))
    }

    /// Calls `handler` with every event of kind `K` from now on — a push payload (e.g.
    /// [`IncomingEvent`](lc_protocol::customer::push::IncomingEvent)) or a lifecycle
    /// event ([`Connected`](crate::Connected), ...) — in a task of its own, until the
    /// returned [`Subscription`] is dropped or [turned off](Subscription::off), or the
    /// client is destroyed (customer-sdk `on`).
    ///
    /// ```no_run
    /// # fn demo(client: &lc_customer::CustomerClient) {
    /// use lc_customer::Connected;
    ///
    /// let subscription = client.on::<Connected>(|connected| {
    ///     println!("hello {:?}, {:?}", connected.customer.name, connected.availability);
    /// });
    /// // ...
    /// subscription.off();
    /// # }
    /// ```
    ///
    /// Must be called within a tokio runtime.
    ///
    /// The handler gets every push once, also those recovered after a reconnection; if
    /// it falls behind, what it missed is read from the server and given to it.
    pub fn on<K: EventKind>(&self, handler: impl FnMut(&K) + Send + 'static) -> Subscription {
        self.listen::<K>(every(handler))
    }

    /// Calls `handler` with the next event of kind `K` only (customer-sdk `once`);
    /// dropping the subscription before that cancels it.
    pub fn once<K: EventKind>(&self, handler: impl FnOnce(&K) + Send + 'static) -> Subscription {
        self.listen::<K>(first(handler))
    }

    /// Calls `handler` with the events of kind `K` in a task of its own while it
    /// returns true.
    fn listen<K: EventKind>(
        &self,
        mut handler: impl FnMut(&K) -> bool + Send + 'static,
    ) -> Subscription {
        let mut events = self.events();
        let task = tokio::spawn(async move {
            while let Some(event) = events.next().await {
                for event in complete(&mut events, event).await {
                    if let Some(data) = K::from_event(&event) {
                        if !handler(data) {
                            return;
                        }
                    }
                }
            }
        });
        subscription(task)
    }

    /// Calls `handler` with every event (pushes and lifecycle), as `on` does for one kind.
    pub fn on_any(&self, mut handler: impl FnMut(&CustomerEvent) + Send + 'static) -> Subscription {
        let mut events = self.events();
        let task = tokio::spawn(async move {
            while let Some(event) = events.next().await {
                handler(&event);
            }
        });
        subscription(task)
    }
}

/// The subscription of a handler's task: turning it off aborts the task.
fn subscription(task: JoinHandle<()>) -> Subscription {
    let (stop, finished) = (task.abort_handle(), task.abort_handle());
    Subscription::new(move || stop.abort(), move || finished.is_finished())
}

/// `event`, or for [`CustomerEvent::Missed`] what was missed (for the helpers).
async fn complete(
    events: &mut EventStream<CustomerEvent>,
    event: CustomerEvent,
) -> Vec<CustomerEvent> {
    let CustomerEvent::Missed(count) = event else {
        return vec![event];
    };
    events.catch_up().await.unwrap_or_else(|err| {
        tracing::warn!(count, %err, "a listener missed events and could not catch up");
        Vec::new()
    })
}

/// The events of one subscriber: the source of [`CustomerClient::events`].
struct Events {
    /// The current `Connected` event, given first.
    current: Option<CustomerEvent>,
    inner: Option<FanoutReceiver<CustomerEvent>>,
    shared: Arc<Shared>,
    /// What this subscriber was given.
    ledger: ChatLedger,
}

impl Events {
    /// What this subscriber missed of its chats, read from the server, as
    /// [`CustomerEvent::Recovered`] items in order; the stream then counts them as
    /// given.
    async fn recover(&mut self) -> Result<Vec<CustomerEvent>, Error> {
        let me = self.shared.me().unwrap_or_default();
        let reader = self.shared.reader();
        let pushes = recovery::catch_up(&*reader, &mut self.ledger, &me).await?;
        Ok(pushes.into_iter().map(CustomerEvent::Recovered).collect())
    }
}

impl EventSource<CustomerEvent> for Events {
    fn catch_up(&mut self) -> CatchUp<'_, CustomerEvent> {
        Box::pin(self.recover())
    }

    fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<CustomerEvent>> {
        let this = self;
        if let Some(current) = this.current.take() {
            return Poll::Ready(Some(current));
        }
        let Some(inner) = this.inner.as_mut() else {
            return Poll::Ready(None);
        };
        let ledger = &mut this.ledger;
        inner.poll_recv(cx).map(|item| {
            item.map(|received| match received {
                Received::Item(event) => {
                    if let CustomerEvent::Push(push) | CustomerEvent::Recovered(push) = &event {
                        push.record(ledger);
                    }
                    event
                }
                Received::Missed(missed) => CustomerEvent::Missed(missed),
            })
        })
    }
}
