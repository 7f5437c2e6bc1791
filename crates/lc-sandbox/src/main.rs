//! `lc-sandbox`: run a local LiveChat and Inbenta server with one ready agent and one
//! customer, and an Inbenta demo app with one agent (see [`banner`]).
//!
//! See `docs/sandbox.md` and `lc-sandbox --help`.

mod banner;

use banner::Demo;
use lc_sandbox::{Sandbox, SelfSigned};
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "\
lc-sandbox: a local LiveChat server (Agent and Customer Chat API, RTM + Web, v3.3-v3.6)
and Inbenta Agent Chat server (REST under /v1/, realtime at /v1/ws; app `demo-app`)

USAGE:
    lc-sandbox [OPTIONS]

OPTIONS:
    --host HOST              address to listen on [default: 127.0.0.1]
    --port PORT              port to listen on; 0 picks a free one [default: 0]
    --tls-cert FILE          PEM certificate chain: serve wss:// and https://
    --tls-key FILE           PEM private key of --tls-cert
    --self-signed DIR        serve wss:// and https:// with DIR/cert.pem and DIR/key.pem,
                             writing a certificate for localhost, 127.0.0.1 and ::1 there
                             first unless both files exist
    --ready-file FILE        once it accepts connections, write a JSON object with the
                             port, organization id, the agent's and customer's ids and
                             tokens and the Inbenta app's URLs and agent to FILE
                             (removed again on a clean stop)
    --organization-id ID     the organization id customers must send [default: a new UUID]
    -h, --help               print this help
    -V, --version            print the version

Logs go to stderr; RUST_LOG sets their filter [default: info]. Ctrl-C stops it.";

/// Where the TLS material comes from.
#[derive(Debug, PartialEq)]
enum Tls {
    Off,
    Files { cert: PathBuf, key: PathBuf },
    SelfSigned(PathBuf),
}

/// The parsed command line.
#[derive(Debug, PartialEq)]
struct Options {
    host: String,
    port: u16,
    tls: Tls,
    ready_file: Option<PathBuf>,
    organization_id: Option<String>,
}

/// What the command line asks for.
#[derive(Debug, PartialEq)]
enum Command {
    Run(Options),
    Help,
    Version,
}

/// Parses the arguments (without the program name); `--flag value` or `--flag=value`.
fn parse(args: impl IntoIterator<Item = String>) -> Result<Command, String> {
    let mut args = args.into_iter();
    let (mut host, mut port) = ("127.0.0.1".to_owned(), 0);
    let (mut cert, mut key, mut self_signed) = (None, None, None);
    let (mut ready_file, mut organization_id) = (None, None);
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => (flag.to_owned(), Some(value)),
            _ => (arg.clone(), None),
        };
        let mut value = || {
            inline
                .map(str::to_owned)
                .or_else(|| args.next())
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "-V" | "--version" => return Ok(Command::Version),
            "--host" => host = value()?,
            "--port" => {
                let text = value()?;
                port = text
                    .parse()
                    .map_err(|_| format!("--port: `{text}` is not a port number (0-65535)"))?;
            }
            "--tls-cert" => cert = Some(PathBuf::from(value()?)),
            "--tls-key" => key = Some(PathBuf::from(value()?)),
            "--self-signed" => self_signed = Some(PathBuf::from(value()?)),
            "--ready-file" => ready_file = Some(PathBuf::from(value()?)),
            "--organization-id" => organization_id = Some(value()?),
            _ => return Err(format!("unknown argument `{arg}`")),
        }
    }
    let tls = match (cert, key, self_signed) {
        (None, None, None) => Tls::Off,
        (Some(cert), Some(key), None) => Tls::Files { cert, key },
        (None, None, Some(dir)) => Tls::SelfSigned(dir),
        (_, _, Some(_)) => return Err("--self-signed excludes --tls-cert and --tls-key".into()),
        _ => return Err("--tls-cert and --tls-key go together".into()),
    };
    Ok(Command::Run(Options {
        host,
        port,
        tls,
        ready_file,
        organization_id,
    }))
}

#[tokio::main]
async fn main() -> ExitCode {
    let command = parse(std::env::args().skip(1));
    match command {
        Ok(Command::Run(options)) => match run(options).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(message) => {
                eprintln!("lc-sandbox: {message}");
                ExitCode::FAILURE
            }
        },
        Ok(Command::Help) => {
            say(USAGE);
            ExitCode::SUCCESS
        }
        Ok(Command::Version) => {
            say(concat!("lc-sandbox ", env!("CARGO_PKG_VERSION")));
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("lc-sandbox: {message}\nTry `lc-sandbox --help`.");
            ExitCode::from(2)
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
    let mut builder = Sandbox::builder().bind(addr);
    if let Some(id) = &options.organization_id {
        builder = builder.organization_id(id.as_str());
    }
    let cert_path = match &options.tls {
        Tls::Off => None,
        Tls::Files { cert, key } => {
            builder = builder.tls_files(cert, key).map_err(|e| {
                format!(
                    "--tls-cert {} --tls-key {}: {e}",
                    cert.display(),
                    key.display()
                )
            })?;
            Some(cert.clone())
        }
        Tls::SelfSigned(dir) => {
            let made = SelfSigned::load_or_create(dir)
                .map_err(|e| format!("--self-signed {}: {e}", dir.display()))?;
            builder = builder.tls_pem(made.cert_pem, made.key_pem);
            Some(SelfSigned::cert_path(dir))
        }
    };
    let sandbox = builder.start().await.map_err(|e| format!("{addr}: {e}"))?;
    let demo = Demo::create(&sandbox);
    say(&banner::banner(&sandbox, &demo, cert_path.as_deref()));
    if let Some(file) = &options.ready_file {
        banner::write_ready_file(file, &sandbox, &demo)
            .map_err(|e| format!("--ready-file {}: {e}", file.display()))?;
    }
    stop_signal().await;
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

/// Resolves on Ctrl-C, or on SIGTERM where there is one.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut terminate) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Result<Command, String> {
        parse(line.split_whitespace().map(str::to_owned))
    }

    #[test]
    fn no_arguments_mean_a_free_port_on_loopback_without_tls() {
        let Ok(Command::Run(options)) = args("") else {
            panic!("expected Run");
        };
        assert_eq!((options.host.as_str(), options.port), ("127.0.0.1", 0));
        assert_eq!(options.tls, Tls::Off);
    }

    #[test]
    fn flags_take_a_separate_or_an_inline_value() {
        let Ok(Command::Run(options)) =
            args("--port=8080 --host 0.0.0.0 --ready-file r.json --organization-id org")
        else {
            panic!("expected Run");
        };
        assert_eq!(options.port, 8080);
        assert_eq!(options.host, "0.0.0.0");
        assert_eq!(options.ready_file, Some(PathBuf::from("r.json")));
        assert_eq!(options.organization_id.as_deref(), Some("org"));
    }

    #[test]
    fn tls_flags_are_checked_together() {
        assert!(matches!(
            args("--tls-cert c.pem --tls-key k.pem"),
            Ok(Command::Run(Options {
                tls: Tls::Files { .. },
                ..
            }))
        ));
        assert!(args("--tls-cert c.pem").is_err());
        assert!(args("--self-signed d --tls-key k.pem").is_err());
    }

    #[test]
    fn bad_input_is_an_error_naming_it() {
        assert!(args("--port nope").unwrap_err().contains("nope"));
        assert!(args("--bogus").unwrap_err().contains("--bogus"));
        assert!(args("--port").unwrap_err().contains("needs a value"));
        assert_eq!(
            args("--verbose --help").unwrap_err(),
            "unknown argument `--verbose`"
        );
        assert_eq!(args("--help"), Ok(Command::Help));
    }
}
