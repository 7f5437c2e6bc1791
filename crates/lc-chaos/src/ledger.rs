//! What every participant did and saw, shared by all their tasks.

use lc_protocol::Error;
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// The prefix of an agent's answer to a customer message: `a:` + the message's text.
pub(crate) const ANSWER: &str = "a:";

/// Which side of a chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    Agent,
    Customer,
}

/// How one `send_event` ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Stored (answered, or found stored / resent by the SDK).
    Stored,
    /// `Error::Unresolved`: maybe stored, maybe not.
    Unresolved,
    /// Any other error: the SDK says nothing was stored.
    Failed(String),
}

impl Outcome {
    pub(crate) fn of<T>(result: &Result<T, Error>) -> Self {
        match result {
            Ok(_) => Self::Stored,
            Err(Error::Unresolved { .. }) => Self::Unresolved,
            Err(error) => Self::Failed(error.to_string()),
        }
    }
}

/// The sends of one text (normally one).
#[derive(Debug, Clone)]
pub(crate) struct Sends {
    pub(crate) chat: String,
    pub(crate) side: Side,
    pub(crate) outcomes: Vec<Outcome>,
}

/// How many times one text was delivered to the other side.
#[derive(Debug, Clone, Default)]
pub(crate) struct Sightings {
    pub(crate) live: u32,
    pub(crate) recovered: u32,
    /// Who saw it (an agent or customer id), in order.
    pub(crate) by: Vec<String>,
}

impl Sightings {
    pub(crate) fn total(&self) -> u32 {
        self.live + self.recovered
    }
}

/// Texts sent and seen.
#[derive(Debug, Default, Clone)]
pub(crate) struct Book {
    pub(crate) sends: HashMap<String, Sends>,
    /// Customer messages seen by agents.
    pub(crate) seen_by_agents: HashMap<String, Sightings>,
    /// Answers seen by customers.
    pub(crate) seen_by_customers: HashMap<String, Sightings>,
}

/// Counters read while the run goes on.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) customer_sends_done: AtomicU64,
    pub(crate) customer_sends_stored: AtomicU64,
    pub(crate) answers_started: AtomicU64,
    pub(crate) answers_done: AtomicU64,
    pub(crate) answers_stored: AtomicU64,
    pub(crate) agent_logins: AtomicU64,
    pub(crate) customer_logins: AtomicU64,
    pub(crate) agent_missed: AtomicU64,
    pub(crate) customer_missed: AtomicU64,
    /// Messages delivered inside an `incoming_chat` (the thread of a chat the client did
    /// not know, e.g. recovered after a reconnection) rather than as `incoming_event`.
    pub(crate) via_chat: AtomicU64,
    /// `EventStream::catch_up` calls that failed.
    pub(crate) catch_up_failed: AtomicU64,
    /// Every sighting, live or recovered, by either side.
    pub(crate) sightings: AtomicU64,
    /// Time spent disconnected, summed and longest, in milliseconds: agents.
    pub(crate) agent_offline_ms: (AtomicU64, AtomicU64),
    /// The same for customers.
    pub(crate) customer_offline_ms: (AtomicU64, AtomicU64),
}

impl Counters {
    /// Books a disconnection of `side` that lasted `gap`.
    pub(crate) fn offline(&self, side: Side, gap: std::time::Duration) {
        let ms = u64::try_from(gap.as_millis()).unwrap_or(u64::MAX);
        let (sum, max) = match side {
            Side::Agent => &self.agent_offline_ms,
            Side::Customer => &self.customer_offline_ms,
        };
        sum.fetch_add(ms, Ordering::Relaxed);
        max.fetch_max(ms, Ordering::Relaxed);
    }
}

/// The shared ledger.
#[derive(Debug, Default)]
pub(crate) struct Ledger {
    pub(crate) book: Mutex<Book>,
    pub(crate) counters: Counters,
}

impl Ledger {
    fn book(&self) -> std::sync::MutexGuard<'_, Book> {
        self.book
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Books the end of one send of `text` to `chat`.
    pub(crate) fn sent(&self, side: Side, chat: &str, text: &str, outcome: Outcome) {
        let counters = &self.counters;
        match side {
            Side::Customer => {
                counters.customer_sends_done.fetch_add(1, Ordering::Relaxed);
                if outcome == Outcome::Stored {
                    counters
                        .customer_sends_stored
                        .fetch_add(1, Ordering::Relaxed);
                }
            }
            Side::Agent => {
                counters.answers_done.fetch_add(1, Ordering::Relaxed);
                if outcome == Outcome::Stored {
                    counters.answers_stored.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        self.book()
            .sends
            .entry(text.to_owned())
            .or_insert_with(|| Sends {
                chat: chat.to_owned(),
                side,
                outcomes: Vec::new(),
            })
            .outcomes
            .push(outcome);
    }

    /// Books that `who`, on `side`, was given `text` (live or recovered).
    pub(crate) fn saw(&self, side: Side, who: &str, text: &str, recovered: bool) {
        self.counters.sightings.fetch_add(1, Ordering::Relaxed);
        let mut book = self.book();
        let map = match side {
            Side::Agent => &mut book.seen_by_agents,
            Side::Customer => &mut book.seen_by_customers,
        };
        let seen = map.entry(text.to_owned()).or_default();
        if recovered {
            seen.recovered += 1;
        } else {
            seen.live += 1;
        }
        seen.by.push(who.to_owned());
    }

    /// How many distinct texts each side has seen: (agents, customers).
    pub(crate) fn distinct_seen(&self) -> (u64, u64) {
        let book = self.book();
        (
            book.seen_by_agents.len() as u64,
            book.seen_by_customers.len() as u64,
        )
    }

    /// A copy of the book, for the report.
    pub(crate) fn snapshot(&self) -> Book {
        self.book().clone()
    }
}
