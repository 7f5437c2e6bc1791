//! The agents and customers a test creates, and what it gets back: ids and credentials.

use lc_protocol::id::{AgentId, CustomerId, GroupId, Token};
use lc_protocol::types::Permission;

/// An agent the sandbox created, with its credentials.
#[derive(Clone)]
pub struct AgentHandle {
    /// The agent id (its e-mail).
    pub id: AgentId,
    /// Its OAuth-style access token (send as `Bearer <token>`).
    pub token: Token,
    /// Its account id, for Basic `account_id:PAT` authorization.
    pub account_id: String,
    /// Its personal access token.
    pub pat: Token,
}

impl AgentHandle {
    /// `Bearer <token>`, as the `login` action and `Authorization` header take it.
    pub fn bearer(&self) -> Token {
        Token::new(format!("Bearer {}", self.token.expose()))
    }
}

impl std::fmt::Debug for AgentHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentHandle")
            .field("id", &self.id)
            .field("token", &self.token)
            .finish_non_exhaustive()
    }
}

/// A customer the sandbox created, with its token.
#[derive(Debug, Clone)]
pub struct CustomerHandle {
    /// The customer id (a UUID).
    pub id: CustomerId,
    /// Its access token (send as `Bearer <token>`).
    pub token: Token,
}

impl CustomerHandle {
    /// `Bearer <token>`, as the `login` action and `Authorization` header take it.
    pub fn bearer(&self) -> Token {
        Token::new(format!("Bearer {}", self.token.expose()))
    }
}

/// An agent to create (see [`Sandbox::create_agent`](crate::Sandbox::create_agent)).
#[derive(Debug, Clone)]
pub struct NewAgent {
    pub(crate) id: String,
    pub(crate) name: Option<String>,
    pub(crate) groups: Vec<GroupId>,
    pub(crate) permission: Permission,
    pub(crate) is_bot: bool,
}

impl NewAgent {
    /// An agent with id (e-mail) `id`, in group 0, with `normal` permission.
    pub fn new(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            name: None,
            groups: vec![GroupId(0)],
            permission: Permission::Normal,
            is_bot: false,
        }
    }

    /// Its display name.
    #[must_use]
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// The groups it belongs to (replacing group 0).
    #[must_use]
    pub fn groups(mut self, groups: impl IntoIterator<Item = u32>) -> Self {
        self.groups = groups.into_iter().map(GroupId).collect();
        self
    }

    /// Its permission (e.g. `administrator` sees every chat).
    #[must_use]
    pub fn permission(mut self, permission: Permission) -> Self {
        self.permission = permission;
        self
    }

    /// Makes it a bot (`is_bot`) that is never routed chats. Bots of the Configuration API
    /// (`create_bot` over Web), which get chats by their group priority, are made there.
    #[must_use]
    pub fn bot(mut self) -> Self {
        self.is_bot = true;
        self
    }
}

/// A customer to create (see [`Sandbox::create_customer`](crate::Sandbox::create_customer)).
#[derive(Debug, Clone, Default)]
pub struct NewCustomer {
    pub(crate) name: Option<String>,
    pub(crate) email: Option<String>,
    pub(crate) group: Option<u32>,
}

impl NewCustomer {
    /// A customer with a fresh UUID.
    pub fn new() -> Self {
        Self::default()
    }

    /// Its name.
    #[must_use]
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Its e-mail.
    #[must_use]
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self
    }

    /// The group its chats go to.
    #[must_use]
    pub fn group(mut self, group: u32) -> Self {
        self.group = Some(group);
        self
    }
}
