//! [`Call`]: one typed request bound to whatever sends it, awaited to send it.

use crate::action::Action;
use crate::error::Error;
use crate::version::ApiVersion;
use std::future::{Future, IntoFuture};
use std::ops::{Deref, DerefMut};
use std::pin::Pin;
use std::time::Duration;

/// The future of [`Dispatch::pause`] (and of `Transport::pause`).
pub type Pause = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// Settings of one call, for the engine that sends it (see [`Call::timeout`] and
/// [`Call::author_id`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CallOptions {
    /// How long the call may take, instead of the engine's own request timeout: over RTM,
    /// the wait for the response; over Web, each attempt (retries get their own time).
    /// `None` (the default) keeps the engine's.
    pub timeout: Option<Duration>,
    /// The bot this request acts as, with an agent's token (Agent Chat API 3.5 and
    /// older: the envelope's `author_id` over RTM, `X-Author-Id` over Web). API 3.6
    /// removed it: engines refuse such a call before sending (bots log in with their own
    /// bot token instead), and so do transports that cannot send it.
    pub author_id: Option<String>,
}

impl CallOptions {
    /// Sets [`timeout`](Self::timeout).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Sets [`author_id`](Self::author_id).
    #[must_use]
    pub fn author_id(mut self, id: impl Into<String>) -> Self {
        self.author_id = Some(id.into());
        self
    }

    /// The author id to send with a request of API `version`: `Ok(None)` without one,
    /// the id for 3.5 and older, an error for 3.6 and later.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when `version` no longer has `author_id`.
    pub fn author_id_for(&self, version: ApiVersion) -> Result<Option<&str>, Error> {
        match self.author_id.as_deref() {
            Some(_) if version > ApiVersion::V3_5 => Err(author_id_removed(version)),
            id => Ok(id),
        }
    }
}

/// The error of a call that asks to act as a bot where the API no longer allows it.
pub fn author_id_removed(version: ApiVersion) -> Error {
    Error::InvalidInput(format!(
        "acting as a bot with an agent token (author_id, X-Author-Id) was removed in API \
         3.6 and this connection speaks {version}: log the bot in with its own bot token \
         (Configuration API issue_bot_token) instead"
    ))
}

/// The future of one typed request.
pub type ResponseFuture<'a, R> = Pin<Box<dyn Future<Output = Result<R, Error>> + Send + 'a>>;

/// Sends typed actions: every [`Transport`](crate::Transport), and role clients that pick a transport per
/// action (e.g. the customer client, which sends Web-only actions over Web).
pub trait Dispatch: Send + Sync {
    /// Sends `request` with the settings of this one call and resolves to its typed
    /// response.
    fn dispatch_with<'a, A: Action + 'a>(
        &'a self,
        request: &'a A,
        options: CallOptions,
    ) -> ResponseFuture<'a, A::Response>;

    /// Sends `request` and resolves to its typed response.
    fn dispatch<'a, A: Action + 'a>(&'a self, request: &'a A) -> ResponseFuture<'a, A::Response> {
        self.dispatch_with(request, CallOptions::default())
    }

    /// Waits `delay` on the runtime of the transport (see
    /// [`Transport::pause`](crate::Transport::pause)).
    fn pause(&self, delay: Duration) -> Pause;
}

/// A request of action `A` bound to `D` (a transport or a role client); `.await` sends it
/// and resolves to the action's typed response.
///
/// Optional fields are set on the call itself (each request's optional fields have a
/// setter on its `Call`), with [`with`](Call::with) and the request's builder methods,
/// or directly through `Deref`/`DerefMut` to the request:
///
/// ```no_run
/// # async fn demo(transport: impl lc_protocol::Transport) -> Result<(), lc_protocol::Error> {
/// use lc_protocol::Call;
/// use lc_protocol::agent::ListThreads;
///
/// let threads = Call::new(&transport, ListThreads::new("PJ0MRSHTDG"))
///     .limit(5)
///     .await?;
/// # let _ = threads;
/// # Ok(())
/// # }
/// ```
///
/// Requests are `#[non_exhaustive]`: they are built with `new` and the setters, so a field
/// added to the API breaks no caller:
///
/// ```compile_fail
/// let request = lc_protocol::agent::ListChats { limit: Some(5), ..Default::default() };
/// ```
///
/// Before anything is sent, the transport checks that its API, transport kind and API
/// version carry the action ([`Error::Unsupported`] otherwise).
///
/// [`timeout`](Call::timeout) bounds this one call instead of the engine's request
/// timeout:
///
/// ```no_run
/// # async fn demo(transport: impl lc_protocol::Transport) -> Result<(), lc_protocol::Error> {
/// use lc_protocol::Call;
/// use lc_protocol::agent::ListChats;
/// use std::time::Duration;
///
/// let chats = Call::new(&transport, ListChats::new())
///     .timeout(Duration::from_secs(2))
///     .await?;
/// # let _ = chats;
/// # Ok(())
/// # }
/// ```
#[must_use = "a Call does nothing until it is awaited"]
#[derive(Debug)]
pub struct Call<'a, D, A> {
    dispatcher: &'a D,
    request: A,
    options: CallOptions,
}

impl<'a, D, A> Call<'a, D, A> {
    /// Binds `request` to `dispatcher`.
    pub fn new(dispatcher: &'a D, request: A) -> Self {
        Self {
            dispatcher,
            request,
            options: CallOptions::default(),
        }
    }

    /// How long this call may take, instead of the engine's request timeout: over RTM
    /// the wait for the response, over Web each attempt. It ends with
    /// [`Error::Timeout`] when it takes longer. Transports that cannot bound one call
    /// keep their own timeout.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.options = std::mem::take(&mut self.options).timeout(timeout);
        self
    }

    /// Sends this request as the bot `id`, with the agent's token (lc-sdk-js
    /// `setAuthorId`, for one call): Agent Chat API 3.5 and older only; on 3.6 the call
    /// fails before sending, pointing to bot tokens.
    pub fn author_id(mut self, id: impl Into<String>) -> Self {
        self.options = std::mem::take(&mut self.options).author_id(id);
        self
    }

    /// The settings of this call (its timeout, its author).
    pub fn options(mut self, options: CallOptions) -> Self {
        self.options = options;
        self
    }

    /// Changes the request, typically with its generated builder methods.
    pub fn with(mut self, f: impl FnOnce(A) -> A) -> Self {
        self.request = f(self.request);
        self
    }

    /// The request, without sending it.
    pub fn into_request(self) -> A {
        self.request
    }
}

impl<D, A> Deref for Call<'_, D, A> {
    type Target = A;

    fn deref(&self) -> &A {
        &self.request
    }
}

impl<D, A> DerefMut for Call<'_, D, A> {
    fn deref_mut(&mut self) -> &mut A {
        &mut self.request
    }
}

impl<'a, D: Dispatch, A: Action + 'a> IntoFuture for Call<'a, D, A> {
    type Output = Result<A::Response, Error>;
    type IntoFuture = ResponseFuture<'a, A::Response>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            let options = self.options;
            self.dispatcher.dispatch_with(&self.request, options).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::{ListChats, SendEvent};
    use crate::types::{Event, SortOrder};

    #[test]
    fn optional_fields_are_set_on_the_call_with_plain_numbers() {
        let request = Call::new(&(), ListChats::new())
            .limit(5)
            .sort_order(SortOrder::Asc)
            .into_request();
        assert_eq!(request.limit, Some(5));
        assert_eq!(request.sort_order, Some(SortOrder::Asc));
        assert_eq!(ListChats::new().limit(7).limit, Some(7));
        let send = crate::SendOnce::new(&(), SendEvent::new("C", Event::message("hi")))
            .attach_to_last_thread(true)
            .into_request();
        assert_eq!(send.attach_to_last_thread, Some(true));
        assert!(
            send.event
                .custom_id()
                .is_some_and(|id| id.starts_with("lcrs-"))
        );
    }
}
