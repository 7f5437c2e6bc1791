//! The LiveChat chaos suite: agents (over RTM, some sending over Web) and customers
//! (lc-customer) chat through an in-process lc-sandbox while it injects seeded faults —
//! sends dropped right after they were applied, connections dropped after a random
//! number of frames or a random lifetime, every connection dropped at once and logins
//! refused for a while. Afterwards it checks that every message is stored in its chat
//! exactly once and that every message was seen exactly once by the other side of its
//! chat, live ([`RtmEvent::Push`](lc_rtm::RtmEvent::Push),
//! [`CustomerEvent::Push`](lc_customer::CustomerEvent::Push)) or caught up after a
//! reconnection (`Recovered`).
//!
//! The scenario: each customer starts a chat (routed by the sandbox to the accepting
//! agent with the fewest chats) and sends [`Config::messages`] messages one after the
//! other, each awaited (`send_event` is exactly-once: an error other than
//! [`Error::Unresolved`](lc_protocol::Error::Unresolved) is a failure). The agent of the
//! chat answers every customer message it sees, once per sighting: the app does not
//! deduplicate, so a push delivered twice shows up as a duplicated answer.
//!
//! ```no_run
//! # async fn demo() -> Result<(), String> {
//! let report = lc_chaos::run(lc_chaos::Config::ci(42)).await?;
//! println!("{}", report.markdown());
//! assert!(report.passed(), "lost {}, duplicated {}", report.lost(), report.duplicated());
//! # Ok(())
//! # }
//! ```
//!
//! `cargo xtask chaos` runs the full size (20 agents, 200 customers, 20,000 messages) in
//! release; `cargo xtask chaos --ci` the CI size in debug (the `.ci/run` step).

mod ledger;
mod report;
mod scenario;

pub use report::{Detail, Report};
pub use scenario::{Config, Faults, run};

/// splitmix64: a seeded sequence without dependencies (the sandbox's chaos uses the
/// same generator).
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A duration in `[low, high]` milliseconds.
    pub(crate) fn millis(&mut self, low: u64, high: u64) -> std::time::Duration {
        std::time::Duration::from_millis(low + self.next_u64() % (high - low + 1))
    }
}
