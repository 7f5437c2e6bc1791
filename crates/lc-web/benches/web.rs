//! Web API round trips against an in-process lc-sandbox on 127.0.0.1: the agent action
//! `list_routing_statuses` over plain HTTP/1.1.
//!
//! - `baseline`: a raw hyper-util legacy client (pooled, with the rustls connector,
//!   `TCP_NODELAY` and pool settings of lc-web) POSTing the JSON body by hand with the
//!   `Authorization: Bearer` header and parsing the body as `serde_json::Value`.
//! - `sdk`: [`lc_web::WebClient`] with the typed `Transport::call`.
//!
//! Two groups: `web_round_trip` (one request at a time: latency) and `web_concurrent_10`
//! (10 requests at once over the connection pool: throughput). Both clients run in the
//! same process, on the same runtime, against the same sandbox, each driven from a task
//! on that runtime (where applications call their clients from, rather than from
//! `block_on` on a thread outside it), in paired rounds (`lc_bench_raw::paired`): each
//! round times both clients for the same number of iterations, so that each ratio
//! compares them under the same conditions. `cargo xtask bench` turns the rounds into the
//! ratios of `docs/benchmarks.md`. Client CPU per request: `benches/cpu.rs`.
//!
//! ```text
//! cargo bench -p lc-web --bench web          # 100 rounds per group
//! cargo bench -p lc-web --bench web -- 200   # another count
//! ```

use lc_bench_raw::paired::{self, Group};
use lc_bench_raw::web::{ENGINE_POOL_IDLE_TIMEOUT, RawWeb};
use lc_protocol::agent::ListRoutingStatuses;
use lc_protocol::{ApiVersion, Transport};
use lc_sandbox::{NewAgent, Sandbox};
use lc_web::{AgentSession, WebClient, WebConfig};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;

/// Requests at once in the concurrent group.
const CONCURRENT: usize = 10;

/// Rounds per group unless the command line says otherwise.
const ROUNDS: usize = 100;

/// Iterations (one request, or one burst) of one client in a round: a round of a
/// client lasts about 10 ms or more here.
const ITERATIONS: u64 = 200;

/// `iters` rounds of `count` calls at once, run as a task on `runtime` (as applications
/// run their clients); the time taken.
fn timed<C, F, Fut>(
    runtime: &Runtime,
    iters: u64,
    count: usize,
    client: &Arc<C>,
    call: F,
) -> Duration
where
    C: Send + Sync + 'static,
    F: Fn(Arc<C>) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    let client = client.clone();
    let task = runtime.spawn(async move {
        let start = Instant::now();
        for _ in 0..iters {
            if count == 1 {
                call(client.clone()).await;
            } else {
                futures_util::future::join_all((0..count).map(|_| call(client.clone()))).await;
            }
        }
        start.elapsed()
    });
    runtime.block_on(task).expect("the client runs")
}

/// One typed SDK call; asserts a non-empty answer.
async fn sdk_call(client: Arc<(WebClient, ListRoutingStatuses)>) {
    let (client, action) = &*client;
    let statuses = client.call(action).await.expect("a typed response");
    assert!(!statuses.is_empty(), "the agent is listed");
}

/// One baseline call.
async fn raw_call(raw: Arc<RawWeb>) {
    raw.list_routing_statuses().await;
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

    let raw = Arc::new(RawWeb::new(
        format!(
            "{}/v3.6/agent/action/list_routing_statuses",
            sandbox.http_url()
        ),
        agent.bearer().expose(),
        WebConfig::default().tls.client_config(),
        Some(ENGINE_POOL_IDLE_TIMEOUT),
    ));
    let session = AgentSession::agent()
        .base_url(sandbox.http_url())
        .version(ApiVersion::V3_6);
    let config = WebConfig::default();
    let client = runtime.block_on(async { WebClient::new(session, agent.token.clone(), config) });
    let sdk = Arc::new((client, ListRoutingStatuses::new()));
    // Both clients open their first connection before measuring.
    runtime.block_on(async {
        raw_call(raw.clone()).await;
        sdk_call(sdk.clone()).await;
    });

    for (group, count) in [("web_round_trip", 1), ("web_concurrent_10", CONCURRENT)] {
        let rounds = Group::new(group, rounds, ITERATIONS)
            .client("baseline", |n| timed(&runtime, n, count, &raw, raw_call))
            .client("sdk", |n| timed(&runtime, n, count, &sdk, sdk_call))
            .run();
        rounds.print();
        rounds.save().expect("the rounds are written");
    }

    runtime.block_on(sandbox.shutdown());
}
