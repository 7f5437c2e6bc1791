//! A structure-aware fuzzer for livechat-rs, on stable Rust: it generates inputs from
//! the tables in `spec/` (a valid request, response or push for every action and push)
//! and the fixtures of `lc-protocol`, mutates them (fields dropped, duplicated or
//! retyped, edge numbers, deep nesting, unicode, oversized strings, truncation, byte
//! flips, unknown actions, wrong versions), and runs them through
//!
//! - the frame decoders of both dialects and the typed payload decoding
//!   ([`protocol`]),
//! - the sandbox's request handlers in process, without sockets ([`sandbox`]): RTM
//!   frames, Web bodies and query strings, multipart uploads, Inbenta REST and
//!   realtime messages,
//! - and a slice of them over real sockets against a running sandbox ([`sockets`]).
//!
//! Every input runs under `catch_unwind`, and a panic hook catches panics in the
//! sandbox's tasks too; a panic or a failed check stops the run and prints the seed,
//! the input's index and the input. Runs are deterministic for a seed (the sandbox's
//! own ids aside).

pub mod generate;
mod harness;
pub mod mutate;
pub mod protocol;
pub mod rng;
pub mod sandbox;
pub mod sockets;
pub mod spec;
pub mod typed;

pub use harness::{Config, Failure};
use harness::{guarded, input_rng, install_panic_hook};
use std::time::{Duration, Instant};

/// What a run did.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Inputs run per part, with their time.
    pub parts: Vec<(String, u64, Duration)>,
    /// Sandbox answers that succeeded.
    pub sandbox_ok: u64,
    /// Sandbox answers that were errors of the documented shape.
    pub sandbox_errors: u64,
}

/// Runs the decoders' part.
///
/// # Errors
/// The first failure.
pub fn run_protocol(config: &Config, spec: &spec::Spec) -> Result<u64, Failure> {
    let target = protocol::Protocol::new(spec, &config.root);
    let mut input = String::new();
    for index in 0..config.protocol {
        let mut rng = input_rng(config.seed, 1, index);
        guarded("protocol", config.seed, index, &mut input, |input| {
            target.run_one(&mut rng, input)
        })?;
    }
    Ok(target.fixture_count() as u64)
}

/// How many in-process sandbox inputs one world serves before it is replaced.
const WORLD_LIFE: u64 = 4_000;

/// Runs the sandbox's in-process part.
///
/// # Errors
/// The first failure.
pub fn run_sandbox(config: &Config, spec: &spec::Spec) -> Result<sandbox::Reached, Failure> {
    let failure = |problem: String| Failure {
        part: "sandbox".into(),
        seed: config.seed,
        index: 0,
        input: String::new(),
        problem,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| failure(e.to_string()))?;
    let mut target = sandbox::SandboxTarget::new(spec);
    let mut world: Option<sandbox::World> = None;
    let mut input = String::new();
    for index in 0..config.sandbox {
        if index % WORLD_LIFE == 0 {
            if let Some(old) = world.take() {
                runtime.block_on(old.shutdown());
            }
            world = Some(runtime.block_on(sandbox::World::new()).map_err(failure)?);
        }
        let Some(w) = world.as_mut() else {
            continue;
        };
        let mut rng = input_rng(config.seed, 2, index);
        guarded("sandbox", config.seed, index, &mut input, |input| {
            runtime.block_on(target.run_one(w, &mut rng, input))
        })?;
    }
    if let Some(old) = world.take() {
        runtime.block_on(old.shutdown());
    }
    Ok(target.reached)
}

/// Runs the whole fuzz run: the decoders and the sandbox in process on two threads,
/// then the slice over sockets.
///
/// # Errors
/// The first failure.
pub fn run(config: &Config) -> Result<Report, Failure> {
    install_panic_hook();
    let spec = spec::Spec::load();
    let mut report = Report::default();
    let (protocol, sandbox) = std::thread::scope(|scope| {
        let protocol = scope.spawn(|| {
            let started = Instant::now();
            run_protocol(config, &spec).map(|_| started.elapsed())
        });
        let started = Instant::now();
        let sandbox = run_sandbox(config, &spec).map(|r| (r, started.elapsed()));
        let protocol = protocol.join().unwrap_or_else(|_| {
            Err(Failure {
                part: "protocol".into(),
                seed: config.seed,
                index: 0,
                input: String::new(),
                problem: "the decoders' thread panicked".into(),
            })
        });
        (protocol, sandbox)
    });
    let protocol_time = protocol?;
    let (reached, sandbox_time) = sandbox?;
    report
        .parts
        .push(("protocol".into(), config.protocol, protocol_time));
    report
        .parts
        .push(("sandbox".into(), config.sandbox, sandbox_time));
    report.sandbox_ok = reached.ok;
    report.sandbox_errors = reached.errors;
    let started = Instant::now();
    let sent = sockets::run(config, &spec)?;
    report
        .parts
        .push(("sockets".into(), sent, started.elapsed()));
    Ok(report)
}

/// Installs the panic hook and runs one part only (`protocol`, `sandbox`, `sockets`).
///
/// # Errors
/// The first failure, or an unknown part.
pub fn run_only(config: &Config, part: &str) -> Result<Report, Failure> {
    install_panic_hook();
    let spec = spec::Spec::load();
    let mut report = Report::default();
    let started = Instant::now();
    match part {
        "protocol" => {
            run_protocol(config, &spec)?;
            report
                .parts
                .push((part.into(), config.protocol, started.elapsed()));
        }
        "sandbox" => {
            let reached = run_sandbox(config, &spec)?;
            report.sandbox_ok = reached.ok;
            report.sandbox_errors = reached.errors;
            report
                .parts
                .push((part.into(), config.sandbox, started.elapsed()));
        }
        "sockets" => {
            let sent = sockets::run(config, &spec)?;
            report.parts.push((part.into(), sent, started.elapsed()));
        }
        other => {
            return Err(Failure {
                part: other.into(),
                seed: config.seed,
                index: 0,
                input: String::new(),
                problem: "unknown part; try protocol, sandbox or sockets".into(),
            });
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn config(inputs: u64) -> Config {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
        Config::with_inputs(11, inputs, root)
    }

    #[test]
    fn a_small_run_passes_and_a_panic_fails_naming_the_input() {
        let config = config(2_000);
        let report = run(&config).unwrap_or_else(|failure| panic!("{failure}"));
        let parts: Vec<&str> = report.parts.iter().map(|(p, _, _)| p.as_str()).collect();
        assert_eq!(parts, ["protocol", "sandbox", "sockets"]);
        assert!(
            report.sandbox_ok > 0 && report.sandbox_errors > 0,
            "{report:?}"
        );

        // After the run (the panic counter is global): a panic is a failure naming the
        // input.
        let mut input = String::new();
        let failure = guarded("protocol", 5, 9, &mut input, |input| {
            input.push_str("the input");
            panic!("boom")
        })
        .err()
        .unwrap_or_else(|| panic!("a panic must fail"));
        assert_eq!((failure.seed, failure.index), (5, 9));
        assert_eq!(failure.input, "the input");
        assert!(failure.problem.contains("boom"), "{}", failure.problem);
    }

    #[test]
    fn a_seed_replays_the_same_inputs() {
        let spec = spec::Spec::load();
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
        let target = protocol::Protocol::new(&spec, &root);
        let inputs = |seed| {
            (0..50)
                .map(|i| {
                    let mut input = String::new();
                    let _ = target.run_one(&mut input_rng(seed, 1, i), &mut input);
                    input
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(inputs(3), inputs(3));
        assert_ne!(inputs(3), inputs(4));
    }
}
