//! [`RequestBody`]: what the HTTP routes read a request body from — hyper's `Incoming`
//! on the server, an in-memory body when the fuzzer drives the routes without sockets —
//! and [`SharedBody`], through which the server reads what a route left of a body.

use bytes::{Buf, Bytes};
use http::{HeaderValue, Response, header};
use hyper::body::{Body, Frame, SizeHint};
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

/// The error type a body may fail with.
pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A request body the routes can read.
pub(crate) trait RequestBody:
    hyper::body::Body<Data = Bytes, Error: Into<BoxError>> + Send + Unpin + 'static
{
}

impl<B> RequestBody for B
where
    B: hyper::body::Body<Data = Bytes> + Send + Unpin + 'static,
    B::Error: Into<BoxError>,
{
}

/// How much of a request body the server reads and discards after a route answered
/// without reading all of it. Past this the response closes the connection.
pub(crate) const DRAIN_LIMIT: usize = 1024 * 1024;

/// A request body with two handles: the route reads one, the server drains the rest
/// through the other once the route has answered ([`SharedBody::finish`]).
pub(crate) struct SharedBody<B>(Arc<Mutex<B>>);

impl<B> SharedBody<B> {
    /// The two handles of `body`.
    pub(crate) fn split(body: B) -> (Self, Self) {
        let shared = Arc::new(Mutex::new(body));
        (Self(shared.clone()), Self(shared))
    }

    fn with<T>(&self, f: impl FnOnce(&mut B) -> T) -> T {
        f(&mut self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

impl<B: RequestBody> SharedBody<B> {
    /// Reads and discards what the route left of the body (up to [`DRAIN_LIMIT`]), so
    /// that the connection can serve the next request: an HTTP/1.1 server that answers
    /// early and closes while the client is still sending loses the client's next
    /// request on that connection, and may reset it before the client read the answer.
    /// A body past the limit, or that fails, closes the connection after `response`,
    /// which says so (`Connection: close`).
    pub(crate) async fn finish<T>(mut self, response: &mut Response<T>) {
        use http_body_util::BodyExt;
        let mut left = DRAIN_LIMIT;
        let finished = loop {
            if self.is_end_stream() {
                break true;
            }
            match self.frame().await {
                None => break true,
                Some(Ok(frame)) => {
                    let size = frame.data_ref().map_or(0, Buf::remaining);
                    match left.checked_sub(size) {
                        Some(rest) => left = rest,
                        None => break false,
                    }
                }
                Some(Err(_)) => break false,
            }
        };
        if !finished {
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
    }
}

impl<B: RequestBody> Body for SharedBody<B> {
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        self.with(|body| Pin::new(body).poll_frame(cx))
    }

    fn is_end_stream(&self) -> bool {
        self.with(|body| body.is_end_stream())
    }

    fn size_hint(&self) -> SizeHint {
        self.with(|body| body.size_hint())
    }
}
