//! [`Client`]: the app's REST API and, once a user logged in, the realtime channel.

use crate::config::InbentaConfig;
use crate::rest::{Credential, Rest};
use crate::session::InbentaSession;
use crate::subscription::Subscription;
use crate::users::{NewUser, UserSession};
use futures_util::StreamExt;
use lc_protocol::inbenta::{InbentaPush, InbentaUser, UsersChats};
use lc_protocol::transport::decode_response;
use lc_protocol::{Action, Error, PushPayload, PushSet, Transport, TransportKind};
use lc_rtm::{PushStream, RtmClient, RtmEvent};
use lc_web::HttpEngine;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// A client of Inbenta Agent Chat: the seed's `ICF` (`init`, `Api.request`,
/// `Lobby.init`, `Events.send/subscribe/unsubscribe`).
///
/// [`Client::new`] gives the app's REST API ([`create_user`](Client::create_user),
/// availability, settings, [`api_request`](Client::api_request)). [`login`](Client::login)
/// returns a client logged in as a user: REST calls then carry the user's token, and the
/// realtime channel is open — [`send`](Client::send) any client event and get the
/// server's reply, [`request`](Client::request) a typed one (every client event of the
/// seed is a type in [`lc_protocol::inbenta`]), [`subscribe`](Client::subscribe) to
/// pushes. Realtime methods of a client that is not logged in fail with
/// [`Error::InvalidInput`] before sending anything.
///
/// Cloning gives another handle to the same connection; it closes when the last handle
/// is dropped or on [`close`](Client::close).
///
/// ```no_run
/// use lc_inbenta::{Chat, ChatOptions, Client, InbentaConfig, NewUser};
/// use lc_protocol::inbenta::ChatsGet;
///
/// # async fn demo() -> Result<(), lc_protocol::Error> {
/// let app = Client::new(InbentaConfig::region("my-app-id", "eu").domain_key("my-domain-key"));
/// if app.agents_available("1", Some("en")).await? == 0 {
///     return Ok(());
/// }
/// let bob = app.create_user(NewUser::new("Bob").contact("bob@example.com")).await?;
/// let client = app.login(&bob.user.id, bob.token).await?;
///
/// let chat = Chat::init(&client, ChatOptions::new("1").lang("en")).await?;
/// // Any client event, typed...
/// let data = client.request(&ChatsGet::new(chat.id()).fields("users")).await?;
/// // ...or by name, as in `ICF.Events.send`.
/// let raw = client.send("users:chats", serde_json::json!({"userId": bob.user.id})).await?;
/// # let _ = (data, raw);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: InbentaConfig,
    rest: Rest,
    login: Option<Login>,
}

/// A logged-in user and its realtime connection.
#[derive(Debug)]
struct Login {
    user: InbentaUser,
    rtm: RtmClient<InbentaSession>,
}

impl Drop for Login {
    fn drop(&mut self) {
        self.rtm.close();
    }
}

impl Client {
    /// A client of the app in `config`, not logged in (the seed's `ICF.init`). REST calls
    /// carry `x-hyper-appid` and the config's secret or domain key, if any.
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
            inner: Arc::new(Inner {
                config,
                rest,
                login: None,
            }),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &InbentaConfig {
        &self.inner.config
    }

    /// The logged-in user (`ICF.Connection.me()`), if any.
    pub fn user(&self) -> Option<&InbentaUser> {
        self.inner.login.as_ref().map(|login| &login.user)
    }

    /// The logged-in user's id.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when the client is not logged in.
    pub fn user_id(&self) -> Result<&str, Error> {
        Ok(&self.logged_in()?.user.id)
    }

    /// Creates an end user (`POST /v1/users`) and returns it with its session token, to
    /// [`login`](Client::login) with.
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

    /// Logs in as user `user_id` with its session `token` (the seed's `ICF.Lobby.init`):
    /// checks the token (`GET /v1/users/{id}`), opens the realtime channel and waits
    /// until it is up. The returned client sends REST calls with the user's token; this
    /// one is unchanged.
    ///
    /// The connection comes back by itself after a network failure (see
    /// [`lc_rtm::RtmConfig`]); [`events`](Client::events) reports it.
    ///
    /// # Errors
    /// [`Error::Api`] (401) for a refused token; [`Error::Transport`] when the realtime
    /// channel cannot be opened; [`Error::Timeout`].
    pub async fn login(
        &self,
        user_id: &str,
        token: impl Into<lc_protocol::id::Token>,
    ) -> Result<Client, Error> {
        let token = token.into();
        let rest = self
            .inner
            .rest
            .with_credential(Credential::Session(token.clone()));
        #[derive(Deserialize)]
        struct UserBody {
            user: InbentaUser,
        }
        let path = format!("users/{}", crate::session::query_escape(user_id));
        let UserBody { user } = rest.json(http::Method::GET, &path, None).await?;
        let config = &self.inner.config;
        let session = InbentaSession::new(config.app_id(), config.ws_url());
        let rtm = RtmClient::connect(session, token, config.rtm.clone());
        let login = Login { user, rtm };
        wait_until_connected(&login, config).await?;
        Ok(Self {
            inner: Arc::new(Inner {
                config: config.clone(),
                rest,
                login: Some(login),
            }),
        })
    }

    fn logged_in(&self) -> Result<&Login, Error> {
        self.inner
            .login
            .as_ref()
            .ok_or_else(|| Error::InvalidInput("not logged in: call Client::login first".into()))
    }

    /// The realtime transport of the logged-in user.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when the client is not logged in.
    pub fn transport(&self) -> Result<&RtmClient<InbentaSession>, Error> {
        Ok(&self.logged_in()?.rtm)
    }

    /// Sends client event `name` with `data` and resolves to the data of the server's
    /// reply (the seed's `ICF.Events.send`).
    ///
    /// # Errors
    /// [`Error::Api`] with the server's code and message (the connection stays usable);
    /// [`Error::Timeout`], [`Error::ConnectionLost`], [`Error::Closed`].
    pub async fn send(&self, name: &str, data: Value) -> Result<Value, Error> {
        self.logged_in()?.rtm.call_raw(name, data).await
    }

    /// Sends a typed client event (e.g. [`lc_protocol::inbenta::ChatsAssign`]) and decodes
    /// its typed reply.
    ///
    /// # Errors
    /// As [`send`](Client::send); [`Error::Unsupported`] for an action of another API.
    pub async fn request<A: Action>(&self, event: &A) -> Result<A::Response, Error> {
        self.logged_in()?.rtm.call(event).await
    }

    /// Like [`request`](Client::request), waiting up to `timeout` for the reply instead
    /// of the configured request timeout (for `chats:assign`, answered when the agent
    /// search ends).
    ///
    /// # Errors
    /// As [`request`](Client::request).
    pub async fn request_with_timeout<A: Action>(
        &self,
        event: &A,
        timeout: Duration,
    ) -> Result<A::Response, Error> {
        let rtm = &self.logged_in()?.rtm;
        let meta = A::META;
        meta.check(rtm.api(), TransportKind::Rtm, rtm.version())?;
        let payload = serde_json::value::to_raw_value(event).map_err(|source| Error::Encode {
            action: meta.name.to_owned(),
            source: source.into(),
        })?;
        let raw: Box<serde_json::value::RawValue> = rtm
            .request_with_timeout(meta.name, payload, timeout)
            .await?;
        decode_response(meta.name, &raw)
    }

    /// The pushes named `name` (e.g. `message:received`) from now on, typed (the seed's
    /// `ICF.Events.subscribe`). Drop the stream, or pass it to
    /// [`unsubscribe`](Client::unsubscribe), to stop.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when the client is not logged in.
    pub fn subscribe(&self, name: &str) -> Result<Subscription, Error> {
        let name = name.to_owned();
        let stream = self.logged_in()?.rtm.subscribe();
        Ok(Subscription::new(
            stream,
            Box::new(move |push: InbentaPush| (push.name() == name).then_some(push)),
        ))
    }

    /// The pushes of payload type `P` (e.g. [`lc_protocol::inbenta::MessageReceived`])
    /// from now on.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when the client is not logged in.
    pub fn subscribe_to<P>(&self) -> Result<Subscription<P>, Error>
    where
        P: PushPayload<Set = InbentaPush> + Clone + 'static,
    {
        let stream = self.logged_in()?.rtm.subscribe();
        Ok(Subscription::new(
            stream,
            Box::new(|push: InbentaPush| P::from_push(&push).cloned()),
        ))
    }

    /// Stops a subscription (the seed's `ICF.Events.unsubscribe`); dropping it does the
    /// same.
    pub fn unsubscribe<T>(&self, subscription: Subscription<T>) {
        drop(subscription);
    }

    /// Every push and connection lifecycle item ([`RtmEvent`]) from now on.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when the client is not logged in.
    pub fn events(&self) -> Result<PushStream<InbentaPush>, Error> {
        Ok(self.logged_in()?.rtm.subscribe())
    }

    /// The chats of the logged-in user, by chat id (`users:chats`, the seed's
    /// `ICF.Lobby.getUserChats`).
    ///
    /// # Errors
    /// As [`request`](Client::request).
    pub async fn user_chats(&self) -> Result<BTreeMap<String, Value>, Error> {
        let me = self.user_id()?.to_owned();
        Ok(self.request(&UsersChats::new(me)).await?.chats)
    }

    /// Closes the realtime channel (the seed's `ICF.Lobby.close`); later realtime calls
    /// fail with [`Error::Closed`]. REST calls still work.
    pub fn close(&self) {
        if let Some(login) = &self.inner.login {
            login.rtm.close();
        }
    }

    pub(crate) fn rest(&self) -> &Rest {
        &self.inner.rest
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
