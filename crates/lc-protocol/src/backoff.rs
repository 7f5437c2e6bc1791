//! Jittered exponential backoff, shared by the RTM reconnect loop and the Web retry
//! policy.

use std::time::Duration;

/// Jittered exponential backoff: attempt `n` waits a random delay in
/// `[d/2, d]` with `d = min(initial * 2^n, max)`.
///
/// Read the settings through the public fields; build it with [`Backoff::new`] or the
/// setters of the same names:
///
/// ```
/// use lc_protocol::backoff::Backoff;
/// use std::time::Duration;
///
/// let backoff = Backoff::default().initial(Duration::from_millis(100)).max(Duration::from_secs(5));
/// assert_eq!(backoff.max, Duration::from_secs(5));
/// assert_eq!(backoff.delay(2, 1.0), Duration::from_millis(400));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Backoff {
    /// The first delay.
    pub initial: Duration,
    /// The largest delay.
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            initial: Duration::from_millis(250),
            max: Duration::from_secs(30),
        }
    }
}

impl Backoff {
    /// A backoff from `initial` up to `max`.
    pub const fn new(initial: Duration, max: Duration) -> Self {
        Self { initial, max }
    }

    /// Sets [`initial`](Self::initial).
    #[must_use]
    pub const fn initial(mut self, initial: Duration) -> Self {
        self.initial = initial;
        self
    }

    /// Sets [`max`](Self::max).
    #[must_use]
    pub const fn max(mut self, max: Duration) -> Self {
        self.max = max;
        self
    }

    /// The delay before attempt `attempt` (0-based), with `unit` in `[0, 1)` as jitter.
    pub fn delay(&self, attempt: u32, unit: f64) -> Duration {
        let factor = 2u32.saturating_pow(attempt.min(20));
        let ceiling = self.initial.saturating_mul(factor).min(self.max);
        ceiling.mul_f64(0.5 + unit.clamp(0.0, 1.0) / 2.0)
    }
}

/// A small xorshift generator for jitter (no need for cryptographic randomness).
#[derive(Debug)]
pub struct Jitter(u64);

impl Jitter {
    /// A generator seeded from the clock.
    pub fn new() -> Self {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0x9E37_79B9_7F4A_7C15, |d| d.as_nanos() as u64);
        Self(seed | 1)
    }

    /// A number in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        (x >> 11) as f64 / (1u64 << 53) as f64
    }
}

impl Default for Jitter {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_to_its_cap_with_jitter_within_half() {
        let backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(1));
        assert_eq!(backoff.delay(0, 1.0), Duration::from_millis(100));
        assert_eq!(backoff.delay(0, 0.0), Duration::from_millis(50));
        assert_eq!(backoff.delay(3, 1.0), Duration::from_millis(800));
        assert_eq!(backoff.delay(10, 1.0), Duration::from_secs(1));
        assert_eq!(backoff.delay(u32::MAX, 0.0), Duration::from_millis(500));
    }

    #[test]
    fn jitter_stays_in_range() {
        let mut jitter = Jitter::new();
        for _ in 0..1000 {
            let x = jitter.unit();
            assert!((0.0..1.0).contains(&x));
        }
    }
}
