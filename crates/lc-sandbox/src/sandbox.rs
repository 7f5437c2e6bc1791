//! [`Sandbox`]: a running sandbox, and what tests do with it (accounts, groups,
//! properties, greetings, tokens, connections). Starting one is [`crate::builder`]'s;
//! fault injection is in [`crate::fault_hooks`], Inbenta in [`crate::inbenta`].

use crate::accounts::{AgentHandle, CustomerHandle, NewAgent, NewCustomer};
use crate::outbox;
use crate::shared::Shared;
use crate::state::{AgentRec, CustomerRec, GroupRec, Principal};
use crate::{customer_api, push, state};
use lc_protocol::id::{AgentId, CustomerId, GroupId, Token};
use lc_protocol::types::{Agent, Customer, Properties, RoutingStatus, UserType};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A running sandbox. Dropping it leaves it running until the runtime stops; call
/// [`shutdown`](Sandbox::shutdown) to stop it cleanly.
pub struct Sandbox {
    pub(crate) shared: Arc<Shared>,
    pub(crate) addr: SocketAddr,
    pub(crate) secure: bool,
    pub(crate) shutdown: watch::Sender<bool>,
    pub(crate) task: JoinHandle<()>,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("addr", &self.addr)
            .field("secure", &self.secure)
            .finish()
    }
}

impl Sandbox {
    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// `host:port`, as the official clients take it.
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    /// `http://host:port` (or `https://` with TLS): the base of Web URLs.
    pub fn http_url(&self) -> String {
        format!(
            "{}://{}",
            if self.secure { "https" } else { "http" },
            self.addr
        )
    }

    /// `ws://host:port` (or `wss://` with TLS): the base of RTM URLs.
    pub fn ws_url(&self) -> String {
        format!("{}://{}", if self.secure { "wss" } else { "ws" }, self.addr)
    }

    /// The organization id customers must send.
    pub fn organization_id(&self) -> String {
        self.shared.lock().settings.organization_id.clone()
    }

    /// Creates an agent and mints its credentials.
    pub fn create_agent(&self, spec: NewAgent) -> AgentHandle {
        create_agent(&self.shared, spec)
    }

    /// Creates a customer and mints its token.
    pub fn create_customer(&self, spec: NewCustomer) -> CustomerHandle {
        create_customer(&self.shared, spec)
    }

    /// Creates (or renames) group `id`.
    pub fn create_group(&self, id: u32, name: impl Into<String>) {
        let mut state = self.shared.lock();
        let entry = state.groups.entry(GroupId(id)).or_insert_with(|| GroupRec {
            name: String::new(),
            properties: Properties::new(),
        });
        entry.name = name.into();
    }

    /// Sets the license property `namespace.name` (what customers read with
    /// `list_license_properties` and `get_configuration`) and pushes
    /// `license_properties_updated` to the agents (3.6).
    pub fn set_license_property(&self, namespace: &str, name: &str, value: serde_json::Value) {
        let mut state = self.shared.lock();
        state
            .license_properties
            .insert(namespace, name, value.clone());
        let delta = Properties::new().with(namespace, name, value);
        let payload = serde_json::json!({ "properties": delta });
        state.outbox.agents(
            outbox::Audience::AllAgents,
            "license_properties_updated",
            &payload,
        );
        push::deliver(&mut state, None);
    }

    /// Sets the property `namespace.name` of group `group` (created if needed) and pushes
    /// `group_properties_updated` to the agents (3.6).
    pub fn set_group_property(
        &self,
        group: u32,
        namespace: &str,
        name: &str,
        value: serde_json::Value,
    ) {
        let mut state = self.shared.lock();
        let entry = state
            .groups
            .entry(GroupId(group))
            .or_insert_with(|| GroupRec {
                name: format!("Group {group}"),
                properties: Properties::new(),
            });
        entry.properties.insert(namespace, name, value.clone());
        let delta = Properties::new().with(namespace, name, value);
        let payload = serde_json::json!({ "group_id": group, "properties": delta });
        state.outbox.agents(
            outbox::Audience::AllAgents,
            "group_properties_updated",
            &payload,
        );
        push::deliver(&mut state, None);
    }

    /// Enables or disables the form of `kind` (pre-chat, post-chat, ticket) for group
    /// `group`, as customers get it from `get_form` and `get_configuration`. Every form is
    /// disabled until enabled here; an enabled form is the sandbox's default one for its
    /// kind (e.g. the pre-chat form asks for a name and a required e-mail).
    pub fn set_form_enabled(
        &self,
        group: u32,
        kind: lc_protocol::customer::GetFormType,
        enabled: bool,
    ) {
        let mut state = self.shared.lock();
        let key = (GroupId(group), kind.as_str().to_owned());
        if enabled {
            state.enabled_forms.insert(key);
        } else {
            state.enabled_forms.remove(&key);
        }
    }

    /// Shows a greeting with `text` to customer `customer`, as the real service does from
    /// its greeting rules: `incoming_greeting` goes to the customer's connections (a
    /// greeting still on display is replaced: `greeting_canceled`). Returns the greeting's
    /// `unique_id`, for `accept_greeting` / `cancel_greeting`; `None` for an unknown
    /// customer.
    pub fn send_greeting(&self, customer: &CustomerId, text: &str) -> Option<String> {
        let mut state = self.shared.lock();
        let unique_id = customer_api::show_greeting(&mut state, customer, text)?;
        push::deliver(&mut state, None);
        Some(unique_id)
    }

    /// Mints another token for an existing agent or customer id (e.g. after expiry).
    pub fn mint_token_for_agent(&self, id: &AgentId) -> Option<Token> {
        let mut state = self.shared.lock();
        state
            .agents
            .contains_key(id)
            .then(|| Token::new(state.mint_token(Principal::Agent(id.clone()))))
    }

    /// Revokes a token: logins and Web calls with it fail from now on, and the RTM
    /// connections logged in with it are closed after the disconnect push with reason
    /// `access_token_revoked` (`agent_disconnected` / `customer_disconnected`), as the
    /// real service does.
    pub fn revoke_token(&self, token: &Token) {
        let mut state = self.shared.lock();
        let bare = token.expose();
        let bare = bare.strip_prefix("Bearer ").unwrap_or(bare).trim();
        state.tokens.remove(bare);
        let logged_in: Vec<_> = state
            .conns
            .iter()
            .filter(|(_, c)| c.principal.is_some())
            .filter(|(_, c)| {
                c.session
                    .token
                    .as_deref()
                    .is_some_and(|sent| sent.strip_prefix("Bearer ").unwrap_or(sent).trim() == bare)
            })
            .map(|(id, _)| *id)
            .collect();
        for conn in logged_in {
            state::close_conn(&state, conn, "access_token_revoked");
            if let Some(c) = state.conns.get_mut(&conn) {
                c.session.token = None;
            }
        }
    }

    /// Closes every RTM connection of `user` after pushing the disconnect push with
    /// `reason` (e.g. `"access_token_expired"`), as the real service does.
    pub fn disconnect(&self, user: &str, reason: &str) {
        let state = self.shared.lock();
        for conn in state.conns_of_user(user) {
            state::close_conn(&state, conn, reason);
        }
    }

    /// Stops accepting connections, closes every connection and waits for the server;
    /// then writes the state file, if one is set
    /// ([`SandboxBuilder::state_file`](crate::SandboxBuilder::state_file)).
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        let _ = self.task.await;
        crate::console::state_file::save_on_stop(&self.shared);
    }
}

/// Creates an agent and mints its credentials (the admin API's way too).
pub(crate) fn create_agent(shared: &Shared, spec: NewAgent) -> AgentHandle {
    let mut state = shared.lock();
    let id = AgentId::new(spec.id);
    for group in &spec.groups {
        state.groups.entry(*group).or_insert_with(|| GroupRec {
            name: format!("Group {}", group.0),
            properties: Properties::new(),
        });
    }
    let profile = Agent {
        id: id.clone(),
        kind: Some(UserType::Agent),
        name: Some(spec.name.unwrap_or_else(|| id.to_string())),
        email: Some(id.to_string()),
        avatar: Some(format!(
            "https://cdn.livechat-static.com/avatars/{}.png",
            id.as_str().replace('@', "_")
        )),
        is_bot: spec.is_bot.then_some(true),
        permission: Some(spec.permission),
        ..Agent::default()
    };
    let account_id = uuid::Uuid::new_v4().to_string();
    let pat = format!("dal:{}", uuid::Uuid::new_v4().simple());
    state
        .pats
        .insert((account_id.clone(), pat.clone()), id.clone());
    state.agents.insert(
        id.clone(),
        AgentRec {
            profile,
            groups: spec.groups,
            routing_status: RoutingStatus::NotAcceptingChats,
            login: Default::default(),
        },
    );
    let token = state.mint_token(Principal::Agent(id.clone()));
    AgentHandle {
        id,
        token: Token::new(token),
        account_id,
        pat: Token::new(pat),
    }
}

/// Creates a customer and mints its token (the admin API's way too).
pub(crate) fn create_customer(shared: &Shared, spec: NewCustomer) -> CustomerHandle {
    let mut state = shared.lock();
    let id = CustomerId::new(uuid::Uuid::new_v4().to_string());
    let created_at = state.clock.stamp();
    let profile = Customer {
        id: id.clone(),
        kind: Some(UserType::Customer),
        name: spec.name,
        email: spec.email,
        created_at: Some(created_at),
        ..Customer::default()
    };
    let group_id = spec.group.map(GroupId);
    state.customers.insert(
        id.clone(),
        CustomerRec {
            profile,
            banned_until: None,
            group_id,
            side_storage: Default::default(),
            login: Default::default(),
        },
    );
    let token = state.mint_token(Principal::Customer(id.clone()));
    CustomerHandle {
        id,
        token: Token::new(token),
    }
}
