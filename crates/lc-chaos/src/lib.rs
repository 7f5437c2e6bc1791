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

mod config;
mod ledger;
mod report;
mod rng;
mod scenario;

pub use config::{Config, Faults};
pub use report::{Detail, Report};
pub use scenario::run;
