//! What the sandbox knows of a bot besides its agent record: its owner application, its
//! secret and its Configuration API settings. A bot is an agent too (in
//! [`State::agents`](crate::state::State), with `is_bot`), so that chats, routing and pushes
//! treat it as one.

use base64::Engine;
use lc_protocol::id::{AgentId, GroupId};
use lc_protocol::types::{ConfigGroupPriority, ConfigWorkScheduler};
use std::collections::BTreeMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The default `max_chats_count` of a new bot.
pub(crate) const DEFAULT_MAX_CHATS: u32 = 6;
/// The largest `max_chats_count` a bot may have.
pub(crate) const MAX_CHATS_LIMIT: u32 = 500;
/// The documented lifetime of a bot token (24 hours).
pub(crate) const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);
/// The `type` of a bot created without one (3.6).
pub(crate) const DEFAULT_KIND: &str = "chatbot";

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
    /// The client id of the credential that created it (`None`: a personal access token
    /// or a token of no application): `list_bots {all: false}` of a requester without a
    /// client id lists these.
    pub(crate) creator_client_id: Option<String>,
}

impl BotRec {
    /// Its priority in `group`: the explicit one, else (for group 0, which every agent of
    /// the sandbox belongs to) its default priority; `None` when it is not in the group.
    pub(crate) fn priority_in(&self, group: GroupId) -> Option<ConfigGroupPriority> {
        match self.groups.get(&group) {
            Some(priority) => Some(priority.clone()),
            None if group.0 == 0 => Some(self.default_group_priority.clone()),
            None => None,
        }
    }
}

/// A bot token `issue_bot_token` handed out.
#[derive(Debug, Clone)]
pub(crate) struct BotToken {
    /// The bot it acts as.
    pub(crate) bot: AgentId,
    /// The owner application's client id it was issued for.
    pub(crate) client_id: String,
    /// When it stops working.
    pub(crate) expires_at: Instant,
}

/// 32 random lowercase hex characters: the shape of bot ids, secrets and webhook ids.
pub(crate) fn hex32() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// A JWT-shaped bot token: `base64url(header).base64url(claims).base64url(signature)`,
/// header `{"alg":"HS256","typ":"JWT"}`, claims naming the bot, its client, the
/// organization and `exp`. [G] The signature is random bytes: the sandbox looks tokens up
/// in its table and never verifies one, and the real signing key is not public.
pub(crate) fn jwt(
    bot: &AgentId,
    client_id: &str,
    organization_id: &str,
    lifetime: Duration,
) -> String {
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let header = serde_json::json!({"alg": "HS256", "typ": "JWT"});
    let claims = serde_json::json!({
        "bot_id": bot,
        "client_id": client_id,
        "organization_id": organization_id,
        "iat": now,
        "exp": now.saturating_add(lifetime.as_secs()),
        "jti": hex32(),
    });
    let signature = [
        *uuid::Uuid::new_v4().as_bytes(),
        *uuid::Uuid::new_v4().as_bytes(),
    ]
    .concat();
    format!(
        "{}.{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes()),
        b64(&signature)
    )
}
