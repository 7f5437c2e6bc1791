//! [`Outcome`]: what became of one submitted event, and [`Ticket`], the future that
//! tells it.

use crate::envelope::Envelope;
use crate::store::StoreError;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::sync::oneshot;

/// The error a handler returns.
pub type HandlerError = Box<dyn std::error::Error + Send + Sync>;

/// What became of an event given to a [`Dispatcher`](crate::Dispatcher).
///
/// For a webhook: answer 200 for [`Handled`](Outcome::Handled) and
/// [`Duplicate`](Outcome::Duplicate), and an error status for the others so that
/// LiveChat delivers it again ([`Outcome::redeliver`]).
///
/// ```
/// use lc_dispatch::Outcome;
/// assert!(!Outcome::Duplicate.redeliver());
/// assert!(Outcome::Busy.redeliver());
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Outcome {
    /// The handler succeeded, on run number `attempts`; the key is marked seen.
    Handled {
        /// Runs it took.
        attempts: u32,
    },
    /// The key was handled before (here or by another replica): the handler did not run.
    Duplicate,
    /// The handler failed on every run the retry policy allows; the key is not marked
    /// seen, so a redelivery runs it again.
    Failed {
        /// Runs made.
        attempts: u32,
        /// The last run's error (a panic is reported as an error).
        error: Arc<HandlerError>,
    },
    /// Another process held the chat's lease for longer than the lease wait: not handled.
    Busy,
    /// The dispatcher was shutting down before the event was started: not handled.
    ShutDown,
    /// The store failed before the handler ran (or while marking the key seen after it
    /// succeeded).
    Store(StoreError),
}

impl Outcome {
    /// Whether the source should send the event again (everything but handled or
    /// duplicate).
    pub fn redeliver(&self) -> bool {
        !matches!(self, Self::Handled { .. } | Self::Duplicate)
    }
}

/// Resolves to the [`Outcome`] of a submitted event. Dropping it does not cancel the
/// event.
///
/// ```no_run
/// # async fn demo(dispatcher: lc_dispatch::Dispatcher<String>) {
/// use lc_dispatch::Envelope;
/// let ticket = dispatcher.submit(Envelope::new("chat", "key", "hello".to_owned())).await.unwrap();
/// let outcome = ticket.await;
/// # }
/// ```
#[derive(Debug)]
pub struct Ticket {
    pub(crate) receiver: oneshot::Receiver<Outcome>,
}

impl Future for Ticket {
    type Output = Outcome;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Outcome> {
        Pin::new(&mut self.receiver)
            .poll(cx)
            .map(|outcome| outcome.unwrap_or(Outcome::ShutDown))
    }
}

/// Why [`Dispatcher::try_submit`](crate::Dispatcher::try_submit) or
/// [`Dispatcher::submit`](crate::Dispatcher::submit) did not take an event; the event is
/// given back.
///
/// ```
/// use lc_dispatch::{Envelope, Rejected, RejectReason};
/// let rejected = Rejected { reason: RejectReason::Full, envelope: Envelope::new("c", "k", ()) };
/// assert_eq!(rejected.to_string(), "the dispatcher's queue is full");
/// ```
#[derive(Debug, thiserror::Error)]
#[error("{reason}")]
pub struct Rejected<E> {
    /// Why.
    pub reason: RejectReason,
    /// The event, untouched.
    pub envelope: Envelope<E>,
}

/// Why an event was not taken.
///
/// ```
/// use lc_dispatch::RejectReason;
/// assert_eq!(RejectReason::ShuttingDown.to_string(), "the dispatcher is shutting down");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RejectReason {
    /// The queue holds as many events as it may (`try_submit` only).
    #[error("the dispatcher's queue is full")]
    Full,
    /// [`Dispatcher::shutdown`](crate::Dispatcher::shutdown) was called.
    #[error("the dispatcher is shutting down")]
    ShuttingDown,
}
