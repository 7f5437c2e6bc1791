//! The test-facing description of Inbenta apps and simulated agents.

use lc_protocol::id::Token;
use std::time::Duration;

/// The longest a `chats:assign` call waits for its search's end unless the app says
/// otherwise; then it answers without an agent.
pub(crate) const DEFAULT_ASSIGN_WAIT: Duration = Duration::from_secs(600);

/// An Inbenta app to register with [`Sandbox::create_inbenta_app`](crate::Sandbox::create_inbenta_app).
///
/// ```
/// use lc_sandbox::NewInbentaApp;
/// use std::time::Duration;
///
/// let app = NewInbentaApp::new("app-1")
///     .secret("s3cret")
///     .domain_key("dk")
///     .rooms([1, 2])
///     .queue_mode(true)
///     .inactivity(Duration::from_secs(300), Duration::from_secs(60));
/// # let _ = app;
/// ```
#[derive(Clone)]
pub struct NewInbentaApp {
    pub(crate) app_id: String,
    pub(crate) secret: Option<String>,
    pub(crate) domain_key: Option<String>,
    pub(crate) rooms: Vec<u32>,
    pub(crate) queue_mode: bool,
    pub(crate) inactivity: Option<(Duration, Duration)>,
    pub(crate) assign_interval: Duration,
    pub(crate) assign_wait: Duration,
    pub(crate) allowed_media_types: Vec<String>,
}

impl Default for NewInbentaApp {
    fn default() -> Self {
        Self::new("")
    }
}

impl std::fmt::Debug for NewInbentaApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewInbentaApp")
            .field("app_id", &self.app_id)
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .field(
                "domain_key",
                &self.domain_key.as_ref().map(|_| "<redacted>"),
            )
            .field("rooms", &self.rooms)
            .field("queue_mode", &self.queue_mode)
            .field("inactivity", &self.inactivity)
            .field("assign_interval", &self.assign_interval)
            .field("assign_wait", &self.assign_wait)
            .field("allowed_media_types", &self.allowed_media_types)
            .finish()
    }
}

impl NewInbentaApp {
    /// An app with id `app_id` (an empty id gets a fresh UUID), room 1, no queue mode, no
    /// inactivity timer, a 30 s invitation interval, and media types `image/*`,
    /// `application/pdf` and `text/plain`.
    pub fn new(app_id: impl Into<String>) -> Self {
        Self {
            app_id: app_id.into(),
            secret: None,
            domain_key: None,
            rooms: vec![1],
            queue_mode: false,
            inactivity: None,
            assign_interval: Duration::from_secs(30),
            assign_wait: DEFAULT_ASSIGN_WAIT,
            allowed_media_types: ["image/*", "application/pdf", "text/plain"]
                .map(String::from)
                .to_vec(),
        }
    }

    /// Allows server calls with `x-hyper-secret: <s>`.
    #[must_use]
    pub fn secret(mut self, s: impl Into<String>) -> Self {
        self.secret = Some(s.into());
        self
    }

    /// Allows browser calls with `x-hyper-key: <k>`, on the ★ routes only.
    #[must_use]
    pub fn domain_key(mut self, k: impl Into<String>) -> Self {
        self.domain_key = Some(k.into());
        self
    }

    /// The rooms (queues) of the app (default `[1]`).
    #[must_use]
    pub fn rooms(mut self, rooms: impl IntoIterator<Item = u32>) -> Self {
        self.rooms = rooms.into_iter().collect();
        self
    }

    /// Queue mode (`settings.queue.active`): new chats wait in their room's queue, get
    /// `queue:update` pushes, and are assigned when an agent is free.
    #[must_use]
    pub fn queue_mode(mut self, active: bool) -> Self {
        self.queue_mode = active;
        self
    }

    /// Inactivity: after `after` without messages, `chat:timer:expiryAlert` with
    /// `timeLeft = grace` seconds, then the chat closes (`chat:closed`, userId "system",
    /// extraData {reason: "inactivity"}) if still idle `grace` later. Default: off.
    #[must_use]
    pub fn inactivity(mut self, after: Duration, grace: Duration) -> Self {
        self.inactivity = Some((after, grace));
        self
    }

    /// Default invitation interval when `chats:assign` gives none, and the interval of
    /// queue-mode invitations (default 30 s).
    #[must_use]
    pub fn assign_interval(mut self, d: Duration) -> Self {
        self.assign_interval = d;
        self
    }

    /// The longest a `chats:assign` call (realtime or REST) waits for an agent before it
    /// answers without one (default 10 minutes).
    #[must_use]
    pub fn assign_wait(mut self, d: Duration) -> Self {
        self.assign_wait = d;
        self
    }

    /// The MIME types `POST /v1/media` accepts; `type/*` matches a whole family
    /// (default: `image/*`, `application/pdf`, `text/plain`). Others fail with 403
    /// `File type is not allowed`.
    #[must_use]
    pub fn allowed_media_types(
        mut self,
        mimes: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        self.allowed_media_types = mimes.into_iter().map(Into::into).collect();
        self
    }
}

/// A registered Inbenta app and its credentials.
#[derive(Clone)]
pub struct InbentaApp {
    /// The app id (`x-hyper-appid`, `appId` of the socket URL).
    pub app_id: String,
    /// The secret (`x-hyper-secret`), if the app has one.
    pub secret: Option<String>,
    /// The domain key (`x-hyper-key`), if the app has one.
    pub domain_key: Option<String>,
}

impl std::fmt::Debug for InbentaApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InbentaApp")
            .field("app_id", &self.app_id)
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .field(
                "domain_key",
                &self.domain_key.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// How a simulated agent answers the invitations the sandbox sends it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AgentBehaviour {
    /// Joins at once (the default).
    #[default]
    Accept,
    /// Joins after this delay (an invitation that times out first is lost).
    AcceptAfter(Duration),
    /// Lets every invitation time out after the invitation interval.
    Ignore,
}

/// A simulated agent to add with [`Sandbox::create_inbenta_agent`](crate::Sandbox::create_inbenta_agent).
///
/// ```
/// use lc_sandbox::{AgentBehaviour, NewInbentaAgent};
/// use std::time::Duration;
///
/// let agent = NewInbentaAgent::new("Ann")
///     .rooms([1])
///     .langs(["en"])
///     .capacity(2)
///     .behaviour(AgentBehaviour::AcceptAfter(Duration::from_millis(100)));
/// # let _ = agent;
/// ```
#[derive(Debug, Clone)]
pub struct NewInbentaAgent {
    pub(crate) name: String,
    pub(crate) rooms: Vec<u32>,
    pub(crate) langs: Vec<String>,
    pub(crate) capacity: u32,
    pub(crate) behaviour: AgentBehaviour,
}

impl NewInbentaAgent {
    /// An agent named `name`, in room 1, for any language, with capacity 1, accepting at once.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            rooms: vec![1],
            langs: Vec::new(),
            capacity: 1,
            behaviour: AgentBehaviour::Accept,
        }
    }

    /// The rooms it serves (default `[1]`).
    #[must_use]
    pub fn rooms(mut self, rooms: impl IntoIterator<Item = u32>) -> Self {
        self.rooms = rooms.into_iter().collect();
        self
    }

    /// The chat languages it takes (default: any).
    #[must_use]
    pub fn langs(mut self, langs: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.langs = langs.into_iter().map(Into::into).collect();
        self
    }

    /// How many open chats it takes at once (default 1); at capacity, chats queue.
    #[must_use]
    pub fn capacity(mut self, chats: u32) -> Self {
        self.capacity = chats;
        self
    }

    /// How it answers invitations (default [`AgentBehaviour::Accept`]).
    #[must_use]
    pub fn behaviour(mut self, b: AgentBehaviour) -> Self {
        self.behaviour = b;
        self
    }
}

/// A user the sandbox created (agents). The token opens a socket as that user, so a test
/// can also act as the agent (send messages, read receipts, activity).
#[derive(Debug, Clone)]
pub struct InbentaUser {
    /// The user id.
    pub id: String,
    /// Its session token (`x-hyper-token`, `token` of the socket URL).
    pub token: Token,
}
