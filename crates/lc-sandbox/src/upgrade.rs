//! The WebSocket handshake over hyper, shared by the LiveChat RTM and Inbenta realtime
//! routes.

use crate::body::RequestBody;
use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode, header};
use http_body_util::Full;
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use std::future::Future;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};

/// A server-side WebSocket on an upgraded hyper connection.
pub(crate) type ServerSocket = WebSocketStream<TokioIo<Upgraded>>;

/// The read buffer of a socket. tungstenite zero-fills the free room of its read buffer
/// before every read (128 KiB by default; at 16 KiB that fill was still about 4 % of the
/// sandbox's CPU per routed message); clients send small frames, and a frame longer than
/// this still gets room for its whole length.
const READ_BUFFER_SIZE: usize = 4 << 10;

/// Answers the handshake of `req` with `101 Switching Protocols` and, once the
/// connection is upgraded, runs `serve` on the socket (frames up to `max_frame` bytes).
/// `None` when `req` is not a WebSocket handshake.
pub(crate) fn accept<F, Fut, B: RequestBody>(
    req: &mut Request<B>,
    max_frame: usize,
    label: &'static str,
    serve: F,
) -> Option<Response<Full<Bytes>>>
where
    F: FnOnce(ServerSocket) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let key = req.headers().get(header::SEC_WEBSOCKET_KEY)?.clone();
    let accept = derive_accept_key(key.as_bytes());
    let on_upgrade = hyper::upgrade::on(req);
    tokio::spawn(async move {
        match on_upgrade.await {
            Ok(upgraded) => {
                let config = WebSocketConfig::default()
                    .read_buffer_size(READ_BUFFER_SIZE)
                    .max_message_size(Some(max_frame))
                    .max_frame_size(Some(max_frame));
                let io = TokioIo::new(upgraded);
                let ws = WebSocketStream::from_raw_socket(io, Role::Server, Some(config)).await;
                serve(ws).await;
            }
            Err(err) => tracing::debug!(%err, "{label} WebSocket upgrade failed"),
        }
    });
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let headers = response.headers_mut();
    headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    headers.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    if let Ok(accept) = HeaderValue::from_str(&accept) {
        headers.insert(header::SEC_WEBSOCKET_ACCEPT, accept);
    }
    Some(response)
}
