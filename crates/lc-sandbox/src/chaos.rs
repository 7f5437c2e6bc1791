//! Seeded random faults for chaos tests ([`Chaos`]) and the count of faults injected
//! ([`FaultStats`]).
//!
//! Every random choice is a pure function of the seed and of a counter (the how-many-th
//! call of an action, the how-many-th connection), computed with splitmix64: the same
//! seed and the same sequence of requests give the same faults, whatever the timing.

use std::collections::BTreeMap;
use std::ops::RangeInclusive;
use std::time::Duration;

/// A configuration of seeded random faults, armed with
/// [`Sandbox::set_chaos`](crate::Sandbox::set_chaos) and disarmed with
/// [`Sandbox::clear_chaos`](crate::Sandbox::clear_chaos).
///
/// Three kinds of faults, each off until configured:
///
/// - [`drop_after_applying`](Self::drop_after_applying): a request of an action is
///   applied, then its connection is dropped before the answer, with a probability;
/// - [`drop_after_frames`](Self::drop_after_frames): each realtime connection is dropped
///   after a random number of frames sent to it;
/// - [`drop_after_lifetime`](Self::drop_after_lifetime): each realtime connection is
///   dropped after a random lifetime.
///
/// Every drop is abrupt, as a network failure: no answer, no disconnect push, no close
/// frame. Which requests and connections are hit depends only on the seed and on the
/// order of the requests of each action and of the connections: the same seed replays
/// the same faults for the same sequence of calls.
///
/// ```no_run
/// # async fn demo() -> Result<(), lc_sandbox::SandboxError> {
/// use lc_sandbox::Chaos;
/// use std::time::Duration;
///
/// let sandbox = lc_sandbox::Sandbox::builder().start().await?;
/// sandbox.set_chaos(
///     Chaos::seeded(42)
///         .drop_after_applying("send_event", 0.2)
///         .drop_after_frames(20..=50)
///         .drop_after_lifetime(Duration::from_millis(300)..=Duration::from_millis(1500)),
/// );
/// // ... run the client under test ...
/// println!("{:?}", sandbox.fault_stats());
/// sandbox.clear_chaos();
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Chaos {
    seed: u64,
    /// action → probability of a drop after applying it (`"*"`: any other action but
    /// `login`).
    drops: BTreeMap<String, f64>,
    frames: Option<RangeInclusive<u64>>,
    lifetime: Option<RangeInclusive<Duration>>,
}

impl Chaos {
    /// No fault yet, with the seed of every random choice.
    pub fn seeded(seed: u64) -> Self {
        Self {
            seed,
            drops: BTreeMap::new(),
            frames: None,
            lifetime: None,
        }
    }

    /// Each request of `action` is, with `probability` (clamped to 0–1), applied and then
    /// its connection dropped before the answer is written, as
    /// [`Sandbox::drop_after_applying`](crate::Sandbox::drop_after_applying) does: over RTM
    /// (LiveChat agent and customer), the Inbenta realtime socket (event names such as
    /// `messages:send`) and Web (the HTTP connection is closed without a response).
    ///
    /// `"*"` stands for every action not named otherwise, except `login`, so that
    /// clients can always log in again. Calling it again for an action replaces its
    /// probability.
    pub fn drop_after_applying(mut self, action: &str, probability: f64) -> Self {
        let probability = if probability.is_nan() {
            0.0
        } else {
            probability.clamp(0.0, 1.0)
        };
        self.drops.insert(action.to_owned(), probability);
        self
    }

    /// Each realtime connection (LiveChat RTM, Inbenta realtime socket) is dropped right
    /// after the server has written a number of frames to it (responses and pushes)
    /// drawn in `frames` (a 0 counts as 1). An RTM connection counts from its first
    /// successful `login` on, the login response excluded, so that it always gets its
    /// login answered; an Inbenta socket, authenticated by its handshake, counts from the
    /// start.
    pub fn drop_after_frames(mut self, frames: RangeInclusive<u64>) -> Self {
        self.frames = Some(frames);
        self
    }

    /// Each realtime connection is dropped after a lifetime drawn in `lifetime` (e.g.
    /// 300 ms to 1.5 s), counted like [`drop_after_frames`](Self::drop_after_frames):
    /// from the moment its login response is written for RTM, from the handshake for an
    /// Inbenta socket. Both limits can be set; the first one reached drops it.
    pub fn drop_after_lifetime(mut self, lifetime: RangeInclusive<Duration>) -> Self {
        self.lifetime = Some(lifetime);
        self
    }
}

/// How many faults the sandbox has injected since it started, from
/// [`Sandbox::fault_stats`](crate::Sandbox::fault_stats).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct FaultStats {
    /// Requests applied whose connection was then dropped instead of answered
    /// ([`Sandbox::drop_after_applying`](crate::Sandbox::drop_after_applying) and the
    /// probabilities of [`Chaos::drop_after_applying`]), RTM, Inbenta and Web.
    pub dropped_after_applying: u64,
    /// Realtime connections dropped by [`Chaos::drop_after_frames`] or
    /// [`Chaos::drop_after_lifetime`].
    pub random_connection_drops: u64,
    /// RTM logins refused and Inbenta realtime handshakes refused during
    /// [`Sandbox::refuse_logins_for`](crate::Sandbox::refuse_logins_for).
    pub refused_logins: u64,
}

/// When one realtime connection is to be dropped, drawn for it by [`ChaosRun`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ConnPlan {
    /// Drop right after this many more frames are written.
    pub(crate) frames: Option<u64>,
    /// Drop after this long.
    pub(crate) lifetime: Option<Duration>,
}

/// An armed [`Chaos`] and its counters.
#[derive(Debug)]
pub(crate) struct ChaosRun {
    chaos: Chaos,
    /// action → how many requests of it were drawn for.
    calls: BTreeMap<String, u64>,
    /// How many connections were drawn for.
    conns: u64,
}

/// Streams of random numbers: one per kind of choice.
const STREAM_FRAMES: u64 = 1;
const STREAM_LIFETIME: u64 = 2;
const STREAM_ACTION: u64 = 3;

impl ChaosRun {
    pub(crate) fn new(chaos: Chaos) -> Self {
        Self {
            chaos,
            calls: BTreeMap::new(),
            conns: 0,
        }
    }

    /// Whether this request of `action` is to be dropped after being applied.
    pub(crate) fn drop_request(&mut self, action: &str) -> bool {
        let probability = match self.chaos.drops.get(action) {
            Some(p) => *p,
            None if action != "login" => match self.chaos.drops.get("*") {
                Some(p) => *p,
                None => return false,
            },
            None => return false,
        };
        let index = self.calls.entry(action.to_owned()).or_default();
        *index += 1;
        let draw = draw(self.chaos.seed, STREAM_ACTION ^ fnv1a(action), *index);
        unit(draw) < probability
    }

    /// The drop plan of the next connection, `None` when no connection limit is set.
    pub(crate) fn conn_plan(&mut self) -> Option<ConnPlan> {
        if self.chaos.frames.is_none() && self.chaos.lifetime.is_none() {
            return None;
        }
        self.conns += 1;
        let seed = self.chaos.seed;
        let frames = self.chaos.frames.as_ref().map(|range| {
            let (low, high) = (*range.start(), (*range.end()).max(*range.start()));
            let span = high - low;
            let offset = match span.checked_add(1) {
                Some(width) => draw(seed, STREAM_FRAMES, self.conns) % width,
                None => draw(seed, STREAM_FRAMES, self.conns),
            };
            (low + offset).max(1)
        });
        let lifetime = self.chaos.lifetime.as_ref().map(|range| {
            let (low, high) = (*range.start(), (*range.end()).max(*range.start()));
            let fraction = unit(draw(seed, STREAM_LIFETIME, self.conns));
            low + (high - low).mul_f64(fraction)
        });
        Some(ConnPlan { frames, lifetime })
    }
}

/// splitmix64's output function.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The `index`-th number of `stream` for `seed`.
fn draw(seed: u64, stream: u64, index: u64) -> u64 {
    mix(mix(mix(seed) ^ stream) ^ index)
}

/// A number in [0, 1) from 53 random bits.
fn unit(bits: u64) -> f64 {
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

/// FNV-1a of a string, to give each action a stream of its own.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(chaos: &Chaos, action: &str, n: usize) -> Vec<bool> {
        let mut run = ChaosRun::new(chaos.clone());
        (0..n).map(|_| run.drop_request(action)).collect()
    }

    #[test]
    fn the_same_seed_draws_the_same_drops_and_another_seed_others() {
        let a = Chaos::seeded(7).drop_after_applying("send_event", 0.5);
        let b = Chaos::seeded(8).drop_after_applying("send_event", 0.5);
        assert_eq!(pattern(&a, "send_event", 64), pattern(&a, "send_event", 64));
        assert_ne!(pattern(&a, "send_event", 64), pattern(&b, "send_event", 64));
    }

    #[test]
    fn drops_follow_the_probability() {
        let chaos = Chaos::seeded(1).drop_after_applying("send_event", 0.2);
        let drops = pattern(&chaos, "send_event", 10_000)
            .into_iter()
            .filter(|d| *d)
            .count();
        assert!((1_800..=2_200).contains(&drops), "{drops}");
        assert_eq!(pattern(&chaos, "get_chat", 100), vec![false; 100]);
    }

    #[test]
    fn the_wildcard_covers_other_actions_but_not_login() {
        let chaos = Chaos::seeded(3)
            .drop_after_applying("*", 1.0)
            .drop_after_applying("ping", 0.0);
        let mut run = ChaosRun::new(chaos);
        assert!(run.drop_request("send_event"));
        assert!(!run.drop_request("ping"));
        assert!(!run.drop_request("login"));
    }

    #[test]
    fn connection_plans_stay_in_their_ranges() {
        let low = Duration::from_millis(300);
        let high = Duration::from_millis(1500);
        let mut run = ChaosRun::new(
            Chaos::seeded(9)
                .drop_after_frames(0..=3)
                .drop_after_lifetime(low..=high),
        );
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..200 {
            let plan = run.conn_plan().unwrap_or_else(|| panic!("a plan"));
            let frames = plan.frames.unwrap_or_default();
            assert!((1..=3).contains(&frames), "{frames}");
            seen.insert(frames);
            let lifetime = plan.lifetime.unwrap_or_default();
            assert!(lifetime >= low && lifetime <= high, "{lifetime:?}");
        }
        assert_eq!(seen.len(), 3);
        assert!(ChaosRun::new(Chaos::seeded(9)).conn_plan().is_none());
        let mut wide = ChaosRun::new(Chaos::seeded(9).drop_after_frames(0..=u64::MAX));
        assert!(wide.conn_plan().is_some());
    }
}
