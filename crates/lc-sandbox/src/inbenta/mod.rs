//! The Inbenta Agent Chat emulator, on the same port as LiveChat: REST under `/v1/` and
//! the realtime socket at `/v1/ws` (our framing, `docs/inbenta-wire.md`).
//!
//! - [`config`]: the test-facing builders (apps, simulated agents).
//! - [`hub`]: the state behind its lock; [`ctx`]: who asks and what an operation sees.
//! - [`state`]: apps, users, chats, messages, media and sockets, in memory.
//! - [`ops`], [`messages`] and [`users`]: what both channels do (create, join, send,
//!   read, close, ...); [`membership`]: who may see a chat and `user:joined`;
//!   [`members`]: leaving a chat and a supervisor's intervention.
//! - [`assign`]: agent search, invitations, the queue and the inactivity timers.
//! - [`rest`] and [`media`]: the REST routes; [`socket`]: the realtime channel.
//! - [`snapshot`]: the side as a state file holds it.

mod assign;
mod config;
mod ctx;
mod error;
mod events;
pub(crate) mod hub;
mod media;
mod members;
mod membership;
mod messages;
mod ops;
mod rest;
pub(crate) mod snapshot;
pub(crate) mod socket;
mod state;
mod users;

pub use config::{AgentBehaviour, InbentaApp, InbentaUser, NewInbentaAgent, NewInbentaApp};

use crate::body::RequestBody;
use crate::sandbox::Sandbox;
use crate::shared::Shared;
use bytes::Bytes;
use ctx::Ctx;
use http::{Request, Response};
use http_body_util::Full;
use state::AppRec;
use std::sync::Arc;

/// Serves a request under `/v1`: the socket at `/v1/ws`, REST otherwise.
pub(crate) async fn route<B: RequestBody>(
    req: Request<B>,
    shared: Arc<Shared>,
) -> Response<Full<Bytes>> {
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
        let agent = users::add_agent(&mut st, app_id, spec, true);
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
