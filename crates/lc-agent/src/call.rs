//! [`Call`]: one typed request on its way, awaited to send it.

use lc_protocol::{Action, Error, Transport};
use std::future::{Future, IntoFuture};
use std::ops::{Deref, DerefMut};
use std::pin::Pin;

/// A request of action `A` bound to a transport; `.await` sends it and resolves to the
/// action's typed response.
///
/// Optional fields are set with [`with`](Call::with) and the request's builder methods,
/// or directly through `Deref`/`DerefMut` to the request:
///
/// ```no_run
/// # async fn demo(client: lc_agent::AgentClient<impl lc_protocol::Transport>) -> Result<(), lc_protocol::Error> {
/// let threads = client.list_threads("PJ0MRSHTDG").with(|r| r.limit(5u32)).await?;
/// # let _ = threads;
/// # Ok(())
/// # }
/// ```
///
/// Before anything is sent, the transport checks that its API, transport kind and API
/// version carry the action ([`Error::Unsupported`] otherwise).
#[must_use = "a Call does nothing until it is awaited"]
#[derive(Debug)]
pub struct Call<'a, T, A> {
    transport: &'a T,
    request: A,
}

impl<'a, T, A> Call<'a, T, A> {
    /// Binds `request` to `transport`.
    pub fn new(transport: &'a T, request: A) -> Self {
        Self { transport, request }
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

impl<T, A> Deref for Call<'_, T, A> {
    type Target = A;

    fn deref(&self) -> &A {
        &self.request
    }
}

impl<T, A> DerefMut for Call<'_, T, A> {
    fn deref_mut(&mut self) -> &mut A {
        &mut self.request
    }
}

impl<'a, T: Transport, A: Action + 'a> IntoFuture for Call<'a, T, A> {
    type Output = Result<A::Response, Error>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send + 'a>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move { self.transport.call(&self.request).await })
    }
}
