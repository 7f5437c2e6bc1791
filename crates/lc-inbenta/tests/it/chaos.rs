//! A small chaos run for Inbenta: ten users chat with ten agents (each side a real
//! lc-inbenta client) while the sandbox drops every realtime socket at seeded random
//! moments and drops some sends' connections right after storing them. Afterwards every
//! message is stored in its chat exactly once, and every participant saw every message
//! of the other side exactly once, live or recovered.

#![allow(clippy::unwrap_used)]

use crate::common;

use common::{World, id_of, within};
use futures_util::StreamExt;
use lc_inbenta::{
    Chat, ChatEvent, ChatItem, ChatOptions, EventStream, Method, Resolution, UserClient,
};
use lc_sandbox::{Chaos, NewInbentaAgent, NewInbentaApp};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::time::Instant;

const SEED: u64 = 0x1b7a_2024;
const CHATS: usize = 10;
/// Messages each participant sends.
const PER_SIDE: usize = 20;

/// splitmix64: a seeded sequence without dependencies.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn millis(&mut self, low: u64, high: u64) -> Duration {
        Duration::from_millis(low + self.next() % (high - low + 1))
    }
}

#[derive(Default)]
struct Figures {
    answered: AtomicU64,
    found: AtomicU64,
    resent: AtomicU64,
    failed: AtomicU64,
}

/// One side of a chat: its handle, and who it is.
struct Side {
    client: UserClient,
    chat: Chat,
    name: String,
}

/// Sends `PER_SIDE` messages, each with a unique text, at seeded pauses.
async fn talk(side: &Side, seed: u64, figures: &Figures) -> Vec<String> {
    let mut rng = Rng(seed);
    let mut texts = Vec::new();
    for n in 0..PER_SIDE {
        tokio::time::sleep(rng.millis(40, 160)).await;
        let text = format!("{} #{n} in {}", side.name, side.chat.id());
        match side.chat.send_message(text.clone()).resolve().await {
            Ok(sent) => {
                let counter = match sent.resolution {
                    Resolution::Found => &figures.found,
                    Resolution::Resent => &figures.resent,
                    _ => &figures.answered,
                };
                counter.fetch_add(1, Ordering::Relaxed);
                texts.push(text);
            }
            Err(error) => {
                figures.failed.fetch_add(1, Ordering::Relaxed);
                panic!("{text}: {error}");
            }
        }
    }
    texts
}

/// Texts delivered to `events` and how many times, and how many were recovered.
#[derive(Default)]
struct Seen {
    texts: HashMap<String, u32>,
    recovered: u64,
}

async fn watch(mut events: EventStream<ChatItem>, me: String, seen: Arc<std::sync::Mutex<Seen>>) {
    while let Some(item) = events.next().await {
        match item.event {
            ChatEvent::MessageReceived(m) => {
                let from_me = m.message.sender.as_ref().and_then(|s| s.as_str()) == Some(&me);
                let text = m
                    .message
                    .message
                    .and_then(|v| v.as_str().map(str::to_owned));
                let mut seen = seen.lock().unwrap();
                let key = if from_me {
                    format!("(echo of my own) {}", text.unwrap_or_default())
                } else {
                    text.unwrap_or_default()
                };
                *seen.texts.entry(key).or_default() += 1;
                seen.recovered += u64::from(item.recovered);
            }
            ChatEvent::Missed(n) => {
                panic!("the test reads fast enough to miss nothing, yet missed {n}")
            }
            _ => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chats_survive_dropped_connections_without_losses_or_duplicates() {
    let started = Instant::now();
    let world = World::new(NewInbentaApp::new("app-chaos")).await;
    let mut agents = HashMap::new();
    for n in 0..CHATS {
        let agent = world
            .agent(NewInbentaAgent::new(format!("Agent{n}")).capacity(1))
            .await;
        agents.insert(id_of(&agent), agent);
    }
    let mut pairs = Vec::new();
    for n in 0..CHATS {
        let user = world.user(&format!("User{n}")).await;
        let chat = Chat::init(
            &user,
            ChatOptions::new("1").assign_max_attempts(CHATS as u32),
        )
        .await
        .unwrap();
        let agent = within("search", chat.search_agent())
            .await
            .unwrap()
            .unwrap();
        let agent_client = agents.get(&agent.id).unwrap().clone();
        let agent_chat = Chat::init(&agent_client, ChatOptions::load(chat.id()))
            .await
            .unwrap();
        pairs.push((
            Side {
                client: user,
                chat,
                name: format!("User{n}"),
            },
            Side {
                client: agent_client,
                chat: agent_chat,
                name: format!("Agent{n}"),
            },
        ));
    }

    // Everyone watches its chat from now on.
    let mut watchers = Vec::new();
    let mut seen = Vec::new();
    for (user, agent) in &pairs {
        let mut pair = Vec::new();
        for side in [user, agent] {
            let log = Arc::new(std::sync::Mutex::new(Seen::default()));
            // Events from before now (the join) are not counted: a later stream.
            let events = {
                let _first = side.chat.events();
                side.chat.events()
            };
            watchers.push(tokio::spawn(watch(
                events,
                id_of(&side.client),
                log.clone(),
            )));
            pair.push(log);
        }
        seen.push(pair);
    }

    // Chaos: some sends stored and then cut off, and every socket dropped now and then.
    world
        .sandbox
        .set_chaos(Chaos::seeded(SEED).drop_after_applying("messages:send", 0.06));
    let figures = Arc::new(Figures::default());
    let sandbox = &world.sandbox;
    let drops = AtomicU64::new(0);
    let talking = async {
        let mut all = Vec::new();
        let runs = pairs.iter().enumerate().flat_map(|(n, (user, agent))| {
            let figures = figures.clone();
            let figures2 = figures.clone();
            [
                Box::pin(async move { talk(user, SEED ^ (2 * n as u64 + 1), &figures).await })
                    as std::pin::Pin<Box<dyn std::future::Future<Output = Vec<String>> + Send>>,
                Box::pin(async move { talk(agent, SEED ^ (2 * n as u64 + 2), &figures2).await }),
            ]
        });
        for texts in futures_util::future::join_all(runs).await {
            all.push(texts);
        }
        all
    };
    let dropping = async {
        let mut rng = Rng(SEED);
        loop {
            tokio::time::sleep(rng.millis(100, 350)).await;
            sandbox.drop_connections();
            drops.fetch_add(1, Ordering::Relaxed);
        }
    };
    let sent = tokio::select! {
        sent = tokio::time::timeout(Duration::from_secs(15), talking) => sent.expect("the chats took too long"),
        () = dropping => unreachable!(),
    };
    world.sandbox.clear_chaos();

    // Let the last reconnections and catch-ups land.
    let expected_per_watcher: Vec<(usize, usize)> =
        (0..CHATS).map(|n| (2 * n, 2 * n + 1)).collect();
    let settle = Instant::now() + Duration::from_secs(5);
    loop {
        let complete = seen.iter().all(|pair| {
            pair.iter()
                .all(|log| log.lock().unwrap().texts.len() >= PER_SIDE)
        });
        if complete || Instant::now() > settle {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;

    // Stored exactly once, and seen exactly once by the other side.
    let (mut lost, mut duplicated, mut stored_total, mut recovered) = (0u64, 0u64, 0u64, 0u64);
    for (n, (user, _)) in pairs.iter().enumerate() {
        let path = format!("chats/{}/messages", user.chat.id());
        let listed = user
            .client
            .api_request(Method::GET, &path, None)
            .await
            .unwrap();
        let mut stored: HashMap<String, u32> = HashMap::new();
        for message in listed["messages"].as_array().unwrap() {
            *stored
                .entry(message["message"].as_str().unwrap().to_owned())
                .or_default() += 1;
        }
        stored_total += stored.values().map(|c| u64::from(*c)).sum::<u64>();
        let (user_texts, agent_texts) = (
            &sent[expected_per_watcher[n].0],
            &sent[expected_per_watcher[n].1],
        );
        for text in user_texts.iter().chain(agent_texts) {
            match stored.get(text).copied().unwrap_or(0) {
                0 => lost += 1,
                1 => {}
                more => duplicated += u64::from(more - 1),
            }
        }
        // The user sees the agent's messages, the agent the user's.
        for (log, expected) in [(&seen[n][0], agent_texts), (&seen[n][1], user_texts)] {
            let log = log.lock().unwrap();
            recovered += log.recovered;
            for text in expected {
                match log.texts.get(text).copied().unwrap_or(0) {
                    0 => lost += 1,
                    1 => {}
                    more => duplicated += u64::from(more - 1),
                }
            }
            let echoes: Vec<_> = log
                .texts
                .keys()
                .filter(|t| t.starts_with("(echo"))
                .collect();
            assert!(echoes.is_empty(), "own messages delivered: {echoes:?}");
            assert_eq!(
                log.texts.len(),
                expected.len(),
                "unexpected messages delivered"
            );
        }
    }
    let stats = world.sandbox.fault_stats();
    println!(
        "inbenta chaos (seed {SEED:#x}): {} messages sent, {stored_total} stored; {} socket drops \
         + {} sends dropped after applying; answered {}, resolved-found {}, resolved-resent {}, \
         failed {}; recovered {recovered}; lost {lost}; duplicated {duplicated}; {:.1} s",
        sent.iter().map(Vec::len).sum::<usize>(),
        drops.load(Ordering::Relaxed),
        stats.dropped_after_applying,
        figures.answered.load(Ordering::Relaxed),
        figures.found.load(Ordering::Relaxed),
        figures.resent.load(Ordering::Relaxed),
        figures.failed.load(Ordering::Relaxed),
        started.elapsed().as_secs_f64(),
    );
    assert_eq!((lost, duplicated), (0, 0));
    assert_eq!(stored_total, (CHATS * PER_SIDE * 2) as u64);
    for watcher in watchers {
        watcher.abort();
    }
    world.shutdown().await;
}
