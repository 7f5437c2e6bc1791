//! [`ChatOptions`]: what `Chat::init` creates or loads, and how agents are searched.

use lc_protocol::inbenta::HistoryEntry;
use serde_json::Value;
use std::time::Duration;

/// Inbenta's default chat source.
pub const DEFAULT_SOURCE: u32 = 3;

/// What [`Chat::init`](crate::Chat::init) does: create a chat in a room
/// ([`new`](ChatOptions::new)) or load one by id ([`load`](ChatOptions::load)); the JS
/// `init(options, config, historyWatch)` in one struct.
///
/// ```
/// use lc_inbenta::ChatOptions;
/// use std::time::Duration;
///
/// let create = ChatOptions::new("1")
///     .lang("en")
///     .source("web")
///     .assign_max_attempts(3)
///     .assign_timeout(20);
/// assert_eq!(create.search_timeout(), Duration::from_secs(3 * 20 + 15));
/// let load = ChatOptions::load("c1").history_watch(true);
/// # let _ = load;
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ChatOptions {
    pub(crate) target: Target,
    pub(crate) lang: Option<String>,
    pub(crate) source: Value,
    pub(crate) external_id: Option<String>,
    pub(crate) history: Option<Vec<HistoryEntry>>,
    pub(crate) assign_max_attempts: Option<u32>,
    pub(crate) assign_timeout: Option<u32>,
    pub(crate) history_watch: bool,
    pub(crate) search_timeout: Option<Duration>,
    pub(crate) resolve_within: Duration,
}

/// Create or load.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Target {
    Create { room: String },
    Load { id: String },
}

impl ChatOptions {
    /// Creates a chat in `room` (the queue id) with `chats:create`.
    pub fn new(room: impl Into<String>) -> Self {
        Self::with(Target::Create { room: room.into() })
    }

    /// Loads the existing chat `id` with `chats:get` (the JS `init({id})`).
    pub fn load(id: impl Into<String>) -> Self {
        Self::with(Target::Load { id: id.into() })
    }

    fn with(target: Target) -> Self {
        Self {
            target,
            lang: None,
            source: Value::from(DEFAULT_SOURCE),
            external_id: None,
            history: None,
            assign_max_attempts: None,
            assign_timeout: None,
            history_watch: false,
            search_timeout: None,
            resolve_within: super::send::DEFAULT_RESOLVE_WITHIN,
        }
    }

    /// The language of a new chat.
    #[must_use]
    pub fn lang(mut self, lang: impl Into<String>) -> Self {
        self.lang = Some(lang.into());
        self
    }

    /// The source of a new chat: a number or a string (default 3, Inbenta's default).
    #[must_use]
    pub fn source(mut self, source: impl Into<Value>) -> Self {
        self.source = source.into();
        self
    }

    /// Your own id of a new chat.
    #[must_use]
    pub fn external_id(mut self, id: impl Into<String>) -> Self {
        self.external_id = Some(id.into());
        self
    }

    /// History to import into a new chat at creation (e.g. the chatbot conversation).
    #[must_use]
    pub fn history(mut self, history: Vec<HistoryEntry>) -> Self {
        self.history = Some(history);
        self
    }

    /// How many agents [`search_agent`](crate::Chat::search_agent) invites at most
    /// before giving up (`assignMaxAttempts`, sent as `maxAttempts`).
    #[must_use]
    pub fn assign_max_attempts(mut self, attempts: u32) -> Self {
        self.assign_max_attempts = Some(attempts);
        self
    }

    /// How long, in seconds, an invitation lasts before the next agent is tried
    /// (`assignTimeout`, sent as `interval`).
    #[must_use]
    pub fn assign_timeout(mut self, seconds: u32) -> Self {
        self.assign_timeout = Some(seconds);
        self
    }

    /// Whether watchers count in the chat's data (`historyWatch`): a loaded chat, and
    /// [`history`](crate::Chat::history), then also ask the server for the `watchers`.
    #[must_use]
    pub fn history_watch(mut self, watch: bool) -> Self {
        self.history_watch = watch;
        self
    }

    /// How long [`search_agent`](crate::Chat::search_agent) waits for the server's
    /// answer, which comes when the search ends (default: see
    /// [`search_timeout`](ChatOptions::search_timeout)).
    #[must_use]
    pub fn search_wait(mut self, wait: Duration) -> Self {
        self.search_timeout = Some(wait);
        self
    }

    /// How long a [`send_message`](crate::Chat::send_message) whose outcome is unknown
    /// (connection lost, timeout, server error) keeps finding out whether the server
    /// stored it, sending it again when it did not (default
    /// [`DEFAULT_RESOLVE_WITHIN`](crate::DEFAULT_RESOLVE_WITHIN), 30 s); counted from the
    /// first attempt. [`SendMessage::resolve_within`](crate::SendMessage::resolve_within)
    /// sets it for one message.
    #[must_use]
    pub fn resolve_within(mut self, within: Duration) -> Self {
        self.resolve_within = within;
        self
    }

    /// How long a search waits: the one set with [`search_wait`](ChatOptions::search_wait),
    /// else attempts × timeout (3 × 30 s when not set) plus 15 s.
    pub fn search_timeout(&self) -> Duration {
        self.search_timeout.unwrap_or_else(|| {
            let attempts = u64::from(self.assign_max_attempts.unwrap_or(3).max(1));
            let interval = u64::from(self.assign_timeout.unwrap_or(30));
            Duration::from_secs(attempts.saturating_mul(interval).saturating_add(15))
        })
    }

    /// The `fields` asked with `chats:get`.
    pub(crate) fn fields(&self, history: bool) -> String {
        let mut fields = String::from("users");
        if self.history_watch {
            fields.push_str(",watchers");
        }
        if history {
            fields.push_str(",history");
        }
        fields
    }
}
