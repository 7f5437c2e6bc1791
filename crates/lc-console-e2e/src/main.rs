//! The lc-sandbox console end to end, in headless Chromium: a customer starts a chat on
//! the page, an lc-agent echo bot answers, the answer shows on the page, the chat shows
//! in the inspector with both events, and "drop all" on the bot's connections makes it
//! reconnect, which the inspector shows (and the bot answers again); "disconnect a user"
//! with a reason ends the page's customer connection, and the page shows the reason.
//!
//! ```sh
//! cargo run -p lc-console-e2e                      # the check (.ci/run runs it)
//! UPDATE_SCREENSHOTS=1 cargo run -p lc-console-e2e # also rewrites docs/images/console-*.png
//! ```
//!
//! Needs `chromium` and `chromedriver` (Debian: `apt-get install chromium
//! chromium-driver`); `CHROMIUM` and `CHROMEDRIVER` name other binaries. The whole run is
//! bounded by [`DEADLINE`]; any step that does not happen within [`STEP`] fails it.
#![allow(clippy::print_stdout)]

mod bot;
mod browser;

use browser::Browser;
use lc_sandbox::{NewAgent, Sandbox};
use std::process::ExitCode;
use std::time::Duration;

/// The most the whole run may take.
const DEADLINE: Duration = Duration::from_secs(110);
/// The most one step (a page change) may take.
const STEP: Duration = Duration::from_secs(20);
/// The bot's id.
const BOT: &str = "echo@bots.local";
/// The reason the remote control disconnects the customer with.
const REASON: &str = "customer_temporarily_blocked";

#[tokio::main]
async fn main() -> ExitCode {
    match tokio::time::timeout(DEADLINE, run()).await {
        Ok(Ok(())) => {
            println!("ok: the console works in Chromium");
            ExitCode::SUCCESS
        }
        Ok(Err(error)) => {
            println!("FAILED: {error}");
            ExitCode::FAILURE
        }
        Err(_) => {
            println!("FAILED: not done within {DEADLINE:?}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let sandbox = Sandbox::builder()
        .console(true)
        .start()
        .await
        .map_err(|e| format!("sandbox: {e}"))?;
    // An agent account driven by a program: chats are routed to it as to any agent (a
    // Configuration API bot would be routed chats too, but logs in over Web only).
    let handle = sandbox.create_agent(NewAgent::new(BOT).name("Echo Bot"));
    let _bot = bot::start(&sandbox, &handle).await?;
    println!(
        "sandbox at {}, echo bot {BOT} accepting chats",
        sandbox.http_url()
    );

    let browser = Browser::start().await?;
    let result = scenario(&browser, &sandbox).await;
    if result.is_err() {
        browser.screenshot("failure").await;
    }
    browser.stop().await;
    sandbox.shutdown().await;
    result
}

async fn scenario(browser: &Browser, sandbox: &Sandbox) -> Result<(), String> {
    let url = sandbox.console_url().ok_or("the console is off")?;
    browser.goto(&url).await?;
    browser
        .until(
            "the page to reach the admin API",
            "return document.querySelector('#server').textContent",
        )
        .await?;
    println!("page loaded");

    // A customer starts a chat; the bot's answer shows on the page.
    browser.click("#new-customer").await?;
    let customer = browser
        .until(
            "the customer to log in",
            "const c = document.querySelector('.customer'); return c && c.dataset.state === 'online' ? c.dataset.customer : ''",
        )
        .await?;
    browser.type_into(".customer .text", "hello bot").await?;
    browser.click(".customer .send").await?;
    browser
        .until(
            "the bot's answer on the page",
            "return [...document.querySelectorAll('.customer .event.theirs')].some(e => e.textContent.includes('echo: hello bot')) ? 'yes' : ''",
        )
        .await?;
    println!("the bot's answer shows on the page");
    browser.screenshot("console-chat").await;

    // The inspector shows the chat with both events.
    browser.click("#tabs [data-tab=chats]").await?;
    let events = browser
        .until(
            "the chat with both events in the inspector",
            "const t = [...document.querySelectorAll('.chat .thread-event[data-type=message]')].map(e => e.textContent); \
             return t.some(x => x.endsWith(': hello bot')) && t.some(x => x.endsWith(': echo: hello bot')) ? t.join(' | ') : ''",
        )
        .await?;
    println!("inspector: {events}");
    browser.screenshot("console-inspector").await;

    // Dropping the bot's connections: it reconnects, the inspector shows a new connection.
    browser.click("#tabs [data-tab=agents]").await?;
    let conn_js = format!(
        "const r = document.querySelector('tr[data-agent=\"{BOT}\"] .conns .badge.ok'); return r ? r.dataset.conn : ''"
    );
    let before = browser
        .until("the bot's connection in the inspector", &conn_js)
        .await?;
    browser
        .click(&format!("tr[data-agent=\"{BOT}\"] .drop-user"))
        .await?;
    let wait_new = format!(
        "const r = document.querySelector('tr[data-agent=\"{BOT}\"] .conns .badge.ok'); \
         return r && r.dataset.conn !== '{before}' ? r.dataset.conn : ''"
    );
    let after = browser.until("the bot to reconnect", &wait_new).await?;
    println!("the bot reconnected: connection #{before} dropped, now #{after}");
    browser.screenshot("console-agents").await;

    // And it still answers.
    browser.type_into(".customer .text", "are you back").await?;
    browser.click(".customer .send").await?;
    browser
        .until(
            "the bot's answer after reconnecting",
            "return [...document.querySelectorAll('.customer .event.theirs')].some(e => e.textContent.includes('echo: are you back')) ? 'yes' : ''",
        )
        .await?;
    println!("the bot answers after reconnecting");
    browser.click("#tabs [data-tab=journal]").await?;
    browser
        .until(
            "the journal",
            "return document.querySelectorAll('#journal tbody tr[data-action=incoming_event]').length > 0 ? 'yes' : ''",
        )
        .await?;
    browser.screenshot("console-journal").await;

    // The remote control disconnects the page's customer with a reason of our choice:
    // the page gets the push with that reason, and its socket closes.
    browser.click("#tabs [data-tab=control]").await?;
    browser
        .type_into("#f-disconnect input[name=user]", &customer)
        .await?;
    browser
        .until(
            "the reason chosen",
            &format!(
                "const s = document.querySelector('#f-disconnect select'); s.value = '{REASON}'; \
                 return s.value"
            ),
        )
        .await?;
    browser.click("#f-disconnect button[type=submit]").await?;
    browser
        .until(
            "the customer disconnected with the reason",
            &format!(
                "const c = document.querySelector('.customer'); \
                 return c.dataset.state === 'offline' && \
                 c.textContent.includes('Disconnected by the server: {REASON}') ? 'yes' : ''"
            ),
        )
        .await?;
    println!("the customer was disconnected with reason {REASON}");
    Ok(())
}
