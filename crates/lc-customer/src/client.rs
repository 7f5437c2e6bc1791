//! [`CustomerClient`]: the handles, how a client is built, and what every method shares.

use crate::config::CustomerConfig;
use crate::connection::CustomerConnection;
use crate::event::{CustomerEvent, Stopped};
use crate::shared::Shared;
use crate::{pump, recovery, sneak_peek};
use futures_util::stream::BoxStream;
use lc_protocol::auth::TokenProvider;
use lc_protocol::customer::CustomerPush;
use lc_protocol::id::GroupId;
use lc_protocol::{Action, Error};
use lc_rtm::{CustomerSession, RtmClient, RtmEvent};
use lc_web::WebClient;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::AbortHandle;

/// A client of the Customer Chat API over the connection `T` (by default the RTM engine),
/// with an optional Web client for what only Web carries.
///
/// Cloning gives another handle to the same client; [`destroy`](Self::destroy) ends it for
/// every handle.
pub struct CustomerClient<T = RtmClient<CustomerSession>> {
    pub(crate) inner: Arc<Inner<T>>,
}

/// What the handles of one client share.
pub(crate) struct Inner<T> {
    pub(crate) transport: T,
    pub(crate) web: Option<WebClient>,
    pub(crate) shared: Arc<Shared>,
    pub(crate) sneak_peeks: sneak_peek::SneakPeeks,
    tasks: Vec<AbortHandle>,
}

impl<T> Drop for Inner<T> {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
        self.sneak_peeks.stop();
    }
}

impl<T> Clone for CustomerClient<T> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
        }
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for CustomerClient<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CustomerClient")
            .field("transport", &self.inner.transport)
            .field("web", &self.inner.web.is_some())
            .field("destroyed", &self.inner.shared.is_destroyed())
            .finish()
    }
}

impl CustomerClient<RtmClient<CustomerSession>> {
    /// Connects a customer (customer-sdk `init`): the RTM engine connects in the
    /// background, logs in with a token from `tokens` and the login fields of `config`
    /// (again after every reconnection), and queues requests until then; a Web client for
    /// `upload_file` and the GET actions shares the same provider. A token the server
    /// declares expired or revoked (`customer_disconnected`), or refuses at login, is
    /// [invalidated](TokenProvider::invalidate) by the engines before the next login.
    ///
    /// Must be called within a tokio runtime.
    pub fn connect(config: CustomerConfig, tokens: impl TokenProvider) -> Self {
        let tokens: Arc<dyn TokenProvider> = Arc::new(tokens);
        let rtm = RtmClient::connect(config.session(), tokens.clone(), config.rtm.clone());
        // Subscribed before anything else: the login cannot be missed.
        let events = rtm.events();
        let web = WebClient::new(config.web_session(), tokens.clone(), config.web.clone());
        Self::build(
            rtm,
            events,
            Some(web),
            config.group,
            config.sneak_peek_interval,
        )
    }
}

impl<T: CustomerConnection> CustomerClient<T> {
    /// A client over `transport` (e.g. an [`RtmClient<CustomerSession>`] you built, or a
    /// [`WebClient`] for a client without pushes). Its events are those from now on:
    /// wrap a new RTM client at once, before its login completes, to get its `Connected`
    /// event. Must be called within a tokio runtime.
    pub fn new(transport: T) -> Self {
        let events = transport.events();
        Self::build(transport, events, None, None, Duration::from_secs(2))
    }

    /// A client over `transport` that sends what it lacks (`upload_file`, the GET
    /// actions) through `web`.
    pub fn with_web(transport: T, web: WebClient) -> Self {
        let events = transport.events();
        Self::build(transport, events, Some(web), None, Duration::from_secs(2))
    }

    /// The client, with `events` subscribed from `transport` before anything could
    /// happen on it.
    fn build(
        transport: T,
        events: BoxStream<'static, RtmEvent<CustomerPush>>,
        web: Option<WebClient>,
        group: Option<GroupId>,
        sneak_peek_interval: Duration,
    ) -> Self {
        let reader = Arc::new(recovery::Reader(transport.clone()));
        let shared = Arc::new(Shared::new(group, reader));
        let pump = tokio::spawn(pump::run(transport.clone(), shared.clone(), events));
        Self {
            inner: Arc::new(Inner {
                transport,
                web,
                shared,
                sneak_peeks: sneak_peek::SneakPeeks::new(sneak_peek_interval),
                tasks: vec![pump.abort_handle()],
            }),
        }
    }

    /// The connection (e.g. the [`RtmClient`]).
    pub fn transport(&self) -> &T {
        &self.inner.transport
    }

    /// The Web client, if there is one (the connection itself when it is Web).
    pub fn web(&self) -> Option<&WebClient> {
        self.inner
            .web
            .as_ref()
            .or_else(|| self.inner.transport.as_web())
    }

    /// Any action of the Customer Chat API, typed (e.g.
    /// [`customer::GetForm`](lc_protocol::customer::GetForm)): over the connection, or
    /// over Web when only Web carries it.
    pub fn call<A: Action>(&self, request: A) -> lc_protocol::Call<'_, Self, A> {
        lc_protocol::Call::new(self, request)
    }

    /// Sends any action by name with a JSON payload and returns the JSON response: the
    /// escape hatch for actions this crate does not know (as lc-sdk-js `send`).
    ///
    /// # Errors
    /// [`Error::Destroyed`], the API error, or the transport's errors.
    pub async fn call_raw(&self, action: &str, payload: Value) -> Result<Value, Error> {
        self.check()?;
        self.inner.transport.call_raw(action, payload).await
    }

    /// Closes the connection (customer-sdk `disconnect`): requests fail from now on with
    /// [`Error::Closed`] and a [`Stopped`] event ends the lifecycle. Listeners stay until
    /// [`destroy`](Self::destroy).
    pub fn disconnect(&self) {
        self.inner.transport.close();
    }

    /// Releases everything (customer-sdk `destroy`): closes the connection, stops the
    /// background tasks (events, sneak peeks), ends every listener and event stream and
    /// forgets what it knew. Every later call fails with [`Error::Destroyed`].
    pub fn destroy(&self) {
        if self.inner.shared.is_destroyed() {
            return;
        }
        self.inner.shared.emit(CustomerEvent::Stopped(Stopped {
            reason: "destroyed".to_owned(),
        }));
        self.inner.shared.destroy();
        self.inner.transport.close();
        for task in &self.inner.tasks {
            task.abort();
        }
        self.inner.sneak_peeks.stop();
    }

    /// Whether [`destroy`](Self::destroy) was called.
    pub fn is_destroyed(&self) -> bool {
        self.inner.shared.is_destroyed()
    }

    /// `Err(Destroyed)` once destroyed.
    pub(crate) fn check(&self) -> Result<(), Error> {
        if self.inner.shared.is_destroyed() {
            Err(Error::Destroyed)
        } else {
            Ok(())
        }
    }
}
