//! `lc-bench run`: starts the sandbox and client processes and prints one result line
//! per measurement (the kinds `rtm`, `web`, `idle`, `fanout`, `routing`), which
//! `cargo xtask bench` turns into `docs/benchmarks.md`.

use crate::roles::{Result, emit};
use clap::Args;
use lc_bench::Line;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

/// The options of `lc-bench run`.
#[derive(Debug, Args)]
pub(crate) struct RunOptions {
    /// The parts to run, comma-separated: rtm, web, idle, fanout, routing [default: all].
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// A folder holding `node_modules/@livechat/lc-sdk-js` and the drivers `rtm.mjs`,
    /// `web.mjs`: runs the lc-sdk-js rows with `node`.
    #[arg(long)]
    js_dir: Option<PathBuf>,
    /// Requests per client in the CPU rows.
    #[arg(long, default_value_t = 10_000)]
    requests: usize,
    /// Idle customer connections.
    #[arg(long, default_value_t = 10_000)]
    idle: usize,
    /// Customer/agent pairs in the routing row.
    #[arg(long, default_value_t = 1_000)]
    pairs: usize,
    /// Round trips per pair in the routing row.
    #[arg(long, default_value_t = 10)]
    rounds: u64,
    /// Pushes sent in the fan-out rows.
    #[arg(long, default_value_t = 5_000)]
    pushes: u64,
    /// Where to keep the certificate and token files.
    #[arg(long, default_value = "target/lc-bench")]
    work_dir: PathBuf,
}

impl RunOptions {
    fn wants(&self, part: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|p| p == part)
    }
}

/// An lc-sandbox in a child process (`lc-bench sandbox`).
struct SandboxProcess {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    ready: Line,
}

impl SandboxProcess {
    fn start(tls_dir: Option<&Path>) -> Result<Self> {
        Self::start_with(tls_dir, &[])
    }

    fn start_with(tls_dir: Option<&Path>, args: &[&str]) -> Result<Self> {
        let mut command = Command::new(exe()?);
        command.arg("sandbox").args(args);
        if let Some(dir) = tls_dir {
            command.arg("--tls-dir").arg(dir);
        }
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("starting the sandbox: {e}"))?;
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().ok_or("no stdout")?);
        let mut sandbox = Self {
            child,
            stdin,
            stdout,
            ready: Line::default(),
        };
        sandbox.ready = sandbox.read_line()?;
        Ok(sandbox)
    }

    fn read_line(&mut self) -> Result<Line> {
        loop {
            let mut text = String::new();
            if self
                .stdout
                .read_line(&mut text)
                .map_err(|e| e.to_string())?
                == 0
            {
                return Err("the sandbox process ended".to_owned());
            }
            if let Some(line) = Line::parse(&text) {
                return Ok(line);
            }
        }
    }

    /// Sends a command; returns its answer.
    fn ask(&mut self, command: &str) -> Result<Line> {
        let stdin = self.stdin.as_mut().ok_or("stdin closed")?;
        writeln!(stdin, "{command}").map_err(|e| e.to_string())?;
        stdin.flush().map_err(|e| e.to_string())?;
        self.read_line()
    }

    fn get(&self, key: &str) -> Result<String> {
        self.ready
            .get(key)
            .map(str::to_owned)
            .ok_or_else(|| format!("the sandbox did not say its {key}"))
    }

    /// The sandbox process's CPU so far, in µs.
    fn cpu_us(&mut self) -> Result<f64> {
        self.ask("cpu")?
            .number("us")
            .ok_or_else(|| "no CPU figure".to_owned())
    }

    fn agent_token(&mut self) -> Result<String> {
        self.ask("agent")?
            .get("token")
            .map(str::to_owned)
            .ok_or_else(|| "no agent token".to_owned())
    }

    fn stop(mut self) {
        drop(self.stdin.take());
        let _ = self.child.wait();
    }
}

/// This executable.
fn exe() -> Result<PathBuf> {
    std::env::current_exe().map_err(|e| e.to_string())
}

/// Runs a client process to its end; returns its result lines.
fn client(command: &mut Command) -> Result<Vec<Line>> {
    let output = command
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("{command:?}: {e}"))?;
    if !output.status.success() {
        return Err(format!("{command:?} failed: {}", output.status));
    }
    let text = String::from_utf8_lossy(&output.stdout);
    Ok(text.lines().filter_map(Line::parse).collect())
}

/// The `row` line of a client's output, as a result line of `kind` with `labels`.
fn row(lines: Vec<Line>, kind: &str, labels: &[(&str, String)]) -> Result<Line> {
    let mut row = lines
        .into_iter()
        .find(|l| l.kind == "row")
        .ok_or_else(|| format!("no result from the {kind} client"))?;
    row.kind = kind.to_owned();
    for (key, value) in labels {
        row = row.field(key, value);
    }
    Ok(row)
}

/// Runs the parts of `options`.
pub(crate) fn run(mut options: RunOptions) -> Result {
    std::fs::create_dir_all(&options.work_dir).map_err(|e| e.to_string())?;
    // Absolute: the JS drivers run in another folder.
    options.work_dir = options.work_dir.canonicalize().map_err(|e| e.to_string())?;
    if options.wants("rtm") || options.wants("web") {
        requests(&options)?;
    }
    if options.wants("idle") {
        idle(&options)?;
    }
    if options.wants("fanout") {
        fanout(&options)?;
    }
    if options.wants("routing") {
        routing(&options)?;
    }
    Ok(())
}

/// Rounds of the CPU-per-request rows: every client runs once per round, the rounds one
/// after another, so that a slow spell of the shared machine touches every client; each
/// row is the median round.
const REQUEST_ROUNDS: usize = 3;

/// The CPU-per-request rows: every client against one TLS sandbox (lc-sdk-js only speaks
/// wss:// and https://), [`REQUEST_ROUNDS`] times; one median row per client.
fn requests(options: &RunOptions) -> Result {
    let tls_dir = options.work_dir.join("tls");
    let mut sandbox = SandboxProcess::start(Some(&tls_dir))?;
    let ca = lc_sandbox::SelfSigned::cert_path(&tls_dir);
    let token = sandbox.agent_token()?;
    let (ws, http, host) = (
        sandbox.get("ws")?,
        sandbox.get("http")?,
        sandbox.get("host")?,
    );
    // Each client's command and labels, in the order the rows are printed.
    let mut clients: Vec<(Command, Line)> = Vec::new();
    for (part, url) in [("rtm", &ws), ("web", &http)] {
        if !options.wants(part) {
            continue;
        }
        for in_flight in [1usize, 10] {
            for flavour in ["multi", "current"] {
                // The reader baseline is an RTM client only.
                let rust: &[&str] = match part {
                    "rtm" => &["sdk", "raw", "reader"],
                    _ => &["sdk", "raw"],
                };
                for &which in rust {
                    let mut command = Command::new(exe()?);
                    command.args([part, "--client", which, "--url", url, "--token", &token]);
                    command.arg("--ca").arg(&ca);
                    command.args([
                        "--count",
                        &options.requests.to_string(),
                        "--in-flight",
                        &in_flight.to_string(),
                        "--flavour",
                        flavour,
                    ]);
                    clients.push((command, labels(part, which, in_flight, flavour)));
                }
            }
            if let Some(js_dir) = &options.js_dir {
                let mut command = Command::new("node");
                command
                    .arg(js_dir.join(format!("{part}.mjs")))
                    .env("NODE_EXTRA_CA_CERTS", &ca)
                    .env("LCB_HOST", &host)
                    .env("LCB_TOKEN", &token)
                    .env("LCB_COUNT", options.requests.to_string())
                    .env("LCB_IN_FLIGHT", in_flight.to_string())
                    .current_dir(js_dir);
                clients.push((command, labels(part, "js", in_flight, "node")));
            }
        }
    }
    let mut rounds: Vec<Vec<Line>> = vec![Vec::new(); clients.len()];
    for _ in 0..REQUEST_ROUNDS {
        for ((command, labels), rows) in clients.iter_mut().zip(&mut rounds) {
            rows.push(row(client(command)?, &labels.kind, &[])?);
        }
    }
    for ((_, labels), rows) in clients.into_iter().zip(rounds) {
        emit(&median_row(labels, rows)?);
    }
    sandbox.stop();
    Ok(())
}

/// The labels of a CPU-per-request row.
fn labels(part: &str, client: &str, in_flight: usize, flavour: &str) -> Line {
    Line::new(part)
        .field("client", client)
        .field("in_flight", in_flight)
        .field("flavour", flavour)
}

/// `labels` with the round of median CPU time among `rows` (its requests, CPU and wall
/// time) and the least and most CPU time of the rounds.
fn median_row(labels: Line, mut rows: Vec<Line>) -> Result<Line> {
    let cpu = |row: &Line| row.number("cpu_us").unwrap_or(f64::NAN);
    if rows.iter().any(|row| cpu(row).is_nan()) {
        return Err(format!("a {} client printed no CPU time", labels.kind));
    }
    rows.sort_by(|a, b| cpu(a).total_cmp(&cpu(b)));
    let (least, most) = (cpu(&rows[0]), cpu(&rows[rows.len() - 1]));
    let median = &rows[rows.len() / 2];
    let mut line = labels.field("rounds", rows.len());
    for key in ["requests", "cpu_us", "wall_us"] {
        if let Some(value) = median.get(key) {
            line = line.field(key, value);
        }
    }
    Ok(line.field("cpu_us_min", least).field("cpu_us_max", most))
}

/// The heap per idle customer connection.
fn idle(options: &RunOptions) -> Result {
    let mut sandbox = SandboxProcess::start(None)?;
    let tokens = options.work_dir.join("idle-customers.txt");
    sandbox.ask(&format!(
        "customers {} {}",
        options.idle + 1,
        tokens.display()
    ))?;
    let exe = exe()?.with_file_name("lc-bench-idle");
    // The breakdown rows (a bare RTM client, a raw WebSocket) with fewer connections.
    for (kind, count) in [
        ("customer", options.idle + 1),
        ("rtm", options.idle.min(2_000) + 1),
        ("raw", options.idle.min(2_000) + 1),
    ] {
        let mut command = Command::new(&exe);
        command.args(["--ws", &sandbox.get("ws")?, "--http", &sandbox.get("http")?]);
        command.args(["--org", &sandbox.get("org")?, "--kind", kind]);
        command.arg("--tokens").arg(&tokens);
        command.args(["--count", &count.to_string(), "--heap-budget-mib", "2048"]);
        emit(&row(client(&mut command)?, "idle", &[])?);
    }
    sandbox.stop();
    Ok(())
}

/// Pushes fanned out to 1, 10 and 100 subscribers.
fn fanout(options: &RunOptions) -> Result {
    for subscribers in [1usize, 10, 100] {
        // A fresh sandbox each time: one chat, nothing else.
        let mut sandbox = SandboxProcess::start(None)?;
        let agent = sandbox.agent_token()?;
        let tokens = options.work_dir.join("fanout-customer.txt");
        sandbox.ask(&format!("customers 1 {}", tokens.display()))?;
        let customer = crate::roles::tokens(&tokens)?.concat();
        let mut command = Command::new(exe()?);
        command.args([
            "fanout",
            "--ws",
            &sandbox.get("ws")?,
            "--org",
            &sandbox.get("org")?,
        ]);
        command.args(["--agent-token", &agent, "--customer-token", &customer]);
        command.args(["--subscribers", &subscribers.to_string()]);
        command.args(["--pushes", &options.pushes.to_string()]);
        emit(&row(client(&mut command)?, "fanout", &[])?);
        sandbox.stop();
    }
    Ok(())
}

/// The sandbox's routing throughput with `pairs` customer/agent pairs.
fn routing(options: &RunOptions) -> Result {
    // The raw clients do not ping: the earliest would be closed as idle while the last
    // chats are set up (start_chat's routing scans every agent).
    let mut sandbox = SandboxProcess::start_with(None, &["--idle-timeout-secs", "600"])?;
    let agents = options.work_dir.join("routing-agents.txt");
    let customers = options.work_dir.join("routing-customers.txt");
    sandbox.ask(&format!("agents {} {}", options.pairs, agents.display()))?;
    sandbox.ask(&format!(
        "customers {} {}",
        options.pairs,
        customers.display()
    ))?;
    let mut command = Command::new(exe()?);
    command.args([
        "routing",
        "--ws",
        &sandbox.get("ws")?,
        "--org",
        &sandbox.get("org")?,
    ]);
    command.arg("--agents").arg(&agents);
    command.arg("--customers").arg(&customers);
    command.args(["--rounds", &options.rounds.to_string()]);
    let mut child = command
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("starting the routing clients: {e}"))?;
    let stdout = BufReader::new(child.stdout.take().ok_or("no stdout")?);
    let mut cpu_before = None;
    let mut result = None;
    for text in stdout.lines() {
        let Some(line) = Line::parse(&text.map_err(|e| e.to_string())?) else {
            continue;
        };
        match line.kind.as_str() {
            "measuring" => cpu_before = Some(sandbox.cpu_us()?),
            "row" => {
                let before = cpu_before.ok_or("a row before the measurement")?;
                let spent = sandbox.cpu_us()? - before;
                result = Some(line.field("sandbox_cpu_us", spent));
            }
            _ => {}
        }
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    if !status.success() {
        return Err(format!("the routing clients failed: {status}"));
    }
    let mut result = result.ok_or("no routing result")?;
    result.kind = "routing".to_owned();
    emit(&result);
    sandbox.stop();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round(cpu_us: u64, wall_us: u64) -> Line {
        Line::new("")
            .field("requests", 100)
            .field("cpu_us", cpu_us)
            .field("wall_us", wall_us)
    }

    #[test]
    fn the_row_is_the_round_of_median_cpu_with_the_spread_beside_it() {
        let rows = vec![round(300, 1), round(100, 2), round(200, 3)];
        let line = median_row(labels("rtm", "sdk", 10, "multi"), rows).unwrap();
        assert_eq!(line.kind, "rtm");
        assert_eq!(line.get("client"), Some("sdk"));
        assert_eq!(line.get("in_flight"), Some("10"));
        assert_eq!(line.get("flavour"), Some("multi"));
        assert_eq!(line.number("cpu_us"), Some(200.0));
        assert_eq!(
            line.number("wall_us"),
            Some(3.0),
            "the same round's wall time"
        );
        assert_eq!(line.number("requests"), Some(100.0));
        assert_eq!(line.number("rounds"), Some(3.0));
        assert_eq!(line.number("cpu_us_min"), Some(100.0));
        assert_eq!(line.number("cpu_us_max"), Some(300.0));
    }

    #[test]
    fn a_round_without_cpu_time_is_an_error() {
        let rows = vec![round(300, 1), Line::new("").field("requests", 100)];
        let error = median_row(labels("web", "raw", 1, "current"), rows).unwrap_err();
        assert!(error.contains("web"), "{error}");
    }
}
