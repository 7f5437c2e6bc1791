//! The sender task: takes deliveries off the queue and sends them, concurrently (at most
//! [`DeliveryConfig::max_in_flight`] at once, so in no guaranteed order), each attempted
//! until the receiver answers HTTP 200 or the retries run out (§3.6, Q21). Every
//! attempt is recorded in the delivery log. Stops at the sandbox's shutdown, abandoning
//! the deliveries in flight.

use super::config::DeliveryConfig;
use super::http::{PostError, Poster};
use super::log::{DeliveryLog, DeliveryOutcome, WebhookDelivery};
use super::queue::Job;
use bytes::Bytes;
use std::sync::Arc;
use std::time::SystemTime;
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::task::JoinSet;

/// Runs until `shutdown` turns true (or its sender goes) or the queue closes.
pub(crate) async fn run(
    mut jobs: mpsc::Receiver<Job>,
    config: DeliveryConfig,
    log: Arc<DeliveryLog>,
    mut shutdown: watch::Receiver<bool>,
) {
    if *shutdown.borrow() {
        return;
    }
    let poster = Poster::new();
    let slots = Arc::new(Semaphore::new(config.max_in_flight.max(1)));
    let config = Arc::new(config);
    let mut in_flight = JoinSet::new();
    loop {
        let job = tokio::select! {
            biased;
            _ = shutdown.changed() => break,
            Some(_) = in_flight.join_next(), if !in_flight.is_empty() => continue,
            job = jobs.recv() => match job {
                Some(job) => job,
                None => break,
            },
        };
        let slot = tokio::select! {
            biased;
            _ = shutdown.changed() => break,
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
        };
        let (poster, config, log) = (poster.clone(), config.clone(), log.clone());
        in_flight.spawn(async move {
            deliver(&poster, &config, &log, job).await;
            drop(slot);
        });
    }
    in_flight.abort_all();
}

/// Attempts `job` until delivered or given up, recording each attempt.
pub(crate) async fn deliver(poster: &Poster, config: &DeliveryConfig, log: &DeliveryLog, job: Job) {
    let body = match serde_json::to_vec(&job.body) {
        Ok(bytes) => Bytes::from(bytes),
        Err(err) => {
            tracing::error!(%err, "webhook body does not encode");
            return;
        }
    };
    let attempts = config.retry_delays.len() + 1;
    for index in 0..attempts {
        let result = poster.post(&job.url, body.clone(), config.timeout).await;
        let (outcome, retry) = judge(result, config.any_2xx);
        let last = !retry || index + 1 == attempts;
        let attempt = u32::try_from(index + 1).unwrap_or(u32::MAX);
        match &outcome {
            DeliveryOutcome::Failed { error, .. } if last => tracing::warn!(
                webhook_id = %job.webhook_id, action = %job.action, url = %job.url, attempt,
                %error, "webhook delivery failed: giving up"
            ),
            DeliveryOutcome::Failed { error, .. } => tracing::info!(
                webhook_id = %job.webhook_id, action = %job.action, url = %job.url, attempt,
                %error, "webhook delivery failed: will retry"
            ),
            _ => tracing::debug!(
                webhook_id = %job.webhook_id, action = %job.action, attempt, "webhook delivered"
            ),
        }
        log.record(WebhookDelivery {
            webhook_id: job.webhook_id.clone(),
            action: job.action.clone(),
            url: job.url.clone(),
            attempt,
            outcome,
            last,
            body: job.body.clone(),
            at: SystemTime::now(),
        });
        if last {
            return;
        }
        if let Some(pause) = config.retry_delays.get(index) {
            tokio::time::sleep(*pause).await;
        }
    }
}

/// What an attempt's result means, and whether to try again: 200 (any 2xx with
/// `any_2xx`) is success, anything else (another status, a timeout, a connection error)
/// is retried, except a URL that cannot be used.
fn judge(result: Result<u16, PostError>, any_2xx: bool) -> (DeliveryOutcome, bool) {
    match result {
        Ok(status) if status == 200 || (any_2xx && (200..300).contains(&status)) => {
            (DeliveryOutcome::Delivered { status }, false)
        }
        Ok(status) => (
            DeliveryOutcome::Failed {
                status: Some(status),
                error: format!("the receiver answered HTTP {status}"),
            },
            true,
        ),
        Err(error @ PostError::Unusable(_)) => (
            DeliveryOutcome::Failed {
                status: None,
                error: error.to_string(),
            },
            false,
        ),
        Err(error) => (
            DeliveryOutcome::Failed {
                status: None,
                error: error.to_string(),
            },
            true,
        ),
    }
}
