//! `lc-bench-idle`: live heap per idle logged-in customer connection, counted by a
//! `#[global_allocator]` wrapping `System` ([`lc_bench::Counting`]).
//!
//! Connects `--count` customers (tokens from `--tokens`, one a line) to a sandbox in
//! another process, waits until each is logged in, lets them idle, and prints
//! `(live heap after − before) / connections`. `--kind` says what a connection is:
//! `customer` (`lc_customer::CustomerClient::connect`, the row), `rtm` (a bare
//! `lc_rtm::RtmClient<CustomerSession>`: the RTM engine's share) or `raw` (a
//! tokio-tungstenite WebSocket with the engine's read buffer size, after a hand-written
//! login, read by a task of its own: what the socket and its buffers cost by themselves).

#![allow(clippy::print_stdout)] // the result line is the output

use clap::{Parser, ValueEnum};
use futures_util::{SinkExt, StreamExt};
use lc_bench::{Counting, Line, raise_open_files};
use lc_customer::{CustomerClient, CustomerConfig, CustomerEvent};
use lc_protocol::customer::CustomerPush;
use lc_protocol::id::Token;
use lc_rtm::{CustomerSession, RtmClient, RtmConfig, RtmEvent};
use std::process::ExitCode;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// What one connection is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Kind {
    /// `CustomerClient::connect` (RTM engine, Web client, event pump).
    Customer,
    /// A bare `RtmClient<CustomerSession>`.
    Rtm,
    /// A raw tokio-tungstenite WebSocket, logged in.
    Raw,
}

/// The command line.
#[derive(Debug, Parser)]
struct Options {
    /// The sandbox's `ws://host:port`.
    #[arg(long)]
    ws: String,
    /// The sandbox's `http://host:port`.
    #[arg(long)]
    http: String,
    /// The organization id.
    #[arg(long)]
    org: String,
    /// The customers' tokens, one a line.
    #[arg(long)]
    tokens: std::path::PathBuf,
    /// Connections to open (at most the number of tokens).
    #[arg(long, default_value_t = 10_000)]
    count: usize,
    /// What a connection is.
    #[arg(long, value_enum, default_value = "customer")]
    kind: Kind,
    /// Stop opening connections when their heap would pass this many MiB.
    #[arg(long, default_value_t = 3072)]
    heap_budget_mib: u64,
}

/// Something kept alive for the whole measurement.
enum Held {
    Customer(#[allow(dead_code)] CustomerClient),
    Rtm(#[allow(dead_code)] RtmClient<CustomerSession>),
    Raw(#[allow(dead_code)] tokio::task::JoinHandle<()>),
}

fn main() -> ExitCode {
    let options = Options::parse();
    let limit = raise_open_files();
    // The sandbox is another process: one descriptor per connection here, plus slack.
    let count = options
        .count
        .min(usize::try_from(limit.saturating_sub(200)).unwrap_or(usize::MAX));
    let text = match std::fs::read_to_string(&options.tokens) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("lc-bench-idle: {}: {e}", options.tokens.display());
            return ExitCode::FAILURE;
        }
    };
    let tokens: Vec<String> = text.lines().take(count).map(str::to_owned).collect();
    let count = tokens.len();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let line = runtime.block_on(async {
        let config = CustomerConfig::new(options.org.clone())
            .base_urls(options.ws.clone(), options.http.clone());
        let raw_url = format!(
            "{}/v3.6/customer/rtm/ws?organization_id={}",
            options.ws, options.org
        );
        // Warm up what is allocated once per process (TLS roots, runtime, ...).
        let warm = connect(options.kind, &config, &raw_url, tokens[0].clone()).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        let before = Counting::live();
        let mut held = Vec::with_capacity(count);
        let mut tokens = tokens.into_iter().skip(1);
        // A first 100, to see what one costs: the rest only as far as the heap budget
        // allows (this machine is shared).
        connect_all(
            &mut held,
            tokens.by_ref().take(100),
            options.kind,
            &config,
            &raw_url,
        )
        .await;
        let probe = (Counting::live() - before).max(1) as f64 / held.len().max(1) as f64;
        let budget = options.heap_budget_mib as f64 * 1024.0 * 1024.0;
        let more = ((budget / probe) as usize).saturating_sub(held.len());
        connect_all(
            &mut held,
            tokens.take(more),
            options.kind,
            &config,
            &raw_url,
        )
        .await;
        // Idle: let the engines settle (their first heartbeats are further away).
        tokio::time::sleep(Duration::from_secs(2)).await;
        let after = Counting::live();
        let per = (after - before) as f64 / held.len() as f64;
        let line = Line::new("row")
            .field("kind", format!("{:?}", options.kind).to_lowercase())
            .field("requested", count.saturating_sub(1))
            .field("connections", held.len())
            .field("before", before)
            .field("after", after)
            .field("per_connection", format!("{per:.0}"))
            .field("fd_limit", limit)
            // What the channels hold per slot: a broadcast channel allocates all its slots
            // at creation (`RtmConfig::push_buffer` of them in `RtmClient`, 1,024 in the
            // customer client's event hub).
            .field(
                "rtm_event_bytes",
                std::mem::size_of::<RtmEvent<CustomerPush>>(),
            )
            .field("customer_event_bytes", std::mem::size_of::<CustomerEvent>())
            .field("push_buffer", RtmConfig::default().push_buffer);
        drop(held);
        drop(warm);
        line
    });
    println!("{line}");
    ExitCode::SUCCESS
}

/// Connects one connection per token, 100 logins at a time, into `held`.
async fn connect_all(
    held: &mut Vec<Held>,
    tokens: impl Iterator<Item = String>,
    kind: Kind,
    config: &CustomerConfig,
    raw_url: &str,
) {
    let mut pending = futures_util::stream::iter(tokens)
        .map(|token| connect(kind, config, raw_url, token))
        .buffer_unordered(100);
    while let Some(connection) = pending.next().await {
        held.push(connection);
    }
}

/// One logged-in connection of `kind`.
async fn connect(kind: Kind, config: &CustomerConfig, raw_url: &str, token: String) -> Held {
    match kind {
        Kind::Customer => {
            let client = CustomerClient::connect(config.clone(), Token::new(token));
            let mut events = client.events();
            while let Some(event) = events.next().await {
                if matches!(event, CustomerEvent::Connected(_)) {
                    break;
                }
            }
            Held::Customer(client)
        }
        Kind::Rtm => {
            let session = CustomerSession::customer(config_org(raw_url))
                .base_url(raw_url.split("/v3.6/").next().unwrap_or(raw_url).to_owned());
            let client = RtmClient::connect(session, Token::new(token), RtmConfig::default());
            let mut events = client.subscribe();
            while let Some(event) = events.next().await {
                if matches!(event, RtmEvent::Connected) {
                    break;
                }
            }
            Held::Rtm(client)
        }
        Kind::Raw => {
            // Nagle off and the engine's read buffer size, as the other raw baselines.
            let connect = lc_bench_raw::rtm::Connect::default()
                .read_buffer_size(RtmConfig::default().read_buffer_size);
            let mut ws = lc_bench_raw::rtm::open(raw_url, connect).await;
            let login = serde_json::json!({
                "request_id": "login",
                "action": "login",
                "payload": {"token": format!("Bearer {token}")},
            });
            ws.send(Message::text(login.to_string()))
                .await
                .expect("login sent");
            loop {
                match ws.next().await {
                    Some(Ok(Message::Text(text))) if text.as_str().contains("\"login\"") => break,
                    Some(Ok(_)) => continue,
                    _ => panic!("the login failed"),
                }
            }
            // Reading on, as a client must (pushes, pings).
            Held::Raw(tokio::spawn(async move {
                while let Some(Ok(_)) = ws.next().await {}
            }))
        }
    }
}

/// The organization id of a customer RTM URL.
fn config_org(url: &str) -> String {
    url.rsplit("organization_id=")
        .next()
        .unwrap_or_default()
        .to_owned()
}
