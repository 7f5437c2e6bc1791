//! [`SandboxBuilder`]: the sandbox's settings, and starting it.

use crate::error::SandboxError;
use crate::sandbox::Sandbox;
use crate::server;
use crate::shared::{Shared, Timing};
use crate::state::{Settings, State};
use crate::webhook_delivery::config::DeliveryConfig;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;

/// Configures and starts a [`Sandbox`].
#[derive(Debug, Clone)]
pub struct SandboxBuilder {
    addr: SocketAddr,
    tls: Option<(Vec<u8>, Vec<u8>)>,
    organization_id: String,
    timing: Timing,
    multiple_chats_per_customer: bool,
    access_token_lifetime: Duration,
    bot_token_lifetime: Duration,
    webhooks: DeliveryConfig,
    max_connections: usize,
    /// The console: off (`None`), or on with this admin token (`Some(None)`: a random one).
    console: Option<Option<lc_protocol::id::Token>>,
    state_file: Option<std::path::PathBuf>,
    customer_totals_period: Duration,
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
                http_idle_timeout: server::IDLE_TIMEOUT,
            },
            multiple_chats_per_customer: false,
            access_token_lifetime: crate::accounts_store::DEFAULT_LIFETIME,
            bot_token_lifetime: crate::bots::DEFAULT_TOKEN_LIFETIME,
            webhooks: DeliveryConfig::default(),
            max_connections: server::DEFAULT_MAX_CONNECTIONS,
            console: None,
            state_file: None,
            customer_totals_period: crate::periodic::DEFAULT_TOTALS_PERIOD,
        }
    }
}

impl Sandbox {
    /// A builder with the defaults (127.0.0.1, a free port, no TLS).
    pub fn builder() -> SandboxBuilder {
        SandboxBuilder::default()
    }
}

impl SandboxBuilder {
    /// The most connections (HTTP and WebSocket) served at once (default 16,384); past it
    /// a new connection is closed at once, until one ends.
    #[must_use]
    pub fn max_connections(mut self, max: usize) -> Self {
        self.max_connections = max.max(1);
        self
    }

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

    /// How long the access tokens of the accounts service (`/v2/token`, the customer token
    /// endpoints) live (default 8 hours, as the real service); whole seconds, at least
    /// one. Tokens made with `create_agent` and `create_customer` never expire.
    #[must_use]
    pub fn access_token_lifetime(mut self, lifetime: Duration) -> Self {
        self.access_token_lifetime = lifetime.max(Duration::from_secs(1));
        self
    }

    /// How long bot tokens (Configuration API `issue_bot_token`) live (default 24 hours,
    /// as the real service); at least one millisecond. A bot token past its lifetime is
    /// refused with `authentication` on every API. Longer than ten years counts as ten
    /// years.
    #[must_use]
    pub fn bot_token_lifetime(mut self, lifetime: Duration) -> Self {
        const TEN_YEARS: Duration = Duration::from_secs(10 * 365 * 24 * 60 * 60);
        self.bot_token_lifetime = lifetime.clamp(Duration::from_millis(1), TEN_YEARS);
        self
    }

    /// How long a webhook receiver has to answer one delivery attempt (default 10 s, as
    /// the real service): connecting, sending and getting the status line. An attempt
    /// without an answer by then fails and is retried (see
    /// [`webhook_retry_delays`](Self::webhook_retry_delays)).
    #[must_use]
    pub fn webhook_timeout(mut self, timeout: Duration) -> Self {
        self.webhooks.timeout = timeout;
        self
    }

    /// The pauses before each retry of a webhook delivery that failed (no HTTP 200, no
    /// answer in time, no connection); their number is the number of retries. Default
    /// 10 s, 20 s, 30 s: three retries, the last about a minute after the first attempt,
    /// as the real service. An empty list: no retries.
    #[must_use]
    pub fn webhook_retry_delays(mut self, delays: Vec<Duration>) -> Self {
        self.webhooks.retry_delays = delays;
        self
    }

    /// Whether webhook `routing_status_set` payloads spell statuses with spaces
    /// (`accepting chats`, `not accepting chats`, as the webhook docs show; the default)
    /// or with underscores, as the RTM push (`accepting_chats`).
    #[must_use]
    pub fn webhook_status_with_spaces(mut self, spaces: bool) -> Self {
        self.webhooks.status_with_spaces = spaces;
        self
    }

    /// Whether a webhook receiver's answer with any 2xx status counts as delivered
    /// (default `false`: only HTTP 200 does, as the real service documents; a 204 is
    /// retried).
    #[must_use]
    pub fn webhook_success_any_2xx(mut self, any: bool) -> Self {
        self.webhooks.any_2xx = any;
        self
    }

    /// Serves the console page at `/` and the admin API under `/_sandbox/` (default: off;
    /// the `lc-sandbox` binary turns it on). Its admin token is random unless set with
    /// [`admin_token`](Self::admin_token); see [`Sandbox::admin_token`] and
    /// [`Sandbox::console_url`].
    #[must_use]
    pub fn console(mut self, on: bool) -> Self {
        self.console = on.then(|| self.console.clone().flatten());
        self
    }

    /// Turns the console on with this admin token (instead of a random one).
    #[must_use]
    pub fn admin_token(mut self, token: impl Into<String>) -> Self {
        self.console = Some(Some(lc_protocol::id::Token::new(token.into())));
        self
    }

    /// Loads the state from `file` at start (when it exists) and writes it there on
    /// [`Sandbox::shutdown`]. Agents, customers, groups, chats with their threads and
    /// events, properties and tokens are kept; see `docs/sandbox.md` for the format.
    /// The organization id comes from the file when it has one.
    #[must_use]
    pub fn state_file(mut self, file: impl Into<std::path::PathBuf>) -> Self {
        self.state_file = Some(file.into());
        self
    }

    /// How long a plain HTTP connection (Web API, uploads, the accounts service) may sit
    /// without a byte read or written before the sandbox closes it (default 120 s; at
    /// least 10 ms). WebSockets follow [`idle_timeout`](Self::idle_timeout) instead.
    #[must_use]
    pub fn http_idle_timeout(mut self, timeout: Duration) -> Self {
        self.timing.http_idle_timeout = timeout.max(Duration::from_millis(10));
        self
    }

    /// How often agents whose `subscribe_customers` subscriptions match more customers
    /// than their `limit` get `subscribed_customers_totals_updated` (default 30 s; at
    /// least 10 ms).
    #[must_use]
    pub fn customer_totals_period(mut self, period: Duration) -> Self {
        self.customer_totals_period = period.max(Duration::from_millis(10));
        self
    }

    /// Binds and starts serving.
    ///
    /// # Errors
    /// When the address cannot be bound, the TLS material is unusable, or the state file
    /// is damaged or of another format version.
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
            bot_token_lifetime: self.bot_token_lifetime,
        };
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let mut state = State::new(settings);
        state.accounts.lifetime = self.access_token_lifetime;
        let inbenta = match &self.state_file {
            Some(file) => crate::console::state_file::load(file, &mut state)?,
            None => None,
        };
        state.webhook_queue = crate::webhook_delivery::start(self.webhooks, shutdown_rx.clone());
        let mut shared = Shared::new(state, base_url, self.timing, shutdown_rx);
        let admin_token = self.console.map(|token| {
            token.map_or_else(
                || uuid::Uuid::new_v4().simple().to_string(),
                |t| t.expose().to_owned(),
            )
        });
        shared.console = crate::console::settings::Console::new(admin_token, self.state_file);
        let shared = Arc::new(shared);
        if let Some(inbenta) = inbenta {
            crate::inbenta::snapshot::restore(&shared.inbenta, inbenta);
        }
        tokio::spawn(crate::accounts_service::expire_connections(shared.clone()));
        tokio::spawn(crate::periodic::subscription_totals(
            shared.clone(),
            self.customer_totals_period,
        ));
        let task = tokio::spawn(server::serve(
            listener,
            tls,
            shared.clone(),
            self.max_connections,
        ));
        Ok(Sandbox {
            shared,
            addr,
            secure,
            shutdown: shutdown_tx,
            task,
        })
    }
}

pub(crate) fn tls_acceptor(
    cert: &[u8],
    key: &[u8],
) -> Result<tokio_rustls::TlsAcceptor, SandboxError> {
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
