//! The harness of the client-CPU benches (`benches/cpu.rs` of lc-rtm and lc-web): client
//! CPU per request of the SDK against a raw client.
//!
//! The sandbox runs on a runtime of its own ([`server_runtime`], one worker thread); each
//! client runs as a task on a current-thread runtime ([`client_runtime`]) on the bench's
//! main thread, so that thread's CPU time (user and system, from
//! `/proc/thread-self/schedstat`) is exactly the client's: its protocol work, its tasks
//! and its syscalls. Linux only.

use std::time::{Duration, Instant};

/// Runs per row, raw and SDK alternating, so that drift in the machine's load touches
/// both; the median of each is reported.
pub const TRIALS: usize = 5;

/// CPU and wall time per request of one run, in µs.
pub type Run = (f64, f64);

/// What a CPU bench was asked for on its command line: `[REQUESTS [PER_ROUND]]`, and
/// `sdk` or `raw` to run one client only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CpuArgs {
    /// Requests per row, over all trials (default 20,000).
    pub requests: usize,
    /// The requests per round of each row (default 1 and 10).
    pub rows: Vec<usize>,
    /// Whether the raw client runs.
    pub run_raw: bool,
    /// Whether the SDK client runs.
    pub run_sdk: bool,
}

impl CpuArgs {
    /// Reads `args` (without the program name).
    pub fn parse(args: &[String]) -> Self {
        let numbers: Vec<usize> = args.iter().filter_map(|arg| arg.parse().ok()).collect();
        Self {
            requests: numbers.first().copied().unwrap_or(20_000),
            rows: match numbers.get(1) {
                Some(&only) => vec![only],
                None => vec![1, 10],
            },
            run_raw: !args.iter().any(|arg| arg == "sdk"),
            run_sdk: !args.iter().any(|arg| arg == "raw"),
        }
    }

    /// Reads the process's arguments; `None`, after saying so, where the platform has no
    /// per-thread CPU time.
    #[expect(clippy::print_stdout, reason = "the bench's report")]
    pub fn from_env() -> Option<Self> {
        if thread_cpu().is_none() {
            println!("cpu: no per-thread CPU time on this platform (Linux only)");
            return None;
        }
        let args: Vec<String> = std::env::args().skip(1).collect();
        Some(Self::parse(&args))
    }

    /// Runs each row: [`TRIALS`] times `raw` then `sdk` (each given the rounds to run and
    /// the requests per round), and prints the medians, each row named by its requests
    /// per round and `row_name` (`in flight`, `at once`).
    #[expect(clippy::print_stdout, reason = "the bench's report")]
    pub fn compare(
        &self,
        row_name: &str,
        mut raw: impl FnMut(usize, usize) -> Run,
        mut sdk: impl FnMut(usize, usize) -> Run,
    ) {
        println!(
            "client CPU per request (median of {TRIALS} alternating runs of {} requests per row)",
            self.requests / TRIALS
        );
        for &per_round in &self.rows {
            let rounds = self.requests / TRIALS / per_round;
            let (mut raw_runs, mut sdk_runs) = (Vec::new(), Vec::new());
            for _ in 0..TRIALS {
                if self.run_raw {
                    raw_runs.push(raw(rounds, per_round));
                }
                if self.run_sdk {
                    sdk_runs.push(sdk(rounds, per_round));
                }
            }
            report(&format!("{per_round:>2} {row_name}"), &raw_runs, &sdk_runs);
        }
    }
}

/// The runtime the sandbox runs on: one worker thread, apart from the client's.
pub fn server_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a runtime")
}

/// The runtime the clients run on: current-thread, on the bench's main thread.
pub fn client_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

/// The median of `values` (`NaN` for none).
pub fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

/// Prints one row: medians of CPU and wall time per request, and the CPU ratio.
#[expect(clippy::print_stdout, reason = "the bench's report")]
fn report(row: &str, raw: &[Run], sdk: &[Run]) {
    let cpu = |runs: &[Run]| median(runs.iter().map(|run| run.0).collect());
    let wall = |runs: &[Run]| median(runs.iter().map(|run| run.1).collect());
    let (raw_cpu, sdk_cpu) = (cpu(raw), cpu(sdk));
    println!(
        "{row}: raw {raw_cpu:6.1} µs  sdk {sdk_cpu:6.1} µs  cpu ratio {:.2}   (wall per request: raw {:.1} µs, sdk {:.1} µs)",
        sdk_cpu / raw_cpu,
        wall(raw),
        wall(sdk)
    );
}

/// The CPU time this thread has used, when the platform tells.
pub fn thread_cpu() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanos = text.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(nanos))
}

/// CPU and wall time per request of `rounds` rounds of `per_round` requests made by
/// `round` on `state` (after `rounds / 10` rounds unmeasured), run as a task on
/// `runtime` (as applications run their clients); gives `state` back.
pub fn measure<T, F>(
    runtime: &tokio::runtime::Runtime,
    rounds: usize,
    per_round: usize,
    mut state: T,
    round: F,
) -> (f64, f64, T)
where
    T: 'static,
    F: AsyncFn(&mut T) + 'static,
{
    let tasks = tokio::task::LocalSet::new();
    let task = tasks.spawn_local(async move {
        for _ in 0..rounds / 10 {
            round(&mut state).await;
        }
        let cpu = thread_cpu().unwrap_or_default();
        let wall = Instant::now();
        for _ in 0..rounds {
            round(&mut state).await;
        }
        let requests = (rounds * per_round) as f64;
        let cpu = thread_cpu().unwrap_or_default().saturating_sub(cpu);
        let cpu = cpu.as_secs_f64() * 1e6 / requests;
        (cpu, wall.elapsed().as_secs_f64() * 1e6 / requests, state)
    });
    tasks
        .block_on(runtime, task)
        .expect("the measured task ends")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(words: &[&str]) -> CpuArgs {
        CpuArgs::parse(&words.iter().map(|w| (*w).to_owned()).collect::<Vec<_>>())
    }

    #[test]
    fn arguments_choose_counts_rows_and_clients() {
        assert_eq!(
            args(&[]),
            CpuArgs {
                requests: 20_000,
                rows: vec![1, 10],
                run_raw: true,
                run_sdk: true
            }
        );
        let one = args(&["sdk", "500", "3"]);
        assert_eq!((one.requests, one.rows), (500, vec![3]));
        assert!(one.run_sdk && !one.run_raw);
        assert!(!args(&["raw"]).run_sdk);
    }

    #[test]
    fn median_takes_the_middle_value() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert!(median(Vec::new()).is_nan());
    }
}
