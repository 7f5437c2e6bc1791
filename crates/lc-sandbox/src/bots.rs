//! What the sandbox knows of a bot besides its agent record: its owner application, its
//! secret and its Configuration API settings. A bot is an agent too (in
//! [`State::agents`](crate::state::State), with `is_bot`), so that chats, routing and pushes
//! treat it as one.

use lc_protocol::id::GroupId;
use lc_protocol::types::{ConfigGroupPriority, ConfigWorkScheduler};
use std::collections::BTreeMap;

/// The default `max_chats_count` of a new bot.
pub(crate) const DEFAULT_MAX_CHATS: u32 = 6;

/// A bot's Configuration API record.
#[derive(Debug, Clone)]
pub(crate) struct BotRec {
    /// The client id of the application that owns it.
    pub(crate) owner_client_id: String,
    /// The secret `issue_bot_token` checks (replaced by `reset_bot_secret`).
    pub(crate) secret: String,
    /// Its `type` (3.6; default `chatbot`).
    pub(crate) kind: String,
    /// How many chats it handles at once.
    pub(crate) max_chats_count: u32,
    /// Its priority in groups without an explicit one.
    pub(crate) default_group_priority: ConfigGroupPriority,
    /// Its groups and its priority in each.
    pub(crate) groups: BTreeMap<GroupId, ConfigGroupPriority>,
    /// Its job title.
    pub(crate) job_title: Option<String>,
    /// Its avatar URL.
    pub(crate) avatar: Option<String>,
    /// Its working hours.
    pub(crate) work_scheduler: Option<ConfigWorkScheduler>,
}
