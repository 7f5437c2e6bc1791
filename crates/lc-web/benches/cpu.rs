//! Client CPU per Web request: the SDK against the raw hyper client of `benches/web.rs`.
//!
//! The sandbox runs on a runtime of its own (one worker thread); each client runs as a
//! task on a current-thread runtime on the bench's main thread, so that thread's CPU
//! time (user and system, from `/proc/thread-self/schedstat`) is exactly the client's:
//! its HTTP work, its connection tasks and its syscalls. Linux only; elsewhere it says
//! so and ends. The harness is `lc_bench_raw::cpu`.
//!
//! ```text
//! cargo bench -p lc-web --bench cpu            # 20,000 requests per row
//! cargo bench -p lc-web --bench cpu -- 5000    # another count
//! cargo bench -p lc-web --bench cpu -- sdk 1   # one client, one row (for perf/strace)
//! ```
//!
//! It prints, for one request at a time and for 10 at once, the client CPU per request
//! of each client and their ratio.

use lc_bench_raw::cpu::{self, CpuArgs, Run};
use lc_bench_raw::web::{ENGINE_POOL_IDLE_TIMEOUT, RawWeb};
use lc_protocol::agent::ListRoutingStatuses;
use lc_protocol::{ApiVersion, Transport};
use lc_sandbox::{NewAgent, Sandbox};
use lc_web::{AgentSession, WebClient, WebConfig};
use std::sync::Arc;

/// CPU and wall time per request of `rounds` rounds of `per_round` calls at once, each
/// made by `call` on `client`.
fn measure<C, F, Fut>(
    runtime: &tokio::runtime::Runtime,
    rounds: usize,
    per_round: usize,
    client: &Arc<C>,
    call: F,
) -> Run
where
    C: 'static,
    F: Fn(Arc<C>) -> Fut + 'static,
    Fut: Future<Output = ()>,
{
    let (cpu, wall, _) = cpu::measure(
        runtime,
        rounds,
        per_round,
        client.clone(),
        async move |client| {
            futures_util::future::join_all((0..per_round).map(|_| call(client.clone()))).await;
        },
    );
    (cpu, wall)
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
    let Some(args) = CpuArgs::from_env() else {
        return;
    };
    let server = cpu::server_runtime();
    let sandbox = server
        .block_on(Sandbox::builder().start())
        .expect("the sandbox starts");
    let agent = sandbox.create_agent(NewAgent::new("bench@example.com"));
    let client_runtime = cpu::client_runtime();
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
    let client = client_runtime
        .block_on(async { WebClient::new(session, agent.token.clone(), WebConfig::default()) });
    let sdk = Arc::new((client, ListRoutingStatuses::new()));
    args.compare(
        "at once",
        |rounds, at_once| measure(&client_runtime, rounds, at_once, &raw, raw_call),
        |rounds, at_once| measure(&client_runtime, rounds, at_once, &sdk, sdk_call),
    );
    server.block_on(sandbox.shutdown());
}
