//! [`Dispatcher`] and its builder: events in, per-chat workers out.

use crate::envelope::Envelope;
use crate::handler::{Handler, Problem, log};
use crate::outcome::{Outcome, RejectReason, Rejected, Ticket};
use crate::retry::RetryPolicy;
use crate::shared::{Chats, Config, Job, Shared};
use crate::store::Store;
use crate::worker::run_chat;
use futures_util::{Stream, StreamExt};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Semaphore, oneshot, watch};

/// Calls your async handler for events from any source — RTM pushes, webhooks, Inbenta
/// chat pushes, your own — the events of one chat strictly one after another in the
/// order they were submitted, different chats at once up to a limit, each key once.
///
/// Before an event is handled the dispatcher holds the chat's lease in its [`Store`]:
/// with a store shared by replicas (`RedisStore`, feature `redis`) one process at a
/// time handles a chat, and when a process dies its lease expires and another takes the
/// chat over. An event's key is marked seen after its handler succeeded, so an event
/// is never lost to a crash: a redelivery runs it again (at least once), and the lease
/// keeps two runs from overlapping.
///
/// The queue is bounded ([`DispatcherBuilder::queue`]): [`try_submit`](Self::try_submit)
/// refuses when full, [`submit`](Self::submit) waits for room. Cheap to clone.
///
/// ```
/// use lc_dispatch::{Context, Dispatcher, Envelope, MemoryStore, Outcome};
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let dispatcher = Dispatcher::builder(MemoryStore::new())
///     .concurrency(16)
///     .build(|cx: Context, text: String| async move {
///         println!("{}: {text}", cx.chat());
///         Ok(())
///     });
/// let first = dispatcher.submit(Envelope::new("chat-1", "event-1", "hello".into())).await.unwrap();
/// let again = dispatcher.submit(Envelope::new("chat-1", "event-1", "hello".into())).await.unwrap();
/// assert!(matches!(first.await, Outcome::Handled { attempts: 1 }));
/// assert!(matches!(again.await, Outcome::Duplicate));
/// dispatcher.shutdown().await;
/// # });
/// ```
pub struct Dispatcher<E> {
    shared: Arc<Shared<E>>,
}

impl<E> Clone for Dispatcher<E> {
    fn clone(&self) -> Self {
        Self {
            shared: self.shared.clone(),
        }
    }
}

impl<E> std::fmt::Debug for Dispatcher<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dispatcher")
            .field("owner", &self.shared.config.owner)
            .field("store", &self.shared.store)
            .finish_non_exhaustive()
    }
}

impl Dispatcher<()> {
    /// A builder of a dispatcher sharing `store` (a [`MemoryStore`](crate::MemoryStore)
    /// for one process).
    pub fn builder(store: impl Store) -> DispatcherBuilder {
        DispatcherBuilder::new(Arc::new(store))
    }
}

impl<E: Clone + Send + 'static> Dispatcher<E> {
    /// Queues `envelope` if there is room; the [`Ticket`] resolves to its outcome.
    ///
    /// # Errors
    /// [`RejectReason::Full`] or [`RejectReason::ShuttingDown`], with the envelope.
    pub fn try_submit(&self, envelope: Envelope<E>) -> Result<Ticket, Rejected<E>> {
        match self.shared.room.clone().try_acquire_owned() {
            Ok(room) => self.enqueue(envelope, room),
            Err(tokio::sync::TryAcquireError::NoPermits) => Err(Rejected {
                reason: RejectReason::Full,
                envelope,
            }),
            Err(tokio::sync::TryAcquireError::Closed) => Err(Rejected {
                reason: RejectReason::ShuttingDown,
                envelope,
            }),
        }
    }

    /// Queues `envelope`, waiting for room (backpressure); the [`Ticket`] resolves to
    /// its outcome.
    ///
    /// # Errors
    /// [`RejectReason::ShuttingDown`], with the envelope.
    pub async fn submit(&self, envelope: Envelope<E>) -> Result<Ticket, Rejected<E>> {
        match self.shared.room.clone().acquire_owned().await {
            Ok(room) => self.enqueue(envelope, room),
            Err(_) => Err(Rejected {
                reason: RejectReason::ShuttingDown,
                envelope,
            }),
        }
    }

    /// Submits every envelope of `events` (waiting for room each time) until the
    /// stream ends or the dispatcher shuts down; outcomes go to the problem report.
    /// Returns how many events were taken.
    ///
    /// A stream that answers its source before the dispatcher handles (the
    /// `lc-webhooks` receiver answers 200 at once) loses the events in hand when the
    /// process dies: behind a load balancer, submit from the HTTP handler and answer
    /// after the [`Ticket`] (see the `fleet_bot` example).
    ///
    /// ```no_run
    /// # async fn demo(
    /// #     dispatcher: lc_dispatch::Dispatcher<lc_protocol::webhook::Webhook>,
    /// #     webhooks: impl futures_util::Stream<Item = lc_protocol::webhook::Webhook>,
    /// # ) {
    /// use futures_util::StreamExt;
    /// use lc_dispatch::Envelope;
    /// // `webhooks`: the stream of an `lc_webhooks::WebhookReceiver`, for example.
    /// dispatcher.run(webhooks.filter_map(|w| async move { Envelope::from_webhook(w) })).await;
    /// dispatcher.shutdown().await;
    /// # }
    /// ```
    pub async fn run(&self, events: impl Stream<Item = Envelope<E>>) -> u64 {
        let mut events = std::pin::pin!(events);
        let mut taken = 0;
        while let Some(envelope) = events.next().await {
            if self.submit(envelope).await.is_err() {
                break;
            }
            taken += 1;
        }
        taken
    }

    fn enqueue(
        &self,
        envelope: Envelope<E>,
        room: tokio::sync::OwnedSemaphorePermit,
    ) -> Result<Ticket, Rejected<E>> {
        let mut chats = self.shared.lock();
        if chats.closing {
            return Err(Rejected {
                reason: RejectReason::ShuttingDown,
                envelope,
            });
        }
        let (reply, receiver) = oneshot::channel();
        let job = Job {
            key: Arc::from(envelope.key),
            event: envelope.event,
            reply,
            _room: room,
        };
        let chat: Arc<str> = Arc::from(envelope.chat);
        if let Some(queue) = chats.queues.get_mut(&chat) {
            queue.push_back(job);
        } else {
            chats.queues.insert(chat.clone(), VecDeque::from([job]));
            self.shared.workers.send_modify(|n| *n += 1);
            tokio::spawn(run_chat(self.shared.clone(), chat));
        }
        Ok(Ticket { receiver })
    }
}

impl<E> Dispatcher<E> {
    /// Stops taking events, answers those not started [`ShutDown`](crate::Outcome::ShutDown),
    /// and waits until the events being handled are done and their leases released.
    pub async fn shutdown(&self) {
        let dropped: Vec<Job<E>> = {
            let mut chats = self.shared.lock();
            chats.closing = true;
            self.shared.room.close();
            chats
                .queues
                .values_mut()
                .flat_map(|q| q.drain(..))
                .collect()
        };
        for job in dropped {
            job.answer(Outcome::ShutDown);
        }
        let mut workers = self.shared.workers.subscribe();
        let _ = workers.wait_for(|n| *n == 0).await;
    }

    /// Events waiting to be started, all chats together.
    pub fn queued(&self) -> usize {
        self.shared.lock().queues.values().map(VecDeque::len).sum()
    }

    /// This dispatcher's owner id, the name its leases are held under.
    pub fn owner(&self) -> &str {
        &self.shared.config.owner
    }
}

/// Settings of a [`Dispatcher`]; [`build`](Self::build) gives it its handler.
///
/// ```
/// use lc_dispatch::{Dispatcher, MemoryStore, RetryPolicy};
/// use std::time::Duration;
/// let dispatcher = Dispatcher::builder(MemoryStore::new())
///     .concurrency(32)
///     .queue(2048)
///     .lease(Duration::from_secs(5), Duration::from_secs(8))
///     .retry(RetryPolicy::new(5))
///     .build(|_cx, _event: u32| async { Ok(()) });
/// # drop(dispatcher);
/// ```
pub struct DispatcherBuilder {
    store: Arc<dyn Store>,
    concurrency: usize,
    queue: usize,
    config: Config,
}

impl std::fmt::Debug for DispatcherBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DispatcherBuilder")
            .field("store", &self.store)
            .field("concurrency", &self.concurrency)
            .field("queue", &self.queue)
            .finish_non_exhaustive()
    }
}

impl DispatcherBuilder {
    fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            concurrency: 64,
            queue: 1024,
            config: Config {
                owner: uuid::Uuid::new_v4().simple().to_string(),
                lease_ttl: Duration::from_secs(5),
                lease_wait: Duration::from_secs(8),
                seen_ttl: Duration::from_secs(60 * 60),
                state_ttl: Duration::from_secs(7 * 24 * 60 * 60),
                retry: RetryPolicy::default(),
                on_problem: Arc::new(log),
            },
        }
    }

    /// Chats handled at once (default 64).
    #[must_use]
    pub fn concurrency(mut self, chats: usize) -> Self {
        self.concurrency = chats.max(1);
        self
    }

    /// Events waiting, all chats together (default 1,024).
    #[must_use]
    pub fn queue(mut self, events: usize) -> Self {
        self.queue = events.max(1);
        self
    }

    /// The lease's time to live (default 5 s: how long a dead process's chats wait
    /// before another takes them; renewed every third of it) and how long to wait for
    /// a lease another process holds before answering [`Busy`](crate::Outcome::Busy)
    /// (default 8 s: under LiveChat's 10 s for a webhook answer).
    #[must_use]
    pub fn lease(mut self, ttl: Duration, wait: Duration) -> Self {
        self.config.lease_ttl = ttl.max(Duration::from_millis(30));
        self.config.lease_wait = wait;
        self
    }

    /// How long a handled key is remembered (default 1 hour; LiveChat redelivers a
    /// webhook within about a minute).
    #[must_use]
    pub fn seen_ttl(mut self, ttl: Duration) -> Self {
        self.config.seen_ttl = ttl;
        self
    }

    /// How long a chat's state is kept after its last write (default 7 days).
    #[must_use]
    pub fn state_ttl(mut self, ttl: Duration) -> Self {
        self.config.state_ttl = ttl;
        self
    }

    /// The retry policy of failed handlers (default: 3 runs).
    #[must_use]
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.config.retry = policy;
        self
    }

    /// The name leases are held under (default: a random id); unique per process.
    #[must_use]
    pub fn owner(mut self, owner: impl Into<String>) -> Self {
        self.config.owner = owner.into();
        self
    }

    /// Called for every [`Problem`] (default: logged with `tracing`).
    #[must_use]
    pub fn on_problem(mut self, report: impl Fn(&Problem<'_>) + Send + Sync + 'static) -> Self {
        self.config.on_problem = Arc::new(report);
        self
    }

    /// The dispatcher, calling `handler` for each event.
    pub fn build<E: Clone + Send + 'static>(self, handler: impl Handler<E>) -> Dispatcher<E> {
        let (workers, _) = watch::channel(0);
        let shared = Shared {
            store: self.store,
            handler: Arc::new(handler),
            config: self.config,
            chats: Mutex::new(Chats {
                queues: HashMap::new(),
                closing: false,
            }),
            room: Arc::new(Semaphore::new(self.queue)),
            running: Arc::new(Semaphore::new(self.concurrency)),
            workers,
        };
        Dispatcher {
            shared: Arc::new(shared),
        }
    }
}
