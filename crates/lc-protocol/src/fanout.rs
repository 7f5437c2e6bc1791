//! [`Fanout`]: one sender, many subscribers, each with its own bounded queue.
//!
//! What the clients use to hand every push to every `events()` stream. Unlike a ring
//! buffer allocated whole up front (tokio's `broadcast`), a subscriber's queue holds only
//! what it has not read yet and grows up to the bound on demand: an idle connection with
//! a subscriber costs a few hundred bytes, not its whole buffer. A subscriber that falls
//! `capacity` items behind loses the oldest ones and is told how many, before the next.

use futures_util::Stream;
use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::task::{Context, Poll, Waker};

/// Queues shrink back to this many slots once read empty.
const KEEP_SLOTS: usize = 16;

/// What a [`FanoutReceiver`] gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received<T> {
    /// The next item.
    Item(T),
    /// This many items were dropped because the subscriber read too slowly.
    Missed(u64),
}

/// The sending side: cheap to clone; every clone sends to the same subscribers.
pub struct Fanout<T> {
    hub: Arc<Hub<T>>,
}

struct Hub<T> {
    capacity: usize,
    subscribers: Mutex<Vec<Arc<Mutex<Queue<T>>>>>,
}

struct Queue<T> {
    items: VecDeque<T>,
    missed: u64,
    waker: Option<Waker>,
}

/// The receiving side of one subscriber; dropping it unsubscribes.
#[must_use = "a receiver receives nothing unless polled"]
pub struct FanoutReceiver<T> {
    queue: Arc<Mutex<Queue<T>>>,
    hub: Weak<Hub<T>>,
}

fn lock<U>(mutex: &Mutex<U>) -> MutexGuard<'_, U> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<T: Clone> Fanout<T> {
    /// A fan-out whose subscribers each keep up to `capacity` unread items (at least 1).
    pub fn new(capacity: usize) -> Self {
        Self {
            hub: Arc::new(Hub {
                capacity: capacity.max(1),
                subscribers: Mutex::new(Vec::new()),
            }),
        }
    }

    /// A new subscriber, receiving what is sent from now on.
    pub fn subscribe(&self) -> FanoutReceiver<T> {
        let queue = Arc::new(Mutex::new(Queue {
            items: VecDeque::new(),
            missed: 0,
            waker: None,
        }));
        lock(&self.hub.subscribers).push(queue.clone());
        FanoutReceiver {
            queue,
            hub: Arc::downgrade(&self.hub),
        }
    }

    /// Hands `item` to every subscriber; returns how many there are.
    pub fn send(&self, item: T) -> usize {
        let subscribers = lock(&self.hub.subscribers);
        let capacity = self.hub.capacity;
        let count = subscribers.len();
        let mut item = Some(item);
        for (index, queue) in subscribers.iter().enumerate() {
            let next = if index + 1 == count {
                item.take()
            } else {
                item.clone()
            };
            let Some(next) = next else { break };
            let waker = {
                let mut queue = lock(queue);
                if queue.items.len() >= capacity {
                    queue.items.pop_front();
                    queue.missed += 1;
                }
                queue.items.push_back(next);
                queue.waker.take()
            };
            if let Some(waker) = waker {
                waker.wake();
            }
        }
        count
    }

    /// How many subscribers there are now.
    pub fn receiver_count(&self) -> usize {
        lock(&self.hub.subscribers).len()
    }
}

impl<T> Clone for Fanout<T> {
    fn clone(&self) -> Self {
        Self {
            hub: self.hub.clone(),
        }
    }
}

impl<T> std::fmt::Debug for Fanout<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fanout")
            .field("capacity", &self.hub.capacity)
            .finish_non_exhaustive()
    }
}

impl<T> FanoutReceiver<T> {
    /// The next item, `Missed` first when some were dropped, or `None` once every
    /// sender is gone and everything queued was read.
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<Received<T>>> {
        let mut queue = lock(&self.queue);
        if queue.missed > 0 {
            return Poll::Ready(Some(Received::Missed(std::mem::take(&mut queue.missed))));
        }
        if let Some(item) = queue.items.pop_front() {
            if queue.items.is_empty() && queue.items.capacity() > KEEP_SLOTS {
                queue.items.shrink_to(KEEP_SLOTS);
            }
            return Poll::Ready(Some(Received::Item(item)));
        }
        if self.hub.strong_count() == 0 {
            return Poll::Ready(None);
        }
        if !queue
            .waker
            .as_ref()
            .is_some_and(|w| w.will_wake(cx.waker()))
        {
            queue.waker = Some(cx.waker().clone());
        }
        Poll::Pending
    }

    /// The next item without waiting: `None` when nothing is queued.
    pub fn try_recv(&mut self) -> Option<Received<T>> {
        let waker = futures_util::task::noop_waker();
        match self.poll_recv(&mut Context::from_waker(&waker)) {
            Poll::Ready(received) => received,
            Poll::Pending => None,
        }
    }
}

impl<T> Stream for FanoutReceiver<T> {
    type Item = Received<T>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.poll_recv(cx)
    }
}

impl<T> Drop for FanoutReceiver<T> {
    fn drop(&mut self) {
        if let Some(hub) = self.hub.upgrade() {
            lock(&hub.subscribers).retain(|queue| !Arc::ptr_eq(queue, &self.queue));
        }
        // The sender is gone: nothing to wake when the last one sends.
    }
}

impl<T> std::fmt::Debug for FanoutReceiver<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FanoutReceiver").finish_non_exhaustive()
    }
}

impl<T> Drop for Hub<T> {
    fn drop(&mut self) {
        // The last sender went: wake the receivers so that they see the end.
        let subscribers = self
            .subscribers
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner);
        for queue in subscribers.iter() {
            let waker = lock(queue).waker.take();
            if let Some(waker) = waker {
                waker.wake();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::{FutureExt, StreamExt};

    #[test]
    fn every_subscriber_gets_every_item_in_order() {
        let fanout = Fanout::new(8);
        let mut a = fanout.subscribe();
        let mut b = fanout.subscribe();
        assert_eq!(fanout.send(1), 2);
        fanout.send(2);
        for receiver in [&mut a, &mut b] {
            assert_eq!(receiver.try_recv(), Some(Received::Item(1)));
            assert_eq!(receiver.try_recv(), Some(Received::Item(2)));
            assert_eq!(receiver.try_recv(), None);
        }
    }

    #[test]
    fn a_late_subscriber_starts_from_now() {
        let fanout = Fanout::new(8);
        fanout.send(1);
        let mut late = fanout.subscribe();
        fanout.send(2);
        assert_eq!(late.try_recv(), Some(Received::Item(2)));
    }

    #[test]
    fn a_slow_subscriber_loses_the_oldest_and_is_told_how_many() {
        let fanout = Fanout::new(3);
        let mut slow = fanout.subscribe();
        let mut quick = fanout.subscribe();
        for n in 0..5 {
            fanout.send(n);
            assert_eq!(quick.try_recv(), Some(Received::Item(n)));
        }
        assert_eq!(slow.try_recv(), Some(Received::Missed(2)));
        assert_eq!(slow.try_recv(), Some(Received::Item(2)));
        assert_eq!(slow.try_recv(), Some(Received::Item(3)));
        assert_eq!(slow.try_recv(), Some(Received::Item(4)));
        assert_eq!(slow.try_recv(), None);
    }

    #[test]
    fn dropping_a_receiver_unsubscribes_it() {
        let fanout = Fanout::<u8>::new(1);
        let receiver = fanout.subscribe();
        assert_eq!(fanout.receiver_count(), 1);
        drop(receiver);
        assert_eq!(fanout.receiver_count(), 0);
        assert_eq!(fanout.send(1), 0);
    }

    #[test]
    fn dropping_the_sender_ends_the_streams_after_what_is_queued() {
        let fanout = Fanout::new(4);
        let mut receiver = fanout.subscribe();
        fanout.send(7);
        drop(fanout);
        assert_eq!(
            receiver.next().now_or_never(),
            Some(Some(Received::Item(7)))
        );
        assert_eq!(receiver.next().now_or_never(), Some(None));
    }

    #[test]
    fn a_waiting_receiver_is_woken_by_a_send() {
        struct Flag(std::sync::atomic::AtomicBool);
        impl std::task::Wake for Flag {
            fn wake(self: Arc<Self>) {
                self.0.store(true, std::sync::atomic::Ordering::SeqCst);
            }
        }
        let flag = Arc::new(Flag(false.into()));
        let waker = Waker::from(flag.clone());
        let fanout = Fanout::new(4);
        let mut receiver = fanout.subscribe();
        let mut cx = Context::from_waker(&waker);
        assert!(receiver.poll_recv(&mut cx).is_pending());
        fanout.send(1);
        assert!(flag.0.load(std::sync::atomic::Ordering::SeqCst), "woken");
        assert_eq!(
            receiver.poll_recv(&mut cx),
            Poll::Ready(Some(Received::Item(1)))
        );
    }

    #[test]
    fn a_queue_drained_empty_gives_its_memory_back() {
        let fanout = Fanout::new(1_000);
        let mut receiver = fanout.subscribe();
        for n in 0..500 {
            fanout.send(n);
        }
        while receiver.try_recv().is_some() {}
        assert!(lock(&receiver.queue).items.capacity() <= KEEP_SLOTS);
    }
}
