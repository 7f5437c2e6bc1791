//! `lc-chaos`: runs the LiveChat chaos suite and prints its figures as a markdown table
//! (`cargo xtask chaos` builds and runs it).
//!
//! ```text
//! lc-chaos [--ci] [--seed N] [--agents N] [--web-agents N] [--customers N]
//!          [--messages N] [--no-faults] [--out FILE]
//! ```
//!
//! The full size by default (20 agents, 200 customers × 50 messages, each answered);
//! `--ci` the CI size (8 agents, 40 × 25). Exits 0 when nothing was lost or duplicated,
//! 1 otherwise, 2 on a usage error.
#![allow(clippy::print_stdout)]

use lc_chaos::{Config, run};
use std::process::ExitCode;

const USAGE: &str = "usage: lc-chaos [--ci] [--seed N] [--agents N] [--web-agents N] \
                     [--customers N] [--messages N] [--no-faults] [--out FILE]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "-h" || a == "--help") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let (config, out) = match parse(&args) {
        Ok(parsed) => parsed,
        Err(message) => {
            eprintln!("lc-chaos: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("lc-chaos: no runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    eprintln!(
        "lc-chaos: seed {}, {} agents ({} over Web), {} customers × {} messages, {}",
        config.seed,
        config.agents,
        config.web_agents,
        config.customers,
        config.messages,
        if config.faults.is_some() {
            "with faults"
        } else {
            "no faults"
        }
    );
    let report = match runtime.block_on(run(config)) {
        Ok(report) => report,
        Err(error) => {
            eprintln!("lc-chaos: {error}");
            return ExitCode::FAILURE;
        }
    };
    let table = report.markdown();
    println!("{table}");
    if let Some(path) = out {
        if let Err(error) = std::fs::write(&path, &table) {
            eprintln!("lc-chaos: could not write {path}: {error}");
            return ExitCode::FAILURE;
        }
    }
    if report.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// The configuration and the output file the arguments ask for.
fn parse(args: &[String]) -> Result<(Config, Option<String>), String> {
    let ci = args.iter().any(|a| a == "--ci");
    let mut seed = 42;
    let mut config = Config::full(seed);
    if ci {
        config = Config::ci(seed);
    }
    let mut out = None;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .ok_or_else(|| format!("{name} needs a value"))
                .cloned()
        };
        match arg.as_str() {
            "--ci" => {}
            "--no-faults" => config.faults = None,
            "--seed" => {
                seed = number(&value("--seed")?)?;
                config.seed = seed;
            }
            "--agents" => config.agents = count(&value("--agents")?)?,
            "--web-agents" => config.web_agents = count(&value("--web-agents")?)?,
            "--customers" => config.customers = count(&value("--customers")?)?,
            "--messages" => config.messages = count(&value("--messages")?)?,
            "--out" => out = Some(value("--out")?),
            "-h" | "--help" => return Err("help".to_owned()),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    if config.agents == 0 || config.customers == 0 || config.messages == 0 {
        return Err("--agents, --customers and --messages must be at least 1".to_owned());
    }
    config.web_agents = config.web_agents.min(config.agents);
    Ok((config, out))
}

/// A number, decimal or `0x` hexadecimal.
fn number(text: &str) -> Result<u64, String> {
    let parsed = match text.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(&hex.replace('_', ""), 16),
        None => text.replace('_', "").parse(),
    };
    parsed.map_err(|_| format!("`{text}` is not a number"))
}

fn count(text: &str) -> Result<usize, String> {
    usize::try_from(number(text)?).map_err(|_| format!("`{text}` is too large"))
}
