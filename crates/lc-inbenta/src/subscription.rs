//! [`Subscription`]: the pushes of one event name (or one payload type), as a stream.

use futures_util::Stream;
use lc_protocol::inbenta::InbentaPush;
use lc_rtm::{PushStream, RtmEvent};
use std::pin::Pin;
use std::task::{Context, Poll};

type Select<T> = Box<dyn Fn(InbentaPush) -> Option<T> + Send + Sync>;

/// The pushes a [`Client::subscribe`](crate::Client::subscribe) (or
/// [`subscribe_to`](crate::Client::subscribe_to)) asked for, from the moment it was
/// made. Dropping it, or passing it to [`Client::unsubscribe`](crate::Client::unsubscribe),
/// unsubscribes.
///
/// The stream ends when the client is closed. Pushes it missed because it was read too
/// slowly are counted in [`missed`](Subscription::missed) (and logged).
#[must_use = "a Subscription receives nothing unless polled"]
pub struct Subscription<T = InbentaPush> {
    stream: PushStream<InbentaPush>,
    select: Select<T>,
    missed: u64,
}

impl<T> std::fmt::Debug for Subscription<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("missed", &self.missed)
            .finish_non_exhaustive()
    }
}

impl<T> Subscription<T> {
    pub(crate) fn new(stream: PushStream<InbentaPush>, select: Select<T>) -> Self {
        Self {
            stream,
            select,
            missed: 0,
        }
    }

    /// How many pushes (of any name) this subscriber missed by falling behind.
    pub fn missed(&self) -> u64 {
        self.missed
    }
}

impl<T> Stream for Subscription<T> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let this = self.get_mut();
        loop {
            match Pin::new(&mut this.stream).poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) | Poll::Ready(Some(RtmEvent::Stopped { .. })) => {
                    return Poll::Ready(None);
                }
                Poll::Ready(Some(RtmEvent::Push { push, .. })) => {
                    if let Some(item) = (this.select)(push) {
                        return Poll::Ready(Some(item));
                    }
                }
                Poll::Ready(Some(RtmEvent::Missed(missed))) => {
                    this.missed += missed;
                    tracing::warn!(missed, "a slow subscriber missed Inbenta pushes");
                }
                Poll::Ready(Some(_)) => {}
            }
        }
    }
}
