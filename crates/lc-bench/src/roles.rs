//! The processes `lc-bench run` starts: the sandbox and the clients.

use crate::{Client, Flavour};
use clap::Args;
use futures_util::StreamExt;
use lc_bench::{Line, cpu_time, raise_open_files};
use lc_bench_raw::rtm::{self as raw_rtm, Connect, RawRtm, ReaderRtm};
use lc_bench_raw::web::{ENGINE_POOL_IDLE_TIMEOUT, RawWeb};
use lc_protocol::agent::{AgentPush, ListRoutingStatuses};
use lc_protocol::id::Token;
use lc_protocol::{ApiVersion, Transport};
use lc_rtm::{AgentSession, RtmClient, RtmConfig, RtmEvent, Tls};
use lc_sandbox::{NewAgent, NewCustomer, Sandbox, SelfSigned};
use serde_json::json;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A boxed error message.
pub(crate) type Result<T = ()> = std::result::Result<T, String>;

/// Prints a result line and flushes it (the parent reads it as it comes).
pub(crate) fn emit(line: &Line) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// The sandbox process: see `lc-bench sandbox --help`.
pub(crate) fn sandbox(tls_dir: Option<PathBuf>, idle_timeout_secs: Option<u64>) -> Result {
    raise_open_files();
    let runtime = Flavour::Multi.runtime();
    let mut builder = Sandbox::builder();
    if let Some(secs) = idle_timeout_secs {
        builder = builder.idle_timeout(Duration::from_secs(secs));
    }
    if let Some(dir) = &tls_dir {
        let cert = SelfSigned::load_or_create(dir).map_err(|e| e.to_string())?;
        builder = builder.tls_pem(cert.cert_pem, cert.key_pem);
    }
    let sandbox = runtime
        .block_on(builder.start())
        .map_err(|e| format!("the sandbox did not start: {e}"))?;
    emit(
        &Line::new("ready")
            .field("ws", sandbox.ws_url())
            .field("http", sandbox.http_url())
            .field("host", sandbox.host())
            .field("org", sandbox.organization_id()),
    );
    let mut agents = 0u64;
    for command in std::io::stdin().lock().lines() {
        let command = command.map_err(|e| e.to_string())?;
        let words: Vec<&str> = command.split_whitespace().collect();
        match words.as_slice() {
            ["agent"] => {
                agents += 1;
                let agent = sandbox.create_agent(NewAgent::new(format!("a{agents}@bench.test")));
                emit(&Line::new("agent").field("token", agent.token.expose()));
            }
            ["agents", count, file] => {
                let count: u64 = count.parse().map_err(|_| "a count")?;
                let mut tokens = String::new();
                for _ in 0..count {
                    agents += 1;
                    let agent =
                        sandbox.create_agent(NewAgent::new(format!("a{agents}@bench.test")));
                    tokens.push_str(agent.token.expose());
                    tokens.push('\n');
                }
                std::fs::write(file, tokens).map_err(|e| format!("{file}: {e}"))?;
                emit(&Line::new("done"));
            }
            ["customers", count, file] => {
                let count: u64 = count.parse().map_err(|_| "a count")?;
                let mut tokens = String::new();
                for _ in 0..count {
                    let customer = sandbox.create_customer(NewCustomer::new());
                    tokens.push_str(customer.token.expose());
                    tokens.push('\n');
                }
                std::fs::write(file, tokens).map_err(|e| format!("{file}: {e}"))?;
                emit(&Line::new("done"));
            }
            ["cpu"] => emit(&Line::new("cpu").field("us", cpu_time().as_micros())),
            _ => return Err(format!("unknown command {command:?}")),
        }
    }
    runtime.block_on(sandbox.shutdown());
    Ok(())
}

/// The options of the request benchmarks.
#[derive(Debug, Args)]
pub(crate) struct RequestOptions {
    /// The sandbox's base URL (`wss://host:port` or `https://host:port`).
    #[arg(long)]
    url: String,
    /// The agent's access token (without `Bearer`).
    #[arg(long)]
    token: String,
    /// The PEM certificate to trust for TLS.
    #[arg(long)]
    ca: Option<PathBuf>,
    /// Requests measured.
    #[arg(long, default_value_t = 10_000)]
    count: usize,
    /// Requests in flight at a time.
    #[arg(long, default_value_t = 1)]
    in_flight: usize,
    /// The runtime.
    #[arg(long, value_enum, default_value = "multi")]
    flavour: Flavour,
}

impl RequestOptions {
    /// The rustls configuration trusting `--ca`.
    fn tls(&self) -> Result<Tls> {
        let mut tls = Tls::default();
        if let Some(ca) = &self.ca {
            let pem = std::fs::read(ca).map_err(|e| format!("{}: {e}", ca.display()))?;
            tls = tls.add_root_pem(&pem).map_err(|e| e.to_string())?;
        }
        Ok(tls)
    }

    /// Runs `round` (`in_flight` requests) first as a warm-up, then for `count` requests
    /// between two CPU readings; prints the row.
    async fn measure<F, Fut>(&self, mut round: F)
    where
        F: FnMut() -> Fut,
        Fut: Future,
    {
        for _ in 0..(200 / self.in_flight).max(1) {
            round().await;
        }
        let rounds = self.count.div_ceil(self.in_flight);
        let (cpu, wall) = (cpu_time(), Instant::now());
        for _ in 0..rounds {
            round().await;
        }
        let (cpu, wall) = (cpu_time() - cpu, wall.elapsed());
        emit(
            &Line::new("row")
                .field("requests", rounds * self.in_flight)
                .field("cpu_us", cpu.as_micros())
                .field("wall_us", wall.as_micros()),
        );
    }
}

/// Runs `work` as a task on `runtime` and waits for it: clients are called from a
/// spawned task, as applications call them (and as the request benches do), not from
/// `block_on`'s future, which runs outside the runtime's workers (on a multi-thread
/// runtime every wake-up of it crosses threads).
fn in_task(runtime: &tokio::runtime::Runtime, work: impl Future<Output = ()> + Send + 'static) {
    runtime
        .block_on(runtime.spawn(work))
        .expect("the client task runs to its end");
}

/// How the raw RTM clients connect: trusting `tls`, with the SDK engine's read buffer
/// size (`RtmConfig::read_buffer_size`), as the request bench baselines of lc-rtm do, so that
/// only the protocol work differs.
fn raw_connect(tls: &Tls) -> Connect {
    Connect::tls(tls.client_config()).read_buffer_size(RtmConfig::default().read_buffer_size)
}

/// `count` RTM `list_routing_statuses` over one logged-in agent connection (API 3.4, as
/// lc-sdk-js speaks it).
pub(crate) fn rtm(client: Client, options: RequestOptions) -> Result {
    let tls = options.tls()?;
    let runtime = options.flavour.runtime();
    in_task(&runtime, async move {
        match client {
            Client::Sdk => {
                let session = AgentSession::agent()
                    .base_url(options.url.clone())
                    .version(ApiVersion::V3_4);
                let mut config = RtmConfig::default();
                config.tls = tls;
                let rtm = RtmClient::connect(session, Token::new(options.token.clone()), config);
                let action = ListRoutingStatuses::new();
                let call = || async {
                    let statuses = rtm.call(&action).await.expect("a typed response");
                    assert!(!statuses.is_empty(), "the agent is listed");
                };
                options
                    .measure(|| {
                        futures_util::future::join_all((0..options.in_flight).map(|_| call()))
                    })
                    .await;
                rtm.close();
            }
            Client::Raw => {
                let url = format!("{}/v3.4/agent/rtm/ws", options.url);
                let bearer = format!("Bearer {}", options.token);
                let mut raw = RawRtm::login_with(&url, &bearer, raw_connect(&tls)).await;
                let raw = tokio::sync::Mutex::new(&mut raw);
                options
                    .measure(|| async { raw.lock().await.requests(options.in_flight).await })
                    .await;
            }
            Client::Reader => {
                let url = format!("{}/v3.4/agent/rtm/ws", options.url);
                let bearer = format!("Bearer {}", options.token);
                let mut reader = ReaderRtm::login(&url, &bearer, raw_connect(&tls)).await;
                let reader = tokio::sync::Mutex::new(&mut reader);
                options
                    .measure(|| async { reader.lock().await.requests(options.in_flight).await })
                    .await;
            }
        }
    });
    Ok(())
}

/// `count` Web `list_routing_statuses` (API 3.4), `in_flight` at a time over the pool.
pub(crate) fn web(client: Client, options: RequestOptions) -> Result {
    if client == Client::Reader {
        return Err("the reader baseline is an RTM client".to_owned());
    }
    let tls = options.tls()?;
    let runtime = options.flavour.runtime();
    in_task(&runtime, async move {
        match client {
            Client::Sdk => {
                let session = lc_web::AgentSession::agent()
                    .base_url(options.url.clone())
                    .version(ApiVersion::V3_4);
                let mut config = lc_web::WebConfig::default();
                config.tls = tls;
                // HTTP/1.1, as the raw client and lc-sdk-js speak it (the SDK's default
                // over TLS is HTTP/2 where the server offers it).
                config.http2 = false;
                let web =
                    lc_web::WebClient::new(session, Token::new(options.token.clone()), config);
                let action = ListRoutingStatuses::new();
                let call = || async {
                    let statuses = web.call(&action).await.expect("a typed response");
                    assert!(!statuses.is_empty(), "the agent is listed");
                };
                options
                    .measure(|| {
                        futures_util::future::join_all((0..options.in_flight).map(|_| call()))
                    })
                    .await;
            }
            Client::Raw | Client::Reader => {
                let raw = RawWeb::new(
                    format!("{}/v3.4/agent/action/list_routing_statuses", options.url),
                    &format!("Bearer {}", options.token),
                    tls.client_config(),
                    Some(ENGINE_POOL_IDLE_TIMEOUT),
                );
                options
                    .measure(|| {
                        futures_util::future::join_all(
                            (0..options.in_flight).map(|_| raw.list_routing_statuses()),
                        )
                    })
                    .await;
            }
        }
    });
    Ok(())
}

/// The options of `lc-bench fanout`.
#[derive(Debug, Args)]
pub(crate) struct FanoutOptions {
    /// The sandbox's `ws://host:port`.
    #[arg(long)]
    ws: String,
    /// The organization id.
    #[arg(long)]
    org: String,
    /// The agent's access token.
    #[arg(long)]
    agent_token: String,
    /// The customer's access token.
    #[arg(long)]
    customer_token: String,
    /// Subscribers of the agent's client.
    #[arg(long)]
    subscribers: usize,
    /// Messages the customer sends (pushes to the agent).
    #[arg(long, default_value_t = 5_000)]
    pushes: u64,
}

/// One agent `RtmClient` with `subscribers` push streams; a raw customer connection in
/// the same process sends `pushes` messages (windows of 50 in flight), each arriving at
/// the agent as an `incoming_event` push. Prints the pushes delivered to subscribers,
/// the wall time from the first send to the last delivery, the CPU of the process.
pub(crate) fn fanout(options: FanoutOptions) -> Result {
    let runtime = Flavour::Multi.runtime();
    runtime.block_on(async {
        let session = AgentSession::agent().base_url(options.ws.clone());
        let agent = RtmClient::connect(
            session,
            Token::new(options.agent_token.clone()),
            RtmConfig::default(),
        );
        agent
            .call(&ListRoutingStatuses::new())
            .await
            .map_err(|e| format!("the agent did not log in: {e}"))?;
        let delivered = Arc::new(AtomicU64::new(0));
        let missed = Arc::new(AtomicU64::new(0));
        let mut subscribers = Vec::new();
        for _ in 0..options.subscribers {
            let mut stream = agent.subscribe();
            let (delivered, missed) = (delivered.clone(), missed.clone());
            let wanted = options.pushes;
            subscribers.push(tokio::spawn(async move {
                let mut seen = 0;
                while seen < wanted {
                    match stream.next().await {
                        Some(RtmEvent::Push {
                            push: AgentPush::IncomingEvent(_),
                            ..
                        }) => {
                            seen += 1;
                            delivered.fetch_add(1, Ordering::Relaxed);
                        }
                        Some(RtmEvent::Missed(n)) => {
                            seen += n;
                            missed.fetch_add(n, Ordering::Relaxed);
                        }
                        Some(_) => {}
                        None => break,
                    }
                }
            }));
        }
        let url = format!(
            "{}/v3.6/customer/rtm/ws?organization_id={}",
            options.ws, options.org
        );
        let connect = Connect::default().read_buffer_size(RtmConfig::default().read_buffer_size);
        let mut customer = raw_rtm::open(&url, connect).await;
        raw_rtm::login(&mut customer, &format!("Bearer {}", options.customer_token)).await;
        let chat = start_chat(&mut customer).await;
        // Skip what the chat's start pushed.
        tokio::time::sleep(Duration::from_millis(200)).await;
        let (cpu, wall) = (cpu_time(), Instant::now());
        let mut sent = 0;
        while sent < options.pushes {
            let window = (options.pushes - sent).min(50);
            for i in 0..window {
                let frame = json!({
                    "request_id": format!("m{}", sent + i),
                    "action": "send_event",
                    "payload": {"chat_id": chat, "event": {"type": "message", "text": "hi"}},
                });
                raw_rtm::send(&mut customer, frame.to_string()).await;
            }
            let mut answered = 0;
            while answered < window {
                let frame = raw_rtm::next_json(&mut customer)
                    .await
                    .ok_or("customer gone")?;
                if frame["type"] == "response" && frame["action"] == "send_event" {
                    answered += 1;
                }
            }
            sent += window;
        }
        for subscriber in subscribers {
            let _ = subscriber.await;
        }
        let (cpu, wall) = (cpu_time() - cpu, wall.elapsed());
        emit(
            &Line::new("row")
                .field("subscribers", options.subscribers)
                .field("pushes", options.pushes)
                .field("delivered", delivered.load(Ordering::Relaxed))
                .field("missed", missed.load(Ordering::Relaxed))
                .field("cpu_us", cpu.as_micros())
                .field("wall_us", wall.as_micros()),
        );
        agent.close();
        Ok(())
    })
}

/// Sends `start_chat` and returns the new chat's id.
pub(crate) async fn start_chat(ws: &mut raw_rtm::Ws) -> String {
    let frame = json!({"request_id": "start", "action": "start_chat", "payload": {}});
    raw_rtm::send(ws, frame.to_string()).await;
    loop {
        let frame = raw_rtm::next_json(ws)
            .await
            .expect("the start_chat response");
        if frame["type"] == "response" && frame["request_id"] == "start" {
            assert_eq!(frame["success"], true, "start_chat failed: {frame}");
            return frame["payload"]["chat_id"]
                .as_str()
                .expect("a chat id")
                .to_owned();
        }
    }
}

/// Reads the tokens of `path`, one a line.
pub(crate) fn tokens(path: &Path) -> Result<Vec<String>> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(text.lines().map(str::to_owned).collect())
}
