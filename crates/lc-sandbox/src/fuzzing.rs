//! In-process entry points for the fuzzer (`crates/lc-fuzz`), with the `fuzzing`
//! feature: the sandbox's request handlers driven without sockets, so that a million
//! requests take minutes. Not a stable API.

use crate::cutoff::Cutoff;
use crate::sandbox::Sandbox;
use bytes::Bytes;
use http::{Request, Response};
use http_body_util::Full;
use lc_protocol::{Api, ApiVersion};

/// An RTM connection served in process (see [`Sandbox::rtm_in_process`]).
pub struct RtmConnection(crate::rtm::InProcess);

impl RtmConnection {
    /// Handles one text frame as the reader of a WebSocket does.
    pub fn send(&self, text: &str) {
        self.0.on_text(text);
    }

    /// The text frames written to the connection since the last call, and whether a
    /// close was ordered.
    pub fn written(&mut self) -> (Vec<String>, bool) {
        self.0.written()
    }

    /// Whether the sandbox still knows the connection (a ban or a logout may end it).
    pub fn registered(&self) -> bool {
        self.0.registered()
    }
}

impl std::fmt::Debug for RtmConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RtmConnection")
    }
}

/// An Inbenta realtime socket served in process (see
/// [`Sandbox::inbenta_socket_in_process`]).
pub struct InbentaSocket(crate::inbenta::socket::InProcess);

impl InbentaSocket {
    /// Handles one text frame as the reader of a socket does.
    pub fn send(&self, text: &str) {
        self.0.on_text(text);
    }

    /// The text frames written to the socket since the last call.
    pub fn written(&mut self) -> Vec<String> {
        self.0.written()
    }
}

impl std::fmt::Debug for InbentaSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InbentaSocket")
    }
}

impl Sandbox {
    /// Serves one HTTP request in process, through the same routing as the server: Web
    /// actions, uploads, files, Inbenta REST and media, the accounts service. A WebSocket
    /// handshake is refused (there is no connection to upgrade).
    #[doc(hidden)]
    pub async fn serve_in_process(&self, req: Request<Full<Bytes>>) -> Response<Full<Bytes>> {
        crate::server::route(req, self.shared.clone(), &Cutoff::new()).await
    }

    /// Opens an RTM connection of `api` in `version` in process, not logged in yet.
    #[doc(hidden)]
    pub fn rtm_in_process(&self, api: Api, version: ApiVersion) -> RtmConnection {
        RtmConnection(crate::rtm::InProcess::open(
            self.shared.clone(),
            api,
            version,
        ))
    }

    /// Opens an Inbenta realtime socket in process for the user of session `token` in
    /// app `app`; `None` when either is unknown.
    #[doc(hidden)]
    pub fn inbenta_socket_in_process(&self, app: &str, token: &str) -> Option<InbentaSocket> {
        crate::inbenta::socket::InProcess::open(self.shared.clone(), app, token).map(InbentaSocket)
    }
}
