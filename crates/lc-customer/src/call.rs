//! [`Call`]: one typed request of a [`CustomerClient`], awaited to send it.

use crate::client::CustomerClient;
use crate::connection::CustomerConnection;
use lc_protocol::call::{Dispatch, ResponseFuture};
use lc_protocol::{Action, CallOptions, Error, Transport, TransportKind};

/// A request of action `A` from a [`CustomerClient`]; `.await` sends it and resolves to
/// the action's typed response.
///
/// Optional fields are set on the call itself (generated setters named after the fields),
/// or directly through `Deref`/`DerefMut`:
///
/// ```no_run
/// # async fn demo(client: lc_customer::CustomerClient) -> Result<(), lc_protocol::Error> {
/// use lc_protocol::types::Event;
///
/// let sent = client
///     .send_event("PJ0MRSHTDG", Event::message("Hello"))
///     .attach_to_last_thread(true)
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
pub type Call<'a, T, A> = lc_protocol::Call<'a, CustomerClient<T>, A>;

impl<T: CustomerConnection> Dispatch for CustomerClient<T> {
    fn dispatch_with<'a, A: Action + 'a>(
        &'a self,
        request: &'a A,
        options: CallOptions,
    ) -> ResponseFuture<'a, A::Response> {
        Box::pin(self.send_typed_with(request, options))
    }

    fn pause(&self, delay: std::time::Duration) -> lc_protocol::transport::Pause {
        self.inner.transport.pause(delay)
    }
}

impl<T: CustomerConnection> CustomerClient<T> {
    /// Sends `request` over the connection, or over Web when only Web carries it.
    pub(crate) async fn send_typed<A: Action>(&self, request: &A) -> Result<A::Response, Error> {
        self.send_typed_with(request, CallOptions::default()).await
    }

    /// [`send_typed`](Self::send_typed) with the settings of this one call.
    async fn send_typed_with<A: Action>(
        &self,
        request: &A,
        options: CallOptions,
    ) -> Result<A::Response, Error> {
        self.check()?;
        let transport = &self.inner.transport;
        match &self.inner.web {
            Some(web)
                if !A::META.carried_by(transport.kind())
                    && A::META.carried_by(TransportKind::Web) =>
            {
                web.call_with(request, options).await
            }
            _ => transport.call_with(request, options).await,
        }
    }
}
