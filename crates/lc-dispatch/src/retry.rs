//! [`RetryPolicy`]: how often, and after which pauses, a failed handler runs again.

use std::time::Duration;

/// How a handler that failed is run again: at most `attempts` runs in all, pausing
/// `initial_backoff` before the second, twice as long before each next one, never more
/// than `max_backoff`.
///
/// ```
/// use lc_dispatch::RetryPolicy;
/// use std::time::Duration;
/// let policy = RetryPolicy::new(4).backoff(Duration::from_millis(100), Duration::from_millis(250));
/// assert_eq!(policy.pause_before(2), Duration::from_millis(100));
/// assert_eq!(policy.pause_before(3), Duration::from_millis(200));
/// assert_eq!(policy.pause_before(4), Duration::from_millis(250));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Runs in all, the first included (at least 1).
    pub attempts: u32,
    /// The pause before the second run.
    pub initial_backoff: Duration,
    /// The longest pause.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    /// 3 runs, 200 ms then 400 ms apart.
    fn default() -> Self {
        Self {
            attempts: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    /// At most `attempts` runs (at least 1), with the default pauses.
    pub fn new(attempts: u32) -> Self {
        Self {
            attempts: attempts.max(1),
            ..Self::default()
        }
    }

    /// One run: a failure is reported and not retried.
    pub fn never() -> Self {
        Self::new(1)
    }

    /// Pauses `initial` before the second run, doubling up to `max`.
    #[must_use]
    pub fn backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_backoff = initial;
        self.max_backoff = max.max(initial);
        self
    }

    /// The pause before run number `attempt` (2 for the first retry).
    pub fn pause_before(&self, attempt: u32) -> Duration {
        let doublings = attempt.saturating_sub(2).min(20);
        self.initial_backoff
            .saturating_mul(1 << doublings)
            .min(self.max_backoff)
    }
}
