//! Listening, the same way in every client: [`EventStream`], the stream that `events()`
//! returns, and [`Subscription`], the handle that `on` and `once` return.
//!
//! Both are defined here, without I/O: the role clients give an [`EventStream`] their
//! own [`EventSource`], and a [`Subscription`] the way to stop their handler's task.

use crate::error::Error;
use futures_util::Stream;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// The future of [`EventSource::catch_up`].
pub type CatchUp<'a, E> = Pin<Box<dyn Future<Output = Result<Vec<E>, Error>> + Send + 'a>>;

/// What feeds an [`EventStream`]: the items, and what a subscriber that read too slowly
/// missed. Role clients implement it; users read an [`EventStream`].
pub trait EventSource<E>: Send + Unpin {
    /// The next item, as [`Stream::poll_next`].
    fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<E>>;

    /// What this subscriber missed by reading too slowly, read again, in order.
    fn catch_up(&mut self) -> CatchUp<'_, E>;
}

/// The events of one subscriber, from the moment `events()` (or `subscribe`) was
/// called: what every client's `events()` returns, with the client's item type (the
/// agent's `AgentEvent`, the customer's `CustomerEvent`, an Inbenta chat's `ChatItem`,
/// ...). Dropping it unsubscribes.
///
/// A subscriber that reads too slowly is told with a `Missed` item; it can then call
/// [`catch_up`](EventStream::catch_up) to get what it missed.
///
/// ```
/// use futures_util::StreamExt;
/// use lc_protocol::listen::{CatchUp, EventSource, EventStream};
/// use std::task::{Context, Poll};
///
/// struct Countdown(u32);
///
/// impl EventSource<u32> for Countdown {
///     fn poll_next(&mut self, _: &mut Context<'_>) -> Poll<Option<u32>> {
///         self.0 = self.0.saturating_sub(1);
///         Poll::Ready((self.0 > 0).then_some(self.0))
///     }
///
///     fn catch_up(&mut self) -> CatchUp<'_, u32> {
///         Box::pin(async { Ok(vec![]) })
///     }
/// }
///
/// # futures_util::FutureExt::now_or_never(async {
/// let mut events = EventStream::new(Countdown(3));
/// assert_eq!(events.next().await, Some(2));
/// assert_eq!(events.next().await, Some(1));
/// assert_eq!(events.next().await, None);
/// assert_eq!(events.catch_up().await.unwrap(), Vec::<u32>::new());
/// # });
/// ```
#[must_use = "a stream receives nothing unless polled"]
pub struct EventStream<E> {
    source: Box<dyn EventSource<E>>,
}

impl<E> EventStream<E> {
    /// The stream of `source`.
    pub fn new(source: impl EventSource<E> + 'static) -> Self {
        Self {
            source: Box::new(source),
        }
    }

    /// What this subscriber missed by reading too slowly (after a `Missed` item), read
    /// again and returned in order; the stream then goes on after them, each item once.
    ///
    /// # Errors
    /// What reading it again meets (e.g. the API errors of the reads it makes).
    pub async fn catch_up(&mut self) -> Result<Vec<E>, Error> {
        self.source.catch_up().await
    }
}

impl<E> std::fmt::Debug for EventStream<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventStream").finish_non_exhaustive()
    }
}

impl<E> Stream for EventStream<E> {
    type Item = E;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<E>> {
        self.source.poll_next(cx)
    }
}

/// The handler of `on`, for a client's listening task: calls `handler` with every item
/// and asks for more (returns `true`).
pub fn every<T: ?Sized>(mut handler: impl FnMut(&T) + Send) -> impl FnMut(&T) -> bool + Send {
    move |item| {
        handler(item);
        true
    }
}

/// The handler of `once`, for a client's listening task: calls `handler` with the first
/// item only and asks for no more (returns `false`).
pub fn first<T: ?Sized>(handler: impl FnOnce(&T) + Send) -> impl FnMut(&T) -> bool + Send {
    let mut handler = Some(handler);
    move |item| {
        if let Some(handler) = handler.take() {
            handler(item);
        }
        false
    }
}

/// A handler registered with `on` or `once`: it runs until the subscription is dropped
/// or [turned off](Subscription::off) (lc-sdk-js: the unsubscribe function `on`
/// returns; customer-sdk `off`; Inbenta `ICF.Events.unsubscribe`).
#[must_use = "dropping a Subscription unsubscribes its handler at once"]
pub struct Subscription {
    stop: Box<dyn Fn() + Send + Sync>,
    finished: Box<dyn Fn() -> bool + Send + Sync>,
}

impl Subscription {
    /// A subscription whose handler `stop` ends (called when it is turned off or
    /// dropped) and `finished` tells whether it ended (e.g. a task's abort handle).
    pub fn new(
        stop: impl Fn() + Send + Sync + 'static,
        finished: impl Fn() -> bool + Send + Sync + 'static,
    ) -> Self {
        Self {
            stop: Box::new(stop),
            finished: Box::new(finished),
        }
    }

    /// Stops calling the handler (the same as dropping the subscription).
    /// (JS: lc-sdk-js `unsubscribePush`; customer-sdk `off`.)
    pub fn off(self) {}

    /// Whether the handler will not be called again (turned off, a `once` handler that
    /// ran, or its client gone).
    pub fn is_finished(&self) -> bool {
        (self.finished)()
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        (self.stop)();
    }
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("finished", &self.is_finished())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::{FutureExt, StreamExt};
    use std::collections::VecDeque;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    /// Gives `live`, then tells it missed what `log` holds beyond `given`.
    struct Lagging {
        live: VecDeque<&'static str>,
        log: Vec<&'static str>,
        given: usize,
    }

    impl EventSource<&'static str> for Lagging {
        fn poll_next(&mut self, _: &mut Context<'_>) -> Poll<Option<&'static str>> {
            let item = self.live.pop_front();
            if item.is_some_and(|item| item != "missed") {
                self.given += 1;
            }
            Poll::Ready(item)
        }

        fn catch_up(&mut self) -> CatchUp<'_, &'static str> {
            let missed = self.log.get(self.given..).unwrap_or_default().to_vec();
            self.given = self.log.len();
            Box::pin(async move { Ok(missed) })
        }
    }

    #[test]
    fn a_lagging_subscriber_catches_up_through_the_generic_stream() {
        let source = Lagging {
            live: VecDeque::from(["a", "missed"]),
            log: vec!["a", "b", "c"],
            given: 0,
        };
        let mut events = EventStream::new(source);
        let read = async {
            assert_eq!(events.next().await, Some("a"));
            assert_eq!(events.next().await, Some("missed"));
            assert_eq!(events.catch_up().await.ok(), Some(vec!["b", "c"]));
            assert_eq!(events.catch_up().await.ok(), Some(vec![]));
            assert_eq!(events.next().await, None);
        };
        assert!(read.now_or_never().is_some());
        assert_eq!(format!("{events:?}"), "EventStream { .. }");
    }

    #[test]
    fn a_subscription_stops_its_handler_when_turned_off_or_dropped() {
        let stopped = Arc::new(AtomicBool::new(false));
        let subscription = {
            let (stop, finished) = (stopped.clone(), stopped.clone());
            Subscription::new(
                move || stop.store(true, Ordering::SeqCst),
                move || finished.load(Ordering::SeqCst),
            )
        };
        assert!(!subscription.is_finished());
        assert!(format!("{subscription:?}").contains("finished: false"));
        subscription.off();
        assert!(stopped.load(Ordering::SeqCst));

        let dropped = Arc::new(AtomicBool::new(false));
        let flag = dropped.clone();
        drop(Subscription::new(
            move || flag.store(true, Ordering::SeqCst),
            || false,
        ));
        assert!(dropped.load(Ordering::SeqCst));
    }
}
