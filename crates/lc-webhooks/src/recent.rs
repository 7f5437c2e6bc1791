//! [`Recent`]: the redelivery keys of the deliveries given lately, bounded in number and
//! in age.

use std::collections::{HashSet, VecDeque};
use std::time::Duration;
use tokio::time::Instant;

/// How long a delivery is remembered: LiveChat's retries come within about a minute.
pub(crate) const REMEMBER_FOR: Duration = Duration::from_secs(10 * 60);

/// Keys remembered at most, whatever their age.
pub(crate) const REMEMBER_AT_MOST: usize = 100_000;

/// Keys of recent deliveries, oldest first.
#[derive(Debug, Default)]
pub(crate) struct Recent {
    order: VecDeque<(Instant, u64)>,
    keys: HashSet<u64>,
}

impl Recent {
    /// Whether `key` was given lately.
    pub(crate) fn contains(&mut self, key: u64, now: Instant) -> bool {
        self.forget_old(now);
        self.keys.contains(&key)
    }

    /// Remembers `key` as given at `now`.
    pub(crate) fn insert(&mut self, key: u64, now: Instant) {
        self.forget_old(now);
        if self.keys.insert(key) {
            self.order.push_back((now, key));
        }
        while self.order.len() > REMEMBER_AT_MOST {
            if let Some((_, old)) = self.order.pop_front() {
                self.keys.remove(&old);
            }
        }
    }

    fn forget_old(&mut self, now: Instant) {
        while let Some(&(at, key)) = self.order.front() {
            if now.duration_since(at) < REMEMBER_FOR {
                break;
            }
            self.order.pop_front();
            self.keys.remove(&key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_forgotten_when_old_or_too_many() {
        let start = Instant::now();
        let mut recent = Recent::default();
        recent.insert(1, start);
        assert!(recent.contains(1, start + Duration::from_secs(60)));
        assert!(!recent.contains(1, start + REMEMBER_FOR));
        for key in 0..=REMEMBER_AT_MOST as u64 {
            recent.insert(key, start);
        }
        assert!(!recent.contains(0, start), "the oldest gave way");
        assert!(recent.contains(REMEMBER_AT_MOST as u64, start));
        assert_eq!(recent.keys.len(), REMEMBER_AT_MOST);
    }
}
