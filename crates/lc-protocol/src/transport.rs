//! The [`Transport`] trait: what the engines (RTM, Web) offer to the role clients.

use crate::action::{Action, Api, HttpMethod, TransportKind};
pub use crate::call::{CallOptions, Pause};
use crate::call::{Dispatch, ResponseFuture};
use crate::error::{Error, FrameError};
use crate::version::ApiVersion;
use crate::wire::typed::{Answer, ResponseDecoder};
use async_trait::async_trait;
use serde_json::Value;
use serde_json::value::RawValue;
use std::time::Duration;

/// One request, encoded, ready for an engine to send.
#[derive(Debug, Clone)]
pub struct RawRequest {
    /// The wire name of the action.
    pub action: String,
    /// The payload, already JSON.
    pub payload: Box<RawValue>,
    /// How Web sends it (ignored by RTM).
    pub method: HttpMethod,
}

/// A way to send actions to a chat API and get their responses.
///
/// The engines implement [`send_raw`](Transport::send_raw), and
/// [`send_raw_with`](Transport::send_raw_with) when they honour [`CallOptions`]; role
/// clients (the agent, customer and Inbenta clients) call the typed
/// [`call`](Transport::call), which checks that the action exists for this API,
/// transport and version before sending anything.
#[async_trait]
pub trait Transport: Send + Sync {
    /// The API this transport talks to.
    fn api(&self) -> Api;

    /// RTM or Web.
    fn kind(&self) -> TransportKind;

    /// The API version of the connection.
    fn version(&self) -> ApiVersion;

    /// Waits `delay` on the engine's runtime: what the SDK uses between lookups and
    /// retries of its own (e.g. [`SendOnce`](crate::SendOnce)). The default does not
    /// wait; engines override it with their timer.
    fn pause(&self, delay: Duration) -> Pause {
        let _ = delay;
        Box::pin(std::future::ready(()))
    }

    /// Sends one encoded request and returns the raw response payload.
    ///
    /// # Errors
    /// Whatever the engine meets: [`Error::Api`], [`Error::Timeout`],
    /// [`Error::ConnectionLost`], [`Error::Transport`], [`Error::Closed`].
    async fn send_raw(&self, request: RawRequest) -> Result<Box<RawValue>, Error>;

    /// Like [`send_raw`](Transport::send_raw), with the settings of this one call. The
    /// default ignores `options` and calls `send_raw`: engines that honour them (the RTM
    /// and Web engines) override it.
    ///
    /// # Errors
    /// As [`send_raw`](Transport::send_raw).
    async fn send_raw_with(
        &self,
        request: RawRequest,
        options: CallOptions,
    ) -> Result<Box<RawValue>, Error> {
        if options.author_id.is_some() {
            return Err(Error::InvalidInput(format!(
                "this transport cannot send `{}` as another author (author_id)",
                request.action
            )));
        }
        self.send_raw(request).await
    }

    /// Like [`send_raw_with`](Transport::send_raw_with), with the decoder of the
    /// response type: an engine that reads the response frame itself may decode the
    /// payload straight into that type ([`Answer::Typed`]) instead of handing it over
    /// raw. The default sends the request with `send_raw_with` ([`Answer::Raw`]).
    ///
    /// # Errors
    /// As [`send_raw`](Transport::send_raw); [`Error::Decode`] when the engine decoded a
    /// payload that does not match the type.
    async fn send_decoded_with(
        &self,
        request: RawRequest,
        options: CallOptions,
        decoder: ResponseDecoder,
    ) -> Result<Answer, Error> {
        let _ = decoder;
        self.send_raw_with(request, options).await.map(Answer::Raw)
    }

    /// Sends a typed action and decodes its typed response.
    ///
    /// # Errors
    /// [`Error::Unsupported`] before sending when this connection lacks the action;
    /// [`Error::Decode`] when the response does not match the action's response type;
    /// otherwise as [`send_raw`](Transport::send_raw).
    async fn call<A: Action>(&self, action: &A) -> Result<A::Response, Error>
    where
        Self: Sized,
    {
        self.call_with(action, CallOptions::default()).await
    }

    /// Like [`call`](Transport::call), with the settings of this one call.
    ///
    /// # Errors
    /// As [`call`](Transport::call).
    async fn call_with<A: Action>(
        &self,
        action: &A,
        options: CallOptions,
    ) -> Result<A::Response, Error>
    where
        Self: Sized,
    {
        let meta = A::META;
        meta.check(self.api(), self.kind(), self.version())?;
        let payload = serde_json::value::to_raw_value(action).map_err(|source| Error::Encode {
            action: meta.name.to_owned(),
            source: source.into(),
        })?;
        let method = meta.web.unwrap_or(HttpMethod::Post);
        let request = RawRequest {
            action: meta.name.to_owned(),
            payload,
            method,
        };
        let decoder = ResponseDecoder::of::<A::Response>();
        let answer = self.send_decoded_with(request, options, decoder).await?;
        decoder.finish::<A::Response>(meta.name, answer)
    }

    /// Sends any action by name with a JSON payload: the escape hatch for actions this
    /// crate does not know yet. Known GET actions are sent with GET over Web.
    ///
    /// # Errors
    /// As [`send_raw`](Transport::send_raw).
    async fn call_raw(&self, action: &str, payload: Value) -> Result<Value, Error> {
        self.call_raw_with(action, payload, CallOptions::default())
            .await
    }

    /// Like [`call_raw`](Transport::call_raw), with the settings of this one call.
    ///
    /// # Errors
    /// As [`send_raw`](Transport::send_raw).
    async fn call_raw_with(
        &self,
        action: &str,
        payload: Value,
        options: CallOptions,
    ) -> Result<Value, Error> {
        let method = crate::generated::meta::find_action(self.api(), action)
            .and_then(|meta| meta.web)
            .unwrap_or(HttpMethod::Post);
        let payload =
            serde_json::value::to_raw_value(&payload).map_err(|source| Error::Encode {
                action: action.to_owned(),
                source: source.into(),
            })?;
        let request = RawRequest {
            action: action.to_owned(),
            payload,
            method,
        };
        let raw = self.send_raw_with(request, options).await?;
        decode_response::<Value>(action, &raw)
    }
}

/// A [`Transport`] over RTM (a logged-in WebSocket). Role clients offer the methods that
/// only RTM carries (`login`, `set_away_status`, push subscriptions, ...) for these
/// transports only, so calling them over Web does not compile.
pub trait RtmTransport: Transport {}

/// A [`Transport`] over Web (one HTTPS request per action). Role clients offer the
/// methods that only Web carries for these transports only.
pub trait WebTransport: Transport {}

/// Decodes a raw response payload into `T`, naming the action on failure.
///
/// # Errors
/// [`Error::Decode`] with [`FrameError::Payload`].
pub fn decode_response<T: serde::de::DeserializeOwned>(
    action: &str,
    raw: &RawValue,
) -> Result<T, Error> {
    serde_json::from_str(raw.get()).map_err(|source| Error::Decode {
        action: action.to_owned(),
        source: FrameError::Payload {
            name: action.to_owned(),
            source: source.into(),
        },
    })
}

impl<T: Transport> Dispatch for T {
    fn dispatch_with<'a, A: Action + 'a>(
        &'a self,
        request: &'a A,
        options: CallOptions,
    ) -> ResponseFuture<'a, A::Response> {
        self.call_with(request, options)
    }

    fn pause(&self, delay: Duration) -> Pause {
        Transport::pause(self, delay)
    }
}
