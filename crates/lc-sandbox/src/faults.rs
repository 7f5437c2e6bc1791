//! Fault injection: slow responses and forced failures, set through [`crate::Sandbox`]
//! hooks so that client timeouts, the pending-request limit and retry logic can be tested
//! against real sockets.

use lc_protocol::error::{ApiError, ErrorType};
use std::collections::{HashMap, VecDeque};
use std::time::Duration;

/// The faults currently armed.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    /// Delay before handling every request (RTM and Web).
    delay: Duration,
    /// Delays for single actions; they replace `delay` for that action.
    action_delays: HashMap<String, Duration>,
    /// action → (error to answer with, calls left).
    failures: HashMap<String, (ApiError, u32)>,
    /// action → Web answers to send as they are: (HTTP status, body).
    raw_replies: HashMap<String, VecDeque<(u16, String)>>,
    /// The region Web requests must name in `X-Region`, if any.
    required_region: Option<String>,
}

impl Faults {
    /// Sets the delay of every action (zero: none).
    pub(crate) fn set_delay(&mut self, delay: Duration) {
        self.delay = delay;
    }

    /// Sets the delay of one action (zero: back to the general delay).
    pub(crate) fn set_action_delay(&mut self, action: &str, delay: Duration) {
        if delay.is_zero() {
            self.action_delays.remove(action);
        } else {
            self.action_delays.insert(action.to_owned(), delay);
        }
    }

    /// How long handling `action` waits.
    pub(crate) fn delay_for(&self, action: &str) -> Duration {
        self.action_delays
            .get(action)
            .copied()
            .unwrap_or(self.delay)
    }

    /// Makes the next `count` calls of `action` fail with `kind` (zero disarms it).
    pub(crate) fn fail_next(&mut self, action: &str, error: ApiError, count: u32) {
        if count == 0 {
            self.failures.remove(action);
        } else {
            self.failures.insert(action.to_owned(), (error, count));
        }
    }

    /// Queues a raw Web answer for the next call of `action`.
    pub(crate) fn push_raw_reply(&mut self, action: &str, status: u16, body: String) {
        self.raw_replies
            .entry(action.to_owned())
            .or_default()
            .push_back((status, body));
    }

    /// The raw Web answer queued for this call of `action`, if any (consumes it).
    pub(crate) fn take_raw_reply(&mut self, action: &str) -> Option<(u16, String)> {
        let queue = self.raw_replies.get_mut(action)?;
        let reply = queue.pop_front();
        if queue.is_empty() {
            self.raw_replies.remove(action);
        }
        reply
    }

    /// Sets the region Web requests must name (`None`: any).
    pub(crate) fn set_required_region(&mut self, region: Option<String>) {
        self.required_region = region;
    }

    /// A `misdirected_request` error when `given` is not the required region.
    pub(crate) fn check_region(&self, given: Option<&str>) -> Result<(), ApiError> {
        match &self.required_region {
            Some(region) if given != Some(region.as_str()) => {
                let mut error = ApiError::new(ErrorType::MisdirectedRequest);
                error.data = Some(serde_json::json!({ "region": region }));
                Err(error)
            }
            _ => Ok(()),
        }
    }

    /// The forced failure for this call of `action`, if one is armed (consumes it).
    pub(crate) fn take_failure(&mut self, action: &str) -> Option<ApiError> {
        let (error, left) = self.failures.get_mut(action)?;
        let error = error.clone();
        *left -= 1;
        if *left == 0 {
            self.failures.remove(action);
        }
        Some(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_armed_failure_counts_down_then_disarms() {
        let mut faults = Faults::default();
        faults.fail_next("ping", ApiError::new(ErrorType::Internal), 2);
        assert!(faults.take_failure("send_event").is_none());
        assert!(faults.take_failure("ping").is_some());
        assert!(faults.take_failure("ping").is_some());
        assert!(faults.take_failure("ping").is_none());
    }

    #[test]
    fn an_action_delay_overrides_the_general_delay_until_reset() {
        let mut faults = Faults::default();
        faults.set_delay(Duration::from_millis(5));
        faults.set_action_delay("ping", Duration::from_millis(50));
        assert_eq!(faults.delay_for("ping"), Duration::from_millis(50));
        assert_eq!(faults.delay_for("login"), Duration::from_millis(5));
        faults.set_action_delay("ping", Duration::ZERO);
        assert_eq!(faults.delay_for("ping"), Duration::from_millis(5));
    }
}
