//! [`Queue`]: the state's end of the bounded channel to the sender task. Offering a
//! delivery never waits: when the channel is full the delivery is dropped, with a
//! warning and a [`Dropped`](super::log::DeliveryOutcome::Dropped) record in the log.

use super::config::{DEFAULT_LOG_CAPACITY, DeliveryConfig};
use super::log::{DeliveryLog, DeliveryOutcome, WebhookDelivery};
use std::sync::Arc;
use std::time::SystemTime;
use tokio::sync::mpsc;
use tokio::sync::mpsc::error::TrySendError;

/// One delivery to make: a body for a URL, attempted until delivered or given up.
#[derive(Debug, Clone)]
pub(crate) struct Job {
    /// The registration that fired.
    pub(crate) webhook_id: String,
    /// The action reported.
    pub(crate) action: String,
    /// Where to POST it.
    pub(crate) url: String,
    /// The envelope.
    pub(crate) body: serde_json::Value,
}

/// The sending end, kept in the state (so that [`crate::push::deliver`] reaches it
/// under the state lock), with the delivery log and the envelope settings.
#[derive(Debug)]
pub(crate) struct Queue {
    /// `None` until [`super::start`] runs the sender (a bare `State` in unit tests).
    tx: Option<mpsc::Sender<Job>>,
    /// The delivery log, shared with the sender task and read by tests.
    pub(crate) log: Arc<DeliveryLog>,
    /// Whether `routing_status_set` spells statuses with spaces (Q16).
    pub(crate) status_with_spaces: bool,
}

impl Default for Queue {
    /// A queue without a sender: every delivery is dropped (and logged as dropped).
    fn default() -> Self {
        Self {
            tx: None,
            log: Arc::new(DeliveryLog::new(DEFAULT_LOG_CAPACITY)),
            status_with_spaces: true,
        }
    }
}

impl Queue {
    /// A queue with `config`'s capacity and settings, and the receiving end for the
    /// sender.
    pub(crate) fn new(config: &DeliveryConfig) -> (Self, mpsc::Receiver<Job>) {
        let (tx, rx) = mpsc::channel(config.queue_capacity.max(1));
        let queue = Self {
            tx: Some(tx),
            log: Arc::new(DeliveryLog::new(config.log_capacity)),
            status_with_spaces: config.status_with_spaces,
        };
        (queue, rx)
    }

    /// Hands `job` to the sender without waiting; a full (or closed) queue drops it.
    pub(crate) fn push(&self, job: Job) {
        let Some(tx) = &self.tx else {
            self.drop_job(job, "webhook delivery is not running");
            return;
        };
        match tx.try_send(job) {
            Ok(()) => {}
            Err(TrySendError::Full(job)) => {
                tracing::warn!(
                    webhook_id = %job.webhook_id,
                    action = %job.action,
                    "webhook delivery queue full: delivery dropped"
                );
                self.drop_job(job, "the delivery queue was full");
            }
            Err(TrySendError::Closed(job)) => {
                self.drop_job(job, "webhook delivery has stopped");
            }
        }
    }

    fn drop_job(&self, job: Job, reason: &str) {
        self.log.record(WebhookDelivery {
            webhook_id: job.webhook_id,
            action: job.action,
            url: job.url,
            attempt: 1,
            outcome: DeliveryOutcome::Dropped {
                reason: reason.to_owned(),
            },
            last: true,
            body: job.body,
            at: SystemTime::now(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(n: u32) -> Job {
        Job {
            webhook_id: format!("w{n}"),
            action: "incoming_event".into(),
            url: "http://127.0.0.1:9/".into(),
            body: serde_json::json!({ "n": n }),
        }
    }

    #[test]
    fn a_full_queue_drops_and_logs_instead_of_waiting() {
        let config = DeliveryConfig {
            queue_capacity: 2,
            ..DeliveryConfig::default()
        };
        let (queue, mut rx) = Queue::new(&config);
        for n in 0..5 {
            queue.push(job(n));
        }
        let mut queued = Vec::new();
        while let Ok(job) = rx.try_recv() {
            queued.push(job.webhook_id);
        }
        assert_eq!(queued, ["w0", "w1"]);
        let log = queue.log.snapshot();
        let dropped: Vec<&str> = log.iter().map(|d| d.webhook_id.as_str()).collect();
        assert_eq!(dropped, ["w2", "w3", "w4"]);
        assert!(log.iter().all(|d| d.last
            && matches!(&d.outcome, DeliveryOutcome::Dropped { reason } if reason.contains("full"))));
        assert_eq!(log[0].body, serde_json::json!({ "n": 2 }));
    }

    #[test]
    fn without_a_sender_or_after_it_stopped_deliveries_are_dropped() {
        let queue = Queue::default();
        queue.push(job(1));
        let (stopped, rx) = Queue::new(&DeliveryConfig::default());
        drop(rx);
        stopped.push(job(2));
        for log in [&queue.log, &stopped.log] {
            let records = log.snapshot();
            assert_eq!(records.len(), 1);
            assert!(matches!(
                records[0].outcome,
                DeliveryOutcome::Dropped { .. }
            ));
        }
    }
}
