//! Client CPU per RTM request: the SDK against the raw client of `benches/rtm.rs`.
//!
//! The sandbox runs on a runtime of its own (one worker thread); each client runs on a
//! current-thread runtime on the bench's main thread, so that thread's CPU time (user
//! and system, from `/proc/thread-self/schedstat`) is exactly the client's: its
//! protocol work, its tasks and its syscalls. Linux only; elsewhere it says so and ends.
//!
//! ```text
//! cargo bench -p lc-rtm --bench cpu            # 20,000 requests per row
//! cargo bench -p lc-rtm --bench cpu -- 5000    # another count
//! cargo bench -p lc-rtm --bench cpu -- sdk 1   # one client, one row (for perf/strace)
//! ```
//!
//! It prints, for one request at a time and for 10 in flight, the client CPU per
//! request of each client and their ratio.

#![expect(clippy::print_stdout, reason = "the bench's report")]

mod common;

use common::RawRtm;
use lc_protocol::agent::ListRoutingStatuses;
use lc_protocol::{ApiVersion, Transport};
use lc_rtm::{AgentSession, RtmClient, RtmConfig};
use lc_sandbox::{NewAgent, Sandbox};
use std::time::{Duration, Instant};

/// Runs per row, raw and SDK alternating, so that drift in the machine's load touches
/// both; the median of each is reported.
const TRIALS: usize = 5;

/// The median of `values` (`NaN` for none).
fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

/// Prints one row: medians of CPU and wall time per request, and the CPU ratio.
fn report(row: &str, raw: &[(f64, f64)], sdk: &[(f64, f64)]) {
    let cpu = |runs: &[(f64, f64)]| median(runs.iter().map(|run| run.0).collect());
    let wall = |runs: &[(f64, f64)]| median(runs.iter().map(|run| run.1).collect());
    let (raw_cpu, sdk_cpu) = (cpu(raw), cpu(sdk));
    println!(
        "{row}: raw {raw_cpu:6.1} µs  sdk {sdk_cpu:6.1} µs  cpu ratio {:.2}   (wall per request: raw {:.1} µs, sdk {:.1} µs)",
        sdk_cpu / raw_cpu,
        wall(raw),
        wall(sdk)
    );
}

/// The CPU time this thread has used, when the platform tells.
fn thread_cpu() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanos = text.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(nanos))
}

/// CPU and wall time per request of `rounds` rounds of `per_round` requests made by
/// `round` on `state`, run as a task (as applications run their clients); gives `state`
/// back.
fn measure<T, F>(
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

fn main() {
    if thread_cpu().is_none() {
        println!("cpu: no per-thread CPU time on this platform (Linux only)");
        return;
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let numbers: Vec<usize> = args.iter().filter_map(|arg| arg.parse().ok()).collect();
    let requests = numbers.first().copied().unwrap_or(20_000);
    let rows: Vec<usize> = match numbers.get(1) {
        Some(&only) => vec![only],
        None => vec![1, 10],
    };
    let run_raw = !args.iter().any(|arg| arg == "sdk");
    let run_sdk = !args.iter().any(|arg| arg == "raw");
    let server = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a runtime");
    let sandbox = server
        .block_on(Sandbox::builder().start())
        .expect("the sandbox starts");
    let agent = sandbox.create_agent(NewAgent::new("bench@example.com"));
    let url = format!("{}/v3.6/agent/rtm/ws", sandbox.ws_url());
    let client_runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let mut raw = client_runtime.block_on(RawRtm::login(&url, agent.bearer().expose()));
    let session = AgentSession::agent()
        .base_url(sandbox.ws_url())
        .version(ApiVersion::V3_6);
    let client = client_runtime.block_on(async {
        let client = RtmClient::connect(session, agent.token.clone(), RtmConfig::default());
        client
            .call(&ListRoutingStatuses::new())
            .await
            .expect("the SDK client logs in and calls");
        client
    });
    println!(
        "client CPU per request (median of {TRIALS} alternating runs of {} requests per row)",
        requests / TRIALS
    );
    for in_flight in rows {
        let rounds = requests / TRIALS / in_flight;
        let (mut raw_runs, mut sdk_runs) = (Vec::new(), Vec::new());
        for _ in 0..TRIALS {
            if run_raw {
                let (cpu, wall, back) =
                    measure(&client_runtime, rounds, in_flight, raw, async move |raw| {
                        raw.requests(in_flight).await
                    });
                raw = back;
                raw_runs.push((cpu, wall));
            }
            if run_sdk {
                let sdk = (client.clone(), ListRoutingStatuses::new());
                let (cpu, wall, _) =
                    measure(&client_runtime, rounds, in_flight, sdk, async move |sdk| {
                        let (client, action) = &*sdk;
                        let calls = (0..in_flight).map(|_| client.call(action));
                        for result in futures_util::future::join_all(calls).await {
                            result.expect("a typed response");
                        }
                    });
                sdk_runs.push((cpu, wall));
            }
        }
        report(&format!("{in_flight:>2} in flight"), &raw_runs, &sdk_runs);
    }
    client.close();
    server.block_on(sandbox.shutdown());
}
