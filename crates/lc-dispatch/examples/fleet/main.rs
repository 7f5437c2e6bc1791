//! The fleet test: replicas of the `fleet_bot` example answering 200 customers × 20
//! messages through LiveChat webhooks, behind a round-robin load balancer, sharing a
//! real `redis-server`; one replica is killed (SIGKILL) halfway. Then the same with one
//! process and the in-memory store. Every customer message must be answered exactly
//! once, in order within its chat, and the killed replica's chats taken over.
//!
//! ```sh
//! cargo build -p lc-dispatch --examples && cargo run -p lc-dispatch --example fleet
//! cargo run -p lc-dispatch --example fleet -- --customers 50 --messages 10   # smaller
//! ```
//!
//! It runs an embedded lc-sandbox (webhook timing as LiveChat's: 10 s to answer,
//! redelivery after 10, 20 and 30 s) and exits non-zero when a check fails.

#![allow(clippy::print_stdout)]

mod check;
mod customers;
mod proxy;
mod replicas;

use lc_agent::AgentClient;
use lc_configuration::ConfigurationClient;
use lc_protocol::configuration::{WebhookChatPresence, WebhookFilters, WebhookType};
use lc_protocol::session::ConfigurationSession;
use lc_protocol::types::{ConfigGroupMembership, ConfigGroupPriority, UserType};
use lc_rtm::AgentSession;
use lc_sandbox::{NewAgent, Sandbox};
use lc_web::WebConfig;
use replicas::{BotSettings, Redis, Replica};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use time::OffsetDateTime;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// The application that owns the bot and the webhook.
const CLIENT_ID: &str = "fleet-example";

/// One run's settings.
struct Scenario {
    replicas: usize,
    redis: bool,
    kill_one: bool,
    customers: usize,
    messages: usize,
}

/// What a run measured.
struct Figures {
    tally: check::Tally,
    seconds: f64,
    proxy_lost: usize,
    proxy_skipped: usize,
    /// Chats whose lease the killed replica held when it died.
    held_by_killed: usize,
    /// Of those, the ones answered to the end by other replicas.
    taken_over: usize,
    /// From the kill to another replica's first answer in each such chat: max, median.
    takeover: Option<(Duration, Duration)>,
    stopped_cleanly: bool,
}

#[tokio::main]
async fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let (mut customers, mut messages) = (200, 20);
    while let Some(arg) = args.next() {
        let value = args.next().ok_or("a value is missing")?.parse()?;
        match arg.as_str() {
            "--customers" => customers = value,
            "--messages" => messages = value,
            _ => return Err(format!("unknown argument {arg}").into()),
        }
    }
    let mut failed = false;
    for scenario in [
        Scenario {
            replicas: 3,
            redis: true,
            kill_one: true,
            customers,
            messages,
        },
        Scenario {
            replicas: 1,
            redis: false,
            kill_one: false,
            customers,
            messages,
        },
    ] {
        let figures = run(&scenario).await?;
        failed |= !report(&scenario, &figures);
    }
    if failed {
        return Err("the fleet test failed".into());
    }
    println!("fleet: ok");
    Ok(())
}

async fn run(scenario: &Scenario) -> Result<Figures> {
    let started = Instant::now();
    let sandbox = Sandbox::builder().start().await?;
    let redis = match scenario.redis {
        true => Some(Redis::start().await?),
        false => None,
    };
    let admin = sandbox.create_agent(NewAgent::new("admin@example.com").name("Admin"));
    let config = ConfigurationClient::connect_web(
        ConfigurationSession::configuration().base_url(sandbox.http_url()),
        admin.token.clone(),
        WebConfig::default(),
    );
    let bot = config
        .create_bot("Fleet bot")
        .owner_client_id(CLIENT_ID)
        .groups(vec![ConfigGroupMembership::new(0, ConfigGroupPriority::First)])
        .max_chats_count(500)
        .await?;

    // The load balancer LiveChat posts to, and the webhook.
    let proxy = proxy::Proxy::default();
    let proxy_addr = proxy.start().await?;
    let secret = uuid::Uuid::new_v4().simple().to_string();
    let filters = WebhookFilters {
        author_type: Some(UserType::Customer),
        chat_presence: Some(WebhookChatPresence {
            my_bots: Some(true),
            ..WebhookChatPresence::default()
        }),
        ..WebhookFilters::default()
    };
    config
        .register_webhook(
            "incoming_event",
            secret.as_str(),
            &format!("http://{proxy_addr}/livechat"),
            CLIENT_ID,
            WebhookType::Bot,
        )
        .filters(filters)
        .await?;

    let settings = BotSettings {
        api_url: sandbox.http_url(),
        bot_id: bot.id.to_string(),
        bot_secret: bot.secret.expose().to_owned(),
        client_id: CLIENT_ID.into(),
        organization_id: sandbox.organization_id(),
        webhook_secret: secret,
        redis_url: redis.as_ref().map(|r| r.url.clone()),
    };
    let mut replicas = Vec::new();
    for i in 1..=scenario.replicas {
        let replica = Replica::start(&format!("replica-{i}"), &settings).await?;
        proxy.add(replica.addr);
        replicas.push(replica);
    }

    // The customers write; halfway through, one replica dies.
    let sent = Arc::new(AtomicUsize::new(0));
    let total = scenario.customers * scenario.messages;
    let pace = Duration::from_secs(1);
    let writing = customers::start(&sandbox, scenario.customers, scenario.messages, pace, &sent);
    let mut killed = None;
    if scenario.kill_one {
        while sent.load(Ordering::SeqCst) < total / 2 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let mut victim = replicas.remove(1);
        let held = match &redis {
            Some(redis) => redis.chats_leased_by(&format!("{}-", victim.name)).await?,
            None => Vec::new(),
        };
        victim.child.start_kill()?;
        let at = OffsetDateTime::now_utc();
        victim.child.wait().await?;
        println!(
            "killed {} at {} of {total} messages sent; it held {} chats",
            victim.name,
            sent.load(Ordering::SeqCst),
            held.len()
        );
        killed = Some((victim.name, at, held));
    }
    let chats = customers::finish(writing).await?;

    // Every message answered (redeliveries come up to a minute after the first try).
    let session = AgentSession::agent().base_url(sandbox.http_url());
    let reader = AgentClient::connect_web(session, admin.token.clone(), WebConfig::default());
    let logs =
        check::wait_until_answered(&reader, &chats, scenario.messages, Duration::from_secs(90))
            .await?;
    let tally = check::tally(&logs);

    let (mut held_by_killed, mut taken_over, mut takeover) = (0, 0, None);
    if let Some((name, at, held)) = &killed {
        held_by_killed = held.len();
        let mut delays = Vec::new();
        for (chat, log) in chats.iter().zip(&logs) {
            if !held.contains(&chat.id.to_string()) {
                continue;
            }
            let first_after = log
                .answers
                .iter()
                .filter(|(_, replica, when)| replica != name && when > at)
                .map(|(_, _, when)| *when)
                .min();
            if let Some(when) = first_after {
                if check::complete(log) {
                    taken_over += 1;
                }
                delays.push(Duration::try_from(when - *at).unwrap_or_default());
            }
        }
        delays.sort();
        if let (Some(max), Some(median)) = (delays.last(), delays.get(delays.len() / 2)) {
            takeover = Some((*max, *median));
        }
    }

    let mut stopped_cleanly = true;
    for replica in replicas {
        stopped_cleanly &= replica.stop().await?;
    }
    sandbox.shutdown().await;
    Ok(Figures {
        tally,
        seconds: started.elapsed().as_secs_f64(),
        proxy_lost: proxy.lost.load(Ordering::SeqCst),
        proxy_skipped: proxy.skipped.load(Ordering::SeqCst),
        held_by_killed,
        taken_over,
        takeover,
        stopped_cleanly,
    })
}

/// Prints the figures; whether every check passed.
fn report(scenario: &Scenario, figures: &Figures) -> bool {
    let t = &figures.tally;
    let store = if scenario.redis { "redis" } else { "memory" };
    println!(
        "{} replica(s), {store} store: {} customers x {} messages in {:.0} s",
        scenario.replicas, scenario.customers, scenario.messages, figures.seconds
    );
    println!(
        "  messages {}, answered {}, missing {}, duplicates {}, out of order {}",
        t.messages, t.answered, t.missing, t.duplicates, t.out_of_order
    );
    println!("  answers by replica: {:?}", t.by_replica);
    println!(
        "  load balancer: {} requests lost with a dying replica (answered 502), {} refused connections skipped",
        figures.proxy_lost, figures.proxy_skipped
    );
    let mut ok = t.messages == scenario.customers * scenario.messages
        && t.answered == t.messages
        && t.missing == 0
        && t.duplicates == 0
        && t.out_of_order == 0
        && figures.stopped_cleanly;
    if scenario.kill_one {
        match figures.takeover {
            Some((max, median)) => println!(
                "  killed replica held {} chats; {} taken over to the end; takeover max {:.1} s, median {:.1} s",
                figures.held_by_killed,
                figures.taken_over,
                max.as_secs_f64(),
                median.as_secs_f64()
            ),
            None => println!("  killed replica held {} chats", figures.held_by_killed),
        }
        ok &= figures.taken_over == figures.held_by_killed;
        ok &= t.by_replica.len() == scenario.replicas;
    }
    println!("  replicas stopped cleanly on SIGTERM: {}", figures.stopped_cleanly);
    println!("  {}", if ok { "ok" } else { "FAILED" });
    ok
}
