//! Client CPU per Web request: the SDK against the raw hyper client of `benches/web.rs`.
//!
//! The sandbox runs on a runtime of its own (one worker thread); each client runs as a
//! task on a current-thread runtime on the bench's main thread, so that thread's CPU
//! time (user and system, from `/proc/thread-self/schedstat`) is exactly the client's:
//! its HTTP work, its connection tasks and its syscalls. Linux only; elsewhere it says
//! so and ends.
//!
//! ```text
//! cargo bench -p lc-web --bench cpu            # 20,000 requests per row
//! cargo bench -p lc-web --bench cpu -- 5000    # another count
//! cargo bench -p lc-web --bench cpu -- sdk 1   # one client, one row (for perf/strace)
//! ```
//!
//! It prints, for one request at a time and for 10 at once, the client CPU per request
//! of each client and their ratio.

#![expect(clippy::print_stdout, reason = "the bench's report")]

mod common;

use common::RawWeb;
use lc_protocol::agent::ListRoutingStatuses;
use lc_protocol::{ApiVersion, Transport};
use lc_sandbox::{NewAgent, Sandbox};
use lc_web::{AgentSession, WebClient, WebConfig};
use std::sync::Arc;
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

/// CPU and wall time per request of `rounds` rounds of `per_round` calls at once, each
/// made by `call`, run as a task (as applications run their clients).
fn measure<C, F, Fut>(
    runtime: &tokio::runtime::Runtime,
    rounds: usize,
    per_round: usize,
    client: &Arc<C>,
    call: F,
) -> (f64, f64)
where
    C: 'static,
    F: Fn(Arc<C>) -> Fut + 'static,
    Fut: Future<Output = ()>,
{
    let client = client.clone();
    let tasks = tokio::task::LocalSet::new();
    let task = tasks.spawn_local(async move {
        let round = async || {
            futures_util::future::join_all((0..per_round).map(|_| call(client.clone()))).await;
        };
        for _ in 0..rounds / 10 {
            round().await;
        }
        let cpu = thread_cpu().unwrap_or_default();
        let wall = Instant::now();
        for _ in 0..rounds {
            round().await;
        }
        let requests = (rounds * per_round) as f64;
        let cpu = thread_cpu().unwrap_or_default().saturating_sub(cpu);
        (
            cpu.as_secs_f64() * 1e6 / requests,
            wall.elapsed().as_secs_f64() * 1e6 / requests,
        )
    });
    tasks
        .block_on(runtime, task)
        .expect("the measured task ends")
}

/// One baseline call.
async fn raw_call(raw: Arc<RawWeb>) {
    raw.list_routing_statuses().await;
}

/// One typed SDK call.
async fn sdk_call(sdk: Arc<(WebClient, ListRoutingStatuses)>) {
    let (client, action) = &*sdk;
    client.call(action).await.expect("a typed response");
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
    let client_runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let raw = Arc::new(RawWeb::new(
        format!(
            "{}/v3.6/agent/action/list_routing_statuses",
            sandbox.http_url()
        ),
        agent.bearer().expose().to_owned(),
    ));
    let session = AgentSession::agent()
        .base_url(sandbox.http_url())
        .version(ApiVersion::V3_6);
    let client = client_runtime
        .block_on(async { WebClient::new(session, agent.token.clone(), WebConfig::default()) });
    let sdk = Arc::new((client, ListRoutingStatuses::new()));
    println!(
        "client CPU per request (median of {TRIALS} alternating runs of {} requests per row)",
        requests / TRIALS
    );
    for at_once in rows {
        let rounds = requests / TRIALS / at_once;
        let (mut raw_runs, mut sdk_runs) = (Vec::new(), Vec::new());
        for _ in 0..TRIALS {
            if run_raw {
                raw_runs.push(measure(&client_runtime, rounds, at_once, &raw, raw_call));
            }
            if run_sdk {
                sdk_runs.push(measure(&client_runtime, rounds, at_once, &sdk, sdk_call));
            }
        }
        report(&format!("{at_once:>2} at once"), &raw_runs, &sdk_runs);
    }
    server.block_on(sandbox.shutdown());
}
