//! The pagination cursors the sandbox has handed out (`page_id`s), bounded: a cursor
//! lives as long as the service documents (a month), and past [`MAX_CURSORS`] the
//! oldest are forgotten (then a `page_id` is `validation`, as an expired one is).

use crate::principal::Principal;
use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

/// How long a `page_id` stays valid.
pub(crate) const LIFETIME: Duration = Duration::from_secs(30 * 24 * 60 * 60);
/// The most cursors kept.
pub(crate) const MAX_CURSORS: usize = 100_000;

/// What a pagination cursor remembers.
#[derive(Debug, Clone)]
pub(crate) struct Cursor {
    /// The action and requester it belongs to.
    pub(crate) owner: (String, Principal),
    /// The filters of the first request, as JSON.
    pub(crate) query: serde_json::Value,
    pub(crate) offset: usize,
}

/// The cursors by `page_id`, oldest first.
#[derive(Debug, Default)]
pub(crate) struct Cursors {
    by_id: HashMap<String, (Instant, Cursor)>,
    order: VecDeque<String>,
}

impl Cursors {
    /// Keeps `cursor` under `id`, forgetting the oldest past the bound.
    pub(crate) fn insert(&mut self, id: String, cursor: Cursor, now: Instant) {
        while self.order.len() >= MAX_CURSORS {
            if let Some(old) = self.order.pop_front() {
                self.by_id.remove(&old);
            }
        }
        while let Some(old) = self.order.front() {
            let expired = self
                .by_id
                .get(old)
                .is_none_or(|(at, _)| now.saturating_duration_since(*at) >= LIFETIME);
            if !expired {
                break;
            }
            if let Some(old) = self.order.pop_front() {
                self.by_id.remove(&old);
            }
        }
        self.order.push_back(id.clone());
        self.by_id.insert(id, (now, cursor));
    }

    /// The cursor `id`, unless it expired by `now`.
    pub(crate) fn get(&self, id: &str, now: Instant) -> Option<&Cursor> {
        let (at, cursor) = self.by_id.get(id)?;
        (now.saturating_duration_since(*at) < LIFETIME).then_some(cursor)
    }

    /// How many cursors are kept.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.by_id.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lc_protocol::id::AgentId;

    fn cursor() -> Cursor {
        Cursor {
            owner: ("list_chats".into(), Principal::Agent(AgentId::new("a"))),
            query: serde_json::Value::Null,
            offset: 10,
        }
    }

    #[test]
    fn a_cursor_expires_after_a_month() {
        let mut cursors = Cursors::default();
        let start = Instant::now();
        cursors.insert("p1".into(), cursor(), start);
        assert!(cursors.get("p1", start + LIFETIME / 2).is_some());
        assert!(cursors.get("p1", start + LIFETIME).is_none());
        cursors.insert("p2".into(), cursor(), start + LIFETIME);
        assert_eq!(cursors.len(), 1, "the expired one was dropped");
    }

    #[test]
    fn past_the_bound_the_oldest_cursors_are_forgotten() {
        let mut cursors = Cursors::default();
        let now = Instant::now();
        for n in 0..MAX_CURSORS + 3 {
            cursors.insert(n.to_string(), cursor(), now);
        }
        assert_eq!(cursors.len(), MAX_CURSORS);
        assert!(cursors.get("2", now).is_none());
        assert!(cursors.get("3", now).is_some());
    }
}
