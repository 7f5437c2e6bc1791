//! `lc-fuzz [--ci] [--seed N] [--inputs N] [--only PART]`: the fuzz run (see the
//! library's documentation). `--ci` is 1,000,000 inputs; the default 200,000.

use lc_fuzz::Config;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut seed = None;
    let mut inputs = 200_000u64;
    let mut only = None;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        let parsed = match arg.as_str() {
            "--ci" => {
                inputs = 1_000_000;
                Ok(())
            }
            "--seed" => value("--seed").and_then(|v| {
                v.parse()
                    .map(|s| seed = Some(s))
                    .map_err(|e| format!("--seed: {e}"))
            }),
            "--inputs" => value("--inputs").and_then(|v| {
                v.parse()
                    .map(|n| inputs = n)
                    .map_err(|e| format!("--inputs: {e}"))
            }),
            "--only" => value("--only").map(|v| only = Some(v)),
            other => Err(format!("unknown option `{other}`")),
        };
        if let Err(message) = parsed {
            eprintln!(
                "lc-fuzz: {message}\nusage: lc-fuzz [--ci] [--seed N] [--inputs N] [--only protocol|sandbox|sockets]"
            );
            return ExitCode::FAILURE;
        }
    }
    let seed = seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_secs())
    });
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let config = Config::with_inputs(seed, inputs, root);
    eprintln!(
        "lc-fuzz: seed {seed}, {} inputs ({} decoders, {} sandbox in process, {} RTM frames and {} HTTP requests over sockets)",
        config.total(),
        config.protocol,
        config.sandbox,
        config.socket_frames,
        config.socket_http
    );
    let started = Instant::now();
    let result = match &only {
        Some(part) => lc_fuzz::run_only(&config, part),
        None => lc_fuzz::run(&config),
    };
    match result {
        Ok(report) => {
            for (part, n, time) in &report.parts {
                eprintln!("  {part:<9} {n:>9} inputs in {:>6.1} s", time.as_secs_f64());
            }
            if report.sandbox_ok + report.sandbox_errors > 0 {
                eprintln!(
                    "  sandbox answers: {} successes, {} errors of the documented shape",
                    report.sandbox_ok, report.sandbox_errors
                );
            }
            eprintln!(
                "lc-fuzz: ok, 0 panics, seed {seed}, {:.1} s",
                started.elapsed().as_secs_f64()
            );
            ExitCode::SUCCESS
        }
        Err(failure) => {
            eprintln!("lc-fuzz: FAILED (seed {seed})\n{failure}");
            ExitCode::FAILURE
        }
    }
}
