//! Client CPU per RTM request: the SDK against the raw client of `benches/rtm.rs`.
//!
//! The sandbox runs on a runtime of its own (one worker thread); each client runs on a
//! current-thread runtime on the bench's main thread, so that thread's CPU time (user
//! and system, from `/proc/thread-self/schedstat`) is exactly the client's: its
//! protocol work, its tasks and its syscalls. Linux only; elsewhere it says so and ends.
//! The harness is `lc_bench_raw::cpu`.
//!
//! ```text
//! cargo bench -p lc-rtm --bench cpu            # 20,000 requests per row
//! cargo bench -p lc-rtm --bench cpu -- 5000    # another count
//! cargo bench -p lc-rtm --bench cpu -- sdk 1   # one client, one row (for perf/strace)
//! ```
//!
//! It prints, for one request at a time and for 10 in flight, the client CPU per
//! request of each client and their ratio.

use lc_bench_raw::cpu::{self, CpuArgs};
use lc_bench_raw::rtm::RawRtm;
use lc_protocol::agent::ListRoutingStatuses;
use lc_protocol::{ApiVersion, Transport};
use lc_rtm::{AgentSession, RtmClient, RtmConfig};
use lc_sandbox::{NewAgent, Sandbox};

fn main() {
    let Some(args) = CpuArgs::from_env() else {
        return;
    };
    let server = cpu::server_runtime();
    let sandbox = server
        .block_on(Sandbox::builder().start())
        .expect("the sandbox starts");
    let agent = sandbox.create_agent(NewAgent::new("bench@example.com"));
    let url = format!("{}/v3.6/agent/rtm/ws", sandbox.ws_url());
    let client_runtime = cpu::client_runtime();
    let mut raw = Some(client_runtime.block_on(RawRtm::login(&url, agent.bearer().expose())));
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
    args.compare(
        "in flight",
        |rounds, in_flight| {
            let lent = raw.take().expect("the raw client is back");
            let (cpu, wall, back) =
                cpu::measure(&client_runtime, rounds, in_flight, lent, async move |raw| {
                    raw.requests(in_flight).await
                });
            raw = Some(back);
            (cpu, wall)
        },
        |rounds, in_flight| {
            let sdk = (client.clone(), ListRoutingStatuses::new());
            let (cpu, wall, _) =
                cpu::measure(&client_runtime, rounds, in_flight, sdk, async move |sdk| {
                    let (client, action) = &*sdk;
                    let calls = (0..in_flight).map(|_| client.call(action));
                    for result in futures_util::future::join_all(calls).await {
                        result.expect("a typed response");
                    }
                });
            (cpu, wall)
        },
    );
    client.close();
    server.block_on(sandbox.shutdown());
}
