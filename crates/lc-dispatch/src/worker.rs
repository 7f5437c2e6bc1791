//! A chat's worker: takes the chat's events one at a time, under the chat's lease, and
//! runs the handler with retries while keeping the lease alive.

use crate::context::Context;
use crate::handler::Problem;
use crate::outcome::{HandlerError, Outcome};
use crate::shared::{Job, Shared};
use crate::store::Lease;
use futures_util::FutureExt;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::time::Instant;

/// The first pause between attempts to take a lease someone else holds.
const LEASE_POLL_FIRST: Duration = Duration::from_millis(20);
/// The longest pause between attempts to take a lease.
const LEASE_POLL_MAX: Duration = Duration::from_millis(250);

/// The lease this worker holds, and when it was last granted or renewed.
struct Held {
    lease: Lease,
    renewed_at: Instant,
}

/// Handles `chat`'s events until its queue is empty, then releases the lease.
pub(crate) async fn run_chat<E: Clone + Send + 'static>(shared: Arc<Shared<E>>, chat: Arc<str>) {
    let permit = shared.running.clone().acquire_owned().await;
    let mut held: Option<Held> = None;
    while let Some(job) = shared.next_job(&chat) {
        held = handle_job(&shared, &chat, held, job).await;
    }
    if let Some(held) = held {
        if let Err(error) = shared.store.release_lease(&held.lease).await {
            shared.report(&Problem::Store {
                chat: &chat,
                error: &error,
            });
        }
    }
    drop(permit);
    shared.worker_done();
}

/// Handles one job; gives back the lease still held.
async fn handle_job<E: Clone + Send + 'static>(
    shared: &Shared<E>,
    chat: &Arc<str>,
    held: Option<Held>,
    job: Job<E>,
) -> Option<Held> {
    let held = match keep_or_take(shared, chat, held).await {
        Ok(Some(held)) => held,
        Ok(None) => {
            job.answer(Outcome::Busy);
            return None;
        }
        Err(outcome) => {
            job.answer(outcome);
            return None;
        }
    };
    match shared.store.is_seen(&job.key).await {
        Ok(false) => {}
        Ok(true) => {
            job.answer(Outcome::Duplicate);
            return Some(held);
        }
        Err(error) => {
            shared.report(&Problem::Store {
                chat,
                error: &error,
            });
            job.answer(Outcome::Store(error));
            return Some(held);
        }
    }
    let lost = Arc::new(AtomicBool::new(false));
    let runs = run_with_retries(
        shared,
        chat.clone(),
        held.lease.token,
        job.key.clone(),
        job.event.clone(),
        lost.clone(),
    );
    let (outcome, held) = run_guarded(shared, chat, held, runs, &lost).await;
    if let Outcome::Handled { .. } = outcome {
        if let Err(error) = shared
            .store
            .mark_seen(&job.key, shared.config.seen_ttl)
            .await
        {
            // Handled all the same: a redelivery would run the handler again.
            shared.report(&Problem::Store {
                chat,
                error: &error,
            });
        }
    }
    job.answer(outcome);
    if lost.load(Ordering::SeqCst) {
        shared.report(&Problem::LeaseLost { chat });
        return None;
    }
    Some(held)
}

/// The lease, renewed if it is due, or taken (waiting up to the lease wait while
/// another process holds it). `Ok(None)`: still held elsewhere after the wait.
async fn keep_or_take<E>(
    shared: &Shared<E>,
    chat: &Arc<str>,
    held: Option<Held>,
) -> Result<Option<Held>, Outcome> {
    let config = &shared.config;
    if let Some(held) = held {
        if held.renewed_at.elapsed() < config.lease_ttl / 3 {
            return Ok(Some(held));
        }
        let now = Instant::now();
        match shared
            .store
            .renew_lease(&held.lease, config.lease_ttl)
            .await
        {
            Ok(true) => {
                return Ok(Some(Held {
                    lease: held.lease,
                    renewed_at: now,
                }));
            }
            Ok(false) => shared.report(&Problem::LeaseLost { chat }),
            Err(error) => shared.report(&Problem::Store {
                chat,
                error: &error,
            }),
        }
    }
    let deadline = Instant::now() + config.lease_wait;
    let mut pause = LEASE_POLL_FIRST;
    loop {
        let now = Instant::now();
        match shared
            .store
            .acquire_lease(chat, &config.owner, config.lease_ttl)
            .await
        {
            Ok(Some(lease)) => {
                return Ok(Some(Held {
                    lease,
                    renewed_at: now,
                }));
            }
            Ok(None) => {}
            Err(error) => {
                shared.report(&Problem::Store {
                    chat,
                    error: &error,
                });
                return Err(Outcome::Store(error));
            }
        }
        if Instant::now() + pause > deadline {
            return Ok(None);
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(LEASE_POLL_MAX);
    }
}

/// Runs the handler with the retry policy while renewing the lease every third of its
/// time to live; flags `lost` when a renewal fails.
async fn run_guarded<E>(
    shared: &Shared<E>,
    chat: &Arc<str>,
    mut held: Held,
    runs: impl std::future::Future<Output = Outcome>,
    lost: &Arc<AtomicBool>,
) -> (Outcome, Held) {
    let config = &shared.config;
    let every = config.lease_ttl / 3;
    tokio::pin!(runs);
    loop {
        let due = held.renewed_at + every;
        tokio::select! {
            outcome = &mut runs => return (outcome, held),
            () = tokio::time::sleep_until(due), if !lost.load(Ordering::SeqCst) => {
                let now = Instant::now();
                match shared.store.renew_lease(&held.lease, config.lease_ttl).await {
                    Ok(true) => held.renewed_at = now,
                    Ok(false) => lost.store(true, Ordering::SeqCst),
                    Err(error) => {
                        shared.report(&Problem::Store { chat, error: &error });
                        // Try again at the next tick while the lease may still stand.
                        if now.duration_since(held.renewed_at) >= config.lease_ttl {
                            lost.store(true, Ordering::SeqCst);
                        } else {
                            held.renewed_at += every.min(Duration::from_millis(200));
                        }
                    }
                }
            }
        }
    }
}

/// Runs the handler until it succeeds or the retry policy gives up.
async fn run_with_retries<E: Clone + Send + 'static>(
    shared: &Shared<E>,
    chat: Arc<str>,
    token: u64,
    key: Arc<str>,
    event: E,
    lost: Arc<AtomicBool>,
) -> Outcome {
    let policy = shared.config.retry;
    let mut attempt = 1;
    loop {
        let cx = Context {
            chat: chat.clone(),
            key: key.clone(),
            attempt,
            fencing_token: token,
            lease_lost: lost.clone(),
            store: shared.store.clone(),
            state_ttl: shared.config.state_ttl,
        };
        let error = match run_once(shared, cx, event.clone()).await {
            Ok(()) => return Outcome::Handled { attempts: attempt },
            Err(error) => error,
        };
        let will_retry = attempt < policy.attempts;
        shared.report(&Problem::HandlerFailed {
            chat: &chat,
            key: &key,
            attempt,
            will_retry,
            error: &error,
        });
        if !will_retry {
            return Outcome::Failed {
                attempts: attempt,
                error: Arc::new(error),
            };
        }
        attempt += 1;
        tokio::time::sleep(policy.pause_before(attempt)).await;
    }
}

/// One run of the handler; a panic is an error.
async fn run_once<E: 'static>(
    shared: &Shared<E>,
    cx: Context,
    event: E,
) -> Result<(), HandlerError> {
    let handler = shared.handler.clone();
    let future = match std::panic::catch_unwind(AssertUnwindSafe(|| handler.call(cx, event))) {
        Ok(future) => future,
        Err(panic) => return Err(panicked(&*panic).into()),
    };
    match AssertUnwindSafe(future).catch_unwind().await {
        Ok(result) => result,
        Err(panic) => Err(panicked(&*panic).into()),
    }
}

/// The message of a panic.
fn panicked(panic: &(dyn std::any::Any + Send)) -> String {
    let message = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    format!("the handler panicked: {message}")
}
