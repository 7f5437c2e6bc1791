//! [`SubscriptionItem`]: the items of [`UserClient::subscribe`](crate::UserClient::subscribe),
//! the pushes of one event name (or one payload type) with the connection's lifecycle
//! and the pushes it missed.

use futures_util::StreamExt;
use lc_protocol::inbenta::InbentaPush;
use lc_protocol::listen::{CatchUp, EventSource};
use lc_rtm::{PushStream, RtmEvent};
use std::task::{Context, Poll};
use std::time::Duration;

type Select<T> = Box<dyn Fn(InbentaPush) -> Option<T> + Send + Sync>;

/// One item of [`UserClient::subscribe`](crate::UserClient::subscribe): a push it asked
/// for, or news of the connection that carries them, so that nothing is lost silently
/// (`ICF.Events.subscribe` callbacks only get pushes).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum SubscriptionItem<T> {
    /// A push the subscription asked for.
    Push(T),
    /// This subscriber fell behind and missed this many pushes (of any name). Pushes
    /// are not replayed: after this, read the state again (e.g. a
    /// [`Chat`](crate::Chat)'s events recover by themselves).
    Missed(u64),
    /// The connection was lost; pushes sent until [`Connected`](Self::Connected) are
    /// not delivered to this subscription.
    Disconnected {
        /// Why.
        reason: String,
    },
    /// A new connection will be attempted after `delay`.
    Reconnecting {
        /// The attempt number, from 1.
        attempt: u32,
        /// The wait before it.
        delay: Duration,
    },
    /// The connection is up (again).
    Connected,
    /// The connection stopped for good; the stream ends after this item.
    Stopped {
        /// Why.
        reason: String,
    },
}

impl<T> SubscriptionItem<T> {
    /// The push, if this item is one.
    pub fn push(self) -> Option<T> {
        match self {
            Self::Push(push) => Some(push),
            _ => None,
        }
    }
}

/// The pushes a [`UserClient::subscribe`](crate::UserClient::subscribe) (or
/// [`subscribe_to`](crate::UserClient::subscribe_to)) asked for, from the moment it was
/// made, as [`SubscriptionItem::Push`], with the connection's lifecycle and the count of
/// pushes it missed by being read too slowly as the other items. The stream ends after
/// [`SubscriptionItem::Stopped`] (the client was closed).
pub(crate) struct Selected<T = InbentaPush> {
    stream: PushStream<InbentaPush>,
    select: Select<T>,
    stopped: bool,
}

impl<T> Selected<T> {
    pub(crate) fn new(stream: PushStream<InbentaPush>, select: Select<T>) -> Self {
        Self {
            stream,
            select,
            stopped: false,
        }
    }
}

impl<T: Send> EventSource<SubscriptionItem<T>> for Selected<T> {
    fn catch_up(&mut self) -> CatchUp<'_, SubscriptionItem<T>> {
        // The realtime channel does not replay pushes.
        Box::pin(std::future::ready(Ok(Vec::new())))
    }

    fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<SubscriptionItem<T>>> {
        let this = self;
        if this.stopped {
            return Poll::Ready(None);
        }
        loop {
            let item = match this.stream.poll_next_unpin(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => {
                    this.stopped = true;
                    return Poll::Ready(None);
                }
                Poll::Ready(Some(item)) => item,
            };
            let item = match item {
                RtmEvent::Push { push, .. } => match (this.select)(push) {
                    Some(item) => SubscriptionItem::Push(item),
                    None => continue,
                },
                RtmEvent::Missed(missed) => {
                    tracing::warn!(missed, "a slow subscriber missed Inbenta pushes");
                    SubscriptionItem::Missed(missed)
                }
                RtmEvent::Disconnected { reason } => SubscriptionItem::Disconnected { reason },
                RtmEvent::Reconnecting { attempt, delay } => {
                    SubscriptionItem::Reconnecting { attempt, delay }
                }
                RtmEvent::Connected => SubscriptionItem::Connected,
                RtmEvent::Stopped { reason } => {
                    this.stopped = true;
                    SubscriptionItem::Stopped { reason }
                }
                // `LoggedIn` never comes on Inbenta (no login request); `Connected` follows.
                _ => continue,
            };
            return Poll::Ready(Some(item));
        }
    }
}
