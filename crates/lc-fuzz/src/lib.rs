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
pub mod mutate;
pub mod protocol;
pub mod rng;
pub mod sandbox;
pub mod sockets;
pub mod spec;
pub mod typed;

use rng::Rng;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How many inputs go where.
#[derive(Debug, Clone)]
pub struct Config {
    /// The seed of the whole run.
    pub seed: u64,
    /// Inputs to the decoders.
    pub protocol: u64,
    /// Inputs to the sandbox's handlers, in process.
    pub sandbox: u64,
    /// RTM frames over one real WebSocket.
    pub socket_frames: u64,
    /// HTTP requests over real connections.
    pub socket_http: u64,
    /// The workspace root (for the fixtures).
    pub root: PathBuf,
}

impl Config {
    /// A run of `inputs` inputs in all: 45 % to the decoders, 1 % (at most 10,000 frames
    /// and 2,000 requests) over sockets, the rest to the sandbox in process.
    pub fn with_inputs(seed: u64, inputs: u64, root: PathBuf) -> Self {
        let socket_frames = (inputs / 100).min(10_000);
        let socket_http = (inputs / 500).min(2_000);
        let protocol = inputs * 45 / 100;
        Self {
            seed,
            protocol,
            sandbox: inputs - protocol - socket_frames - socket_http,
            socket_frames,
            socket_http,
            root,
        }
    }

    /// Every input of the run.
    pub fn total(&self) -> u64 {
        self.protocol + self.sandbox + self.socket_frames + self.socket_http
    }
}

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

/// A panic or a failed check, with what replays it.
#[derive(Debug, Clone)]
pub struct Failure {
    /// The part: `protocol`, `sandbox`, `sockets`.
    pub part: String,
    /// The seed of the run.
    pub seed: u64,
    /// The index of the input in its part.
    pub index: u64,
    /// The input.
    pub input: String,
    /// The panic message or the failed check.
    pub problem: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut input = self.input.clone();
        if input.len() > 4000 {
            let mut cut = 4000;
            while !input.is_char_boundary(cut) {
                cut -= 1;
            }
            input.truncate(cut);
            input.push_str(" …(truncated)");
        }
        write!(
            f,
            "{} input #{} failed: {}\n  replay: cargo xtask fuzz --seed {} --only {}\n  input: {}",
            self.part, self.index, self.problem, self.seed, self.part, input
        )
    }
}

static PANICS: AtomicU64 = AtomicU64::new(0);
static LAST_PANIC: Mutex<Option<String>> = Mutex::new(None);

/// Counts every panic (the sandbox's tasks included) and keeps the last message.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        PANICS.fetch_add(1, Ordering::SeqCst);
        let message = info.to_string();
        if let Ok(mut last) = LAST_PANIC.lock() {
            *last = Some(message);
        }
    }));
}

fn last_panic() -> String {
    LAST_PANIC
        .lock()
        .ok()
        .and_then(|mut l| l.take())
        .unwrap_or_else(|| "a panic".to_owned())
}

/// The random generator of input `index` of `part` in the run of `seed`.
fn input_rng(seed: u64, part: u64, index: u64) -> Rng {
    let mut mix = Rng::new(seed ^ (part << 56));
    let base = mix.next_u64();
    Rng::new(base ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

/// Runs `one` under `catch_unwind`, turning a panic (its own or a task's) or a failed
/// check into a [`Failure`].
fn guarded(
    part: &str,
    seed: u64,
    index: u64,
    input: &mut String,
    one: impl FnOnce(&mut String) -> Result<(), String>,
) -> Result<(), Failure> {
    let before = PANICS.load(Ordering::SeqCst);
    let outcome = catch_unwind(AssertUnwindSafe(|| one(input)));
    let problem = match outcome {
        Err(_) => Some(format!("panic: {}", last_panic())),
        Ok(_) if PANICS.load(Ordering::SeqCst) != before => {
            Some(format!("panic in a task: {}", last_panic()))
        }
        Ok(Err(check)) => Some(check),
        Ok(Ok(())) => None,
    };
    match problem {
        None => Ok(()),
        Some(problem) => Err(Failure {
            part: part.to_owned(),
            seed,
            index,
            input: std::mem::take(input),
            problem,
        }),
    }
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
