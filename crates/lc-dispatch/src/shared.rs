//! What a dispatcher's handles and its chat workers share: settings, the chat queues and
//! the counters that bound them.

use crate::handler::{Handler, Problem};
use crate::outcome::Outcome;
use crate::retry::RetryPolicy;
use crate::store::Store;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot, watch};

/// A dispatcher's settings.
pub(crate) struct Config {
    pub(crate) owner: String,
    pub(crate) lease_ttl: Duration,
    pub(crate) lease_wait: Duration,
    pub(crate) seen_ttl: Duration,
    pub(crate) state_ttl: Duration,
    pub(crate) retry: RetryPolicy,
    pub(crate) on_problem: Arc<dyn Fn(&Problem<'_>) + Send + Sync>,
}

/// One queued event.
pub(crate) struct Job<E> {
    pub(crate) key: Arc<str>,
    pub(crate) event: E,
    pub(crate) reply: oneshot::Sender<Outcome>,
    /// Its place in the bounded queue, given back when the job is taken.
    pub(crate) _room: OwnedSemaphorePermit,
}

impl<E> Job<E> {
    /// Tells the submitter what became of the event (nobody may be listening).
    pub(crate) fn answer(self, outcome: Outcome) {
        let _ = self.reply.send(outcome);
    }
}

/// The queues of the chats with a worker, and whether new events are refused.
pub(crate) struct Chats<E> {
    pub(crate) queues: HashMap<Arc<str>, VecDeque<Job<E>>>,
    pub(crate) closing: bool,
}

pub(crate) struct Shared<E> {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) handler: Arc<dyn Handler<E>>,
    pub(crate) config: Config,
    pub(crate) chats: Mutex<Chats<E>>,
    /// Places in the queue (all chats together).
    pub(crate) room: Arc<Semaphore>,
    /// Chats handled at once.
    pub(crate) running: Arc<Semaphore>,
    /// Live chat workers.
    pub(crate) workers: watch::Sender<usize>,
}

impl<E> Shared<E> {
    pub(crate) fn lock(&self) -> MutexGuard<'_, Chats<E>> {
        self.chats.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The chat's next job; when there is none, the chat's worker ends (its queue is
    /// removed under the same lock, so that the next event starts a new worker) and
    /// calls [`worker_done`](Self::worker_done) once it has released the lease.
    pub(crate) fn next_job(&self, chat: &Arc<str>) -> Option<Job<E>> {
        let mut chats = self.lock();
        let job = chats.queues.get_mut(chat).and_then(VecDeque::pop_front);
        if job.is_none() {
            chats.queues.remove(chat);
        }
        job
    }

    pub(crate) fn worker_done(&self) {
        self.workers.send_modify(|n| *n = n.saturating_sub(1));
    }

    pub(crate) fn report(&self, problem: &Problem<'_>) {
        (self.config.on_problem)(problem);
    }
}
