//! The figures of a run, what was lost or duplicated, and the markdown table.

use crate::config::Config;
use crate::ledger::{ANSWER, Book, Outcome, Side, Sightings};
use lc_sandbox::FaultStats;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::time::Duration;

/// What the run saw, for [`Report::new`].
pub(crate) struct Observed {
    pub(crate) book: Book,
    /// Message texts read back from the chats, with how many times each is stored.
    pub(crate) stored: HashMap<String, u32>,
    /// The chats, by customer index.
    pub(crate) chats: Vec<String>,
    pub(crate) fault_stats: FaultStats,
    pub(crate) forced_drops: u64,
    pub(crate) ambiguous: u64,
    pub(crate) found_stored: u64,
    pub(crate) resent: u64,
    pub(crate) unresolved: u64,
    pub(crate) agent_logins: u64,
    /// Time disconnected in ms: agents (sum, longest), customers (sum, longest).
    pub(crate) offline_ms: [u64; 4],
    pub(crate) customer_logins: u64,
    pub(crate) missed: u64,
    pub(crate) catch_up_failed: u64,
    pub(crate) via_chat: u64,
    pub(crate) sends_finished: bool,
    pub(crate) settled: bool,
    pub(crate) audit_errors: Vec<String>,
    pub(crate) wall: Duration,
}

/// One message lost, duplicated or otherwise wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detail {
    /// What is wrong, e.g. `push lost (agent)`.
    pub problem: &'static str,
    /// The message text (`c{customer}.{n}`, or `a:` + it for the answer).
    pub text: String,
    /// Its chat.
    pub chat: String,
    /// More: send outcomes, deliveries.
    pub note: String,
}

/// The figures of one run. [`passed`](Report::passed) when nothing was lost,
/// duplicated or failed.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Report {
    /// The day of the run (UTC), `YYYY-MM-DD`.
    pub date: String,
    /// The seed.
    pub seed: u64,
    /// Agents, and of those sending over Web.
    pub agents: (usize, usize),
    /// Customers, and messages each.
    pub customers: (usize, usize),
    /// Whether faults were injected.
    pub faults: bool,
    /// Customer messages whose send succeeded.
    pub customer_messages_sent: u64,
    /// Answers whose send succeeded.
    pub answers_sent: u64,
    /// Sends that failed with an error other than `Unresolved`.
    pub sends_failed: u64,
    /// Sends that ended with `Error::Unresolved`.
    pub sends_unresolved: u64,
    /// Customer messages never sent: the time bound passed first.
    pub sends_unfinished: u64,
    /// Messages stored in the chats (read back with `list_threads`).
    pub stored: u64,
    /// Messages sent successfully but not stored.
    pub stored_lost: u64,
    /// Extra copies stored.
    pub stored_duplicated: u64,
    /// Messages stored although their send failed (the error said nothing was stored).
    pub stored_despite_error: u64,
    /// Customer messages stored without an answer stored (the agent was never given
    /// them, or its answer failed).
    pub unanswered: u64,
    /// The sandbox's counters.
    pub fault_stats: FaultStats,
    /// Times every connection was dropped at once (`drop_connections`).
    pub forced_drops: u64,
    /// Logins after the first, of agents and of customers.
    pub reconnections: (u64, u64),
    /// Time spent disconnected (from `Disconnected` to the next `Connected`): agents
    /// (summed, longest), customers (summed, longest).
    pub offline: [Duration; 4],
    /// Ambiguous sends, found stored, resent, unresolved (`resolution_stats`).
    pub resolutions: (u64, u64, u64, u64),
    /// Deliveries of the other side's messages: live, recovered.
    pub pushes: (u64, u64),
    /// Of the messages delivered (own echoes included), those inside an
    /// `incoming_chat` rather than an `incoming_event`.
    pub via_chat: u64,
    /// Stored messages never delivered to the other side: to agents, to customers.
    pub pushes_lost: (u64, u64),
    /// Extra deliveries: to agents, to customers.
    pub pushes_duplicated: (u64, u64),
    /// Deliveries of messages that are not stored.
    pub pushes_unexpected: u64,
    /// Items a lagging subscriber missed (`Missed(n)`; agents then call
    /// `EventStream::catch_up`, and what is still missing counts as lost).
    pub missed: u64,
    /// `EventStream::catch_up` calls that failed.
    pub catch_up_failed: u64,
    /// Whether every send finished, and whether every delivery arrived, in time.
    pub finished: (bool, bool),
    /// Chats that could not be read back.
    pub audit_errors: Vec<String>,
    /// Every message lost, duplicated or failed.
    pub details: Vec<Detail>,
    /// The run's duration.
    pub wall: Duration,
}

impl Report {
    pub(crate) fn new(config: &Config, observed: Observed) -> Self {
        let Observed {
            book,
            stored,
            chats,
            ..
        } = &observed;
        let mut report = Report {
            date: today(),
            seed: config.seed,
            agents: (config.agents, config.web_agents.min(config.agents)),
            customers: (config.customers, config.messages),
            faults: config.faults.is_some(),
            customer_messages_sent: 0,
            answers_sent: 0,
            sends_failed: 0,
            sends_unresolved: 0,
            sends_unfinished: 0,
            stored: stored.values().map(|n| u64::from(*n)).sum(),
            stored_lost: 0,
            stored_duplicated: 0,
            stored_despite_error: 0,
            unanswered: 0,
            fault_stats: observed.fault_stats,
            forced_drops: observed.forced_drops,
            reconnections: (
                observed.agent_logins.saturating_sub(config.agents as u64),
                observed
                    .customer_logins
                    .saturating_sub(config.customers as u64),
            ),
            offline: observed.offline_ms.map(Duration::from_millis),
            resolutions: (
                observed.ambiguous,
                observed.found_stored,
                observed.resent,
                observed.unresolved,
            ),
            pushes: (0, 0),
            via_chat: observed.via_chat,
            pushes_lost: (0, 0),
            pushes_duplicated: (0, 0),
            pushes_unexpected: 0,
            missed: observed.missed,
            catch_up_failed: observed.catch_up_failed,
            finished: (observed.sends_finished, observed.settled),
            audit_errors: observed.audit_errors.clone(),
            details: Vec::new(),
            wall: observed.wall,
        };

        // Sends, and what is stored of them.
        let mut texts: Vec<&String> = book.sends.keys().collect();
        texts.sort_by_key(|t| order(t));
        for text in texts {
            let sends = &book.sends[text];
            let count = stored.get(text).copied().unwrap_or(0);
            let ok = sends
                .outcomes
                .iter()
                .filter(|o| **o == Outcome::Stored)
                .count() as u64;
            let unresolved = sends
                .outcomes
                .iter()
                .filter(|o| **o == Outcome::Unresolved)
                .count() as u64;
            let failed: Vec<&str> = sends
                .outcomes
                .iter()
                .filter_map(|o| match o {
                    Outcome::Failed(e) => Some(e.as_str()),
                    _ => None,
                })
                .collect();
            match sends.side {
                Side::Customer => report.customer_messages_sent += ok,
                Side::Agent => report.answers_sent += ok,
            }
            report.sends_unresolved += unresolved;
            report.sends_failed += failed.len() as u64;
            let note = || {
                format!(
                    "{} send(s): {:?}; stored {count}×",
                    sends.outcomes.len(),
                    sends.outcomes
                )
            };
            for error in &failed {
                report.detail("send failed", text, &sends.chat, (*error).to_owned());
            }
            if ok > 0 && count == 0 {
                report.stored_lost += 1;
                report.detail("stored lost", text, &sends.chat, note());
            }
            if count > 1 {
                report.stored_duplicated += u64::from(count - 1);
                report.detail("stored duplicated", text, &sends.chat, note());
            }
            if ok == 0 && unresolved == 0 && count > 0 {
                report.stored_despite_error += 1;
                report.detail("stored despite an error", text, &sends.chat, note());
            }
        }
        report.sends_unfinished = ((config.customers * config.messages) as u64).saturating_sub(
            book.sends
                .values()
                .filter(|s| s.side == Side::Customer)
                .map(|s| s.outcomes.len() as u64)
                .sum(),
        );

        // Deliveries of what is stored, and answers.
        let mut stored_texts: Vec<&String> = stored.keys().collect();
        stored_texts.sort_by_key(|t| order(t));
        for text in stored_texts {
            let (side, seen) = match text.strip_prefix(ANSWER) {
                Some(_) => (Side::Customer, book.seen_by_customers.get(text)),
                None => (Side::Agent, book.seen_by_agents.get(text)),
            };
            let chat = chat_of(text, chats);
            let empty = Sightings::default();
            let seen = seen.unwrap_or(&empty);
            report.pushes.0 += u64::from(seen.live);
            report.pushes.1 += u64::from(seen.recovered);
            let (lost, duplicated) = match side {
                Side::Agent => (&mut report.pushes_lost.0, &mut report.pushes_duplicated.0),
                Side::Customer => (&mut report.pushes_lost.1, &mut report.pushes_duplicated.1),
            };
            let to = match side {
                Side::Agent => "agent",
                Side::Customer => "customer",
            };
            match seen.total() {
                0 => {
                    *lost += 1;
                    report.detail(
                        if side == Side::Agent {
                            "push lost (to the agent)"
                        } else {
                            "push lost (to the customer)"
                        },
                        text,
                        &chat,
                        format!("stored {}×, never given to the {to}", stored[text]),
                    );
                }
                1 => {}
                n => {
                    *duplicated += u64::from(n - 1);
                    report.detail(
                        if side == Side::Agent {
                            "push duplicated (to the agent)"
                        } else {
                            "push duplicated (to the customer)"
                        },
                        text,
                        &chat,
                        format!(
                            "given {n}× ({} live, {} recovered) to {:?}",
                            seen.live, seen.recovered, seen.by
                        ),
                    );
                }
            }
            if side == Side::Agent && !stored.contains_key(&format!("{ANSWER}{text}")) {
                report.unanswered += 1;
            }
        }
        for (side, map) in [
            ("agent", &book.seen_by_agents),
            ("customer", &book.seen_by_customers),
        ] {
            for (text, seen) in map {
                if !stored.contains_key(text) {
                    report.pushes_unexpected += u64::from(seen.total());
                    report.detail(
                        "delivered but not stored",
                        text,
                        &chat_of(text, chats),
                        format!("given {}× to the {side}", seen.total()),
                    );
                }
            }
        }
        report
    }

    fn detail(&mut self, problem: &'static str, text: &str, chat: &str, note: String) {
        self.details.push(Detail {
            problem,
            text: text.to_owned(),
            chat: chat.to_owned(),
            note,
        });
    }

    /// Messages the run was meant to send: customer messages and their answers.
    pub fn expected_messages(&self) -> u64 {
        2 * (self.customers.0 * self.customers.1) as u64
    }

    /// Deliveries lost, to agents and customers.
    pub fn lost(&self) -> u64 {
        self.stored_lost + self.pushes_lost.0 + self.pushes_lost.1
    }

    /// Copies stored or delivered more than once.
    pub fn duplicated(&self) -> u64 {
        self.stored_duplicated + self.pushes_duplicated.0 + self.pushes_duplicated.1
    }

    /// Nothing lost, nothing duplicated, no send failed, every message sent and
    /// answered, every chat read back.
    pub fn passed(&self) -> bool {
        self.lost() == 0
            && self.duplicated() == 0
            && self.sends_failed == 0
            && self.sends_unfinished == 0
            && self.stored_despite_error == 0
            && self.unanswered == 0
            && self.pushes_unexpected == 0
            && self.catch_up_failed == 0
            && self.audit_errors.is_empty()
            && self.customer_messages_sent + self.answers_sent + self.sends_unresolved
                >= self.expected_messages()
    }

    /// The figures as a markdown table, followed by the list of what went wrong (at most
    /// `max_details` lines; all are counted in the table).
    pub fn markdown(&self) -> String {
        self.markdown_with(50)
    }

    /// [`markdown`](Report::markdown) with at most `max_details` detail lines.
    pub fn markdown_with(&self, max_details: usize) -> String {
        let mut out = String::new();
        let n = group;
        let stats = &self.fault_stats;
        let (ambiguous, found, resent, unresolved) = self.resolutions;
        let rows: Vec<(&str, String)> = vec![
            ("date", self.date.clone()),
            ("seed", format!("{} ({:#x})", self.seed, self.seed)),
            (
                "participants",
                format!(
                    "{} agents ({} sending over Web, all receiving over RTM), {} customers × {} messages",
                    self.agents.0, self.agents.1, self.customers.0, self.customers.1
                ),
            ),
            (
                "messages sent",
                format!(
                    "{} of {} ({} customer messages + {} answers)",
                    n(self.customer_messages_sent + self.answers_sent),
                    n(self.expected_messages()),
                    n(self.customer_messages_sent),
                    n(self.answers_sent)
                ),
            ),
            ("messages stored", n(self.stored)),
            (
                "sends failed / unresolved / not sent in time",
                format!(
                    "{} / {} / {}",
                    n(self.sends_failed),
                    n(self.sends_unresolved),
                    n(self.sends_unfinished)
                ),
            ),
            (
                "faults injected",
                if self.faults {
                    format!(
                        "{} sends dropped after applying, {} random connection drops, {} logins refused, {} drops of every connection",
                        n(stats.dropped_after_applying),
                        n(stats.random_connection_drops),
                        n(stats.refused_logins),
                        n(self.forced_drops)
                    )
                } else {
                    "none (baseline)".to_owned()
                },
            ),
            (
                "reconnections",
                format!(
                    "agents {}, customers {}",
                    n(self.reconnections.0),
                    n(self.reconnections.1)
                ),
            ),
            (
                "time disconnected",
                format!(
                    "agents {:.1} s in all, longest {:.1} s; customers {:.1} s in all, longest {:.1} s",
                    self.offline[0].as_secs_f64(),
                    self.offline[1].as_secs_f64(),
                    self.offline[2].as_secs_f64(),
                    self.offline[3].as_secs_f64()
                ),
            ),
            (
                "ambiguous sends resolved",
                format!(
                    "{}: found stored {}, resent {}, unresolved {}",
                    n(ambiguous),
                    n(found),
                    n(resent),
                    n(unresolved)
                ),
            ),
            (
                "pushes delivered",
                format!(
                    "{} live, {} recovered ({} messages came inside an `incoming_chat`)",
                    n(self.pushes.0),
                    n(self.pushes.1),
                    n(self.via_chat)
                ),
            ),
            (
                "**lost**",
                format!(
                    "{} (stored {}, pushes to agents {}, pushes to customers {})",
                    n(self.lost()),
                    n(self.stored_lost),
                    n(self.pushes_lost.0),
                    n(self.pushes_lost.1)
                ),
            ),
            (
                "**duplicated**",
                format!(
                    "{} (stored {}, pushes to agents {}, pushes to customers {})",
                    n(self.duplicated()),
                    n(self.stored_duplicated),
                    n(self.pushes_duplicated.0),
                    n(self.pushes_duplicated.1)
                ),
            ),
            (
                "other",
                format!(
                    "{} unanswered, {} stored despite an error, {} delivered but not stored, {} missed by a lagging subscriber ({} catch-ups failed), {} chats not read back",
                    n(self.unanswered),
                    n(self.stored_despite_error),
                    n(self.pushes_unexpected),
                    n(self.missed),
                    n(self.catch_up_failed),
                    self.audit_errors.len()
                ),
            ),
            (
                "wall time",
                format!(
                    "{:.1} s{}",
                    self.wall.as_secs_f64(),
                    match self.finished {
                        (true, true) => "",
                        (false, _) => " (the time bound passed before every send finished)",
                        (true, false) => " (deliveries stopped before every message was seen)",
                    }
                ),
            ),
            (
                "result",
                if self.passed() {
                    "**PASS**"
                } else {
                    "**FAIL**"
                }
                .to_owned(),
            ),
        ];
        let _ = writeln!(out, "| LiveChat chaos run | |");
        let _ = writeln!(out, "|---|---|");
        for (name, value) in rows {
            let _ = writeln!(out, "| {name} | {value} |");
        }
        if !self.details.is_empty() || !self.audit_errors.is_empty() {
            let _ = writeln!(out);
            let _ = writeln!(
                out,
                "What went wrong ({} in all{}):",
                self.details.len(),
                if self.details.len() > max_details {
                    format!(", the first {max_details}")
                } else {
                    String::new()
                }
            );
            let _ = writeln!(out);
            for error in &self.audit_errors {
                let _ = writeln!(out, "- audit: {error}");
            }
            let mut by_problem: Vec<(&str, usize)> = Vec::new();
            for detail in &self.details {
                match by_problem.iter_mut().find(|(p, _)| *p == detail.problem) {
                    Some((_, count)) => *count += 1,
                    None => by_problem.push((detail.problem, 1)),
                }
            }
            for (problem, count) in by_problem {
                let _ = writeln!(out, "- {problem}: {count}");
            }
            let _ = writeln!(out);
            for detail in self.details.iter().take(max_details) {
                let _ = writeln!(
                    out,
                    "- {}: `{}` in chat {}: {}",
                    detail.problem, detail.text, detail.chat, detail.note
                );
            }
        }
        out
    }
}

/// `c12.3` sorts as (12, 3, question), its answer right after.
fn order(text: &str) -> (u64, u64, bool, String) {
    let answer = text.starts_with(ANSWER);
    let bare = text.strip_prefix(ANSWER).unwrap_or(text);
    let mut parts = bare
        .strip_prefix('c')
        .unwrap_or(bare)
        .split('.')
        .map(|p| p.parse::<u64>().unwrap_or(u64::MAX));
    let customer = parts.next().unwrap_or(u64::MAX);
    let n = parts.next().unwrap_or(u64::MAX);
    (customer, n, answer, text.to_owned())
}

/// The chat of a message text, from its customer index.
fn chat_of(text: &str, chats: &[String]) -> String {
    let (customer, ..) = order(text);
    usize::try_from(customer)
        .ok()
        .and_then(|c| chats.get(c))
        .cloned()
        .unwrap_or_else(|| "?".to_owned())
}

/// 20000 → "20,000".
fn group(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Today's date (UTC), `YYYY-MM-DD`.
fn today() -> String {
    time::OffsetDateTime::now_utc().date().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_are_grouped_by_thousands() {
        assert_eq!(group(0), "0");
        assert_eq!(group(999), "999");
        assert_eq!(group(20_000), "20,000");
        assert_eq!(group(1_234_567), "1,234,567");
    }

    #[test]
    fn answers_sort_after_their_question() {
        let mut texts = vec!["a:c1.0", "c10.0", "c1.1", "c1.0", "c2.0"];
        texts.sort_by_key(|t| order(t));
        assert_eq!(texts, ["c1.0", "a:c1.0", "c1.1", "c2.0", "c10.0"]);
        assert_eq!(chat_of("a:c1.0", &["A".into(), "B".into()]), "B");
    }
}
