//! The Inbenta Agent Chat emulator, on the same port as LiveChat: REST under `/v1/` and
//! the realtime socket at `/v1/ws` (our framing, `docs/inbenta-wire.md`).
//!
//! - [`config`]: the test-facing builders (apps, simulated agents).
//! - [`state`]: apps, users, chats, messages, media and sockets, in memory.
//! - [`ops`], [`messages`] and [`users`]: what both channels do (create, join, send,
//!   read, close, ...); [`members`]: leaving a chat and a supervisor's intervention.
//! - [`assign`]: agent search, invitations, the queue and the inactivity timers.
//! - [`rest`] and [`media`]: the REST routes; [`socket`]: the realtime channel.

mod assign;
mod config;
mod error;
mod events;
mod media;
mod members;
mod messages;
mod ops;
mod rest;
mod socket;
mod state;
mod users;

pub use config::{AgentBehaviour, InbentaApp, InbentaUser, NewInbentaAgent, NewInbentaApp};

use crate::Sandbox;
use crate::server::Shared;
use bytes::Bytes;
use http::{Request, Response};
use http_body_util::Full;
use hyper::body::Incoming;
use lc_protocol::id::Token;
use lc_protocol::inbenta::InbentaUser as WireUser;
use lc_protocol::wire::inbenta::encode_push;
use serde::Serialize;
use state::{AgentRec, AppRec, ConnId, InbState, Out, UserRec};
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::{mpsc, watch};

/// The Inbenta side of the sandbox: its state, behind its own lock, and what its timers
/// need to run.
pub(crate) struct Hub {
    state: Mutex<InbState>,
    runtime: Option<tokio::runtime::Handle>,
    shutdown: watch::Receiver<bool>,
}

impl Hub {
    pub(crate) fn new(shutdown: watch::Receiver<bool>) -> Arc<Self> {
        Arc::new(Self {
            state: Mutex::new(InbState::default()),
            runtime: tokio::runtime::Handle::try_current().ok(),
            shutdown,
        })
    }

    /// Locks the state; a handler that panicked does not poison the sandbox.
    pub(crate) fn lock(&self) -> MutexGuard<'_, InbState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Ends every realtime socket at once, without a close frame (fault injection).
    pub(crate) fn drop_connections(&self) {
        for conn in self.lock().conns.values() {
            conn.cutoff.cut();
        }
    }

    /// Runs a timer task; it ends early when the sandbox shuts down.
    pub(crate) fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) {
        let Some(runtime) = &self.runtime else {
            return;
        };
        let mut shutdown = self.shutdown.clone();
        runtime.spawn(async move {
            tokio::select! {
                () = task => {}
                _ = shutdown.wait_for(|stop| *stop) => {}
            }
        });
    }
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Hub")
    }
}

/// Who makes a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Who {
    /// A user (end user or agent) with a session token.
    User(String),
    /// A server, with the app secret: may act for anyone.
    Server,
}

impl Who {
    /// The acting user: a user's own id; for a server, `given` (required).
    pub(crate) fn acting_as(
        &self,
        given: Option<&str>,
        field: &str,
    ) -> Result<String, error::Fail> {
        match (self, given) {
            (Who::User(me), Some(other)) if other != me => Err(error::Fail::forbidden(format!(
                "`{field}` must be the authenticated user"
            ))),
            (Who::User(me), _) => Ok(me.clone()),
            (Who::Server, Some(given)) => Ok(given.to_owned()),
            (Who::Server, None) => Err(error::Fail::bad_request(format!("`{field}` is required"))),
        }
    }
}

/// One operation's view of the state: the app it runs in, and the frames to send once
/// the request is answered.
pub(crate) struct Ctx<'a> {
    pub(crate) hub: &'a Arc<Hub>,
    pub(crate) st: &'a mut InbState,
    pub(crate) app: String,
    /// Frames sent after the reply (e.g. `system:info` after `chats:close`).
    pub(crate) later: Vec<(mpsc::UnboundedSender<Out>, String)>,
}

impl<'a> Ctx<'a> {
    pub(crate) fn new(hub: &'a Arc<Hub>, st: &'a mut InbState, app: &str) -> Self {
        Self {
            hub,
            st,
            app: app.to_owned(),
            later: Vec::new(),
        }
    }

    pub(crate) fn app(&self) -> Result<&AppRec, error::Fail> {
        self.st.app(&self.app)
    }

    pub(crate) fn app_mut(&mut self) -> Result<&mut AppRec, error::Fail> {
        self.st.app_mut(&self.app)
    }

    /// Pushes `payload` to every socket of `users`, except `except`.
    pub(crate) fn push_users<P: lc_protocol::PushPayload + Serialize>(
        &self,
        users: &[String],
        payload: &P,
        except: Option<ConnId>,
    ) {
        if let Some(frame) = push_frame(payload) {
            self.st.send_to_users(&self.app, users, &frame, except);
        }
    }

    /// Pushes `payload` to every socket of every member of `chat`, except `except`.
    pub(crate) fn push_chat<P: lc_protocol::PushPayload + Serialize>(
        &self,
        chat: &str,
        payload: &P,
        except: Option<ConnId>,
    ) {
        let members = self.members(chat);
        self.push_users(&members, payload, except);
    }

    /// Like [`push_chat`](Self::push_chat), once the request is answered.
    pub(crate) fn push_chat_later<P: lc_protocol::PushPayload + Serialize>(
        &mut self,
        chat: &str,
        payload: &P,
    ) {
        let Some(frame) = push_frame(payload) else {
            return;
        };
        let members = self.members(chat);
        for tx in self.st.conns_of(&self.app, &members, None) {
            self.later.push((tx, frame.clone()));
        }
    }

    /// Sends the frames kept for after the reply.
    pub(crate) fn flush_later(&mut self) {
        for (tx, frame) in self.later.drain(..) {
            let _ = tx.send(Out::Text(frame));
        }
    }

    fn members(&self, chat: &str) -> Vec<String> {
        self.st
            .apps
            .get(&self.app)
            .and_then(|a| a.chats.get(chat))
            .map(|c| c.members.clone())
            .unwrap_or_default()
    }
}

fn push_frame<P: lc_protocol::PushPayload + Serialize>(payload: &P) -> Option<String> {
    match serde_json::value::to_raw_value(payload) {
        Ok(raw) => Some(encode_push(P::NAME, &raw)),
        Err(err) => {
            tracing::warn!(%err, push = P::NAME, "push not encodable");
            None
        }
    }
}

/// Serves a request under `/v1`: the socket at `/v1/ws`, REST otherwise.
pub(crate) async fn route(req: Request<Incoming>, shared: Arc<Shared>) -> Response<Full<Bytes>> {
    let hub = shared.inbenta.clone();
    if req.uri().path().trim_end_matches('/') == "/v1/ws" {
        return socket::upgrade(req, shared);
    }
    rest::handle(req, hub).await
}

/// Whether `path` belongs to the Inbenta side.
pub(crate) fn owns(path: &str) -> bool {
    path == "/v1" || path.starts_with("/v1/")
}

impl Sandbox {
    /// Registers an Inbenta app. Every REST call and socket needs its app id.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), lc_sandbox::SandboxError> {
    /// use lc_sandbox::{NewInbentaAgent, NewInbentaApp, Sandbox};
    /// let sandbox = Sandbox::builder().start().await?;
    /// let app = sandbox.create_inbenta_app(NewInbentaApp::new("app-1").secret("s"));
    /// let ann = sandbox.create_inbenta_agent(&app.app_id, NewInbentaAgent::new("Ann"));
    /// println!("REST at {}/v1/, socket at {}/v1/ws?appId={}&token=…",
    ///     sandbox.http_url(), sandbox.ws_url(), app.app_id);
    /// # let _ = ann;
    /// # Ok(())
    /// # }
    /// ```
    pub fn create_inbenta_app(&self, spec: NewInbentaApp) -> InbentaApp {
        let mut spec = spec;
        if spec.app_id.is_empty() {
            spec.app_id = uuid::Uuid::new_v4().simple().to_string();
        }
        let app = InbentaApp {
            app_id: spec.app_id.clone(),
            secret: spec.secret.clone(),
            domain_key: spec.domain_key.clone(),
        };
        let mut st = self.shared.inbenta.lock();
        st.apps.insert(spec.app_id.clone(), AppRec::new(spec));
        app
    }

    /// Adds an agent (a user with providerId set) to an app's rooms, online; the sandbox
    /// assigns chats to agents by itself, according to the agent's behaviour. An unknown
    /// app is created with the defaults of [`NewInbentaApp::new`].
    pub fn create_inbenta_agent(&self, app_id: &str, spec: NewInbentaAgent) -> InbentaUser {
        let hub = &self.shared.inbenta;
        let mut st = hub.lock();
        if !st.apps.contains_key(app_id) {
            st.apps
                .insert(app_id.to_owned(), AppRec::new(NewInbentaApp::new(app_id)));
        }
        let agent = add_agent(&mut st, app_id, spec, true);
        let mut ctx = Ctx::new(hub, &mut st, app_id);
        assign::dispatch(&mut ctx);
        agent
    }

    /// Sets an agent online/offline (offline agents are not counted nor assigned). An
    /// agent coming online takes queued chats at once (queue mode).
    pub fn set_inbenta_agent_online(&self, app_id: &str, agent_id: &str, online: bool) {
        let hub = &self.shared.inbenta;
        let mut st = hub.lock();
        let agent = st
            .apps
            .get_mut(app_id)
            .and_then(|a| a.users.get_mut(agent_id))
            .and_then(|u| u.agent.as_mut());
        if let Some(agent) = agent {
            agent.online = online;
        }
        let mut ctx = Ctx::new(hub, &mut st, app_id);
        assign::dispatch(&mut ctx);
    }
}

/// Adds an agent (a user with providerId set) to app `app_id`, which must exist, with a
/// fresh session token.
pub(crate) fn add_agent(
    st: &mut InbState,
    app_id: &str,
    spec: NewInbentaAgent,
    online: bool,
) -> InbentaUser {
    let id = st.mint("a");
    let token = uuid::Uuid::new_v4().simple().to_string();
    let profile = WireUser {
        id: id.clone(),
        name: Some(spec.name.clone()),
        nickname: Some(spec.name.clone()),
        provider_id: Some(format!("p-{id}")),
        chats: Some(Vec::new()),
        ..WireUser::default()
    };
    let agent = AgentRec {
        rooms: spec.rooms,
        langs: spec.langs,
        capacity: spec.capacity,
        behaviour: spec.behaviour,
        online,
    };
    if let Some(app) = st.apps.get_mut(app_id) {
        app.users.insert(
            id.clone(),
            UserRec {
                profile,
                agent: Some(agent),
            },
        );
        app.tokens.insert(token.clone(), id.clone());
        app.agent_order.push(id.clone());
    }
    InbentaUser {
        id,
        token: Token::new(token),
    }
}
