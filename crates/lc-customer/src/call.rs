//! [`Call`]: one typed request on its way, awaited to send it.

use crate::CustomerClient;
use crate::connection::CustomerConnection;
use lc_protocol::{Action, Error, Transport, TransportKind};
use std::future::{Future, IntoFuture};
use std::ops::{Deref, DerefMut};
use std::pin::Pin;

/// A request of action `A` from a [`CustomerClient`]; `.await` sends it and resolves to
/// the action's typed response.
///
/// Optional fields are set with [`with`](Call::with) and the request's builder methods,
/// or directly through `Deref`/`DerefMut`:
///
/// ```no_run
/// # async fn demo(client: lc_customer::CustomerClient) -> Result<(), lc_protocol::Error> {
/// use lc_protocol::types::Event;
///
/// let sent = client
///     .send_event("PJ0MRSHTDG", Event::message("Hello"))
///     .with(|r| r.attach_to_last_thread(true))
///     .await?;
/// println!("{}", sent.event_id);
/// # Ok(())
/// # }
/// ```
///
/// An action the connection's transport lacks goes over Web when the client has a Web
/// client and Web carries it (`upload_file` and the GET actions); otherwise it fails with
/// [`Error::Unsupported`] before anything is sent. Every call of a destroyed client fails
/// with [`Error::Destroyed`].
#[must_use = "a Call does nothing until it is awaited"]
#[derive(Debug)]
pub struct Call<'a, T, A> {
    client: &'a CustomerClient<T>,
    request: A,
}

impl<'a, T, A> Call<'a, T, A> {
    pub(crate) fn new(client: &'a CustomerClient<T>, request: A) -> Self {
        Self { client, request }
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

impl<'a, T: CustomerConnection, A: Action + 'a> IntoFuture for Call<'a, T, A> {
    type Output = Result<A::Response, Error>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send + 'a>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move { self.client.send_typed(&self.request).await })
    }
}

impl<T: CustomerConnection> CustomerClient<T> {
    /// Sends `request` over the connection, or over Web when only Web carries it.
    pub(crate) async fn send_typed<A: Action>(&self, request: &A) -> Result<A::Response, Error> {
        self.check()?;
        let transport = &self.inner.transport;
        match &self.inner.web {
            Some(web)
                if !A::META.carried_by(transport.kind())
                    && A::META.carried_by(TransportKind::Web) =>
            {
                web.call(request).await
            }
            _ => transport.call(request).await,
        }
    }
}
