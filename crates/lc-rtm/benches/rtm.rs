//! RTM round trips against an in-process lc-sandbox on 127.0.0.1: `list_routing_statuses`
//! over one logged-in agent connection.
//!
//! - `baseline`: a raw tokio-tungstenite client that logs in with a hand-written JSON
//!   frame, writes each request frame by hand and matches responses by `request_id`
//!   (parsed as `serde_json::Value`).
//! - `reader`: the same raw client with a background task that reads the socket and
//!   hands each response to its caller through a oneshot: the least a client that reads
//!   in a task of its own (so that pushes and heartbeats are read whoever waits) costs.
//! - `sdk`: [`lc_rtm::RtmClient`] with the typed `Transport::call`.
//!
//! Two groups: `rtm_round_trip` (one request at a time: latency) and `rtm_pipelined_10`
//! (10 requests in flight on the connection: throughput). The clients run in the same
//! process, on the same runtime, against the same sandbox, each driven from a task on
//! that runtime (where applications call their clients from, rather than from
//! `block_on` on a thread outside it), in paired rounds (`lc_bench_raw::paired`): each
//! round times every client for the same number of iterations, so that each ratio
//! compares them under the same conditions. `cargo xtask bench` turns the rounds into the
//! ratios of `docs/benchmarks.md`. Client CPU per request: `benches/cpu.rs`.
//!
//! ```text
//! cargo bench -p lc-rtm --bench rtm          # 100 rounds per group
//! cargo bench -p lc-rtm --bench rtm -- 200   # another count
//! ```

use lc_bench_raw::paired::{self, Group};
use lc_bench_raw::rtm::{Connect, ENGINE_READ_BUFFER_SIZE, RawRtm, ReaderRtm};
use lc_protocol::agent::ListRoutingStatuses;
use lc_protocol::{ApiVersion, Transport};
use lc_rtm::{AgentSession, RtmClient, RtmConfig};
use lc_sandbox::{NewAgent, Sandbox};
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;

/// Requests in flight in the pipelined group.
const IN_FLIGHT: usize = 10;

/// Rounds per group unless the command line says otherwise.
const ROUNDS: usize = 100;

/// Iterations (one request, or one burst) of one client in a round: a round of a
/// client lasts about 10 ms or more here.
const ITERATIONS: u64 = 400;

/// A raw client of the benchmark: `count` requests in flight per call.
trait Baseline: Send + 'static {
    fn requests(&mut self, count: usize) -> impl Future<Output = ()> + Send + '_;
}

impl Baseline for RawRtm {
    fn requests(&mut self, count: usize) -> impl Future<Output = ()> + Send + '_ {
        RawRtm::requests(self, count)
    }
}

impl Baseline for ReaderRtm {
    fn requests(&mut self, count: usize) -> impl Future<Output = ()> + Send + '_ {
        ReaderRtm::requests(self, count)
    }
}

/// `iters` rounds of `count` requests on a raw client, run as a task on `runtime` (as
/// applications run their clients); the time taken. `raw` is lent to the task.
fn raw_loop<C: Baseline>(
    runtime: &Runtime,
    iters: u64,
    raw: &mut Option<C>,
    count: usize,
) -> Duration {
    let mut client = raw.take().expect("the raw client is back");
    let task = runtime.spawn(async move {
        let start = Instant::now();
        for _ in 0..iters {
            client.requests(count).await;
        }
        (start.elapsed(), client)
    });
    let (elapsed, client) = runtime.block_on(task).expect("the baseline runs");
    *raw = Some(client);
    elapsed
}

/// Like [`raw_loop`], for the SDK: `count` typed calls at once per round.
fn sdk_loop<T>(runtime: &Runtime, iters: u64, client: &T, count: usize) -> Duration
where
    T: Transport + Clone + 'static,
{
    let client = client.clone();
    let task = runtime.spawn(async move {
        let action = ListRoutingStatuses::new();
        let call = async || {
            let statuses = client.call(&action).await.expect("a typed response");
            assert!(!statuses.is_empty(), "the agent is listed");
        };
        let start = Instant::now();
        for _ in 0..iters {
            if count == 1 {
                call().await;
            } else {
                futures_util::future::join_all((0..count).map(|_| call())).await;
            }
        }
        start.elapsed()
    });
    runtime.block_on(task).expect("the SDK client runs")
}

fn main() {
    let rounds = paired::rounds_from_args(ROUNDS);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let sandbox = runtime
        .block_on(Sandbox::builder().start())
        .expect("the sandbox starts");
    let agent = sandbox.create_agent(NewAgent::new("bench@example.com"));
    let url = format!("{}/v3.6/agent/rtm/ws", sandbox.ws_url());
    let mut raw = Some(runtime.block_on(RawRtm::login(&url, agent.bearer().expose())));
    let mut reader = Some(runtime.block_on(ReaderRtm::login(
        &url,
        agent.bearer().expose(),
        Connect::default().read_buffer_size(ENGINE_READ_BUFFER_SIZE),
    )));
    let session = AgentSession::agent()
        .base_url(sandbox.ws_url())
        .version(ApiVersion::V3_6);
    let client = runtime.block_on(async {
        let client = RtmClient::connect(session, agent.token.clone(), RtmConfig::default());
        client
            .call(&ListRoutingStatuses::new())
            .await
            .expect("the SDK client logs in and calls");
        client
    });

    for (group, count) in [("rtm_round_trip", 1), ("rtm_pipelined_10", IN_FLIGHT)] {
        let rounds = Group::new(group, rounds, ITERATIONS)
            .client("baseline", |n| raw_loop(&runtime, n, &mut raw, count))
            .client("reader", |n| raw_loop(&runtime, n, &mut reader, count))
            .client("sdk", |n| sdk_loop(&runtime, n, &client, count))
            .run();
        rounds.print();
        rounds.save().expect("the rounds are written");
    }

    client.close();
    runtime.block_on(sandbox.shutdown());
}
