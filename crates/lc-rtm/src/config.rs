//! Engine settings: timeouts, heartbeat, backoff, limits.

use std::time::Duration;

/// How the engine behaves; the defaults follow the real service's rules.
#[derive(Debug, Clone)]
pub struct RtmConfig {
    /// How long a request waits for its response (default 15 s, the server's own limit).
    pub request_timeout: Duration,
    /// How often the heartbeat `ping` is sent after login (default 15 s).
    pub ping_interval: Duration,
    /// How long opening the WebSocket may take (default 10 s).
    pub connect_timeout: Duration,
    /// Requests in flight at most; more wait in a queue (default 10, the server's limit).
    pub max_pending: usize,
    /// Pushes buffered per subscriber before it is told it missed some (default 1024).
    pub push_buffer: usize,
    /// Delays between reconnection attempts.
    pub backoff: Backoff,
}

impl Default for RtmConfig {
    fn default() -> Self {
        Self {
            request_timeout: Duration::from_secs(15),
            ping_interval: Duration::from_secs(15),
            connect_timeout: Duration::from_secs(10),
            max_pending: 10,
            push_buffer: 1024,
            backoff: Backoff::default(),
        }
    }
}

/// Jittered exponential backoff: attempt `n` waits a random delay in
/// `[d/2, d]` with `d = min(initial * 2^n, max)`.
#[derive(Debug, Clone, Copy)]
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
    /// The delay before attempt `attempt` (0-based), with `unit` in `[0, 1)` as jitter.
    pub fn delay(&self, attempt: u32, unit: f64) -> Duration {
        let factor = 2u32.saturating_pow(attempt.min(20));
        let ceiling = self.initial.saturating_mul(factor).min(self.max);
        ceiling.mul_f64(0.5 + unit.clamp(0.0, 1.0) / 2.0)
    }
}

/// A small xorshift generator for jitter (no need for cryptographic randomness).
#[derive(Debug)]
pub(crate) struct Jitter(u64);

impl Jitter {
    pub(crate) fn new() -> Self {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0x9E37_79B9_7F4A_7C15, |d| d.as_nanos() as u64);
        Self(seed | 1)
    }

    /// A number in `[0, 1)`.
    pub(crate) fn next(&mut self) -> f64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        (x >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_to_its_cap_with_jitter_within_half() {
        let backoff = Backoff {
            initial: Duration::from_millis(100),
            max: Duration::from_secs(1),
        };
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
            let x = jitter.next();
            assert!((0.0..1.0).contains(&x));
        }
    }
}
