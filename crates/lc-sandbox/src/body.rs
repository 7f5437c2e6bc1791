//! [`RequestBody`]: what the HTTP routes read a request body from — hyper's `Incoming`
//! on the server, an in-memory body when the fuzzer drives the routes without sockets.

use bytes::Bytes;

/// The error type a body may fail with.
pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A request body the routes can read.
pub(crate) trait RequestBody:
    hyper::body::Body<Data = Bytes, Error: Into<BoxError>> + Send + 'static
{
}

impl<B> RequestBody for B
where
    B: hyper::body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
}
