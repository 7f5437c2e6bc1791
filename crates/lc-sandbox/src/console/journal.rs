//! The console's journal: the last frames read from and written to each RTM connection
//! (requests, responses, pushes), and the Agent and Customer Web API calls (request
//! payloads and response bodies), in a bounded ring, like a requests monitor.
//!
//! It knows nothing of the state: a connection's taps give it raw frames and, for frames
//! read, who sent them; a [`WebCall`] gives it one Web call's request and response; the
//! admin API asks it for a filtered view. Tokens and secrets never enter it.

use serde::Serialize;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::SystemTime;

/// How many frames the journal keeps (the oldest go first).
pub(crate) const CAPACITY: usize = 2_000;
/// The most bytes of one frame kept (a longer frame is cut, and marked so).
pub(crate) const FRAME_BYTES: usize = 8 * 1024;
/// How many connections' users the journal remembers.
const USERS: usize = 4_096;

/// Which way a frame went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Direction {
    /// From the client to the sandbox.
    In,
    /// From the sandbox to the client.
    Out,
}

/// One journaled frame.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Entry {
    /// Its number, counting from 1 since the sandbox started.
    pub(crate) seq: u64,
    /// When it was read or queued, in milliseconds since the Unix epoch.
    pub(crate) at_ms: u64,
    /// `rtm` (a frame of an RTM connection) or `web` (a Web API call).
    pub(crate) transport: &'static str,
    /// The RTM connection (0 for a Web call).
    pub(crate) conn: u64,
    /// The user logged in on it, when known.
    pub(crate) user: Option<String>,
    pub(crate) direction: Direction,
    /// `request`, `response`, `push`, or `other` (a frame that is not JSON).
    pub(crate) kind: &'static str,
    /// The frame's `action` (empty when it has none).
    pub(crate) action: String,
    pub(crate) request_id: Option<String>,
    /// Whether a response reports success (`None` for other frames).
    pub(crate) success: Option<bool>,
    /// The frame, cut at [`FRAME_BYTES`].
    pub(crate) frame: String,
    /// Whether [`Self::frame`] was cut.
    pub(crate) truncated: bool,
}

/// What the admin API filters the journal by.
#[derive(Debug, Default, Clone)]
pub(crate) struct Filter {
    pub(crate) conn: Option<u64>,
    pub(crate) user: Option<String>,
    pub(crate) action: Option<String>,
    /// Only entries with a greater `seq` (polling for what is new).
    pub(crate) after: Option<u64>,
    /// The most entries returned (the newest ones).
    pub(crate) limit: Option<usize>,
}

#[derive(Debug, Default)]
struct Ring {
    entries: VecDeque<Entry>,
    next_seq: u64,
    users: HashMap<u64, String>,
}

impl Ring {
    /// Numbers `entry` and keeps it, the oldest entry going when the ring is full.
    fn push(&mut self, mut entry: Entry) {
        self.next_seq += 1;
        entry.seq = self.next_seq;
        if self.entries.len() >= CAPACITY {
            self.entries.pop_front();
        }
        self.entries.push_back(entry);
    }
}

/// Milliseconds since the Unix epoch.
fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// The journal, shared by every connection's tap; off when the console is.
#[derive(Debug, Default)]
pub(crate) struct Journal {
    enabled: bool,
    ring: Mutex<Ring>,
    /// Numbers the Web calls (their entries' `request_id` is `web-<n>`).
    web_calls: AtomicU64,
}

impl Journal {
    /// A journal that records (`enabled`) or ignores everything.
    pub(crate) fn new(enabled: bool) -> Self {
        Self {
            enabled,
            ring: Mutex::default(),
            web_calls: AtomicU64::new(0),
        }
    }

    /// Whether it records.
    pub(crate) fn enabled(&self) -> bool {
        self.enabled
    }

    fn ring(&self) -> MutexGuard<'_, Ring> {
        self.ring.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records `frame`, going `direction` on `conn`; `user` when the caller knows it.
    pub(crate) fn record(&self, conn: u64, user: Option<&str>, direction: Direction, frame: &str) {
        if !self.enabled {
            return;
        }
        let parsed = Parsed::of(frame, direction);
        let redacted = redact_token(frame, direction, &parsed.action);
        let (frame, truncated) = cut(redacted.as_deref().unwrap_or(frame));
        let mut ring = self.ring();
        if let Some(user) = user {
            if ring.users.len() >= USERS && !ring.users.contains_key(&conn) {
                ring.users.clear();
            }
            ring.users.insert(conn, user.to_owned());
        }
        let user = ring.users.get(&conn).cloned();
        ring.push(Entry {
            seq: 0,
            at_ms: now_ms(),
            transport: "rtm",
            conn,
            user,
            direction,
            kind: parsed.kind,
            action: parsed.action,
            request_id: parsed.request_id,
            success: parsed.success,
            frame,
            truncated,
        });
    }

    /// Starts journaling one Web call of `action` (`None` when the journal is off).
    pub(crate) fn web_call(self: &Arc<Self>, action: &str) -> Option<WebCall> {
        if !self.enabled {
            return None;
        }
        let number = self.web_calls.fetch_add(1, Ordering::Relaxed) + 1;
        Some(WebCall {
            journal: self.clone(),
            request_id: format!("web-{number}"),
            action: action.to_owned(),
            user: None,
        })
    }

    /// Remembers who is logged in on `conn` (entries recorded before are shown with it).
    pub(crate) fn learn_user(&self, conn: u64, user: &str) {
        if !self.enabled {
            return;
        }
        let mut ring = self.ring();
        if ring.users.get(&conn).is_none_or(|u| u != user) {
            if ring.users.len() >= USERS {
                ring.users.clear();
            }
            ring.users.insert(conn, user.to_owned());
        }
    }

    /// The entries matching `filter`, oldest first.
    pub(crate) fn entries(&self, filter: &Filter) -> Vec<Entry> {
        let ring = self.ring();
        let matching: Vec<Entry> = ring
            .entries
            .iter()
            .filter(|e| filter.after.is_none_or(|after| e.seq > after))
            .filter(|e| filter.conn.is_none_or(|c| e.conn == c))
            .filter(|e| filter.action.as_ref().is_none_or(|a| &e.action == a))
            .map(|e| {
                let mut e = e.clone();
                if e.user.is_none() {
                    e.user = ring.users.get(&e.conn).cloned();
                }
                e
            })
            .filter(|e| {
                filter
                    .user
                    .as_ref()
                    .is_none_or(|u| e.user.as_ref() == Some(u))
            })
            .collect();
        let limit = filter.limit.unwrap_or(CAPACITY).min(CAPACITY);
        let skip = matching.len().saturating_sub(limit);
        matching.into_iter().skip(skip).collect()
    }
}

/// A connection's tap on its outbound queue: records each frame queued for it.
#[derive(Debug, Clone)]
pub(crate) struct ConnTap {
    journal: Arc<Journal>,
    conn: u64,
}

impl ConnTap {
    /// The tap of connection `conn`.
    pub(crate) fn new(journal: Arc<Journal>, conn: u64) -> Self {
        Self { journal, conn }
    }

    /// Records a frame written to the connection.
    pub(crate) fn written(&self, frame: &str) {
        self.journal.record(self.conn, None, Direction::Out, frame);
    }
}

/// One Web API call being journaled: its request and its response share the request id
/// `web-<n>`; both are recorded with the user the call authenticated as.
#[derive(Debug)]
pub(crate) struct WebCall {
    journal: Arc<Journal>,
    request_id: String,
    action: String,
    user: Option<String>,
}

impl WebCall {
    /// Records the request: who made it (`None`: no one yet known) and its body.
    pub(crate) fn request(&mut self, user: Option<&str>, body: &str) {
        if let Some(user) = user.filter(|u| !u.is_empty()) {
            self.user = Some(user.to_owned());
        }
        self.record(Direction::In, "request", None, body);
    }

    /// Records the response: whether it succeeded, and its body.
    pub(crate) fn response(&self, success: bool, body: &str) {
        self.record(Direction::Out, "response", Some(success), body);
    }

    fn record(&self, direction: Direction, kind: &'static str, success: Option<bool>, body: &str) {
        let redacted = redact_secrets(body);
        let (frame, truncated) = cut(redacted.as_deref().unwrap_or(body));
        self.journal.ring().push(Entry {
            seq: 0,
            at_ms: now_ms(),
            transport: "web",
            conn: 0,
            user: self.user.clone(),
            direction,
            kind,
            action: self.action.clone(),
            request_id: Some(self.request_id.clone()),
            success,
            frame,
            truncated,
        });
    }
}

/// What the journal reads of a frame.
struct Parsed {
    kind: &'static str,
    action: String,
    request_id: Option<String>,
    success: Option<bool>,
}

impl Parsed {
    fn of(frame: &str, direction: Direction) -> Self {
        #[derive(serde::Deserialize)]
        struct Head {
            #[serde(default)]
            action: Option<String>,
            #[serde(default, rename = "type")]
            kind: Option<String>,
            #[serde(default)]
            request_id: Option<serde_json::Value>,
            #[serde(default)]
            success: Option<bool>,
        }
        let Ok(head) = serde_json::from_str::<Head>(frame) else {
            return Self {
                kind: "other",
                action: String::new(),
                request_id: None,
                success: None,
            };
        };
        let kind = match (direction, head.kind.as_deref()) {
            (Direction::In, _) => "request",
            (Direction::Out, Some("push")) => "push",
            (Direction::Out, Some("response")) => "response",
            (Direction::Out, _) if head.success.is_some() => "response",
            (Direction::Out, _) => "other",
        };
        let request_id = head.request_id.map(|id| match id {
            serde_json::Value::String(s) => s,
            other => other.to_string(),
        });
        Self {
            kind,
            action: head.action.unwrap_or_default(),
            request_id,
            success: (kind == "response").then_some(head.success).flatten(),
        }
    }
}

/// The actions whose request carries a token in `payload.token`.
const TOKEN_ACTIONS: &[&str] = &["login", "update_session"];

/// A request of [`TOKEN_ACTIONS`] with its token replaced by `<redacted>` (tokens are
/// never shown in the journal); `None` for other frames.
fn redact_token(frame: &str, direction: Direction, action: &str) -> Option<String> {
    if direction != Direction::In || !TOKEN_ACTIONS.contains(&action) {
        return None;
    }
    let mut value: serde_json::Value = serde_json::from_str(frame).ok()?;
    let token = value.get_mut("payload")?.get_mut("token")?;
    *token = serde_json::Value::String("<redacted>".into());
    Some(value.to_string())
}

/// Object keys whose string values are credentials.
const SECRET_KEYS: &[&str] = &[
    "token",
    "access_token",
    "refresh_token",
    "secret",
    "bot_secret",
    "client_secret",
    "pat",
    "password",
];

/// A JSON `body` with the string values of [`SECRET_KEYS`] (at any depth) replaced by
/// `<redacted>`; `None` when it is not JSON or holds none.
fn redact_secrets(body: &str) -> Option<String> {
    fn walk(value: &mut serde_json::Value) -> bool {
        match value {
            serde_json::Value::Object(map) => {
                let mut changed = false;
                for (key, value) in map.iter_mut() {
                    if value.is_string() && SECRET_KEYS.contains(&key.as_str()) {
                        *value = serde_json::Value::String("<redacted>".into());
                        changed = true;
                    } else {
                        changed |= walk(value);
                    }
                }
                changed
            }
            serde_json::Value::Array(items) => items.iter_mut().fold(false, |c, v| walk(v) | c),
            _ => false,
        }
    }
    let mut value: serde_json::Value = serde_json::from_str(body).ok()?;
    walk(&mut value).then(|| value.to_string())
}

/// `frame` cut at [`FRAME_BYTES`] (on a character boundary), and whether it was.
fn cut(frame: &str) -> (String, bool) {
    if frame.len() <= FRAME_BYTES {
        return (frame.to_owned(), false);
    }
    let mut end = FRAME_BYTES;
    while !frame.is_char_boundary(end) {
        end -= 1;
    }
    (frame[..end].to_owned(), true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ring_keeps_the_newest_entries_and_filters_them() {
        let journal = Journal::new(true);
        for i in 0..(CAPACITY + 5) {
            let action = if i % 2 == 0 { "ping" } else { "send_event" };
            let frame = format!(r#"{{"request_id":"{i}","action":"{action}","payload":{{}}}}"#);
            journal.record(1 + (i as u64 % 3), None, Direction::In, &frame);
        }
        let all = journal.entries(&Filter::default());
        assert_eq!(all.len(), CAPACITY);
        assert_eq!(all[0].seq, 6, "the five oldest are gone");
        let pings = journal.entries(&Filter {
            action: Some("ping".into()),
            conn: Some(1),
            limit: Some(3),
            ..Filter::default()
        });
        assert_eq!(pings.len(), 3);
        assert!(pings.iter().all(|e| e.action == "ping" && e.conn == 1));
        assert!(pings[0].seq < pings[2].seq);
    }

    #[test]
    fn frames_are_classified_and_cut_and_users_are_learned() {
        let journal = Journal::new(true);
        journal.record(
            7,
            None,
            Direction::Out,
            r#"{"type":"push","action":"incoming_event","payload":{}}"#,
        );
        journal.record(
            7,
            None,
            Direction::Out,
            r#"{"request_id":"1","action":"login","type":"response","success":true,"payload":{}}"#,
        );
        journal.record(7, None, Direction::Out, &"x".repeat(FRAME_BYTES + 10));
        journal.learn_user(7, "smith@example.com");
        let entries = journal.entries(&Filter {
            user: Some("smith@example.com".into()),
            ..Filter::default()
        });
        let kinds: Vec<_> = entries.iter().map(|e| e.kind).collect();
        assert_eq!(kinds, ["push", "response", "other"]);
        assert_eq!(entries[1].success, Some(true));
        assert_eq!(entries[1].request_id.as_deref(), Some("1"));
        assert!(entries[2].truncated && entries[2].frame.len() == FRAME_BYTES);
    }

    #[test]
    fn login_tokens_are_redacted() {
        let journal = Journal::new(true);
        let login =
            r#"{"request_id":"1","action":"login","payload":{"token":"Bearer dal:secret"}}"#;
        journal.record(1, None, Direction::In, login);
        let entries = journal.entries(&Filter::default());
        assert!(
            !entries[0].frame.contains("dal:secret"),
            "{}",
            entries[0].frame
        );
        assert!(entries[0].frame.contains("<redacted>"));
        assert_eq!(entries[0].action, "login");
    }

    #[test]
    fn web_calls_pair_their_request_and_response_and_hide_secrets() {
        let journal = Arc::new(Journal::new(true));
        let mut call = journal.web_call("list_chats").unwrap();
        call.request(Some("smith@example.com"), r#"{"filters":{"token":"t0p"}}"#);
        call.response(true, r#"{"chats_summary":[],"nested":[{"secret":"s3"}]}"#);
        let entries = journal.entries(&Filter::default());
        assert_eq!(entries.len(), 2);
        assert!(entries.iter().all(|e| e.transport == "web"
            && e.request_id.as_deref() == Some("web-1")
            && e.user.as_deref() == Some("smith@example.com")
            && e.action == "list_chats"));
        assert_eq!((entries[0].kind, entries[1].kind), ("request", "response"));
        assert_eq!(entries[1].success, Some(true));
        assert!(!entries[0].frame.contains("t0p") && !entries[1].frame.contains("s3"));
        assert!(entries[1].frame.contains("<redacted>"));
        let next = journal.web_call("get_chat").unwrap();
        next.response(false, "not json");
        let last = journal.entries(&Filter::default()).pop().unwrap();
        assert_eq!(last.request_id.as_deref(), Some("web-2"));
        assert_eq!(
            (last.frame.as_str(), last.success),
            ("not json", Some(false))
        );
        assert!(Arc::new(Journal::new(false)).web_call("x").is_none());
    }

    #[test]
    fn a_disabled_journal_records_nothing() {
        let journal = Journal::new(false);
        journal.record(1, Some("u"), Direction::In, "{}");
        assert!(journal.entries(&Filter::default()).is_empty());
    }
}
