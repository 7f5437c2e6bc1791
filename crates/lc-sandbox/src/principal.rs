//! Who makes a request ([`Principal`]) and which connection it comes on ([`ConnId`]):
//! the identities the state, the pushes and the handlers all speak of.

use lc_protocol::Api;
use lc_protocol::id::{AgentId, CustomerId, UserId};

/// Who sent a request.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Principal {
    Agent(AgentId),
    Customer(CustomerId),
}

impl Principal {
    pub(crate) fn user_id(&self) -> UserId {
        match self {
            Principal::Agent(id) => UserId::new(id.as_str()),
            Principal::Customer(id) => UserId::new(id.as_str()),
        }
    }

    /// The user id, borrowed.
    pub(crate) fn user_id_str(&self) -> &str {
        match self {
            Principal::Agent(id) => id.as_str(),
            Principal::Customer(id) => id.as_str(),
        }
    }

    pub(crate) fn api(&self) -> Api {
        match self {
            Principal::Agent(_) => Api::Agent,
            Principal::Customer(_) => Api::Customer,
        }
    }
}

/// One connection's identity.
pub(crate) type ConnId = u64;

/// How a requester proved who it is: what the Configuration API's `owner_client_id` rule
/// and the bot token's fixed scopes look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AuthKind {
    /// No `Authorization` header (the few actions that need none).
    Anonymous,
    /// `Bearer <token>`: an accounts service or sandbox-minted access token.
    Bearer,
    /// `Basic base64(account_id:PAT)`: a personal access token.
    Pat,
    /// `Bearer <JWT>` from `issue_bot_token`: acts as the bot.
    Bot,
}
