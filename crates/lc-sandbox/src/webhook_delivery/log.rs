//! The delivery log: every attempt to deliver a webhook (and every delivery dropped),
//! the last [`DeliveryConfig::log_capacity`](super::config::DeliveryConfig) of them, for
//! tests to read with [`Sandbox::webhook_deliveries`](crate::Sandbox::webhook_deliveries).

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};
use tokio::sync::watch;

/// One attempt to deliver a webhook, as the sandbox's delivery log records it.
///
/// A delivery that fails is attempted again (up to 3 retries by default, see
/// `SandboxBuilder::webhook_retry_delays`): each attempt is one record, with the same
/// `body`. A delivery the sandbox could not even queue is recorded once, as
/// [`DeliveryOutcome::Dropped`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct WebhookDelivery {
    /// The registration that fired (`webhook_id` of the body).
    pub webhook_id: String,
    /// The action reported (`incoming_event`, `routing_status_set`, ...).
    pub action: String,
    /// Where it was sent.
    pub url: String,
    /// Which attempt this is: 1 for the first, 2 for the first retry, ... (1 for a
    /// dropped delivery, which was never attempted).
    pub attempt: u32,
    /// What came of it.
    pub outcome: DeliveryOutcome,
    /// Whether no attempt follows this one: it was delivered, dropped, or this was the
    /// last retry (or a failure not worth retrying, e.g. an unusable URL).
    pub last: bool,
    /// The body sent (the same for every attempt of a delivery): the webhook envelope.
    pub body: serde_json::Value,
    /// When the attempt ended (or the delivery was dropped).
    pub at: SystemTime,
}

/// What came of one delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeliveryOutcome {
    /// The receiver answered HTTP 200.
    Delivered {
        /// The HTTP status (200).
        status: u16,
    },
    /// The receiver answered another status, did not answer in time, or could not be
    /// reached.
    Failed {
        /// The HTTP status, when the receiver answered.
        status: Option<u16>,
        /// What went wrong, for people.
        error: String,
    },
    /// Never sent: the delivery queue was full (or the sandbox is shutting down).
    Dropped {
        /// Why, for people.
        reason: String,
    },
}

impl WebhookDelivery {
    /// Whether this attempt was [`DeliveryOutcome::Delivered`].
    pub fn is_delivered(&self) -> bool {
        matches!(self.outcome, DeliveryOutcome::Delivered { .. })
    }
}

/// The last attempts, and how many were ever recorded (for waiters).
#[derive(Debug)]
pub(crate) struct DeliveryLog {
    records: Mutex<VecDeque<WebhookDelivery>>,
    capacity: usize,
    recorded: watch::Sender<u64>,
}

impl DeliveryLog {
    /// An empty log keeping the last `capacity` records (at least one).
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            records: Mutex::new(VecDeque::new()),
            capacity: capacity.max(1),
            recorded: watch::Sender::new(0),
        }
    }

    /// Adds a record, forgetting the oldest beyond the capacity.
    pub(crate) fn record(&self, delivery: WebhookDelivery) {
        {
            let mut records = self
                .records
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if records.len() >= self.capacity {
                records.pop_front();
            }
            records.push_back(delivery);
        }
        self.recorded.send_modify(|n| *n += 1);
    }

    /// The records kept, oldest first.
    pub(crate) fn snapshot(&self) -> Vec<WebhookDelivery> {
        self.records
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .iter()
            .cloned()
            .collect()
    }

    /// How many records were ever added (kept or forgotten).
    #[cfg(test)]
    pub(crate) fn recorded(&self) -> u64 {
        *self.recorded.borrow()
    }

    /// Waits until `count` records were ever added, or `timeout`; returns whether they
    /// were.
    pub(crate) async fn wait_for(&self, count: u64, timeout: Duration) -> bool {
        let mut rx = self.recorded.subscribe();
        tokio::time::timeout(timeout, rx.wait_for(|n| *n >= count))
            .await
            .is_ok_and(|r| r.is_ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(attempt: u32) -> WebhookDelivery {
        WebhookDelivery {
            webhook_id: "w".into(),
            action: "incoming_event".into(),
            url: "http://127.0.0.1:1/".into(),
            attempt,
            outcome: DeliveryOutcome::Dropped {
                reason: "test".into(),
            },
            last: true,
            body: serde_json::Value::Null,
            at: SystemTime::now(),
        }
    }

    #[test]
    fn the_log_keeps_the_last_records_and_counts_all() {
        let log = DeliveryLog::new(3);
        for attempt in 1..=5 {
            log.record(record(attempt));
        }
        let kept: Vec<u32> = log.snapshot().iter().map(|d| d.attempt).collect();
        assert_eq!(kept, [3, 4, 5]);
        assert_eq!(log.recorded(), 5);
    }

    #[tokio::test]
    async fn waiting_ends_when_enough_were_recorded_or_at_the_timeout() {
        let log = std::sync::Arc::new(DeliveryLog::new(10));
        assert!(!log.wait_for(1, Duration::from_millis(20)).await);
        let writer = log.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            writer.record(record(1));
            writer.record(record(2));
        });
        assert!(log.wait_for(2, Duration::from_secs(5)).await);
        assert!(log.wait_for(0, Duration::from_millis(1)).await);
    }
}
