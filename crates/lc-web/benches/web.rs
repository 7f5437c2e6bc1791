//! Web API round trips against an in-process lc-sandbox on 127.0.0.1: the agent action
//! `list_routing_statuses` over plain HTTP/1.1.
//!
//! - `baseline`: a raw hyper-util legacy client (pooled, `TCP_NODELAY` as in lc-web)
//!   POSTing the JSON body by hand with the `Authorization: Bearer` header and parsing
//!   the body as `serde_json::Value`.
//! - `sdk`: [`lc_web::WebClient`] with the typed `Transport::call`.
//!
//! Two groups: `web_round_trip` (one request at a time: latency) and `web_concurrent_10`
//! (10 requests at once over the connection pool: throughput). Both clients run in the
//! same process, on the same runtime, against the same sandbox; `cargo xtask bench` turns
//! the medians into the ratios of `docs/benchmarks.md`.

use bytes::Bytes;
use criterion::{Criterion, Throughput};
use http::{Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use lc_protocol::agent::ListRoutingStatuses;
use lc_protocol::{ApiVersion, Transport};
use lc_sandbox::{NewAgent, Sandbox};
use lc_web::{AgentSession, WebClient, WebConfig};
use serde_json::Value;
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;

/// Requests at once in the concurrent group.
const CONCURRENT: usize = 10;

/// The baseline: a plain hyper client and a hand-built request.
struct RawWeb {
    client: Client<HttpConnector, Full<Bytes>>,
    url: String,
    authorization: String,
}

impl RawWeb {
    /// One `list_routing_statuses` call; asserts a 200 with a JSON array.
    async fn list_routing_statuses(&self) {
        let request = Request::builder()
            .method(Method::POST)
            .uri(&self.url)
            .header("authorization", &self.authorization)
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from_static(b"{}")))
            .expect("a valid request");
        let response = self.client.request(request).await.expect("a response");
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .expect("the body")
            .to_bytes();
        assert_eq!(status, StatusCode::OK, "{body:?}");
        let statuses: Value = serde_json::from_slice(&body).expect("a JSON body");
        assert!(statuses.is_array(), "{statuses}");
    }
}

/// Runs `body` `iters` times on `runtime` and returns the time taken.
fn timed<F, Fut>(runtime: &Runtime, iters: u64, mut body: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    runtime.block_on(async {
        let start = Instant::now();
        for _ in 0..iters {
            body().await;
        }
        start.elapsed()
    })
}

fn round_trips(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let sandbox = runtime
        .block_on(Sandbox::builder().start())
        .expect("the sandbox starts");
    let agent = sandbox.create_agent(NewAgent::new("bench@example.com"));

    // The same socket option as lc-web's engine, so that the protocol work is compared.
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    let raw = RawWeb {
        client: Client::builder(TokioExecutor::new()).build(connector),
        url: format!(
            "{}/v3.6/agent/action/list_routing_statuses",
            sandbox.http_url()
        ),
        authorization: agent.bearer().expose().to_owned(),
    };
    let session = AgentSession::agent()
        .base_url(sandbox.http_url())
        .version(ApiVersion::V3_6);
    let config = WebConfig::default();
    let client = runtime.block_on(async { WebClient::new(session, agent.token.clone(), config) });
    let action = ListRoutingStatuses::new();
    let raw_call = || raw.list_routing_statuses();
    let sdk_call = || async {
        let statuses = client.call(&action).await.expect("a typed response");
        assert!(!statuses.is_empty(), "the agent is listed");
    };
    // Both clients open their first connection before measuring.
    runtime.block_on(async {
        raw_call().await;
        sdk_call().await;
    });

    let mut group = c.benchmark_group("web_round_trip");
    group.bench_function("baseline", |b| {
        b.iter_custom(|iters| timed(&runtime, iters, raw_call))
    });
    group.bench_function("sdk", |b| {
        b.iter_custom(|iters| timed(&runtime, iters, sdk_call))
    });
    group.finish();

    let mut group = c.benchmark_group("web_concurrent_10");
    group.throughput(Throughput::Elements(CONCURRENT as u64));
    group.bench_function("baseline", |b| {
        b.iter_custom(|iters| {
            timed(&runtime, iters, || async {
                futures_util::future::join_all((0..CONCURRENT).map(|_| raw_call())).await;
            })
        })
    });
    group.bench_function("sdk", |b| {
        b.iter_custom(|iters| {
            timed(&runtime, iters, || async {
                futures_util::future::join_all((0..CONCURRENT).map(|_| sdk_call())).await;
            })
        })
    });
    group.finish();

    runtime.block_on(sandbox.shutdown());
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(20)
}

fn main() {
    let mut criterion = config().configure_from_args();
    round_trips(&mut criterion);
    criterion.final_summary();
}
