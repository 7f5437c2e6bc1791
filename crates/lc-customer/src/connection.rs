//! [`CustomerConnection`]: what a [`CustomerClient`](crate::CustomerClient) needs of its
//! transport beyond [`Transport`]: the stream of pushes and lifecycle items, and closing.

use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use lc_protocol::Transport;
use lc_protocol::customer::CustomerPush;
use lc_rtm::{CustomerSession, RtmClient, RtmEvent};
use lc_web::WebClient;

/// A transport of the Customer Chat API that can also deliver pushes: implemented by the
/// RTM engine ([`RtmClient<CustomerSession>`]) and by the Web engine ([`WebClient`], which
/// has no pushes), or by your own transport.
pub trait CustomerConnection: Transport + Clone + 'static {
    /// A new stream of pushes and connection lifecycle items, from now on.
    fn events(&self) -> BoxStream<'static, RtmEvent<CustomerPush>>;

    /// Closes the connection for good; later requests fail.
    fn close(&self);

    /// The connection as a Web client, when it is one (for `upload_file`).
    fn as_web(&self) -> Option<&WebClient> {
        None
    }
}

impl CustomerConnection for RtmClient<CustomerSession> {
    fn events(&self) -> BoxStream<'static, RtmEvent<CustomerPush>> {
        self.subscribe().boxed()
    }

    fn close(&self) {
        RtmClient::close(self);
    }
}

impl CustomerConnection for WebClient {
    /// The Web API has no pushes: an empty stream.
    fn events(&self) -> BoxStream<'static, RtmEvent<CustomerPush>> {
        futures_util::stream::empty().boxed()
    }

    /// Nothing to close: HTTP connections are pooled and dropped with the client.
    fn close(&self) {}

    fn as_web(&self) -> Option<&WebClient> {
        Some(self)
    }
}
