//! What a chaos run does: its size and its faults.

use std::ops::RangeInclusive;
use std::time::Duration;

/// What to run.
#[derive(Debug, Clone)]
pub struct Config {
    /// Seeds the sandbox's faults ([`Chaos::seeded`](lc_sandbox::Chaos::seeded)) and the clients' pauses.
    pub seed: u64,
    /// Agents, each logged in over RTM (to be routed chats and get pushes).
    pub agents: usize,
    /// Of the agents, how many send their answers over Web (`connect_web`).
    pub web_agents: usize,
    /// Customers, one chat each.
    pub customers: usize,
    /// Messages each customer sends; each is answered, so the run sends
    /// `2 × customers × messages` messages.
    pub messages: usize,
    /// The faults injected, or none (a baseline run).
    pub faults: Option<Faults>,
    /// The sandbox's request timeout, and the `server_deadline` of every send's
    /// [`ResolvePolicy`](lc_protocol::send_once::ResolvePolicy): a send not found stored is sent again after that long.
    pub request_timeout: Duration,
    /// Pause between two messages of a customer, in milliseconds (drawn in the range).
    pub pause_ms: RangeInclusive<u64>,
    /// Once every send is done, how long to wait without any new delivery before
    /// counting what is missing as lost.
    pub quiet: Duration,
    /// The whole run (set-up, exchange, settling) must end within this.
    pub bound: Duration,
}

/// Seeded faults injected by the sandbox during the exchange.
#[derive(Debug, Clone)]
pub struct Faults {
    /// Probability that a `send_event` (RTM or Web) is applied and its connection then
    /// dropped before the answer.
    pub send_drop: f64,
    /// Each realtime connection is dropped after a number of frames drawn in this range.
    pub frames: RangeInclusive<u64>,
    /// ... or after a lifetime drawn in this range, whichever comes first.
    pub lifetime: RangeInclusive<Duration>,
    /// Halfway through the customers' messages every connection is dropped at once and
    /// logins are refused for this long.
    pub refuse_logins: Duration,
}

impl Faults {
    /// The default mix: 5% of sends dropped after applying, connections dropped after
    /// 40 to 400 frames or 1 to 5 s, logins refused for 1.5 s halfway.
    pub fn standard() -> Self {
        Self {
            send_drop: 0.05,
            frames: 40..=400,
            lifetime: Duration::from_secs(1)..=Duration::from_secs(5),
            refuse_logins: Duration::from_millis(1500),
        }
    }
}

impl Config {
    /// The full size: 20 agents (5 over Web), 200 customers × 50 messages, answered:
    /// 20,000 messages. Customers pause 100 to 500 ms between messages, so that every
    /// conversation outlives several connection drops.
    pub fn full(seed: u64) -> Self {
        Self {
            seed,
            agents: 20,
            web_agents: 5,
            customers: 200,
            messages: 50,
            faults: Some(Faults::standard()),
            request_timeout: Duration::from_secs(2),
            pause_ms: 100..=500,
            quiet: Duration::from_secs(15),
            bound: Duration::from_secs(900),
        }
    }

    /// The CI size: 8 agents (3 over Web), 40 customers × 25 messages, answered: 2,000
    /// messages, bounded to 150 s.
    pub fn ci(seed: u64) -> Self {
        Self {
            agents: 8,
            web_agents: 3,
            customers: 40,
            messages: 25,
            quiet: Duration::from_secs(10),
            bound: Duration::from_secs(150),
            ..Self::full(seed)
        }
    }

    /// Messages the run should send: customer messages and their answers.
    pub fn total_messages(&self) -> u64 {
        2 * (self.customers * self.messages) as u64
    }
}
