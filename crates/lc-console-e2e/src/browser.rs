//! Chromium driven through chromedriver (WebDriver over plain HTTP on 127.0.0.1) with
//! fantoccini, and the few things the scenario does with it.

use crate::STEP;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

/// chromedriver and the browser session it runs.
pub(crate) struct Browser {
    driver: Child,
    client: Client,
}

fn binary(variable: &str, default: &str) -> String {
    std::env::var(variable).unwrap_or_else(|_| default.to_owned())
}

impl Browser {
    /// Starts chromedriver on a free port and a headless Chromium session.
    pub(crate) async fn start() -> Result<Self, String> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("a free port: {e}"))?
            .port();
        let chromedriver = binary("CHROMEDRIVER", "chromedriver");
        let driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("{chromedriver}: {e} (install chromium-driver)"))?;
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": binary("CHROMIUM", "/usr/bin/chromium"),
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", "--window-size=1440,900"],
            }),
        );
        let url = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        let client = loop {
            let attempt = ClientBuilder::new(HttpConnector::new())
                .capabilities(capabilities.clone())
                .connect(&url)
                .await;
            match attempt {
                Ok(client) => break client,
                Err(e) if started.elapsed() > STEP => {
                    return Err(format!("no WebDriver session at {url}: {e}"));
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        };
        Ok(Self { driver, client })
    }

    pub(crate) async fn goto(&self, url: &str) -> Result<(), String> {
        self.client
            .goto(url)
            .await
            .map_err(|e| format!("goto {url}: {e}"))
    }

    /// Runs `script` (a function body returning a string) until it returns a non-empty
    /// string, for at most [`STEP`]; that string.
    pub(crate) async fn until(&self, what: &str, script: &str) -> Result<String, String> {
        let started = Instant::now();
        loop {
            let got = self
                .client
                .execute(script, Vec::new())
                .await
                .map_err(|e| format!("waiting for {what}: {e}"))?;
            if let Value::String(text) = got {
                if !text.is_empty() {
                    return Ok(text);
                }
            }
            if started.elapsed() > STEP {
                return Err(format!("no {what} within {STEP:?}"));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Clicks the element `selector` finds, finding it again while the page replaces
    /// it (the inspector re-renders its tables every second), for at most [`STEP`].
    pub(crate) async fn click(&self, selector: &str) -> Result<(), String> {
        let started = Instant::now();
        loop {
            let attempt = match self.client.find(Locator::Css(selector)).await {
                Ok(element) => element.click().await,
                Err(e) => Err(e),
            };
            match attempt {
                Ok(()) => return Ok(()),
                Err(e) if started.elapsed() > STEP => {
                    return Err(format!("click {selector}: {e}"));
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }

    pub(crate) async fn type_into(&self, selector: &str, text: &str) -> Result<(), String> {
        let element = self
            .client
            .find(Locator::Css(selector))
            .await
            .map_err(|e| format!("find {selector}: {e}"))?;
        element
            .send_keys(text)
            .await
            .map_err(|e| format!("type into {selector}: {e}"))
    }

    /// Writes a screenshot to `docs/images/<name>.png`, only with `UPDATE_SCREENSHOTS=1`
    /// (so that a plain run leaves the tree clean).
    pub(crate) async fn screenshot(&self, name: &str) {
        if std::env::var("UPDATE_SCREENSHOTS").as_deref() != Ok("1") {
            return;
        }
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/images");
        let file = dir.join(format!("{name}.png"));
        match self.client.screenshot().await {
            Ok(png) => {
                match std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&file, png)) {
                    Ok(()) => println!("wrote {}", file.display()),
                    Err(e) => println!("screenshot {}: {e}", file.display()),
                }
            }
            Err(e) => println!("screenshot {name}: {e}"),
        }
    }

    /// Ends the session and chromedriver.
    pub(crate) async fn stop(mut self) {
        let _ = self.client.close().await;
        let _ = self.driver.kill().await;
    }
}
