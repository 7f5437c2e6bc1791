//! What every part of a run shares: the run's [`Config`], a [`Failure`] and how an
//! input is run under `catch_unwind`, with the panic hook that also sees the sandbox's
//! tasks.

use crate::rng::Rng;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

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

pub(crate) static PANICS: AtomicU64 = AtomicU64::new(0);
static LAST_PANIC: Mutex<Option<String>> = Mutex::new(None);

/// Counts every panic (the sandbox's tasks included) and keeps the last message.
pub(crate) fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        PANICS.fetch_add(1, Ordering::SeqCst);
        let message = info.to_string();
        if let Ok(mut last) = LAST_PANIC.lock() {
            *last = Some(message);
        }
    }));
}

pub(crate) fn last_panic() -> String {
    LAST_PANIC
        .lock()
        .ok()
        .and_then(|mut l| l.take())
        .unwrap_or_else(|| "a panic".to_owned())
}

/// The random generator of input `index` of `part` in the run of `seed`.
pub(crate) fn input_rng(seed: u64, part: u64, index: u64) -> Rng {
    let mut mix = Rng::new(seed ^ (part << 56));
    let base = mix.next_u64();
    Rng::new(base ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

/// Runs `one` under `catch_unwind`, turning a panic (its own or a task's) or a failed
/// check into a [`Failure`].
pub(crate) fn guarded(
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
