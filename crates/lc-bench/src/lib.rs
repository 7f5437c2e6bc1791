//! Process-level benchmarks of livechat-rs, run by `cargo xtask bench`.
//!
//! The `lc-bench` binary has one subcommand per role: `sandbox` (an lc-sandbox in its own
//! process, minting tokens on request), the clients (`rtm`, `web`, `fanout`, `routing`),
//! and `run`, which starts the others as child processes and prints the figures. The
//! `lc-bench-idle` binary holds 10,000 idle customer connections under a counting
//! allocator (kept out of `lc-bench` so that the CPU figures pay no counting).
//!
//! Every figure a process reports is one stdout line of [`Line`]'s format:
//! `lc-bench <kind> key=value key=value ...` (values without spaces).

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::Duration;

/// The prefix of every result line.
pub const PREFIX: &str = "lc-bench";

/// One result line: a kind and its fields, in order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Line {
    /// What the line reports (`ready`, `agent`, `cpu`, `row`, ...).
    pub kind: String,
    /// Its `key=value` fields.
    pub fields: BTreeMap<String, String>,
}

impl Line {
    /// A line of `kind` without fields.
    pub fn new(kind: &str) -> Self {
        Self {
            kind: kind.to_owned(),
            fields: BTreeMap::new(),
        }
    }

    /// Adds a field (its value must not contain whitespace).
    #[must_use]
    pub fn field(mut self, key: &str, value: impl ToString) -> Self {
        self.fields.insert(key.to_owned(), value.to_string());
        self
    }

    /// A field's value.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields.get(key).map(String::as_str)
    }

    /// A field's value as a number.
    pub fn number(&self, key: &str) -> Option<f64> {
        self.get(key)?.parse().ok().filter(|v: &f64| v.is_finite())
    }

    /// Reads a result line; `None` for any other output.
    pub fn parse(text: &str) -> Option<Self> {
        let mut words = text.split_whitespace();
        if words.next()? != PREFIX {
            return None;
        }
        let mut line = Line::new(words.next()?);
        for word in words {
            let (key, value) = word.split_once('=')?;
            line.fields.insert(key.to_owned(), value.to_owned());
        }
        Some(line)
    }
}

impl std::fmt::Display for Line {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{PREFIX} {}", self.kind)?;
        for (key, value) in &self.fields {
            write!(f, " {key}={value}")?;
        }
        Ok(())
    }
}

/// User + system CPU time this process used so far (all its threads).
pub fn cpu_time() -> Duration {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: `getrusage` writes a `rusage` into the pointer it is given; it is zeroed
    // (a valid `rusage`) whatever happens.
    #[allow(unsafe_code)]
    let usage = unsafe {
        libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr());
        usage.assume_init()
    };
    let time = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec.max(0) as u64) + Duration::from_micros(t.tv_usec.max(0) as u64)
    };
    time(usage.ru_utime) + time(usage.ru_stime)
}

/// Raises this process's soft limit of open files to its hard limit; returns the new
/// soft limit.
pub fn raise_open_files() -> u64 {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: both calls read or write the one `rlimit` given.
    #[allow(unsafe_code)]
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return 0;
        }
        if limit.rlim_cur < limit.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: limit.rlim_max,
                rlim_max: limit.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                limit = raised;
            }
        }
    }
    limit.rlim_cur
}

/// Live heap bytes counted by [`Counting`].
static LIVE: AtomicIsize = AtomicIsize::new(0);

/// A global allocator that forwards to [`System`] and counts the live bytes; install it
/// with `#[global_allocator] static A: lc_bench::Counting = lc_bench::Counting;` and read
/// [`Counting::live`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Counting;

impl Counting {
    /// Bytes allocated and not yet freed (requested sizes, not the allocator's rounding).
    pub fn live() -> isize {
        LIVE.load(Ordering::Relaxed)
    }
}

// SAFETY: every call forwards to `System` with the same arguments; the counter is only
// bookkeeping.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as given.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as given.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded as given.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded as given.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            LIVE.fetch_add(
                new_size as isize - layout.size() as isize,
                Ordering::Relaxed,
            );
        }
        new
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_reads_back_what_it_wrote() {
        let line = Line::new("row")
            .field("name", "rtm_sdk")
            .field("cpu_us", 1234.5);
        let text = line.to_string();
        assert_eq!(text, "lc-bench row cpu_us=1234.5 name=rtm_sdk");
        assert_eq!(Line::parse(&text), Some(line.clone()));
        assert_eq!(line.number("cpu_us"), Some(1234.5));
        assert_eq!(line.number("name"), None);
        assert_eq!(line.get("missing"), None);
    }

    #[test]
    fn other_output_is_not_a_line() {
        assert_eq!(Line::parse(""), None);
        assert_eq!(Line::parse("warning: something"), None);
        assert_eq!(Line::parse("lc-bench"), None);
        assert_eq!(Line::parse("lc-bench row no-equals-sign"), None);
        assert_eq!(Line::parse("  lc-bench ready  "), Some(Line::new("ready")));
    }

    #[test]
    fn cpu_time_does_not_go_backwards() {
        let before = cpu_time();
        let mut x = 0u64;
        for i in 0..100_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        std::hint::black_box(x);
        assert!(cpu_time() >= before);
    }
}
