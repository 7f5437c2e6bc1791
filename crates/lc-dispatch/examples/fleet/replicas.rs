//! The replica processes (the `fleet_bot` example, built next to this one) and the
//! redis-server they share.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::Result;

/// What a replica is started with.
pub(crate) struct BotSettings {
    pub(crate) api_url: String,
    pub(crate) bot_id: String,
    pub(crate) bot_secret: String,
    pub(crate) client_id: String,
    pub(crate) organization_id: String,
    pub(crate) webhook_secret: String,
    pub(crate) redis_url: Option<String>,
}

/// One running replica.
pub(crate) struct Replica {
    pub(crate) name: String,
    pub(crate) addr: SocketAddr,
    pub(crate) child: Child,
}

/// Under `cargo run`, builds `fleet_bot` (in this program's profile) so that the
/// replicas run the current code.
pub(crate) fn build_bot() -> Result<()> {
    let Ok(cargo) = std::env::var("CARGO") else {
        return Ok(());
    };
    let exe = std::env::current_exe()?;
    let release = exe
        .ancestors()
        .nth(2)
        .and_then(|profile| profile.file_name())
        .is_some_and(|name| name == "release");
    let mut command = std::process::Command::new(cargo);
    command.args(["build", "-q", "-p", "lc-dispatch", "--example", "fleet_bot"]);
    if release {
        command.arg("--release");
    }
    if !command.status()?.success() {
        return Err("cargo build --example fleet_bot failed".into());
    }
    Ok(())
}

/// `fleet_bot`, beside this program.
fn bot_program() -> Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let dir = exe.parent().ok_or("no directory")?;
    let bot = dir.join(format!("fleet_bot{}", std::env::consts::EXE_SUFFIX));
    if !bot.exists() {
        return Err(format!(
            "{} is missing: cargo build -p lc-dispatch --examples",
            bot.display()
        )
        .into());
    }
    Ok(bot)
}

impl Replica {
    pub(crate) async fn start(name: &str, settings: &BotSettings) -> Result<Self> {
        let mut command = Command::new(bot_program()?);
        command
            .env("FLEET_API_URL", &settings.api_url)
            .env("FLEET_BOT_ID", &settings.bot_id)
            .env("FLEET_BOT_SECRET", &settings.bot_secret)
            .env("FLEET_CLIENT_ID", &settings.client_id)
            .env("FLEET_ORGANIZATION_ID", &settings.organization_id)
            .env("FLEET_WEBHOOK_SECRET", &settings.webhook_secret)
            .env("FLEET_LISTEN", "127.0.0.1:0")
            .env("FLEET_REPLICA", name)
            .env_remove("FLEET_REDIS_URL")
            .stdout(Stdio::piped())
            .kill_on_drop(true);
        if let Some(url) = &settings.redis_url {
            command.env("FLEET_REDIS_URL", url);
        }
        let mut child = command.spawn()?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let line = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
            .await
            .map_err(|_| format!("{name} did not start"))??
            .ok_or_else(|| format!("{name} exited"))?;
        let addr = line
            .strip_prefix("listening on ")
            .ok_or_else(|| format!("{name} said {line:?}"))?
            .parse()?;
        // Keep reading what it prints, so that it never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Self {
            name: name.to_owned(),
            addr,
            child,
        })
    }

    /// Sends the replica `signal` (`TERM`, `STOP`, `CONT`, ...).
    pub(crate) fn signal(&self, signal: &str) -> Result<()> {
        let pid = self.child.id().ok_or("already exited")?;
        let status = std::process::Command::new("kill")
            .args([&format!("-{signal}"), &pid.to_string()])
            .status()?;
        if !status.success() {
            return Err(format!("kill -{signal} failed").into());
        }
        Ok(())
    }

    /// Asks the replica to stop (SIGTERM) and waits: whether it exited 0 in time.
    pub(crate) async fn stop(mut self) -> Result<bool> {
        self.signal("TERM")?;
        match tokio::time::timeout(Duration::from_secs(20), self.child.wait()).await {
            Ok(status) => Ok(status?.success()),
            Err(_) => Ok(false),
        }
    }
}

/// A redis-server on a free port, stopped when dropped.
pub(crate) struct Redis {
    child: Child,
    pub(crate) url: String,
}

impl Redis {
    pub(crate) async fn start() -> Result<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("redis-server: {e} (apt-get install -y redis-server)"))?;
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return Ok(Self {
                    child,
                    url: format!("redis://127.0.0.1:{port}/"),
                });
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Err("redis-server did not listen".into())
    }

    /// The chats whose lease `owner_prefix` holds now (read from the server).
    pub(crate) async fn chats_leased_by(&self, owner_prefix: &str) -> Result<Vec<String>> {
        let client = redis::Client::open(self.url.as_str())?;
        let mut connection = client.get_multiplexed_async_connection().await?;
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg("fleet-bot:lease:*")
            .query_async(&mut connection)
            .await?;
        let mut chats = Vec::new();
        for key in keys {
            let value: Option<String> = redis::cmd("GET")
                .arg(&key)
                .query_async(&mut connection)
                .await?;
            if value.is_some_and(|v| v.starts_with(owner_prefix)) {
                if let Some(chat) = key.strip_prefix("fleet-bot:lease:") {
                    chats.push(chat.to_owned());
                }
            }
        }
        Ok(chats)
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}
