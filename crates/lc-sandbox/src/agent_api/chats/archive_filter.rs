//! The `list_archives` filters: checked once, then matched against (chat, thread) entries.

use super::filters::{
    SetFilter, TimeRange, at_most, check_property_filters, groups_overlap, properties_match,
    set_matches,
};
use super::lifecycle::chat_agents;
use crate::handler::invalid;
use crate::state::{ChatRec, State, ThreadRec};
use lc_protocol::agent;
use lc_protocol::error::ApiError;
use lc_protocol::id::{AgentId, GroupId};
use lc_protocol::types::Event;

/// `list_archives` filters, checked, ready to match (chat, thread) entries.
///
/// [I] The sandbox records no sales, goals, greetings, surveys or forms: filters on them
/// match only when they ask for absence (`exists: false`) or exclusion. `properties` look
/// at the thread's properties, then at the chat's. `agents` are the chat's agents and the
/// agents who wrote in the thread; `agent_response` looks at the agents' messages.
pub(super) struct ArchiveFilter<'f> {
    filters: &'f agent::ListArchivesFilters,
    range: TimeRange,
    /// The words of `query`: each must occur (ignoring case) in a message of the thread.
    pub(super) terms: Vec<&'f str>,
}

impl<'f> ArchiveFilter<'f> {
    /// Checks `filters` (`validation` for a bad one).
    pub(super) fn new(filters: &'f agent::ListArchivesFilters) -> Result<Self, ApiError> {
        at_most("chat_ids", filters.chat_ids.as_ref(), 1000)?;
        at_most("thread_ids", filters.thread_ids.as_ref(), 20)?;
        at_most("group_ids", filters.group_ids.as_ref(), 200)?;
        if filters.thread_ids.is_some() {
            let others = agent::ListArchivesFilters {
                thread_ids: None,
                ..filters.clone()
            };
            if others != agent::ListArchivesFilters::default() {
                return Err(invalid(
                    "`filters.thread_ids` cannot be combined with other filters",
                ));
            }
        }
        check_property_filters(filters.properties.as_ref())?;
        let strings = [
            ("agents", &filters.agents),
            ("tags", &filters.tags),
            ("customer_countries", &filters.customer_countries),
        ];
        for (what, filter) in strings {
            if let Some(filter) = filter {
                SetFilter::<String>::from(filter).check(what)?;
            }
        }
        for (what, filter) in [("sales", &filters.sales), ("goals", &filters.goals)] {
            if let Some(filter) = filter {
                SetFilter::<i64>::from(filter).check(what)?;
            }
        }
        if let Some(filter) = &filters.event_types {
            SetFilter::<String>::from(filter).check("event_types")?;
        }
        Ok(Self {
            filters,
            range: TimeRange::parse(filters.from.as_deref(), filters.to.as_deref())?,
            terms: filters
                .query
                .as_deref()
                .unwrap_or_default()
                .split_whitespace()
                .collect(),
        })
    }

    /// Whether the entry (`chat`, `thread`) passes every filter.
    pub(super) fn matches(&self, state: &State, chat: &ChatRec, thread: &ThreadRec) -> bool {
        self.matches_ids(chat, thread)
            && self.matches_content(chat, thread)
            && self.matches_people(state, chat, thread)
            && self.matches_unrecorded()
    }

    /// Chat, thread and group ids.
    fn matches_ids(&self, chat: &ChatRec, thread: &ThreadRec) -> bool {
        let f = self.filters;
        f.chat_ids.as_ref().is_none_or(|ids| ids.contains(&chat.id))
            && f.thread_ids
                .as_ref()
                .is_none_or(|ids| ids.contains(&thread.id))
            && groups_overlap(f.group_ids.as_deref(), &thread.access)
    }

    /// Time, text, properties, tags and event types.
    fn matches_content(&self, chat: &ChatRec, thread: &ThreadRec) -> bool {
        let f = self.filters;
        let kinds = || thread.events.iter().map(|e| e.kind().to_owned()).collect();
        self.range.contains(&thread.created_at)
            && self.terms.iter().all(|term| {
                thread
                    .events
                    .iter()
                    .filter_map(message_text)
                    .any(|text| find_term(text, term).is_some())
            })
            && properties_match(f.properties.as_ref(), |namespace, name| {
                thread
                    .properties
                    .get(namespace, name)
                    .or_else(|| chat.properties.get(namespace, name))
            })
            && set_matches(f.tags.as_ref(), || thread.tags.clone())
            && set_matches(f.event_types.as_ref(), kinds)
            && f.events
                .as_ref()
                .and_then(|e| e.types.as_ref())
                .is_none_or(|types| {
                    thread
                        .events
                        .iter()
                        .any(|e| types.iter().any(|t| t == e.kind()))
                })
    }

    /// Agents, the customer and its country.
    fn matches_people(&self, state: &State, chat: &ChatRec, thread: &ThreadRec) -> bool {
        let f = self.filters;
        let agents = thread_agents(state, chat, thread);
        let customer = chat.customer().and_then(|id| state.customers.get(id));
        let email = customer.and_then(|c| c.profile.email.as_deref());
        let country = || {
            customer
                .and_then(|c| c.profile.visit.as_ref().or(c.profile.last_visit.as_ref()))
                .and_then(|v| v.geolocation.as_ref())
                .and_then(|g| g.country_code.clone())
                .into_iter()
                .collect()
        };
        set_matches(f.agents.as_ref(), || {
            agents.iter().map(ToString::to_string).collect()
        }) && f
            .customer_id
            .as_ref()
            .is_none_or(|id| chat.customer() == Some(id))
            && f.customer_email
                .as_deref()
                .is_none_or(|wanted| email.is_some_and(|e| e.eq_ignore_ascii_case(wanted)))
            && set_matches(f.customer_countries.as_ref(), country)
            && agent_types_match(state, f.agent_types.as_ref(), &agents)
            && agent_response_matches(state, f.agent_response.as_ref(), thread)
    }

    /// Sales, goals, greetings, surveys and forms, which the sandbox never records.
    fn matches_unrecorded(&self) -> bool {
        let f = self.filters;
        let asks_presence = |exists: Option<bool>, values: bool| exists == Some(true) || values;
        set_matches(f.sales.as_ref(), Vec::<i64>::new)
            && set_matches(f.goals.as_ref(), Vec::<i64>::new)
            && f.greetings
                .as_ref()
                .is_none_or(|g| !asks_presence(g.exists, g.values.is_some()))
            && [&f.surveys, &f.forms]
                .into_iter()
                .flatten()
                .flatten()
                .all(|s| !asks_presence(s.exists, s.values.is_some() || s.answer_id.is_some()))
    }
}

/// The text of a `message` event.
fn message_text(event: &Event) -> Option<&str> {
    match event {
        Event::Message(message) => message.text.as_deref(),
        _ => None,
    }
}

/// The agents of an entry: the chat's agents and the agents who wrote in the thread.
fn thread_agents(state: &State, chat: &ChatRec, thread: &ThreadRec) -> Vec<AgentId> {
    let mut agents = chat_agents(chat);
    let authors = thread
        .events
        .iter()
        .filter_map(Event::author_id)
        .map(|id| AgentId::new(id.as_str()));
    for author in authors {
        if state.agents.contains_key(&author) && !agents.contains(&author) {
            agents.push(author);
        }
    }
    agents
}

/// The 3.6 `agent_types` filter: `human` agents and `chatbot`s ([I] no `ai_agent`s).
fn agent_types_match(
    state: &State,
    filter: Option<&agent::ListArchivesAgentTypesFilter>,
    agents: &[AgentId],
) -> bool {
    let Some(filter) = filter else {
        return true;
    };
    let is_bot = |id: &AgentId| {
        state
            .agents
            .get(id)
            .is_some_and(|a| a.profile.is_bot.unwrap_or(false))
    };
    let present = |kind: &agent::ListArchivesAgentType| match kind {
        agent::ListArchivesAgentType::Human => agents.iter().any(|a| !is_bot(a)),
        agent::ListArchivesAgentType::Chatbot => agents.iter().any(is_bot),
        _ => false,
    };
    filter
        .all_values
        .as_ref()
        .is_none_or(|k| k.iter().all(present))
        && filter
            .any_values
            .as_ref()
            .is_none_or(|k| k.iter().any(present))
        && filter
            .exclude_values
            .as_ref()
            .is_none_or(|k| !k.iter().any(present))
}

/// The `agent_response` filter: the agents' messages in the thread (only the first one
/// with `first`).
fn agent_response_matches(
    state: &State,
    filter: Option<&agent::ListArchivesAgentResponseFilter>,
    thread: &ThreadRec,
) -> bool {
    let Some(filter) = filter else {
        return true;
    };
    let mut responders: Vec<AgentId> = thread
        .events
        .iter()
        .filter(|e| matches!(e, Event::Message(_)))
        .filter_map(Event::author_id)
        .map(|id| AgentId::new(id.as_str()))
        .filter(|id| state.agents.contains_key(id))
        .collect();
    if filter.first == Some(true) {
        responders.truncate(1);
    }
    let groups: Vec<GroupId> = responders
        .iter()
        .filter_map(|id| state.agents.get(id))
        .flat_map(|a| a.groups.iter().copied())
        .collect();
    filter.exists.is_none_or(|e| responders.is_empty() != e)
        && filter
            .agents
            .as_ref()
            .is_none_or(|a| ids_match(a.values.as_ref(), a.exclude_values.as_ref(), &responders))
        && filter
            .groups
            .as_ref()
            .is_none_or(|g| ids_match(g.values.as_ref(), g.exclude_values.as_ref(), &groups))
}

/// Whether `values` (when given) names one of `have` and `excluded` (when given) none.
fn ids_match<T: PartialEq>(values: Option<&Vec<T>>, excluded: Option<&Vec<T>>, have: &[T]) -> bool {
    values.is_none_or(|v| v.iter().any(|x| have.contains(x)))
        && excluded.is_none_or(|x| !x.iter().any(|e| have.contains(e)))
}

/// The byte length of the match of `term` at the start of `text`, ignoring case.
pub(super) fn match_len(text: &str, term: &str) -> Option<usize> {
    let mut chars = text.char_indices();
    let mut end = 0;
    for wanted in term.chars() {
        let (at, c) = chars.next()?;
        if !(c == wanted || c.to_lowercase().eq(wanted.to_lowercase())) {
            return None;
        }
        end = at + c.len_utf8();
    }
    (end > 0).then_some(end)
}

/// The byte offset of the first match of `term` in `text`, ignoring case.
fn find_term(text: &str, term: &str) -> Option<usize> {
    text.char_indices()
        .map(|(at, _)| at)
        .find(|at| match_len(&text[*at..], term).is_some())
}
