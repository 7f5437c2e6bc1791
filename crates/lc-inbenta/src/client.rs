//! [`InbentaClient`]: the app's REST API and logging in; [`UserClient`]: a logged-in
//! user, with the realtime channel.

use crate::config::InbentaConfig;
use crate::rest::{Credential, Rest};
use crate::session::InbentaSession;
use crate::subscription::{Selected, SubscriptionItem};
use crate::users::{NewUser, UserSession};
use futures_util::StreamExt;
use lc_protocol::inbenta::{InbentaPush, InbentaUser, UsersChats};
use lc_protocol::listen::{CatchUp, EventSource};
use lc_protocol::listen::{every, first};
use lc_protocol::{
    Action, Call, Error, EventStream, PushPayload, PushSet, Subscription, Transport,
};
use lc_rtm::{PushStream, RtmClient, RtmEvent};
use lc_web::HttpEngine;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::task::{Context, Poll};

/// One item of [`UserClient::events`]: a push of the realtime channel, or news of the
/// connection.
pub type InbentaEvent = RtmEvent<InbentaPush>;

/// The realtime transport of a [`UserClient`].
pub type InbentaRtm = RtmClient<InbentaSession>;

/// A client of an Inbenta Agent Chat app, before any user logs in (`ICF.init`): the
/// app's REST API ([`create_user`](InbentaClient::create_user), availability,
/// settings, [`api_request`](InbentaClient::api_request), the JS `ICF.Api.request`)
/// and [`login`](InbentaClient::login) (`ICF.Lobby.init`), which returns a
/// [`UserClient`]: the realtime methods exist only there, so none can fail for want of
/// a login.
///
/// ```compile_fail
/// # async fn demo(app: lc_inbenta::InbentaClient) {
/// // Not logged in: no realtime channel, no `call`.
/// let _ = app.call(lc_protocol::inbenta::UsersChats::new("u1")).await;
/// # }
/// ```
///
/// ```no_run
/// use lc_inbenta::{Chat, ChatOptions, InbentaClient, InbentaConfig, NewUser};
/// use lc_protocol::inbenta::ChatsGet;
///
/// # async fn demo() -> Result<(), lc_protocol::Error> {
/// let app = InbentaClient::new(InbentaConfig::region("my-app-id", "eu").domain_key("my-domain-key"));
/// if app.agents_available("1", Some("en")).await? == 0 {
///     return Ok(());
/// }
/// let bob = app.create_user(NewUser::new("Bob").contact("bob@example.com")).await?;
/// let client = app.login(&bob.user.id, bob.token).await?;
///
/// let chat = Chat::init(&client, ChatOptions::new("1").lang("en")).await?;
/// // Any client event, typed...
/// let data = client.call(ChatsGet::new(chat.id()).fields("users")).await?;
/// // ...or by name, as `ICF.Events.send`.
/// let raw = client.call_raw("users:chats", serde_json::json!({"userId": bob.user.id})).await?;
/// # let _ = (data, raw);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct InbentaClient {
    inner: Arc<App>,
}

#[derive(Debug)]
struct App {
    config: InbentaConfig,
    rest: Rest,
}

/// A user logged in with [`InbentaClient::login`] (`ICF.Lobby.init`), with its
/// realtime channel open: [`call`](UserClient::call) sends a typed client event (every
/// documented one is a type in [`lc_protocol::inbenta`]), [`call_raw`](UserClient::call_raw)
/// any event by name (`ICF.Events.send`), [`events`](UserClient::events) and
/// [`subscribe`](UserClient::subscribe) stream the pushes (`ICF.Events.subscribe`),
/// [`on`](UserClient::on) and [`once`](UserClient::once) run a handler for one push.
/// REST calls carry the user's token. [`Chat::init`](crate::Chat::init) opens a chat
/// as this user.
///
/// Cloning gives another handle to the same connection; it closes when the last handle
/// is dropped or on [`close`](UserClient::close).
#[derive(Debug, Clone)]
pub struct UserClient {
    inner: Arc<Login>,
}

/// A logged-in user and its realtime connection.
#[derive(Debug)]
struct Login {
    config: InbentaConfig,
    rest: Rest,
    user: InbentaUser,
    rtm: InbentaRtm,
}

impl Drop for Login {
    fn drop(&mut self) {
        self.rtm.close();
    }
}

impl InbentaClient {
    /// A client of the app in `config`, not logged in (`ICF.init`). REST calls carry
    /// `x-hyper-appid` and the config's secret or domain key, if any.
    pub fn new(config: InbentaConfig) -> Self {
        let credential = match (&config.secret, &config.domain_key) {
            (Some(secret), _) => Credential::Secret(secret.clone()),
            (None, Some(key)) => Credential::DomainKey(key.clone()),
            (None, None) => Credential::None,
        };
        let engine = HttpEngine::new(config.web.clone());
        let rest = Rest::new(
            engine,
            config.rest_base(),
            config.app_id().to_owned(),
            credential,
        );
        Self {
            inner: Arc::new(App { config, rest }),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &InbentaConfig {
        &self.inner.config
    }

    /// Creates an end user (`POST /v1/users`) and returns it with its session token, to
    /// [`login`](InbentaClient::login) with.
    ///
    /// # Errors
    /// [`Error::Api`] with Inbenta's code, e.g. 409 when `externalId` is taken.
    pub async fn create_user(&self, user: NewUser) -> Result<UserSession, Error> {
        let body = serde_json::to_value(&user).map_err(|source| Error::Encode {
            action: "POST /v1/users".into(),
            source: source.into(),
        })?;
        self.inner
            .rest
            .json(http::Method::POST, "users", Some(&body))
            .await
    }

    /// Logs in as user `user_id` with its session `token` (`ICF.Lobby.init`): checks
    /// the token (`GET /v1/users/{id}`), opens the realtime channel and waits until it
    /// is up. The [`UserClient`] it returns sends REST calls with the user's token.
    ///
    /// The connection comes back by itself after a network failure (see
    /// [`lc_rtm::RtmConfig`]); [`UserClient::events`] reports it.
    ///
    /// # Errors
    /// [`Error::Api`] (401) for a refused token; [`Error::Transport`] when the realtime
    /// channel cannot be opened; [`Error::Timeout`].
    pub async fn login(
        &self,
        user_id: &str,
        token: impl Into<lc_protocol::id::Token>,
    ) -> Result<UserClient, Error> {
        let token = token.into();
        let rest = self
            .inner
            .rest
            .with_credential(Credential::Session(token.clone()));
        #[derive(Deserialize)]
        struct UserBody {
            user: InbentaUser,
        }
        let path = format!("users/{}", lc_protocol::percent::encode(user_id));
        let UserBody { user } = rest.json(http::Method::GET, &path, None).await?;
        let config = &self.inner.config;
        let session = InbentaSession::new(config.app_id(), config.ws_url());
        let rtm = RtmClient::connect(session, token, config.rtm.clone());
        let login = Login {
            config: config.clone(),
            rest,
            user,
            rtm,
        };
        wait_until_connected(&login, config).await?;
        Ok(UserClient {
            inner: Arc::new(login),
        })
    }

    pub(crate) fn rest(&self) -> &Rest {
        &self.inner.rest
    }
}

impl UserClient {
    /// The configuration.
    pub fn config(&self) -> &InbentaConfig {
        &self.inner.config
    }

    /// The logged-in user (`ICF.Connection.me()`).
    pub fn user(&self) -> &InbentaUser {
        &self.inner.user
    }

    /// The realtime transport (e.g. to read its connection state).
    pub fn transport(&self) -> &InbentaRtm {
        &self.inner.rtm
    }

    /// A typed client event (e.g. [`lc_protocol::inbenta::ChatsAssign`]): `.await` the
    /// [`Call`] to send it and decode the server's typed reply. The reply is awaited for
    /// the engine's request timeout, or for [`Call::timeout`] when set (e.g. for
    /// `chats:assign`, answered when the agent search ends).
    ///
    /// The call fails with [`Error::Api`] (the server's code and message; the
    /// connection stays usable), [`Error::Timeout`], [`Error::ConnectionLost`],
    /// [`Error::Closed`], or [`Error::Unsupported`] for an action of another API.
    pub fn call<A: Action>(&self, request: A) -> Call<'_, InbentaRtm, A> {
        Call::new(&self.inner.rtm, request)
    }

    /// Sends client event `name` with `data` and resolves to the data of the server's
    /// reply (`ICF.Events.send`).
    /// (JS: Inbenta `ICF.Events` `send`.)
    ///
    /// # Errors
    /// [`Error::Api`] with the server's code and message (the connection stays usable);
    /// [`Error::Timeout`], [`Error::ConnectionLost`], [`Error::Closed`].
    pub async fn call_raw(&self, name: &str, data: Value) -> Result<Value, Error> {
        self.inner.rtm.call_raw(name, data).await
    }

    /// Every push and connection lifecycle item ([`InbentaEvent`]) from now on;
    /// dropping the stream unsubscribes. Pushes are not replayed: after
    /// [`RtmEvent::Missed`], [`EventStream::catch_up`] has nothing to give; read the
    /// state again (a [`Chat`](crate::Chat)'s events recover by themselves).
    pub fn events(&self) -> EventStream<InbentaEvent> {
        EventStream::new(AllPushes(self.inner.rtm.subscribe()))
    }

    /// The pushes named `name` (e.g. `message:received`) from now on, with the
    /// connection's lifecycle (`ICF.Events.subscribe(eventName)`; the callback form is
    /// [`on`](UserClient::on)). Drop the stream, or pass it to
    /// [`unsubscribe`](UserClient::unsubscribe), to stop.
    /// (JS: Inbenta `ICF.Events` `subscribe`.)
    pub fn subscribe(&self, name: &str) -> EventStream<SubscriptionItem<InbentaPush>> {
        let name = name.to_owned();
        EventStream::new(Selected::new(
            self.inner.rtm.subscribe(),
            Box::new(move |push: InbentaPush| (push.name() == name).then_some(push)),
        ))
    }

    /// The pushes of payload type `P` (e.g. [`lc_protocol::inbenta::MessageReceived`])
    /// from now on, as [`subscribe`](UserClient::subscribe) does by name.
    pub fn subscribe_to<P>(&self) -> EventStream<SubscriptionItem<P>>
    where
        P: PushPayload<Set = InbentaPush> + Clone + Send + 'static,
    {
        EventStream::new(Selected::new(
            self.inner.rtm.subscribe(),
            Box::new(|push: InbentaPush| P::from_push(&push).cloned()),
        ))
    }

    /// Stops a stream of [`subscribe`](UserClient::subscribe) (`ICF.Events.unsubscribe`);
    /// dropping it does the same.
    /// (JS: Inbenta `ICF.Events` `unsubscribe`.)
    pub fn unsubscribe<T>(&self, stream: EventStream<T>) {
        drop(stream);
    }

    /// Calls `handler` with every push of type `P` (e.g.
    /// [`MessageReceived`](lc_protocol::inbenta::MessageReceived)) from now on, in a
    /// task of its own, until the returned [`Subscription`] is dropped or
    /// [turned off](Subscription::off): `ICF.Events.subscribe(eventName, callback)`;
    /// turning it off is `ICF.Events.unsubscribe(eventName, listener)`.
    ///
    /// Must be called within a tokio runtime.
    pub fn on<P>(&self, handler: impl FnMut(&P) + Send + 'static) -> Subscription
    where
        P: PushPayload<Set = InbentaPush> + 'static,
    {
        self.listen::<P>(every(handler))
    }

    /// Calls `handler` with the next push of type `P` only, as [`on`](UserClient::on)
    /// does for every one (as customer-sdk `once`); dropping the subscription before
    /// that cancels it.
    ///
    /// Must be called within a tokio runtime.
    pub fn once<P>(&self, handler: impl FnOnce(&P) + Send + 'static) -> Subscription
    where
        P: PushPayload<Set = InbentaPush> + 'static,
    {
        self.listen::<P>(first(handler))
    }

    /// Calls `handler` with the pushes of type `P` in a task of its own while it
    /// returns true.
    fn listen<P>(&self, mut handler: impl FnMut(&P) -> bool + Send + 'static) -> Subscription
    where
        P: PushPayload<Set = InbentaPush> + 'static,
    {
        let mut pushes = self.inner.rtm.subscribe();
        let task = tokio::spawn(async move {
            while let Some(item) = pushes.next().await {
                match item {
                    RtmEvent::Push { push, .. } => {
                        if let Some(payload) = P::from_push(&push) {
                            if !handler(payload) {
                                return;
                            }
                        }
                    }
                    RtmEvent::Missed(missed) => {
                        tracing::warn!(missed, "a push handler missed Inbenta pushes");
                    }
                    _ => {}
                }
            }
        });
        let (stop, finished) = (task.abort_handle(), task.abort_handle());
        Subscription::new(move || stop.abort(), move || finished.is_finished())
    }

    /// The chats of the logged-in user, by chat id (`users:chats`,
    /// `ICF.Lobby.getUserChats`).
    ///
    /// # Errors
    /// As [`call`](UserClient::call).
    pub async fn user_chats(&self) -> Result<BTreeMap<String, Value>, Error> {
        let me = self.inner.user.id.clone();
        Ok(self.call(UsersChats::new(me)).await?.chats)
    }

    /// Closes the realtime channel (`ICF.Lobby.close`); later realtime calls fail with
    /// [`Error::Closed`]. REST calls still work.
    pub fn close(&self) {
        self.inner.rtm.close();
    }

    pub(crate) fn rest(&self) -> &Rest {
        &self.inner.rest
    }
}

/// Every item of the realtime channel: the source of [`UserClient::events`].
struct AllPushes(PushStream<InbentaPush>);

impl EventSource<InbentaEvent> for AllPushes {
    fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<InbentaEvent>> {
        self.0.poll_next_unpin(cx)
    }

    fn catch_up(&mut self) -> CatchUp<'_, InbentaEvent> {
        // The realtime channel does not replay pushes.
        Box::pin(std::future::ready(Ok(Vec::new())))
    }
}

/// Waits for the first `Connected` (or a successful probe), failing on the first
/// refused connection.
async fn wait_until_connected(login: &Login, config: &InbentaConfig) -> Result<(), Error> {
    let mut events = login.rtm.subscribe();
    let limit = config.rtm.connect_timeout + config.rtm.request_timeout;
    // The probe covers a `Connected` sent before `events` existed.
    let probe_request = UsersChats::new(login.user.id.clone());
    let probe = login.rtm.call(&probe_request);
    tokio::pin!(probe);
    let waited = tokio::time::timeout(limit, async {
        loop {
            tokio::select! {
                result = &mut probe => return result.map(drop),
                event = events.next() => match event {
                    Some(RtmEvent::Connected) => return Ok(()),
                    Some(RtmEvent::Disconnected { reason }) | Some(RtmEvent::Stopped { reason }) => {
                        return Err(Error::transport(
                            lc_protocol::TransportFailure::Connect,
                            format!("the realtime channel was refused: {reason}"),
                            None,
                        ));
                    }
                    None => return Err(Error::Closed),
                    Some(_) => {}
                },
            }
        }
    })
    .await;
    let result = waited.unwrap_or_else(|_| {
        Err(Error::Timeout {
            action: "connect".into(),
            after: limit,
        })
    });
    if result.is_err() {
        login.rtm.close();
    }
    result
}
