//! [`DeliveryConfig`]: the timing and sizes of webhook delivery, set on the
//! [`SandboxBuilder`](crate::SandboxBuilder).

use std::time::Duration;

/// How long the receiver has to answer one attempt (§3.6: ≈ 10 s).
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// The pauses before the 2nd, 3rd and 4th attempt (Q21: 10 s / 20 s / 30 s, the last
/// attempt about a minute after the first).
pub(crate) const DEFAULT_RETRY_DELAYS: [Duration; 3] = [
    Duration::from_secs(10),
    Duration::from_secs(20),
    Duration::from_secs(30),
];

/// Deliveries waiting for the sender; more are dropped (and logged as dropped).
pub(crate) const DEFAULT_QUEUE_CAPACITY: usize = 1024;

/// Deliveries being sent (or waiting between attempts) at once.
pub(crate) const DEFAULT_MAX_IN_FLIGHT: usize = 32;

/// Attempts the delivery log keeps (the oldest go first).
pub(crate) const DEFAULT_LOG_CAPACITY: usize = 1000;

/// Settings of webhook delivery.
#[derive(Debug, Clone)]
pub(crate) struct DeliveryConfig {
    /// Time allowed for one attempt: connecting, sending and getting the status line.
    pub(crate) timeout: Duration,
    /// The pause before each retry; its length is the number of retries.
    pub(crate) retry_delays: Vec<Duration>,
    /// Whether `routing_status_set` spells statuses with spaces (`accepting chats`, as
    /// the webhook docs show, Q16) rather than underscores (as the RTM push).
    pub(crate) status_with_spaces: bool,
    /// Whether any 2xx status is a success (default: exactly 200, as the docs say).
    pub(crate) any_2xx: bool,
    /// Capacity of the queue between the actions and the sender.
    pub(crate) queue_capacity: usize,
    /// Deliveries in flight at once.
    pub(crate) max_in_flight: usize,
    /// Attempts kept in the delivery log.
    pub(crate) log_capacity: usize,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        Self {
            timeout: DEFAULT_TIMEOUT,
            retry_delays: DEFAULT_RETRY_DELAYS.to_vec(),
            status_with_spaces: true,
            any_2xx: false,
            queue_capacity: DEFAULT_QUEUE_CAPACITY,
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
            log_capacity: DEFAULT_LOG_CAPACITY,
        }
    }
}
