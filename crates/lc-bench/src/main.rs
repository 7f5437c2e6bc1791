//! `lc-bench`: the process-level benchmarks of livechat-rs (see the crate docs and
//! `docs/benchmarks.md`). `lc-bench run` starts an lc-sandbox process and the client
//! processes and prints one result line per figure; the other subcommands are those
//! processes.

#![allow(clippy::print_stdout)] // the result lines are the output

mod roles;
mod routing;
mod run;

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

/// The command line.
#[derive(Debug, Parser)]
#[command(name = "lc-bench", about = "Process-level benchmarks of livechat-rs")]
struct Options {
    #[command(subcommand)]
    command: Role,
}

/// Which Rust client a client process runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Client {
    /// This SDK (`RtmClient` / `WebClient` with the typed `Transport::call`).
    Sdk,
    /// A raw tokio-tungstenite / hyper client with hand-built frames.
    Raw,
    /// RTM only: the raw client with a background reader task that hands each response
    /// to its caller through a oneshot (the least a client with a reader task costs).
    Reader,
}

/// The tokio runtime a client process uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Flavour {
    /// `#[tokio::main]`'s default: a multi-thread runtime, one worker per core.
    Multi,
    /// A current-thread runtime.
    Current,
}

impl Flavour {
    /// A runtime of this flavour.
    pub(crate) fn runtime(self) -> tokio::runtime::Runtime {
        let mut builder = match self {
            Flavour::Multi => tokio::runtime::Builder::new_multi_thread(),
            Flavour::Current => tokio::runtime::Builder::new_current_thread(),
        };
        builder.enable_all().build().expect("a tokio runtime")
    }
}

/// The processes.
#[derive(Debug, Subcommand)]
enum Role {
    /// Runs every benchmark (or those of `--only`) and prints their result lines.
    Run(run::RunOptions),
    /// An lc-sandbox; prints `lc-bench ready ...`, then answers the commands read from
    /// stdin (`agent`, `agents N FILE`, `customers N FILE`, `cpu`) until stdin closes.
    Sandbox {
        /// Serve wss:// and https:// with the self-signed certificate of DIR.
        #[arg(long)]
        tls_dir: Option<PathBuf>,
        /// Close connections idle this long (lc-sandbox's default: 30 s).
        #[arg(long)]
        idle_timeout_secs: Option<u64>,
    },
    /// RTM `list_routing_statuses` requests over one agent connection; prints its CPU.
    Rtm {
        #[arg(long, value_enum)]
        client: Client,
        #[command(flatten)]
        common: roles::RequestOptions,
    },
    /// Web `list_routing_statuses` requests; prints its CPU.
    Web {
        #[arg(long, value_enum)]
        client: Client,
        #[command(flatten)]
        common: roles::RequestOptions,
    },
    /// Pushes of one agent `RtmClient` fanned out to N subscribers.
    Fanout(roles::FanoutOptions),
    /// Customer/agent pairs exchanging messages through the sandbox.
    Routing(routing::RoutingOptions),
}

fn main() -> ExitCode {
    let options = Options::parse();
    let result = match options.command {
        Role::Run(options) => run::run(options),
        Role::Sandbox {
            tls_dir,
            idle_timeout_secs,
        } => roles::sandbox(tls_dir, idle_timeout_secs),
        Role::Rtm { client, common } => roles::rtm(client, common),
        Role::Web { client, common } => roles::web(client, common),
        Role::Fanout(options) => roles::fanout(options),
        Role::Routing(options) => routing::routing(options),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("lc-bench: {error}");
            ExitCode::FAILURE
        }
    }
}
