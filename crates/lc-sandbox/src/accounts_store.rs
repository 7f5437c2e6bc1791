//! What the emulated accounts service remembers: OAuth apps, refresh tokens,
//! authorization codes, customer cookies, and when the access tokens it issued expire.

use lc_protocol::id::{AgentId, CustomerId};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// The documented lifetime of agent and customer access tokens (8 hours).
pub(crate) const DEFAULT_LIFETIME: Duration = Duration::from_secs(28_800);

/// An OAuth app (client) registered on the accounts service.
#[derive(Debug, Clone)]
pub(crate) struct AppRec {
    /// `None` for apps without a secret (browser apps using PKCE), whose refresh tokens
    /// are single-use.
    pub(crate) secret: Option<String>,
}

/// A refresh token and whom it stands for.
#[derive(Debug, Clone)]
pub(crate) struct RefreshRec {
    pub(crate) client_id: String,
    pub(crate) agent: AgentId,
    pub(crate) revoked: bool,
}

/// An authorization code not exchanged yet.
#[derive(Debug, Clone)]
pub(crate) struct CodeRec {
    pub(crate) client_id: String,
    pub(crate) agent: AgentId,
    pub(crate) redirect_uri: String,
    pub(crate) expires_at: Instant,
}

/// The accounts service's records.
#[derive(Debug)]
pub(crate) struct AccountsStore {
    /// The lifetime of the access tokens it issues.
    pub(crate) lifetime: Duration,
    pub(crate) apps: HashMap<String, AppRec>,
    pub(crate) refresh_tokens: HashMap<String, RefreshRec>,
    pub(crate) codes: HashMap<String, CodeRec>,
    /// Access token → when it stops working.
    pub(crate) expiry: HashMap<String, Instant>,
    /// Access token (agent or customer) → the client id of the OAuth app it was issued to.
    pub(crate) client_ids: HashMap<String, String>,
    /// (`__lc_cst` value, group of a per-group identity) → the customer.
    pub(crate) cookies: HashMap<(String, Option<u32>), CustomerId>,
    /// How many token requests came (`/v2/token` and the customer token endpoints).
    pub(crate) requests: u64,
}

impl Default for AccountsStore {
    fn default() -> Self {
        Self {
            lifetime: DEFAULT_LIFETIME,
            apps: HashMap::new(),
            refresh_tokens: HashMap::new(),
            codes: HashMap::new(),
            expiry: HashMap::new(),
            client_ids: HashMap::new(),
            cookies: HashMap::new(),
            requests: 0,
        }
    }
}

impl AccountsStore {
    /// Whether `token` was issued by the accounts service and has expired.
    pub(crate) fn expired(&self, token: &str) -> bool {
        self.expiry
            .get(token)
            .is_some_and(|at| Instant::now() >= *at)
    }
}
