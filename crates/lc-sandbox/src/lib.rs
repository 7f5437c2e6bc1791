//! A local server speaking the LiveChat Agent Chat API and Customer Chat API — RTM
//! (WebSocket) and Web (HTTP), versions 3.3 to 3.6 — with the semantics of the real
//! service, in memory.
//!
//! It is the test bed of every integration test of livechat-rs, the embedded default of
//! the quickstart, and a way to develop a bot offline.
//!
//! The same port also emulates Inbenta Agent Chat (REST under `/v1/`, the realtime socket
//! at `/v1/ws`): see [`Sandbox::create_inbenta_app`] and `docs/sandbox.md`.
//!
//! ```no_run
//! # async fn demo() -> Result<(), lc_sandbox::SandboxError> {
//! use lc_sandbox::{NewAgent, NewCustomer, Sandbox};
//!
//! let sandbox = Sandbox::builder().start().await?;
//! let agent = sandbox.create_agent(NewAgent::new("smith@example.com").name("Agent Smith"));
//! let customer = sandbox.create_customer(NewCustomer::new().name("Jane"));
//! println!("agents connect to {}/v3.6/agent/rtm/ws", sandbox.ws_url());
//! println!("login with {:?} / {:?}", agent.bearer(), customer.bearer());
//! sandbox.shutdown().await;
//! # Ok(())
//! # }
//! ```

mod agent_api;
mod auth;
mod chat_ops;
mod clock;
mod customer_api;
mod dispatch;
mod event_ops;
mod faults;
mod inbenta;
mod pagination;
mod push;
mod query;
mod rtm;
mod server;
mod state;
mod tls;
mod upgrade;
mod views;
mod web;

pub use inbenta::{AgentBehaviour, InbentaApp, InbentaUser, NewInbentaAgent, NewInbentaApp};
pub use tls::SelfSigned;

use lc_protocol::id::{AgentId, CustomerId, GroupId, Token};
use lc_protocol::types::{Agent, Customer, Permission, Properties, RoutingStatus, UserType};
use server::{Shared, Timing};
use state::{AgentRec, CustomerRec, GroupRec, Principal, Settings, State};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Why a sandbox could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SandboxError {
    /// Binding or reading files failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The TLS certificate or key is unusable.
    #[error("TLS configuration: {0}")]
    Tls(String),
}

/// Configures and starts a [`Sandbox`].
#[derive(Debug, Clone)]
pub struct SandboxBuilder {
    addr: SocketAddr,
    tls: Option<(Vec<u8>, Vec<u8>)>,
    organization_id: String,
    timing: Timing,
    multiple_chats_per_customer: bool,
}

impl Default for SandboxBuilder {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            tls: None,
            organization_id: uuid::Uuid::new_v4().to_string(),
            timing: Timing {
                login_deadline: Duration::from_secs(30),
                idle_timeout: Duration::from_secs(30),
                request_timeout: Duration::from_secs(15),
            },
            multiple_chats_per_customer: false,
        }
    }
}

impl SandboxBuilder {
    /// Listens on `addr` (default `127.0.0.1:0`, a free port).
    #[must_use]
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    /// Serves `wss://` and `https://` with this PEM certificate chain and private key.
    #[must_use]
    pub fn tls_pem(mut self, cert_pem: impl Into<Vec<u8>>, key_pem: impl Into<Vec<u8>>) -> Self {
        self.tls = Some((cert_pem.into(), key_pem.into()));
        self
    }

    /// Like [`tls_pem`](Self::tls_pem), reading the PEM files.
    ///
    /// # Errors
    /// When a file cannot be read.
    pub fn tls_files(self, cert: &Path, key: &Path) -> Result<Self, SandboxError> {
        Ok(self.tls_pem(std::fs::read(cert)?, std::fs::read(key)?))
    }

    /// The organization id customers must send (default: a fresh UUID).
    #[must_use]
    pub fn organization_id(mut self, id: impl Into<String>) -> Self {
        self.organization_id = id.into();
        self
    }

    /// Time allowed to log in after connecting (default 30 s, as the real service).
    #[must_use]
    pub fn login_deadline(mut self, deadline: Duration) -> Self {
        self.timing.login_deadline = deadline;
        self
    }

    /// Time without frames after which a logged-in connection is closed with
    /// `connection_timeout` (default 30 s, as the real service).
    #[must_use]
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.timing.idle_timeout = timeout;
        self
    }

    /// Time after which a request not answered yet fails with `request_timeout`
    /// (default 15 s, as the real service). Only a response delay armed with
    /// [`Sandbox::set_response_delay`] makes a request that slow.
    #[must_use]
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.timing.request_timeout = timeout;
        self
    }

    /// Lets a customer have several chats (the real default is one chat per customer).
    #[must_use]
    pub fn multiple_chats_per_customer(mut self, allow: bool) -> Self {
        self.multiple_chats_per_customer = allow;
        self
    }

    /// Binds and starts serving.
    ///
    /// # Errors
    /// When the address cannot be bound or the TLS material is unusable.
    pub async fn start(self) -> Result<Sandbox, SandboxError> {
        let tls = match &self.tls {
            Some((cert, key)) => Some(tls_acceptor(cert, key)?),
            None => None,
        };
        let listener = TcpListener::bind(self.addr).await?;
        let addr = listener.local_addr()?;
        let secure = tls.is_some();
        let base_url = format!("{}://{addr}", if secure { "https" } else { "http" });
        let settings = Settings {
            organization_id: self.organization_id,
            license_id: "104130623".to_owned(),
            multiple_chats_per_customer: self.multiple_chats_per_customer,
        };
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let shared = Arc::new(Shared::new(
            State::new(settings),
            base_url,
            self.timing,
            shutdown_rx,
        ));
        let task = tokio::spawn(server::serve(listener, tls, shared.clone()));
        Ok(Sandbox {
            shared,
            addr,
            secure,
            shutdown: shutdown_tx,
            task,
        })
    }
}

fn tls_acceptor(cert: &[u8], key: &[u8]) -> Result<tokio_rustls::TlsAcceptor, SandboxError> {
    let certs = rustls_pemfile::certs(&mut &cert[..])
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| SandboxError::Tls(format!("certificate: {e}")))?;
    let key = rustls_pemfile::private_key(&mut &key[..])
        .map_err(|e| SandboxError::Tls(format!("key: {e}")))?
        .ok_or_else(|| SandboxError::Tls("no private key in the key file".into()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| SandboxError::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| SandboxError::Tls(e.to_string()))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

/// A running sandbox. Dropping it leaves it running until the runtime stops; call
/// [`shutdown`](Sandbox::shutdown) to stop it cleanly.
pub struct Sandbox {
    shared: Arc<Shared>,
    addr: SocketAddr,
    secure: bool,
    shutdown: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("addr", &self.addr)
            .field("secure", &self.secure)
            .finish()
    }
}

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

/// An agent to create (see [`Sandbox::create_agent`]).
#[derive(Debug, Clone)]
pub struct NewAgent {
    id: String,
    name: Option<String>,
    groups: Vec<GroupId>,
    permission: Permission,
    is_bot: bool,
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

    /// Makes it a bot (bots are never routed chats).
    #[must_use]
    pub fn bot(mut self) -> Self {
        self.is_bot = true;
        self
    }
}

/// A customer to create (see [`Sandbox::create_customer`]).
#[derive(Debug, Clone, Default)]
pub struct NewCustomer {
    name: Option<String>,
    email: Option<String>,
    group: Option<u32>,
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

impl Sandbox {
    /// A builder with the defaults (127.0.0.1, a free port, no TLS).
    pub fn builder() -> SandboxBuilder {
        SandboxBuilder::default()
    }

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
        let mut state = self.shared.lock();
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
                session: Default::default(),
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

    /// Creates a customer and mints its token.
    pub fn create_customer(&self, spec: NewCustomer) -> CustomerHandle {
        let mut state = self.shared.lock();
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
                session: Default::default(),
            },
        );
        let token = state.mint_token(Principal::Customer(id.clone()));
        CustomerHandle {
            id,
            token: Token::new(token),
        }
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
            push::Audience::AllAgents,
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
            push::Audience::AllAgents,
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

    /// Revokes a token: logins and Web calls with it fail from now on.
    pub fn revoke_token(&self, token: &Token) {
        self.shared.lock().tokens.remove(token.expose());
    }

    /// Closes every RTM connection of `user` after pushing the disconnect push with
    /// `reason` (e.g. `"access_token_expired"`), as the real service does.
    pub fn disconnect(&self, user: &str, reason: &str) {
        let state = self.shared.lock();
        for conn in state.conns_of_user(user) {
            state::close_conn(&state, conn, reason);
        }
    }

    /// Fault injection: delays the handling of every request, RTM and Web, by `delay`
    /// (zero turns it off). RTM requests then wait in a queue, in arrival order, and count
    /// as pending: the 11th unanswered request of a connection fails at once with
    /// `pending_requests_limit_reached`. A delay of at least the request timeout (15 s,
    /// see [`SandboxBuilder::request_timeout`]) answers `request_timeout` instead, without
    /// running the action.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), lc_sandbox::SandboxError> {
    /// use std::time::Duration;
    /// let sandbox = lc_sandbox::Sandbox::builder().start().await?;
    /// sandbox.set_response_delay(Duration::from_secs(2));
    /// // ... a client with a 1 s request timeout now times out on every call ...
    /// sandbox.set_response_delay(Duration::ZERO);
    /// # Ok(())
    /// # }
    /// ```
    pub fn set_response_delay(&self, delay: Duration) {
        self.shared.faults().set_delay(delay);
    }

    /// Fault injection: like [`set_response_delay`](Self::set_response_delay) for one
    /// action only (zero: back to the general delay).
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), lc_sandbox::SandboxError> {
    /// use std::time::Duration;
    /// let sandbox = lc_sandbox::Sandbox::builder().start().await?;
    /// sandbox.set_action_delay("send_event", Duration::from_millis(500));
    /// # Ok(())
    /// # }
    /// ```
    pub fn set_action_delay(&self, action: &str, delay: Duration) {
        self.shared.faults().set_action_delay(action, delay);
    }

    /// Fault injection: the next `count` calls of `action` (either API, RTM or Web; `login`
    /// and `ping` included) fail with `error` and change nothing. Over Web the status is
    /// the error's usual one (429 for `too_many_requests`, with `Retry-After: 1`).
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), lc_sandbox::SandboxError> {
    /// let sandbox = lc_sandbox::Sandbox::builder().start().await?;
    /// sandbox.fail_next("send_event", "too_many_requests", 2);
    /// // the next two send_event calls fail; the third succeeds
    /// # Ok(())
    /// # }
    /// ```
    pub fn fail_next(&self, action: &str, error: impl Into<lc_protocol::ErrorType>, count: u32) {
        let error = lc_protocol::ApiError::new(error.into());
        self.shared.faults().fail_next(action, error, count);
    }

    /// Fault injection: like [`fail_next`](Self::fail_next) with a whole error object
    /// (message and `data` included).
    pub fn fail_next_with(&self, action: &str, error: lc_protocol::ApiError, count: u32) {
        self.shared.faults().fail_next(action, error, count);
    }

    /// Fault injection: the next Web call of `action` is answered with `status` and
    /// `body` exactly as given (malformed or truncated JSON, an HTML error page, ...).
    /// Calls queue: two calls answer two calls.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), lc_sandbox::SandboxError> {
    /// let sandbox = lc_sandbox::Sandbox::builder().start().await?;
    /// sandbox.respond_raw_next("list_chats", 200, r#"{"chats_summary":["#);
    /// # Ok(())
    /// # }
    /// ```
    pub fn respond_raw_next(&self, action: &str, status: u16, body: &str) {
        self.shared
            .faults()
            .push_raw_reply(action, status, body.to_owned());
    }

    /// Routing: Web requests whose `X-Region` header is not `region` fail with
    /// `misdirected_request` naming it in `data.region` (`None`: any region is fine).
    pub fn require_region(&self, region: Option<&str>) {
        self.shared
            .faults()
            .set_required_region(region.map(str::to_owned));
    }

    /// How many files `upload_file` has stored.
    pub fn uploaded_file_count(&self) -> usize {
        self.shared.lock().files.len()
    }

    /// Fault injection: drops every RTM connection and every Inbenta realtime socket at
    /// once, as a network failure would: no disconnect push, no close frame. Clients see
    /// the socket end. REST and Web calls are not affected.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), lc_sandbox::SandboxError> {
    /// let sandbox = lc_sandbox::Sandbox::builder().start().await?;
    /// // ... clients connected and logged in ...
    /// sandbox.drop_connections();
    /// // ... check that they reconnect and log in again ...
    /// # Ok(())
    /// # }
    /// ```
    pub fn drop_connections(&self) {
        {
            let state = self.shared.lock();
            for conn in state.conns.values() {
                let _ = conn.tx.send(state::Outgoing::Drop);
            }
        }
        self.shared.inbenta.drop_connections();
    }

    /// Fault injection: sends `text` as a text frame, unchanged (it need not be JSON), to
    /// every logged-in RTM connection of `user` (an agent id or a customer id).
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), lc_sandbox::SandboxError> {
    /// let sandbox = lc_sandbox::Sandbox::builder().start().await?;
    /// let agent = sandbox.create_agent(lc_sandbox::NewAgent::new("smith@example.com"));
    /// // ... the agent's client connected and logged in ...
    /// sandbox.send_raw_frame(agent.id.as_str(), r#"{"type":"push","action":"#);
    /// # Ok(())
    /// # }
    /// ```
    pub fn send_raw_frame(&self, user: &str, text: &str) {
        let state = self.shared.lock();
        for conn in state.conns_of_user(user) {
            if let Some(c) = state.conns.get(&conn) {
                c.send(text.to_owned());
            }
        }
    }

    /// Stops accepting connections, closes every connection and waits for the server.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        let _ = self.task.await;
    }
}
