//! The run: set-up, the exchange under faults, the settling, the audit.

use crate::config::Config;
use crate::ledger::{ANSWER, Ledger, Outcome, Side};
use crate::report::{Observed, Report};
use crate::rng::Rng;
use futures_util::StreamExt;
use futures_util::future::join_all;
use lc_agent::{AgentClient, AgentEvent};
use lc_customer::{CustomerClient, CustomerConfig, CustomerEvent, EventStream};
use lc_protocol::Error;
use lc_protocol::agent::AgentPush;
use lc_protocol::customer::CustomerPush;
use lc_protocol::id::ChatId;
use lc_protocol::send_once::{ResolvePolicy, resolution_stats};
use lc_protocol::types::{Chat, Event};
use lc_rtm::{AgentSession, RtmClient, RtmConfig, RtmEvent};
use lc_sandbox::{Chaos, NewAgent, NewCustomer, Sandbox};
use lc_web::{WebClient, WebConfig};
use std::collections::HashMap;
use std::future::IntoFuture;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// How an agent sends its answers.
enum Sender {
    Rtm(AgentClient<RtmClient<AgentSession>>),
    Web(AgentClient<WebClient>),
}

impl Sender {
    async fn send(&self, chat: ChatId, text: String, policy: ResolvePolicy) -> Result<(), Error> {
        let event = Event::message(text);
        match self {
            Sender::Rtm(client) => client
                .send_event(chat, event)
                .resolve_policy(policy)
                .await
                .map(drop),
            Sender::Web(client) => client
                .send_event(chat, event)
                .resolve_policy(policy)
                .await
                .map(drop),
        }
    }
}

/// Runs the scenario and reports what was stored and seen. `Err` only when the set-up
/// failed (the sandbox did not start, agents could not log in, chats could not start).
///
/// # Errors
/// A message saying which step of the set-up failed.
pub async fn run(config: Config) -> Result<Report, String> {
    let started = Instant::now();
    let deadline = started + config.bound;
    let resolutions_before = resolution_stats();
    let sandbox = Sandbox::builder()
        .request_timeout(config.request_timeout)
        .start()
        .await
        .map_err(|e| format!("the sandbox did not start: {e}"))?;
    let ledger = Arc::new(Ledger::default());
    let policy = ResolvePolicy::default().server_deadline(config.request_timeout);
    let (ws, http) = (sandbox.ws_url(), sandbox.http_url());
    let mut tasks: Vec<JoinHandle<()>> = Vec::new();

    // Agents: RTM for routing and pushes, some sending over Web.
    let mut agents = Vec::new();
    for n in 0..config.agents {
        let handle = sandbox.create_agent(NewAgent::new(format!("agent{n}@chaos.test")));
        let rtm = AgentClient::connect_rtm(
            AgentSession::agent().base_url(ws.clone()),
            handle.token.clone(),
            RtmConfig::default(),
        );
        let pushes = rtm.events();
        let sender = if n < config.web_agents {
            Sender::Web(AgentClient::connect_web(
                AgentSession::agent().base_url(http.clone()),
                handle.token.clone(),
                WebConfig::default(),
            ))
        } else {
            Sender::Rtm(rtm.clone())
        };
        tasks.push(tokio::spawn(agent_loop(
            handle.id.to_string(),
            pushes,
            Arc::new(sender),
            ledger.clone(),
            policy,
        )));
        agents.push(rtm);
    }
    for (n, agent) in agents.iter().enumerate() {
        within(deadline, agent.list_routing_statuses())
            .await
            .map_err(|e| format!("agent {n} did not log in: {e}"))?;
    }

    // Customers: each connects and starts a chat, routed to an agent.
    let customer_config =
        CustomerConfig::new(sandbox.organization_id()).base_urls(ws.clone(), http.clone());
    let mut customers = Vec::new();
    for n in 0..config.customers {
        let handle = sandbox.create_customer(NewCustomer::new().name(format!("Customer {n}")));
        let client = CustomerClient::connect(customer_config.clone(), handle.token.clone());
        let events = client.events();
        tasks.push(tokio::spawn(customer_loop(
            handle.id.to_string(),
            events,
            ledger.clone(),
        )));
        customers.push(client);
    }
    let started_chats: Vec<Result<ChatId, Error>> = futures_util::stream::iter(&customers)
        .map(|client| async move { client.start_chat().await.map(|r| r.chat_id) })
        .buffered(50)
        .collect()
        .await;
    let mut chats = Vec::new();
    for (n, chat) in started_chats.into_iter().enumerate() {
        chats.push(chat.map_err(|e| format!("customer {n} could not start a chat: {e}"))?);
    }

    // Faults from now on; every connection is dropped so that each draws its limits
    // when it logs in again.
    let mut forced_drops = 0;
    if let Some(faults) = &config.faults {
        sandbox.set_chaos(
            Chaos::seeded(config.seed)
                .drop_after_applying("send_event", faults.send_drop)
                .drop_after_frames(faults.frames.clone())
                .drop_after_lifetime(faults.lifetime.clone()),
        );
        sandbox.drop_connections();
        forced_drops += 1;
    }

    // The exchange: every customer sends its messages, one after the other.
    let sends: Vec<JoinHandle<()>> = customers
        .iter()
        .zip(&chats)
        .enumerate()
        .map(|(n, (client, chat))| {
            let (client, chat, ledger) = (client.clone(), chat.clone(), ledger.clone());
            let mut rng =
                Rng::new(config.seed ^ (n as u64 + 1).wrapping_mul(0x2545_f491_4f6c_dd1d));
            let (messages, pause) = (config.messages, config.pause_ms.clone());
            tokio::spawn(async move {
                for i in 0..messages {
                    tokio::time::sleep(rng.millis(*pause.start(), *pause.end())).await;
                    let text = format!("c{n}.{i}");
                    let result = client
                        .send_event(chat.clone(), Event::message(text.clone()))
                        .resolve_policy(policy)
                        .await;
                    ledger.sent(Side::Customer, chat.as_str(), &text, Outcome::of(&result));
                }
            })
        })
        .collect();
    let aborts: Vec<_> = sends.iter().map(JoinHandle::abort_handle).collect();
    let customer_total = (config.customers * config.messages) as u64;
    let send_deadline = deadline - config.quiet.min(config.bound / 4);
    let mut outage_due = config.faults.as_ref().map(|f| f.refuse_logins);
    let all_sent = join_all(sends);
    tokio::pin!(all_sent);
    let sends_finished = loop {
        tokio::select! {
            _ = &mut all_sent => break true,
            () = tokio::time::sleep_until(send_deadline) => break false,
            () = tokio::time::sleep(Duration::from_millis(50)), if outage_due.is_some() => {
                let done = ledger.counters.customer_sends_done.load(Ordering::Relaxed);
                if 2 * done >= customer_total {
                    if let Some(refusal) = outage_due.take() {
                        sandbox.drop_connections();
                        sandbox.refuse_logins_for(refusal);
                        forced_drops += 1;
                    }
                }
            }
        }
    };
    if !sends_finished {
        for abort in &aborts {
            abort.abort();
        }
    }
    // No new faults from here; limits already drawn still apply.
    sandbox.clear_chaos();
    sandbox.refuse_logins_for(Duration::ZERO);

    // Settling: until every stored message was seen and answered, or nothing new has
    // arrived for `quiet`, or the bound.
    let progress = |ledger: &Ledger| {
        let c = &ledger.counters;
        c.sightings.load(Ordering::Relaxed) + c.answers_done.load(Ordering::Relaxed)
    };
    let complete = |ledger: &Ledger| {
        let c = &ledger.counters;
        let (by_agents, by_customers) = ledger.distinct_seen();
        let answers_started = c.answers_started.load(Ordering::Relaxed);
        answers_started == c.answers_done.load(Ordering::Relaxed)
            && by_agents >= c.customer_sends_stored.load(Ordering::Relaxed)
            && by_customers >= c.answers_stored.load(Ordering::Relaxed)
    };
    let mut last = progress(&ledger);
    let mut last_change = Instant::now();
    let settled = loop {
        if complete(&ledger) {
            break true;
        }
        if Instant::now() >= deadline || last_change.elapsed() >= config.quiet {
            break false;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        let now = progress(&ledger);
        if now != last {
            last = now;
            last_change = Instant::now();
        }
    };
    if settled {
        // Late duplicates, if any, get a moment to show up.
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    // The audit: every chat read back over Web by an agent who took no part.
    let auditor = sandbox.create_agent(NewAgent::new("auditor@chaos.test"));
    let auditor = AgentClient::connect_web(
        AgentSession::agent().base_url(http.clone()),
        auditor.token.clone(),
        WebConfig::default(),
    );
    let mut stored: HashMap<String, u32> = HashMap::new();
    let mut audit_errors = Vec::new();
    for chat in &chats {
        match auditor.list_threads(chat.clone()).limit(100).await {
            Ok(response) => {
                if response.found_threads > response.threads.len() as u64 {
                    audit_errors.push(format!(
                        "chat {chat}: {} threads, {} read",
                        response.found_threads,
                        response.threads.len()
                    ));
                }
                for event in response
                    .threads
                    .iter()
                    .flat_map(|t| t.events.iter().flatten())
                {
                    if let Some(text) = event.text() {
                        *stored.entry(text.to_owned()).or_default() += 1;
                    }
                }
            }
            Err(error) => audit_errors.push(format!("chat {chat}: {error}")),
        }
    }

    let counters = &ledger.counters;
    let resolutions = resolution_stats();
    let observed = Observed {
        book: ledger.snapshot(),
        stored,
        chats: chats.iter().map(ToString::to_string).collect(),
        fault_stats: sandbox.fault_stats(),
        forced_drops,
        ambiguous: resolutions.ambiguous - resolutions_before.ambiguous,
        found_stored: resolutions.found_stored - resolutions_before.found_stored,
        resent: resolutions.resent - resolutions_before.resent,
        unresolved: resolutions.unresolved - resolutions_before.unresolved,
        agent_logins: counters.agent_logins.load(Ordering::Relaxed),
        offline_ms: [
            counters.agent_offline_ms.0.load(Ordering::Relaxed),
            counters.agent_offline_ms.1.load(Ordering::Relaxed),
            counters.customer_offline_ms.0.load(Ordering::Relaxed),
            counters.customer_offline_ms.1.load(Ordering::Relaxed),
        ],
        customer_logins: counters.customer_logins.load(Ordering::Relaxed),
        missed: counters.agent_missed.load(Ordering::Relaxed)
            + counters.customer_missed.load(Ordering::Relaxed),
        catch_up_failed: counters.catch_up_failed.load(Ordering::Relaxed),
        via_chat: counters.via_chat.load(Ordering::Relaxed),
        sends_finished,
        settled,
        audit_errors,
        wall: started.elapsed(),
    };
    let report = Report::new(&config, observed);

    for task in &tasks {
        task.abort();
    }
    for customer in &customers {
        customer.destroy();
    }
    for agent in &agents {
        agent.transport().close();
    }
    let _ = tokio::time::timeout(Duration::from_secs(10), sandbox.shutdown()).await;
    Ok(report)
}

/// `future`, or an error at `deadline`.
async fn within<T>(
    deadline: Instant,
    future: impl IntoFuture<Output = Result<T, Error>>,
) -> Result<T, String> {
    match tokio::time::timeout_at(deadline, future).await {
        Ok(result) => result.map_err(|e| e.to_string()),
        Err(_) => Err("the run's time bound passed".to_owned()),
    }
}

/// An agent app: books every customer message it is given (live or recovered) and
/// answers it, once per delivery.
async fn agent_loop(
    me: String,
    mut pushes: EventStream<AgentEvent>,
    sender: Arc<Sender>,
    ledger: Arc<Ledger>,
    policy: ResolvePolicy,
) {
    let mut down_since = None;
    let mut backlog = std::collections::VecDeque::new();
    loop {
        let item = match backlog.pop_front() {
            Some(item) => item,
            None => match pushes.next().await {
                Some(item) => item,
                None => break,
            },
        };
        let (push, recovered) = match item {
            RtmEvent::Push { push, .. } => (push, false),
            RtmEvent::Recovered { push } => (push, true),
            RtmEvent::Connected => {
                ledger.counters.agent_logins.fetch_add(1, Ordering::Relaxed);
                if let Some(since) = down_since.take() {
                    ledger.counters.offline(Side::Agent, Instant::now() - since);
                }
                continue;
            }
            RtmEvent::Disconnected { .. } => {
                down_since.get_or_insert_with(Instant::now);
                continue;
            }
            RtmEvent::Missed(n) => {
                // Fell behind: what an app does, read what was missed from the server.
                ledger.counters.agent_missed.fetch_add(n, Ordering::Relaxed);
                match pushes.catch_up().await {
                    Ok(recovered) => backlog.extend(recovered),
                    Err(_) => {
                        ledger
                            .counters
                            .catch_up_failed
                            .fetch_add(1, Ordering::Relaxed);
                    }
                }
                continue;
            }
            _ => continue,
        };
        let messages = match push {
            AgentPush::IncomingEvent(incoming) => vec![(incoming.chat_id, incoming.event)],
            // A chat comes with the events of its thread (a recovered one with those
            // sent while the agent was away).
            AgentPush::IncomingChat(incoming) => thread_events(incoming.chat, &ledger),
            _ => continue,
        };
        for (chat, event) in messages {
            let Some(text) = event.text() else {
                continue;
            };
            if event.author_id().map(|a| a.as_str()) == Some(me.as_str()) {
                continue; // its own answer, echoed
            }
            ledger.saw(Side::Agent, &me, text, recovered);
            ledger
                .counters
                .answers_started
                .fetch_add(1, Ordering::Relaxed);
            let answer = format!("{ANSWER}{text}");
            let (sender, ledger) = (sender.clone(), ledger.clone());
            tokio::spawn(async move {
                let result = sender.send(chat.clone(), answer.clone(), policy).await;
                ledger.sent(Side::Agent, chat.as_str(), &answer, Outcome::of(&result));
            });
        }
    }
}

/// The events of a chat's thread, each with the chat's id.
fn thread_events(chat: Chat, ledger: &Ledger) -> Vec<(ChatId, Event)> {
    let id = chat.id;
    let events: Vec<(ChatId, Event)> = chat
        .thread
        .into_iter()
        .flat_map(|thread| thread.events.into_iter().flatten())
        .map(|event| (id.clone(), event))
        .collect();
    let messages = events.iter().filter(|(_, e)| e.text().is_some()).count();
    ledger
        .counters
        .via_chat
        .fetch_add(messages as u64, Ordering::Relaxed);
    events
}

/// A customer app's listener: books every agent message it is given.
async fn customer_loop(me: String, mut events: EventStream<CustomerEvent>, ledger: Arc<Ledger>) {
    let mut down_since = None;
    while let Some(event) = events.next().await {
        let (push, recovered) = match event {
            CustomerEvent::Push(push) => (push, false),
            CustomerEvent::Recovered(push) => (push, true),
            CustomerEvent::Connected(_) => {
                ledger
                    .counters
                    .customer_logins
                    .fetch_add(1, Ordering::Relaxed);
                if let Some(since) = down_since.take() {
                    ledger
                        .counters
                        .offline(Side::Customer, Instant::now() - since);
                }
                continue;
            }
            CustomerEvent::Disconnected(_) => {
                down_since.get_or_insert_with(Instant::now);
                continue;
            }
            CustomerEvent::Missed(n) => {
                ledger
                    .counters
                    .customer_missed
                    .fetch_add(n, Ordering::Relaxed);
                continue;
            }
            _ => continue,
        };
        let messages = match push {
            CustomerPush::IncomingEvent(incoming) => vec![(incoming.chat_id, incoming.event)],
            CustomerPush::IncomingChat(incoming) => thread_events(incoming.chat, &ledger),
            _ => continue,
        };
        for (_, event) in messages {
            let Some(text) = event.text() else {
                continue;
            };
            if event.author_id().map(|a| a.as_str()) == Some(me.as_str()) {
                continue; // its own message, echoed
            }
            ledger.saw(Side::Customer, &me, text, recovered);
        }
    }
}
