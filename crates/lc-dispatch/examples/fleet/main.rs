//! The fleet test: replicas of the `fleet_bot` example answering 200 customers × 20
//! messages through LiveChat webhooks, behind a round-robin load balancer, sharing a
//! real `redis-server`; one replica is killed (SIGKILL) halfway. Then the same with one
//! process and the in-memory store. Every customer message must be answered exactly
//! once, in order within its chat, and the killed replica's chats taken over.
//!
//! ```sh
//! cargo run -p lc-dispatch --example fleet
//! cargo run -p lc-dispatch --example fleet -- --customers 50 --messages 10   # smaller
//! ```
//!
//! Under `cargo run` it builds the `fleet_bot` example first; run directly, it expects
//! `fleet_bot` beside it (`cargo build -p lc-dispatch --examples`). It runs an embedded lc-sandbox (webhook timing as LiveChat's: 10 s to answer,
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
    /// How the killed replica's chats were taken over.
    takeover: Option<Takeover>,
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
    replicas::build_bot()?;
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
        .groups(vec![ConfigGroupMembership::new(
            0,
            ConfigGroupPriority::First,
        )])
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
            format!("http://{proxy_addr}/livechat"),
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
        // Kill it in the middle of answering: frozen (SIGSTOP) at a moment it holds
        // chat leases, then killed (SIGKILL), so that its leases die with it.
        let mut held = Vec::new();
        if let Some(redis) = &redis {
            for _ in 0..100 {
                victim.signal("STOP")?;
                held = redis.chats_leased_by(&format!("{}-", victim.name)).await?;
                if !held.is_empty() {
                    break;
                }
                victim.signal("CONT")?;
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
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

    let takeover = killed
        .as_ref()
        .map(|(name, at, held)| takeover(&chats, &logs, name, *at, held));
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
        takeover,
        stopped_cleanly,
    })
}

/// How the other replicas took over when one died.
#[derive(Default)]
struct Takeover {
    /// Chats the killed replica had answered in.
    chats: usize,
    /// Of those, the ones answered to the end, by the others after the kill.
    taken_over: usize,
    /// Chats whose lease it held when it died, and of those the ones answered to the end.
    leased: usize,
    leased_taken_over: usize,
    /// Messages written before the kill and answered after it.
    caught: usize,
    /// From the kill to their answers: max and median.
    max: Duration,
    median: Duration,
}

fn takeover(
    chats: &[customers::Chat],
    logs: &[check::ChatLog],
    name: &str,
    at: OffsetDateTime,
    held: &[String],
) -> Takeover {
    let mut figures = Takeover::default();
    let mut delays = Vec::new();
    for (chat, log) in chats.iter().zip(logs) {
        let answered_by_killed = log.answers.iter().any(|(_, replica, _)| replica == name);
        let others_after = log
            .answers
            .iter()
            .any(|(_, replica, when)| replica != name && *when > at);
        let done = check::complete(log) && others_after;
        if answered_by_killed {
            figures.chats += 1;
            figures.taken_over += usize::from(done);
        }
        if held.contains(&chat.id.to_string()) {
            figures.leased += 1;
            figures.leased_taken_over += usize::from(done);
        }
        for (id, written) in &log.messages {
            let answer = log.answers.iter().find(|(of, _, _)| of == id);
            if let Some((_, _, when)) = answer {
                if *written < at && *when > at {
                    delays.push(Duration::try_from(*when - at).unwrap_or_default());
                }
            }
        }
    }
    delays.sort();
    figures.caught = delays.len();
    figures.max = delays.last().copied().unwrap_or_default();
    figures.median = delays.get(delays.len() / 2).copied().unwrap_or_default();
    figures
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
        "  load balancer: {} requests cut off (answered 502, LiveChat delivers them again), {} failed connections passed to the next replica",
        figures.proxy_lost, figures.proxy_skipped
    );
    let mut ok = t.messages == scenario.customers * scenario.messages
        && t.answered == t.messages
        && t.missing == 0
        && t.duplicates == 0
        && t.out_of_order == 0
        && figures.stopped_cleanly;
    if let Some(k) = &figures.takeover {
        println!(
            "  killed replica: had answered in {} chats, {} taken over to the end; held the lease of {} chats, {} taken over",
            k.chats, k.taken_over, k.leased, k.leased_taken_over
        );
        println!(
            "  {} messages written before the kill were answered after it: takeover max {:.1} s, median {:.1} s",
            k.caught,
            k.max.as_secs_f64(),
            k.median.as_secs_f64()
        );
        ok &= k.chats > 0 && k.taken_over == k.chats && k.leased_taken_over == k.leased;
        ok &= t.by_replica.len() == scenario.replicas;
    }
    println!(
        "  replicas stopped cleanly on SIGTERM: {}",
        figures.stopped_cleanly
    );
    println!("  {}", if ok { "ok" } else { "FAILED" });
    ok
}
