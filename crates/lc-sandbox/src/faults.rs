//! Fault injection: slow responses and forced failures, set through [`crate::Sandbox`]
//! hooks so that client timeouts, the pending-request limit and retry logic can be tested
//! against real sockets.

use crate::chaos::{Chaos, ChaosRun, ConnPlan, FaultStats};
use lc_protocol::error::{ApiError, ErrorType};
use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

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
    /// action → requests left to drop after applying them.
    drops: HashMap<String, u32>,
    /// The seeded random faults, when armed.
    chaos: Option<ChaosRun>,
    /// Logins are refused until then.
    refuse_logins_until: Option<Instant>,
    /// What was injected so far.
    stats: FaultStats,
}

/// What fault injection decided for one RTM request, before it runs.
#[derive(Debug, Default)]
pub(crate) struct Fate {
    /// The failure to answer instead of running it ([`Faults::take_failure`]).
    pub(crate) forced: Option<ApiError>,
    /// A `login` refused while logins are refused: answer `service_unavailable`, then
    /// close the connection.
    pub(crate) refused: bool,
    /// Apply it, then drop the connection instead of answering.
    pub(crate) drop_after: bool,
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

    /// Drops the connection of each of the next `count` requests of `action` after
    /// applying them (zero disarms it).
    pub(crate) fn drop_after_applying(&mut self, action: &str, count: u32) {
        if count == 0 {
            self.drops.remove(action);
        } else {
            self.drops.insert(action.to_owned(), count);
        }
    }

    /// Whether this request of `action`, about to run, is to be dropped after applying
    /// (an armed count first, else the chaos probability); counted when it is.
    pub(crate) fn take_drop(&mut self, action: &str) -> bool {
        let armed = match self.drops.get_mut(action) {
            Some(left) => {
                *left -= 1;
                if *left == 0 {
                    self.drops.remove(action);
                }
                true
            }
            None => false,
        };
        let drop = armed || self.chaos.as_mut().is_some_and(|c| c.drop_request(action));
        if drop {
            self.stats.dropped_after_applying += 1;
        }
        drop
    }

    /// What happens to this RTM request of `action`: a forced failure, a refused login,
    /// or a drop after applying (in that order of precedence; at most one).
    pub(crate) fn fate(&mut self, action: &str) -> Fate {
        if let Some(error) = self.take_failure(action) {
            return Fate {
                forced: Some(error),
                ..Fate::default()
            };
        }
        if action == "login" && self.refuse_login() {
            return Fate {
                refused: true,
                ..Fate::default()
            };
        }
        Fate {
            drop_after: self.take_drop(action),
            ..Fate::default()
        }
    }

    /// Refuses logins for `window` from now (zero: accepts them again).
    pub(crate) fn refuse_logins_for(&mut self, window: Duration) {
        self.refuse_logins_until = (!window.is_zero()).then(|| Instant::now() + window);
    }

    /// Whether a login (or an Inbenta handshake) arriving now is refused; counted when
    /// it is.
    pub(crate) fn refuse_login(&mut self) -> bool {
        let refused = self
            .refuse_logins_until
            .is_some_and(|until| Instant::now() < until);
        if refused {
            self.stats.refused_logins += 1;
        } else {
            self.refuse_logins_until = None;
        }
        refused
    }

    /// Arms seeded random faults (`None`: disarms them).
    pub(crate) fn set_chaos(&mut self, chaos: Option<Chaos>) {
        self.chaos = chaos.map(ChaosRun::new);
    }

    /// The chaos plan of a realtime connection that starts counting now, if any.
    pub(crate) fn conn_plan(&mut self) -> Option<ConnPlan> {
        self.chaos.as_mut()?.conn_plan()
    }

    /// Counts a connection dropped by its chaos plan.
    pub(crate) fn count_random_drop(&mut self) {
        self.stats.random_connection_drops += 1;
    }

    /// What was injected so far.
    pub(crate) fn stats(&self) -> FaultStats {
        self.stats
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
    fn an_armed_drop_counts_down_then_disarms_and_is_counted() {
        let mut faults = Faults::default();
        faults.drop_after_applying("send_event", 2);
        assert!(!faults.take_drop("get_chat"));
        assert!(faults.take_drop("send_event"));
        assert!(faults.take_drop("send_event"));
        assert!(!faults.take_drop("send_event"));
        assert_eq!(faults.stats().dropped_after_applying, 2);
    }

    #[test]
    fn a_forced_failure_wins_over_a_refusal_and_a_drop() {
        let mut faults = Faults::default();
        faults.fail_next("login", ApiError::new(ErrorType::Internal), 1);
        faults.refuse_logins_for(Duration::from_secs(60));
        faults.drop_after_applying("login", 1);
        let fate = faults.fate("login");
        assert!(fate.forced.is_some() && !fate.refused && !fate.drop_after);
        let fate = faults.fate("login");
        assert!(fate.refused && !fate.drop_after);
        faults.refuse_logins_for(Duration::ZERO);
        assert!(faults.fate("login").drop_after);
        assert_eq!(faults.stats().refused_logins, 1);
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
