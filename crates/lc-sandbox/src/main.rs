//! `lc-sandbox`: run a local LiveChat and Inbenta server with one ready agent and one
//! customer, and an Inbenta demo app with one agent (see [`banner`]).
//!
//! See `docs/sandbox.md` and `lc-sandbox --help`.

mod banner;

use banner::Demo;
use clap::Parser;
use lc_sandbox::{Sandbox, SelfSigned};
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::process::ExitCode;

/// The command line.
#[derive(Debug, Parser)]
#[command(
    name = "lc-sandbox",
    version,
    about = "A local LiveChat and Inbenta Agent Chat server",
    long_about = "A local LiveChat server (Agent and Customer Chat API, RTM + Web, v3.3-v3.6; \
                  Configuration API bots and webhook registrations, Web) \
                  and Inbenta Agent Chat server (REST under /v1/, realtime at /v1/ws; app \
                  `demo-app`), with one ready agent and customer (printed at start).",
    after_help = "Logs go to stderr; RUST_LOG sets their filter [default: info]. Ctrl-C stops it.",
    args_override_self = true
)]
struct Options {
    /// Address to listen on (a name is resolved; the first address is used)
    #[arg(long, value_name = "HOST", default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on; 0 picks a free one
    #[arg(long, value_name = "PORT", default_value_t = 0)]
    port: u16,
    /// PEM certificate chain: serve wss:// and https:// (with --tls-key)
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Serve wss:// and https:// with a self-signed certificate kept in DIR
    ///
    /// Uses DIR/cert.pem and DIR/key.pem, writing a certificate for localhost, 127.0.0.1
    /// and ::1 there first unless both files exist. Excludes --tls-cert and --tls-key.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["tls_cert", "tls_key"])]
    self_signed: Option<PathBuf>,
    /// Write the ready file (JSON) to FILE once it accepts connections
    ///
    /// A JSON object with the port, organization id, the agent's and customer's ids and
    /// tokens and the Inbenta app's URLs and agent; removed again on a clean stop.
    #[arg(long, value_name = "FILE")]
    ready_file: Option<PathBuf>,
    /// The organization id customers must send [default: a new UUID]
    #[arg(long, value_name = "ID")]
    organization_id: Option<String>,
    /// The most connections (HTTP and WebSocket) served at once; past it new ones are
    /// closed until one ends
    #[arg(long, value_name = "N", default_value_t = 16_384)]
    max_connections: usize,
    /// Serve neither the console page at / nor the admin API under /_sandbox/
    #[arg(long, conflicts_with = "admin_token")]
    no_console: bool,
    /// The admin token of the console and its API [default: a new random one each start]
    #[arg(long, value_name = "TOKEN")]
    admin_token: Option<String>,
    /// Load the state from FILE at start (if it exists) and write it there on a clean stop
    ///
    /// Agents, customers, groups, chats with their threads and events, properties and
    /// tokens, and the Inbenta apps, users, chats, messages and files. The ready-made
    /// agents, customer and Inbenta app of a loaded file are reused, not made again. A
    /// damaged file, or one of another format version, stops the start with an error and
    /// is left as it is.
    #[arg(long, value_name = "FILE")]
    state: Option<PathBuf>,
}

/// Where the TLS material comes from.
#[derive(Debug, PartialEq)]
enum Tls {
    Off,
    Files { cert: PathBuf, key: PathBuf },
    SelfSigned(PathBuf),
}

impl Options {
    /// The TLS flags, taken together (clap has checked that they go together).
    fn tls(&self) -> Tls {
        match (&self.tls_cert, &self.tls_key, &self.self_signed) {
            (Some(cert), Some(key), None) => Tls::Files {
                cert: cert.clone(),
                key: key.clone(),
            },
            (None, None, Some(dir)) => Tls::SelfSigned(dir.clone()),
            _ => Tls::Off,
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    // `--help` and `--version` print and exit 0; bad input prints clap's error and
    // exits 2.
    let options = Options::parse();
    match run(options).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("lc-sandbox: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Prints to stdout: the binary's output for people and scripts.
#[expect(clippy::print_stdout, reason = "the binary's own output")]
fn say(text: &str) {
    println!("{text}");
}

/// Starts the sandbox, announces it, and serves until Ctrl-C or SIGTERM.
async fn run(options: Options) -> Result<(), String> {
    init_logging();
    let addr = resolve(&options.host, options.port)?;
    let mut builder = Sandbox::builder()
        .bind(addr)
        .max_connections(options.max_connections);
    if let Some(id) = &options.organization_id {
        builder = builder.organization_id(id.as_str());
    }
    builder = match (&options.admin_token, options.no_console) {
        (_, true) => builder.console(false),
        (Some(token), false) => builder.admin_token(token.as_str()),
        (None, false) => builder.console(true),
    };
    if let Some(file) = &options.state {
        builder = builder.state_file(file);
    }
    let cert_path = match options.tls() {
        Tls::Off => None,
        Tls::Files { cert, key } => {
            builder = builder.tls_files(&cert, &key).map_err(|e| {
                format!(
                    "--tls-cert {} --tls-key {}: {e}",
                    cert.display(),
                    key.display()
                )
            })?;
            Some(cert)
        }
        Tls::SelfSigned(dir) => {
            let made = SelfSigned::load_or_create(&dir)
                .map_err(|e| format!("--self-signed {}: {e}", dir.display()))?;
            builder = builder.tls_pem(made.cert_pem, made.key_pem);
            Some(SelfSigned::cert_path(&dir))
        }
    };
    let stop = stop_signal();
    let sandbox = builder.start().await.map_err(|e| match e {
        lc_sandbox::SandboxError::State(_) => format!("--state: {e}"),
        e => format!("{addr}: {e}"),
    })?;
    let demo = Demo::create(&sandbox);
    say(&banner::banner(&sandbox, &demo, cert_path.as_deref()));
    if let Some(file) = &options.ready_file {
        banner::write_ready_file(file, &sandbox, &demo)
            .map_err(|e| format!("--ready-file {}: {e}", file.display()))?;
    }
    stop.await;
    tracing::info!("stopping");
    sandbox.shutdown().await;
    if let Some(file) = &options.ready_file {
        let _ = std::fs::remove_file(file);
    }
    Ok(())
}

/// `tracing` to stderr (colored on a terminal), filtered by `RUST_LOG` (default `info`).
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}

/// The first address `host:port` resolves to.
fn resolve(host: &str, port: u16) -> Result<SocketAddr, String> {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    (host, port)
        .to_socket_addrs()
        .map_err(|e| format!("--host {host}: {e}"))?
        .next()
        .ok_or_else(|| format!("--host {host}: no address"))
}

/// Listens for Ctrl-C, or SIGTERM where there is one, from the call on (before the
/// banner: a script may signal the process as soon as it has read it); the future
/// resolves on the first one.
fn stop_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let signals = signal(SignalKind::terminate()).and_then(|terminate| {
            signal(SignalKind::interrupt()).map(|interrupt| (terminate, interrupt))
        });
        async move {
            match signals {
                Ok((mut terminate, mut interrupt)) => {
                    tokio::select! {
                        _ = interrupt.recv() => {}
                        _ = terminate.recv() => {}
                    }
                }
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;
    use clap::error::ErrorKind;

    fn args(line: &str) -> Result<Options, clap::Error> {
        Options::try_parse_from(std::iter::once("lc-sandbox").chain(line.split_whitespace()))
    }

    #[test]
    fn the_command_line_definition_is_consistent() {
        Options::command().debug_assert();
    }

    #[test]
    fn no_arguments_mean_a_free_port_on_loopback_without_tls() {
        let options = args("").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((options.host.as_str(), options.port), ("127.0.0.1", 0));
        assert_eq!(options.tls(), Tls::Off);
        assert_eq!(options.max_connections, 16_384);
        assert_eq!((options.ready_file, options.organization_id), (None, None));
        assert!(!options.no_console && options.state.is_none());
    }

    #[test]
    fn flags_take_a_separate_or_an_inline_value() {
        let options = args("--port=8080 --host 0.0.0.0 --ready-file r.json --organization-id org")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(options.port, 8080);
        assert_eq!(options.host, "0.0.0.0");
        assert_eq!(options.ready_file, Some(PathBuf::from("r.json")));
        assert_eq!(options.organization_id.as_deref(), Some("org"));
        let capped = args("--max-connections=100").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(capped.max_connections, 100);
    }

    #[test]
    fn console_flags_parse_and_exclude_each_other() {
        let options = args("--no-console --state s.json").unwrap_or_else(|e| panic!("{e}"));
        assert!(options.no_console);
        assert_eq!(options.state, Some(PathBuf::from("s.json")));
        let token = args("--admin-token abc").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(token.admin_token.as_deref(), Some("abc"));
        assert!(args("--no-console --admin-token abc").is_err());
    }

    #[test]
    fn a_repeated_flag_takes_its_last_value() {
        let options = args("--port 1 --port 2").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(options.port, 2);
    }

    #[test]
    fn tls_flags_are_checked_together() {
        let files = args("--tls-cert c.pem --tls-key k.pem").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            files.tls(),
            Tls::Files {
                cert: "c.pem".into(),
                key: "k.pem".into()
            }
        );
        let dir = args("--self-signed d").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(dir.tls(), Tls::SelfSigned("d".into()));
        assert!(args("--tls-cert c.pem").is_err());
        assert!(args("--tls-key k.pem").is_err());
        assert!(args("--self-signed d --tls-key k.pem").is_err());
        assert!(args("--self-signed d --tls-cert c.pem --tls-key k.pem").is_err());
    }

    #[test]
    fn bad_input_is_an_error_naming_it() {
        let kind_and_text = |line: &str| match args(line) {
            Ok(options) => panic!("`{line}` parsed: {options:?}"),
            Err(e) => (e.kind(), e.to_string()),
        };
        let (kind, text) = kind_and_text("--port nope");
        assert_eq!(kind, ErrorKind::ValueValidation);
        assert!(text.contains("nope"), "{text}");
        let (kind, text) = kind_and_text("--port 70000");
        assert_eq!(kind, ErrorKind::ValueValidation);
        assert!(text.contains("70000"), "{text}");
        let (kind, text) = kind_and_text("--bogus");
        assert_eq!(kind, ErrorKind::UnknownArgument);
        assert!(text.contains("--bogus"), "{text}");
        assert_eq!(kind_and_text("--port").0, ErrorKind::InvalidValue);
        assert_eq!(
            kind_and_text("--verbose --help").0,
            ErrorKind::UnknownArgument
        );
        assert_eq!(kind_and_text("--help").0, ErrorKind::DisplayHelp);
        assert_eq!(kind_and_text("-V").0, ErrorKind::DisplayVersion);
    }
}
