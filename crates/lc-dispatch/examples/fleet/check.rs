//! Reads every chat back from the server and tallies: every customer message answered
//! exactly once, answers in the order of the messages, who answered.

use crate::Result;
use crate::customers::Chat;
use lc_agent::AgentClient;
use lc_web::WebClient;
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// One chat as the server has it.
pub(crate) struct ChatLog {
    /// The customer's messages: id and time, in thread order.
    pub(crate) messages: Vec<(String, OffsetDateTime)>,
    /// The bot's answers: the message answered, the replica, the time, in thread order.
    pub(crate) answers: Vec<(String, String, OffsetDateTime)>,
}

/// What the logs add up to.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    pub(crate) messages: usize,
    pub(crate) answered: usize,
    pub(crate) missing: usize,
    pub(crate) duplicates: usize,
    pub(crate) out_of_order: usize,
    pub(crate) by_replica: BTreeMap<String, usize>,
}

pub(crate) async fn read(admin: &AgentClient<WebClient>, chat: &Chat) -> Result<ChatLog> {
    let read = admin.get_chat(chat.id.clone()).await?;
    let events = read.thread.and_then(|t| t.events).unwrap_or_default();
    let mut log = ChatLog {
        messages: Vec::new(),
        answers: Vec::new(),
    };
    for event in &events {
        let (Some(id), Some(text), Some(at)) = (event.id(), event.text(), event.created_at())
        else {
            continue;
        };
        let at = OffsetDateTime::parse(at, &Rfc3339)?;
        if event
            .author_id()
            .is_some_and(|a| a.as_str() == chat.customer)
        {
            log.messages.push((id.to_string(), at));
        } else if let Some(of) = event.custom_id().and_then(|c| c.strip_prefix("re:")) {
            // "re TEXT (REPLICA)"
            let replica = text
                .rsplit_once(" (")
                .map_or("?", |(_, r)| r.trim_end_matches(')'));
            log.answers.push((of.to_owned(), replica.to_owned(), at));
        }
    }
    Ok(log)
}

/// Whether every message of `log` has an answer.
pub(crate) fn complete(log: &ChatLog) -> bool {
    let answered: std::collections::HashSet<&str> =
        log.answers.iter().map(|(of, _, _)| of.as_str()).collect();
    log.messages
        .iter()
        .all(|(id, _)| answered.contains(id.as_str()))
}

/// Reads the chats until every message has an answer or `within` has passed.
pub(crate) async fn wait_until_answered(
    admin: &AgentClient<WebClient>,
    chats: &[Chat],
    expected_messages: usize,
    within: Duration,
) -> Result<Vec<ChatLog>> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let mut logs = Vec::new();
        for chat in chats {
            logs.push(read(admin, chat).await?);
        }
        let done = logs
            .iter()
            .all(|log| log.messages.len() == expected_messages && complete(log));
        if done || tokio::time::Instant::now() > deadline {
            return Ok(logs);
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

pub(crate) fn tally(logs: &[ChatLog]) -> Tally {
    let mut tally = Tally::default();
    for log in logs {
        tally.messages += log.messages.len();
        let mut count: HashMap<&str, usize> = HashMap::new();
        for (of, replica, _) in &log.answers {
            *count.entry(of.as_str()).or_default() += 1;
            *tally.by_replica.entry(replica.clone()).or_default() += 1;
        }
        for (id, _) in &log.messages {
            match count.get(id.as_str()) {
                None => tally.missing += 1,
                Some(n) => {
                    tally.answered += 1;
                    tally.duplicates += n - 1;
                }
            }
        }
        // The answers, in thread order, name the messages in the order they came.
        let position: HashMap<&str, usize> = log
            .messages
            .iter()
            .enumerate()
            .map(|(i, (id, _))| (id.as_str(), i))
            .collect();
        let order: Vec<usize> = log
            .answers
            .iter()
            .filter_map(|(of, _, _)| position.get(of.as_str()).copied())
            .collect();
        tally.out_of_order += order.windows(2).filter(|w| w[1] < w[0]).count();
    }
    tally
}
