//! `cargo xtask bench [--only PARTS]`: runs the in-process benchmarks (criterion for the
//! codec, paired rounds for the requests) and the process-level ones (`crates/lc-bench`,
//! see [`bench_process`](crate::bench_process)) and writes `docs/benchmarks.md`.
//! `--only` takes a comma-separated list of `criterion` (the in-process benchmarks),
//! `process` (all of the next five), `rtm`, `web`, `idle`, `fanout`, `routing`; a partial
//! run writes `target/lc-bench/benchmarks.md` instead, so that the committed report
//! always comes from one whole run.
//!
//! Every benchmark group has two clients, `baseline` (a raw tokio-tungstenite / hyper
//! client, or plain `serde_json::Value`) and `sdk`, measured in the same process run;
//! the RTM groups have a third, `reader` (the raw client with a reader task). The report
//! gives each SDK figure as a ratio to its baseline: for the codec groups, of criterion's
//! medians (`<group>/<function>/new/estimates.json`); for the request groups, the median
//! of the per-round ratios the request benches write ([`bench_paired`](crate::bench_paired)).

use crate::bench_paired::{Paired, Spread};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

/// The bench targets `cargo xtask bench` runs: (package, bench target).
const TARGETS: &[(&str, &str)] = &[
    ("lc-protocol", "codec"),
    ("lc-rtm", "rtm"),
    ("lc-web", "web"),
];

/// What one benchmark group measures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Bench {
    /// The group's name (for criterion, its directory under `target/criterion/`).
    pub(crate) group: &'static str,
    /// What an iteration does, for the report.
    pub(crate) what: &'static str,
    /// Requests per iteration for throughput groups; `None` for latency groups.
    pub(crate) per_iteration: Option<u64>,
    /// Whether the group also measures `reader`, the raw client with a reader task.
    pub(crate) reader: bool,
    /// Whether the group is timed in paired rounds (the request benches) rather than by
    /// criterion.
    pub(crate) paired: bool,
    /// The ratio the SDK is to reach: at most this for latency groups, at least this for
    /// throughput groups.
    pub(crate) target: Option<f64>,
}

impl Bench {
    const fn latency(group: &'static str, what: &'static str) -> Bench {
        Bench {
            group,
            what,
            per_iteration: None,
            reader: false,
            paired: false,
            target: None,
        }
    }

    const fn throughput(group: &'static str, requests: u64, what: &'static str) -> Bench {
        Bench {
            group,
            what,
            per_iteration: Some(requests),
            reader: false,
            paired: false,
            target: None,
        }
    }

    /// The same group, measuring `reader` too.
    const fn with_reader(self) -> Bench {
        Bench {
            reader: true,
            ..self
        }
    }

    /// The same group, with the ratio the SDK is to reach.
    const fn target(self, ratio: f64) -> Bench {
        Bench {
            target: Some(ratio),
            ..self
        }
    }

    /// The same group, timed in paired rounds.
    const fn paired(self) -> Bench {
        Bench {
            paired: true,
            ..self
        }
    }
}

/// Every group the bench targets define, in report order.
pub(crate) const BENCHES: &[Bench] = &[
    Bench::latency(
        "rtm_round_trip",
        "RTM `list_routing_statuses`, one request at a time (raw tokio-tungstenite vs `RtmClient::call`)",
    )
    .with_reader()
    .paired()
    .target(1.1),
    Bench::throughput(
        "rtm_pipelined_10",
        10,
        "RTM `list_routing_statuses`, 10 in flight on one connection",
    )
    .with_reader()
    .paired()
    .target(0.9),
    Bench::latency(
        "web_round_trip",
        "Web `list_routing_statuses`, one request at a time (raw hyper-util vs `WebClient::call`)",
    )
    .paired()
    .target(1.1),
    Bench::throughput(
        "web_concurrent_10",
        10,
        "Web `list_routing_statuses`, 10 at once over the connection pool",
    )
    .paired()
    .target(0.9),
    Bench::latency(
        "codec_incoming_event_decode",
        "decode an `incoming_event` push frame (`Value` vs envelope + typed `AgentPush`)",
    )
    .target(0.7),
    Bench::latency(
        "codec_incoming_event_encode",
        "encode an `incoming_event` push frame (`Value` vs typed push + envelope)",
    ),
    Bench::latency(
        "codec_list_chats_decode",
        "decode a `list_chats` response frame (`Value` vs envelope + typed `ListChatsResponse`)",
    )
    .target(0.8),
    Bench::latency(
        "codec_list_chats_encode",
        "encode a `list_chats` response frame (`Value` vs typed response + envelope)",
    ),
];

/// The medians of one group, in nanoseconds per iteration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Measured {
    pub(crate) bench: Bench,
    pub(crate) baseline_ns: f64,
    pub(crate) sdk_ns: f64,
    /// The raw client with a reader task, where the group measures it.
    pub(crate) reader_ns: Option<f64>,
    /// The per-round ratios, for a group timed in paired rounds.
    pub(crate) paired: Option<Paired>,
}

impl Measured {
    /// The figures of a group timed in paired rounds.
    fn from_paired(bench: Bench, paired: Paired) -> Measured {
        Measured {
            bench,
            baseline_ns: paired.baseline_ns,
            sdk_ns: paired.sdk_ns,
            reader_ns: paired.reader_ns,
            paired: Some(paired),
        }
    }

    /// SDK ÷ baseline: of the time per request for latency groups, of requests per
    /// second for throughput groups; for paired rounds, the median of the rounds' ratios.
    pub(crate) fn ratio(&self) -> f64 {
        match &self.paired {
            Some(paired) => paired.sdk.median,
            None => self.ratio_of(self.sdk_ns, self.baseline_ns),
        }
    }

    /// `ns` ÷ `base` in the sense of [`Measured::ratio`].
    fn ratio_of(&self, ns: f64, base: f64) -> f64 {
        match self.bench.per_iteration {
            None => ns / base,
            Some(_) => base / ns,
        }
    }

    /// The target of the group and whether the ratio meets it, as the report shows them.
    fn judged(&self) -> String {
        let Some(target) = self.bench.target else {
            return "—".to_owned();
        };
        let (sign, met) = match self.bench.per_iteration {
            None => ("≤", self.ratio() <= target),
            Some(_) => ("≥", self.ratio() >= target),
        };
        format!("{sign} {}: {}", format_ratio(target), verdict(met))
    }

    /// A figure as the report shows it: time per iteration, or requests per second.
    fn figure(&self, ns: f64) -> String {
        match self.bench.per_iteration {
            None => format_time(ns),
            Some(count) => format_rate(count as f64 * 1e9 / ns),
        }
    }
}

/// Where the machine and the run are described in the report.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Machine {
    pub(crate) date: String,
    pub(crate) nproc: String,
    pub(crate) arch: String,
    pub(crate) cpu: Option<String>,
    pub(crate) rustc: String,
    /// `/proc/loadavg`'s 1, 5 and 15 minute load averages when the run started.
    pub(crate) load: Option<String>,
    /// How long the whole run took.
    pub(crate) seconds: Option<f64>,
    /// `node --version`, when Node.js is installed (it runs the lc-sdk-js rows).
    pub(crate) node: Option<String>,
}

/// The parts `--only` accepts besides the process parts: `criterion` (the in-process
/// benches) and `process`.
const CRITERION: &str = "criterion";

/// The parts named by the arguments of `cargo xtask bench` (all of them without
/// `--only`), in run order.
pub(crate) fn parts(args: &[String]) -> Result<Vec<String>, String> {
    let mut all = vec![CRITERION.to_owned()];
    all.extend(crate::bench_process::PARTS.iter().map(|p| (*p).to_owned()));
    let names = match args {
        [] => return Ok(all),
        [flag, list] if flag == "--only" => list.split(',').map(str::trim),
        [other, ..] => {
            return Err(format!("`bench` takes `--only PART,...` (got `{other}`)"));
        }
    };
    let mut wanted = Vec::new();
    for name in names {
        match name {
            "process" => wanted.extend(crate::bench_process::PARTS.iter().copied()),
            name if all.iter().any(|p| p == name) => wanted.push(name),
            other => {
                return Err(format!(
                    "unknown bench part `{other}`; parts: {}, process",
                    all.join(", ")
                ));
            }
        }
    }
    Ok(all
        .into_iter()
        .filter(|p| wanted.contains(&p.as_str()))
        .collect())
}

/// Runs the benchmarks of the workspace at `root` and writes the report.
pub(crate) fn run(root: &Path, args: &[String]) -> Result<(), String> {
    let parts = parts(args)?;
    let whole = parts.len() == 1 + crate::bench_process::PARTS.len();
    let started = SystemTime::now();
    let load = load_average();
    let target = target_dir(root);
    let mut measured = Vec::new();
    if parts.iter().any(|p| p == CRITERION) {
        measured = criterion(root, &target, started)?;
    }
    let process_parts: Vec<String> = parts.iter().filter(|p| *p != CRITERION).cloned().collect();
    let process = if process_parts.is_empty() {
        None
    } else {
        Some(crate::bench_process::run(root, &target, &process_parts)?)
    };
    let seconds = started.elapsed().map(|d| d.as_secs_f64()).unwrap_or(0.0);
    let report = render(
        &measured,
        process.as_ref(),
        &Machine {
            load,
            seconds: Some(seconds),
            ..machine()
        },
    );
    let path = if whole {
        root.join("docs/benchmarks.md")
    } else {
        target.join("lc-bench/benchmarks.md")
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::write(&path, report).map_err(|e| format!("{}: {e}", path.display()))?;
    eprintln!("wrote {} ({seconds:.0} s)", path.display());
    Ok(())
}

/// Runs the in-process benches and reads their figures.
fn criterion(root: &Path, target: &Path, started: SystemTime) -> Result<Vec<Measured>, String> {
    let criterion_home = target.join("criterion");
    let paired_home = target.join(crate::bench_paired::HOME);
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(&cargo)
        .args(bench_args())
        .env("CRITERION_HOME", &criterion_home)
        .env("LC_PAIRED_HOME", &paired_home)
        .current_dir(root)
        .status()
        .map_err(|e| format!("running {cargo}: {e}"))?;
    if !status.success() {
        return Err(format!(
            "`cargo {}` failed: {status}",
            bench_args().join(" ")
        ));
    }
    let mut measured = Vec::new();
    for bench in BENCHES {
        if bench.paired {
            let path = paired_home.join(format!("{}.txt", bench.group));
            let text = read_fresh(&path, started)?;
            let paired =
                crate::bench_paired::parse(&text, bench.per_iteration.is_some(), bench.reader)
                    .map_err(|e| format!("{}: {e}", path.display()))?;
            measured.push(Measured::from_paired(*bench, paired));
            continue;
        }
        let read = |function: &str| {
            let path = criterion_home
                .join(bench.group)
                .join(function)
                .join("new/estimates.json");
            read_fresh_median(&path, started)
        };
        measured.push(Measured {
            bench: *bench,
            baseline_ns: read("baseline")?,
            sdk_ns: read("sdk")?,
            reader_ns: bench.reader.then(|| read("reader")).transpose()?,
            paired: None,
        });
    }
    Ok(measured)
}

/// `cargo bench` with every bench target of [`TARGETS`].
fn bench_args() -> Vec<String> {
    let mut args = vec!["bench".to_owned()];
    for (package, target) in TARGETS {
        args.extend(["-p", package, "--bench", target].map(str::to_owned));
    }
    args
}

/// Cargo's target directory: `CARGO_TARGET_DIR` or `<root>/target`.
fn target_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => root.join(dir),
        None => root.join("target"),
    }
}

/// The median of an `estimates.json` written after `started`.
fn read_fresh_median(path: &Path, started: SystemTime) -> Result<f64, String> {
    let text = read_fresh(path, started)?;
    median_ns(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// A file written after `started` (an older file would hold figures from another run).
fn read_fresh(path: &Path, started: SystemTime) -> Result<String, String> {
    let modified = std::fs::metadata(path)
        .and_then(|m| m.modified())
        .map_err(|e| format!("{}: {e}", path.display()))?;
    if modified < started {
        return Err(format!("{} was not written by this run", path.display()));
    }
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// `median.point_estimate` of criterion's `estimates.json`, in nanoseconds.
pub(crate) fn median_ns(json: &str) -> Result<f64, String> {
    let median = json.find("\"median\"").ok_or("no `median` estimate")?;
    let rest = &json[median..];
    let key = "\"point_estimate\"";
    let at = rest.find(key).ok_or("no `median.point_estimate`")?;
    let rest = rest[at + key.len()..].trim_start();
    let rest = rest
        .strip_prefix(':')
        .ok_or("malformed `point_estimate`")?
        .trim_start();
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E')))
        .unwrap_or(rest.len());
    let value: f64 = rest[..end]
        .parse()
        .map_err(|e| format!("`point_estimate` is not a number: {e}"))?;
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(format!("`point_estimate` is not a positive time: {value}"))
    }
}

/// Nanoseconds as `850 ns`, `12.3 µs`, `1.25 ms` or `2.00 s`.
pub(crate) fn format_time(ns: f64) -> String {
    let (value, unit) = if ns < 1e3 {
        (ns, "ns")
    } else if ns < 1e6 {
        (ns / 1e3, "µs")
    } else if ns < 1e9 {
        (ns / 1e6, "ms")
    } else {
        (ns / 1e9, "s")
    };
    format!("{} {unit}", three_digits(value))
}

/// Requests per second as `48,213 req/s`.
pub(crate) fn format_rate(per_second: f64) -> String {
    let digits = format!("{:.0}", per_second.max(0.0));
    let mut grouped = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    format!("{grouped} req/s")
}

/// The groups that measure the raw client with a reader task: the SDK beside it.
fn render_readers(out: &mut String, measured: &[Measured]) {
    let rows: Vec<_> = measured
        .iter()
        .filter_map(|row| Some((row, row.reader_ns?)))
        .collect();
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "\nThe RTM groups measure a third client, `reader`: the raw client with a task of \
         its own that reads the socket and hands each response to its caller through a \
         oneshot (`ReaderRtm` in `crates/lc-bench-raw/src/rtm.rs`), the least a client \
         costs that reads the socket in a task of its own, as the SDK does and must (so \
         that pushes, heartbeats and responses nobody waits for any more are read whoever \
         waits). The raw baseline reads its responses in the task that waits for them, \
         which a client with pushes cannot do; between it and the reader row is the hand-over \
         from the reading task to the caller's, between the reader row and the SDK the \
         SDK's own work (typed decoding, request slots, timeouts). Where the SDK misses \
         a target above while SDK ÷ reader is about 1.00× or better, the miss is the \
         hand-over's, which every client that reads in a task of its own pays. Letting \
         a waiting caller read the socket in its own task instead would not be safe: a \
         socket wakes only the task that polled it last, so a call polled once and then \
         left (lc-rtm's test `a_call_polled_once_and_then_left_does_not_hold_up_the_connection`) \
         would leave pushes and heartbeat answers unread until the next heartbeat \
         declared the connection dead.\n"
    );
    let _ = writeln!(
        out,
        "| benchmark | raw | raw + reader task | SDK | reader ÷ raw | SDK ÷ reader |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|");
    for (row, reader_ns) in rows {
        let (reader, sdk) = match row.paired.and_then(|p| p.reader) {
            Some((reader, sdk)) => (format_spread(reader), format_spread(sdk)),
            None => (
                format_ratio(row.ratio_of(reader_ns, row.baseline_ns)),
                format_ratio(row.ratio_of(row.sdk_ns, reader_ns)),
            ),
        };
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {reader} | {sdk} |",
            row.bench.group,
            row.figure(row.baseline_ns),
            row.figure(reader_ns),
            row.figure(row.sdk_ns),
        );
    }
}

/// `met` or `**not met**`.
pub(crate) fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "**not met**" }
}

/// A ratio as `1.12×`.
pub(crate) fn format_ratio(ratio: f64) -> String {
    format!("{ratio:.2}×")
}

/// A ratio over paired rounds as `1.12× (1.05–1.20)`: its median and the middle half.
fn format_spread(spread: Spread) -> String {
    format!(
        "{} ({:.2}–{:.2})",
        format_ratio(spread.median),
        spread.low,
        spread.high
    )
}

/// Three significant digits for values in 1..1000.
fn three_digits(value: f64) -> String {
    if value >= 100.0 {
        format!("{value:.0}")
    } else if value >= 10.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.2}")
    }
}

/// What each change bought, kept in every report (the tables are rewritten by each run;
/// this is not): edit `bench_changes.md` beside this file when a change moves a figure.
const WHAT_CHANGED: &str = include_str!("bench_changes.md");

/// The report: the criterion table, what each benchmark does, the process-level
/// sections, the history, the machine and the command.
pub(crate) fn render(
    measured: &[Measured],
    process: Option<&crate::bench_process::Results>,
    machine: &Machine,
) -> String {
    let mut out = String::new();
    let command = format!("cargo {}", bench_args().join(" "));
    let _ = writeln!(out, "# Benchmarks\n");
    let _ = writeln!(
        out,
        "Written by `cargo xtask bench` (do not edit by hand; rerun it to refresh). \
         Each SDK figure is compared with a baseline measured in the same process run, \
         against the same in-process `lc-sandbox` on 127.0.0.1: a raw tokio-tungstenite \
         or hyper-util client with hand-built frames, or plain `serde_json::Value` for the \
         codec. The codec rows are criterion medians in CPU time of the measuring \
         thread, each side decoding on a thread of its own. The request rows (RTM and Web) \
         are wall time, timed in paired rounds (`lc_bench_raw::paired`): each round runs \
         every client of the group for the same number of requests, one after the other, \
         so that a slow spell of the machine touches both sides of a ratio; their figures \
         are the medians over the rounds, their ratio the median of the rounds' own ratios, \
         with the middle half of the rounds (25th to 75th percentile) in brackets. \
         Absolute numbers depend on the machine, the ratios are the claim.\n"
    );
    let _ = writeln!(
        out,
        "Ratio = SDK ÷ baseline: of the time per iteration for latency rows (below 1.00× \
         the SDK is faster), of requests per second for throughput rows (above 1.00× the \
         SDK is faster).\n"
    );
    let _ = writeln!(
        out,
        "| benchmark | measure | baseline | SDK | ratio | target |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|");
    for row in measured {
        let measure = match row.bench.per_iteration {
            None => "time per iteration".to_owned(),
            Some(count) => format!("throughput ({count} in flight)"),
        };
        let ratio = match &row.paired {
            Some(paired) => format_spread(paired.sdk),
            None => format_ratio(row.ratio()),
        };
        let _ = writeln!(
            out,
            "| `{}` | {measure} | {} | {} | {ratio} | {} |",
            row.bench.group,
            row.figure(row.baseline_ns),
            row.figure(row.sdk_ns),
            row.judged(),
        );
    }
    render_readers(&mut out, measured);
    let _ = writeln!(out, "\n## What each benchmark does\n");
    for row in measured {
        let rounds = row
            .paired
            .map(|p| format!(", in {} paired rounds", p.rounds))
            .unwrap_or_default();
        let _ = writeln!(out, "- `{}`: {}{rounds}.", row.bench.group, row.bench.what);
    }
    out.push('\n');
    if let Some(process) = process {
        out.push_str(&crate::bench_process::render(process));
    }
    out.push_str(WHAT_CHANGED);
    let _ = writeln!(out, "\n## Run\n");
    let _ = writeln!(out, "- date (UTC): {}", machine.date);
    let _ = writeln!(
        out,
        "- machine: {} cores (`nproc`), {} (`uname -m`){}",
        machine.nproc,
        machine.arch,
        machine
            .cpu
            .as_deref()
            .map(|cpu| format!(", {cpu}"))
            .unwrap_or_default()
    );
    if let Some(load) = &machine.load {
        let _ = writeln!(
            out,
            "- load average when the run started (1, 5, 15 min): {load}"
        );
    }
    let _ = writeln!(out, "- toolchain: {}", machine.rustc);
    if let Some(node) = &machine.node {
        let _ = writeln!(out, "- Node.js: {node}");
    }
    let _ = writeln!(
        out,
        "- command: `cargo xtask bench`, which runs `{command}`, then `cargo build \
         --release -p lc-bench` and `lc-bench run` (parts: `cargo xtask bench --only \
         criterion,rtm,web,idle,fanout,routing`, or `--only process`)"
    );
    if let Some(seconds) = machine.seconds {
        let _ = writeln!(out, "- the whole run took {seconds:.0} s");
    }
    out
}

/// Facts about this machine and today's date.
fn machine() -> Machine {
    let nproc = command_output("nproc", &[]).unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.to_string())
            .unwrap_or_else(|_| "?".to_owned())
    });
    let arch =
        command_output("uname", &["-m"]).unwrap_or_else(|| std::env::consts::ARCH.to_owned());
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|line| line.strip_prefix("model name"))
                .and_then(|rest| rest.split_once(':'))
                .map(|(_, name)| name.trim().to_owned())
        });
    let rustc = command_output("rustc", &["--version"]).unwrap_or_else(|| "rustc ?".to_owned());
    let days = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs() / 86_400)
        .unwrap_or(0);
    Machine {
        date: civil_date(days),
        nproc,
        arch,
        cpu,
        rustc,
        load: None,
        seconds: None,
        node: command_output("node", &["--version"]),
    }
}

/// The first three fields of `/proc/loadavg`, where there is one.
fn load_average() -> Option<String> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    let fields: Vec<&str> = text.split_whitespace().take(3).collect();
    (fields.len() == 3).then(|| fields.join(" "))
}

/// The trimmed standard output of a successful command.
fn command_output(program: &str, args: &[&str]) -> Option<String> {
    let output = Command::new(program).args(args).output().ok()?;
    let text = String::from_utf8(output.stdout).ok()?;
    (output.status.success() && !text.trim().is_empty()).then(|| text.trim().to_owned())
}

/// `YYYY-MM-DD` of a count of days since 1970-01-01 (proleptic Gregorian calendar).
pub(crate) fn civil_date(days_since_epoch: u64) -> String {
    // Howard Hinnant's `civil_from_days`, for non-negative day counts.
    let z = days_since_epoch + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An `estimates.json` as criterion 0.7 writes it (trimmed numbers).
    const ESTIMATES: &str = r#"{"mean":{"confidence_interval":{"confidence_level":0.95,"lower_bound":41000.5,"upper_bound":43000.5},"point_estimate":42000.25,"standard_error":500.0},"median":{"confidence_interval":{"confidence_level":0.95,"lower_bound":40000.0,"upper_bound":41000.0},"point_estimate":40500.5,"standard_error":250.0},"median_abs_dev":{"confidence_interval":{"confidence_level":0.95,"lower_bound":1.0,"upper_bound":2.0},"point_estimate":1.5,"standard_error":0.1},"slope":null,"std_dev":{"confidence_interval":{"confidence_level":0.95,"lower_bound":3.0,"upper_bound":4.0},"point_estimate":3.5,"standard_error":0.2}}"#;

    fn bench(group: &'static str, per_iteration: Option<u64>) -> Bench {
        Bench {
            group,
            what: "does something",
            per_iteration,
            reader: false,
            paired: false,
            target: None,
        }
    }

    #[test]
    fn the_median_point_estimate_is_read_not_the_mean_or_the_abs_dev() {
        assert_eq!(median_ns(ESTIMATES), Ok(40500.5));
        assert_eq!(
            median_ns(r#"{ "median" : { "point_estimate" : 1.5e3 } }"#),
            Ok(1500.0)
        );
    }

    #[test]
    fn unusable_estimates_are_errors() {
        assert!(median_ns("{}").is_err());
        assert!(median_ns(r#"{"median":{"point_estimate":"x"}}"#).is_err());
        assert!(median_ns(r#"{"median":{"point_estimate":0.0}}"#).is_err());
        assert!(median_ns(r#"{"median":{"confidence_interval":{}}}"#).is_err());
    }

    #[test]
    fn latency_ratios_divide_sdk_time_by_baseline_time() {
        let row = Measured {
            bench: bench("rtm_round_trip", None),
            baseline_ns: 40_000.0,
            sdk_ns: 50_000.0,
            reader_ns: None,
            paired: None,
        };
        assert!((row.ratio() - 1.25).abs() < 1e-12);
    }

    #[test]
    fn throughput_ratios_divide_sdk_rate_by_baseline_rate() {
        let row = Measured {
            bench: bench("rtm_pipelined_10", Some(10)),
            baseline_ns: 100_000.0,
            sdk_ns: 125_000.0,
            reader_ns: None,
            paired: None,
        };
        assert!((row.ratio() - 0.8).abs() < 1e-12);
        assert_eq!(row.figure(row.baseline_ns), "100,000 req/s");
    }

    #[test]
    fn times_rates_and_ratios_are_formatted_for_people() {
        assert_eq!(format_time(850.0), "850 ns");
        assert_eq!(format_time(9.876), "9.88 ns");
        assert_eq!(format_time(12_345.0), "12.3 µs");
        assert_eq!(format_time(1_254_000.0), "1.25 ms");
        assert_eq!(format_time(2e9), "2.00 s");
        assert_eq!(format_rate(999.4), "999 req/s");
        assert_eq!(format_rate(48_213.2), "48,213 req/s");
        assert_eq!(format_rate(1_234_567.0), "1,234,567 req/s");
        assert_eq!(format_ratio(1.0), "1.00×");
        assert_eq!(format_ratio(0.876), "0.88×");
    }

    /// A machine with nothing optional known.
    fn bare_machine() -> Machine {
        Machine {
            date: "2026-01-01".to_owned(),
            nproc: "2".to_owned(),
            arch: "x86_64".to_owned(),
            cpu: None,
            load: None,
            rustc: "rustc".to_owned(),
            seconds: None,
            node: None,
        }
    }

    #[test]
    fn the_history_of_the_figures_survives_a_rewrite() {
        let report = render(
            &[],
            Some(&crate::bench_process::Results::default()),
            &bare_machine(),
        );
        assert!(
            report.contains("\n## What changed the figures\n"),
            "{report}"
        );
        assert!(report.contains("\n## Run\n"));
        assert!(report.contains("\n## Process-level figures\n"));
    }

    #[test]
    fn only_picks_parts_in_run_order() {
        let args = |s: &str| s.split(' ').map(str::to_owned).collect::<Vec<_>>();
        assert_eq!(parts(&[]).map(|p| p.len()), Ok(6));
        assert_eq!(
            parts(&args("--only routing,criterion")),
            Ok(vec!["criterion".to_owned(), "routing".to_owned()])
        );
        assert_eq!(
            parts(&args("--only process")).map(|p| p.join(",")),
            Ok("rtm,web,idle,fanout,routing".to_owned())
        );
        assert!(parts(&args("--only nothing")).is_err());
        assert!(parts(&args("--fast")).is_err());
    }

    #[test]
    fn dates_follow_the_gregorian_calendar() {
        assert_eq!(civil_date(0), "1970-01-01");
        assert_eq!(civil_date(59), "1970-03-01");
        assert_eq!(civil_date(11_016), "2000-02-29");
        assert_eq!(civil_date(19_723), "2024-01-01");
    }

    #[test]
    fn the_report_has_one_row_per_group_the_machine_and_the_command() {
        let measured = [
            Measured {
                bench: bench("web_round_trip", None),
                baseline_ns: 50_000.0,
                sdk_ns: 55_000.0,
                reader_ns: None,
                paired: None,
            },
            Measured {
                bench: bench("web_concurrent_10", Some(10)).target(0.9),
                baseline_ns: 200_000.0,
                sdk_ns: 250_000.0,
                reader_ns: None,
                paired: None,
            },
        ];
        let machine = Machine {
            date: "2025-01-02".to_owned(),
            nproc: "2".to_owned(),
            arch: "x86_64".to_owned(),
            cpu: Some("Some CPU".to_owned()),
            rustc: "rustc 1.95.0".to_owned(),
            load: Some("1.50 2.00 2.50".to_owned()),
            seconds: Some(312.4),
            node: Some("v20.20.2".to_owned()),
        };
        let report = render(&measured, None, &machine);
        assert!(report.contains("| benchmark | measure | baseline | SDK | ratio | target |"));
        assert!(
            report.contains(
                "| `web_round_trip` | time per iteration | 50.0 µs | 55.0 µs | 1.10× | — |"
            )
        );
        assert!(report.contains(
            "| `web_concurrent_10` | throughput (10 in flight) | 50,000 req/s | 40,000 req/s | 0.80× | ≥ 0.90×: **not met** |"
        ));
        assert!(report.contains("- `web_round_trip`: does something."));
        assert!(report.contains("- date (UTC): 2025-01-02"));
        assert!(report.contains("- machine: 2 cores (`nproc`), x86_64 (`uname -m`), Some CPU"));
        assert!(report.contains("- toolchain: rustc 1.95.0"));
        assert!(report.contains("(1, 5, 15 min): 1.50 2.00 2.50"));
        assert!(report.contains("- the whole run took 312 s"));
        assert!(report.contains("- Node.js: v20.20.2"));
        assert!(report.contains(
            "`cargo bench -p lc-protocol --bench codec -p lc-rtm --bench rtm -p lc-web --bench web`"
        ));
    }

    #[test]
    fn groups_with_a_reader_get_the_sdk_beside_it_in_the_same_sense() {
        let measured = [
            Measured {
                bench: bench("rtm_round_trip", None),
                baseline_ns: 40_000.0,
                sdk_ns: 50_000.0,
                reader_ns: Some(46_000.0),
                paired: None,
            },
            Measured {
                bench: bench("rtm_pipelined_10", Some(10)),
                baseline_ns: 100_000.0,
                sdk_ns: 125_000.0,
                reader_ns: Some(150_000.0),
                paired: None,
            },
            Measured {
                bench: bench("web_round_trip", None),
                baseline_ns: 50_000.0,
                sdk_ns: 55_000.0,
                reader_ns: None,
                paired: None,
            },
        ];
        let mut out = String::new();
        render_readers(&mut out, &measured);
        assert!(out.contains("| `rtm_round_trip` | 40.0 µs | 46.0 µs | 50.0 µs | 1.15× | 1.09× |"));
        assert!(out.contains(
            "| `rtm_pipelined_10` | 100,000 req/s | 66,667 req/s | 80,000 req/s | 0.67× | 1.20× |"
        ));
        assert!(!out.contains("web_round_trip"));
        let mut none = String::new();
        render_readers(&mut none, &measured[2..]);
        assert!(none.is_empty(), "no reader table without a reader row");
    }

    #[test]
    fn paired_rows_give_the_median_of_the_rounds_ratios_and_their_middle_half() {
        let rounds = "baseline 100 100 100 100 100\nreader 110 120 120 100 130\n\
                      sdk 121 100 120 110 104\n";
        let paired = crate::bench_paired::parse(rounds, false, true).unwrap();
        let row = Measured::from_paired(
            bench("rtm_round_trip", None).with_reader().target(1.1),
            paired,
        );
        assert_eq!((row.baseline_ns, row.sdk_ns), (100.0, 110.0));
        assert!((row.ratio() - 1.1).abs() < 1e-9);
        let report = render(&[row], None, &bare_machine());
        assert!(
            report.contains(
                "| `rtm_round_trip` | time per iteration | 100 ns | 110 ns | 1.10× (1.04–1.20) | ≤ 1.10×: met |"
            ),
            "{report}"
        );
        assert!(report.contains("- `rtm_round_trip`: does something, in 5 paired rounds."));
        assert!(
            report.contains("| `rtm_round_trip` | 100 ns | 120 ns | 110 ns | 1.20× (1.10–1.20) | 1.00× (0.83–1.10) |"),
            "{report}"
        );
    }

    #[test]
    fn the_request_groups_are_paired_and_the_codec_groups_are_not() {
        for bench in BENCHES {
            assert_eq!(
                bench.paired,
                !bench.group.starts_with("codec"),
                "{}",
                bench.group
            );
        }
    }

    #[test]
    fn every_bench_target_is_in_the_command_and_groups_are_unique() {
        assert_eq!(
            bench_args().join(" "),
            "bench -p lc-protocol --bench codec -p lc-rtm --bench rtm -p lc-web --bench web"
        );
        let mut groups: Vec<_> = BENCHES.iter().map(|b| b.group).collect();
        groups.sort_unstable();
        groups.dedup();
        assert_eq!(groups.len(), BENCHES.len());
    }
}
