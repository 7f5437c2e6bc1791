//! The harness of the request benches (`benches/rtm.rs` of lc-rtm, `benches/web.rs` of
//! lc-web): clients timed in paired rounds.
//!
//! Timing one client for seconds and then the next, as criterion does, lets a slow spell
//! of a shared machine land on one side only, and moved the ratios here by more than the
//! 10 % their targets are about. Here each round runs every client of a group for the same
//! number of iterations, one after the other, starting with another client each round;
//! two clients are compared round by round, under the same conditions, and the report
//! takes the median of those per-round ratios with their spread.
//!
//! [`Rounds::save`] writes the times where `cargo xtask bench` reads them
//! (`$LC_PAIRED_HOME/<group>.txt`); [`Rounds::print`] says them on the terminal.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

/// Where [`Rounds::save`] writes, when set (`cargo xtask bench` sets it).
pub const HOME_VARIABLE: &str = "LC_PAIRED_HOME";

/// A client of a group: its name and what runs it for a number of iterations, giving
/// the wall time taken.
type Client<'a> = (&'static str, Box<dyn FnMut(u64) -> Duration + 'a>);

/// A group of clients timed in paired rounds.
pub struct Group<'a> {
    name: &'static str,
    rounds: usize,
    iterations: u64,
    clients: Vec<Client<'a>>,
}

impl<'a> Group<'a> {
    /// A group of `rounds` rounds (after one round unmeasured) of `iterations` iterations
    /// of each client.
    pub fn new(name: &'static str, rounds: usize, iterations: u64) -> Self {
        Self {
            name,
            rounds,
            iterations,
            clients: Vec::new(),
        }
    }

    /// Adds a client: `run(n)` runs `n` iterations and gives the time they took. The
    /// first client added is the baseline the others are compared with.
    #[must_use]
    pub fn client(mut self, name: &'static str, run: impl FnMut(u64) -> Duration + 'a) -> Self {
        self.clients.push((name, Box::new(run)));
        self
    }

    /// Runs the rounds: the time per iteration of each client in each round.
    pub fn run(mut self) -> Rounds {
        let count = self.clients.len();
        let mut times = vec![Vec::with_capacity(self.rounds); count];
        for round in 0..=self.rounds {
            for turn in 0..count {
                let index = (round + turn) % count;
                let took = (self.clients[index].1)(self.iterations);
                // Round 0 warms every client up.
                if round > 0 {
                    times[index].push(took.as_nanos() as f64 / self.iterations as f64);
                }
            }
        }
        Rounds {
            group: self.name,
            iterations: self.iterations,
            clients: self
                .clients
                .iter()
                .map(|(name, _)| *name)
                .zip(times)
                .collect(),
        }
    }
}

/// The nanoseconds per iteration of each client of a group, round by round.
#[derive(Debug, Clone, PartialEq)]
pub struct Rounds {
    /// The group's name.
    pub group: &'static str,
    /// Iterations per client and round.
    pub iterations: u64,
    /// Each client's name and its time per iteration in each round, baseline first.
    pub clients: Vec<(&'static str, Vec<f64>)>,
}

impl Rounds {
    /// The text `cargo xtask bench` reads: a comment line, then one line per client, its
    /// name and its time per iteration in each round (ns).
    pub fn to_text(&self) -> String {
        let mut text = format!(
            "# {}: ns per iteration, {} iterations per client and round\n",
            self.group, self.iterations
        );
        for (name, times) in &self.clients {
            text.push_str(name);
            for ns in times {
                let _ = write!(text, " {ns:.1}");
            }
            text.push('\n');
        }
        text
    }

    /// Writes [`Rounds::to_text`] to `$LC_PAIRED_HOME/<group>.txt` when that is set; the
    /// file written, if any.
    pub fn save(&self) -> std::io::Result<Option<PathBuf>> {
        let Some(home) = std::env::var_os(HOME_VARIABLE) else {
            return Ok(None);
        };
        let home = PathBuf::from(home);
        std::fs::create_dir_all(&home)?;
        let path = home.join(format!("{}.txt", self.group));
        std::fs::write(&path, self.to_text())?;
        Ok(Some(path))
    }

    /// The median time per iteration of each client, and the median of its per-round
    /// ratios to the baseline's time (time ÷ baseline time).
    pub fn summary(&self) -> Vec<(&'static str, f64, f64)> {
        let Some((_, base)) = self.clients.first() else {
            return Vec::new();
        };
        self.clients
            .iter()
            .map(|(name, times)| {
                let ratios = times.iter().zip(base).map(|(ns, base)| ns / base).collect();
                (
                    *name,
                    crate::cpu::median(times.clone()),
                    crate::cpu::median(ratios),
                )
            })
            .collect()
    }

    /// Prints [`Rounds::summary`].
    #[expect(clippy::print_stdout, reason = "the bench's report")]
    pub fn print(&self) {
        let rounds = self.clients.first().map_or(0, |(_, times)| times.len());
        println!(
            "{}: {rounds} paired rounds of {} iterations",
            self.group, self.iterations
        );
        for (name, ns, ratio) in self.summary() {
            println!(
                "  {name:<10} {:>10.1} µs per iteration   time ÷ baseline {ratio:.3} (median of the rounds)",
                ns / 1e3
            );
        }
    }
}

/// What a request bench was asked for on its command line: the rounds (the first
/// number, default `default`); cargo's own `--bench` is ignored.
pub fn rounds_from_args(default: usize) -> usize {
    std::env::args()
        .skip(1)
        .find_map(|arg| arg.parse().ok())
        .filter(|&rounds| rounds > 0)
        .unwrap_or(default)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_client_runs_every_round_starting_in_turn_and_the_first_round_is_not_kept() {
        let order = std::cell::RefCell::new(Vec::new());
        let clock = std::cell::Cell::new(0_u64);
        let client = |name: &'static str, ns: u64| {
            let (order, clock) = (&order, &clock);
            move |iterations: u64| {
                order.borrow_mut().push(name);
                clock.set(clock.get() + 1);
                Duration::from_nanos(ns * iterations * clock.get())
            }
        };
        let rounds = Group::new("g", 2, 4)
            .client("a", client("a", 10))
            .client("b", client("b", 20))
            .run();
        assert_eq!(*order.borrow(), ["a", "b", "b", "a", "a", "b"]);
        // Calls 3..=6 are measured: b 3rd and 6th, a 4th and 5th.
        assert_eq!(
            rounds.clients,
            vec![("a", vec![40.0, 50.0]), ("b", vec![60.0, 120.0])]
        );
        assert_eq!(
            rounds.to_text(),
            "# g: ns per iteration, 4 iterations per client and round\na 40.0 50.0\nb 60.0 120.0\n"
        );
    }

    #[test]
    fn the_summary_takes_the_median_of_the_per_round_ratios() {
        let rounds = Rounds {
            group: "g",
            iterations: 1,
            clients: vec![
                ("baseline", vec![10.0, 100.0, 10.0]),
                ("sdk", vec![11.0, 90.0, 12.0]),
            ],
        };
        let summary = rounds.summary();
        assert_eq!(summary[0], ("baseline", 10.0, 1.0));
        // Ratios 1.1, 0.9, 1.2: the median is 1.1, not 12 ÷ 10 of the medians.
        assert_eq!(summary[1].0, "sdk");
        assert_eq!(summary[1].1, 12.0);
        assert!((summary[1].2 - 1.1).abs() < 1e-12);
    }
}
