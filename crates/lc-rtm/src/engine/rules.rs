//! Small rules of the engine: what a read failure or a refused upgrade means, which
//! hosts are local, which login errors are final, how the upgrade request is built.

use lc_protocol::error::ErrorType;
use lc_protocol::{ApiError, FrameError};
use tokio_tungstenite::tungstenite::error::{CapacityError, Error as WsError};

/// What a read failure means, in words; an oversize message names its size.
pub(super) fn read_failure(err: &WsError) -> String {
    match err {
        WsError::Capacity(CapacityError::MessageTooLong { size, max_size }) => {
            let frame = FrameError::TooLarge {
                len: *size,
                max: *max_size,
            };
            format!("message refused: {frame}")
        }
        other => format!("connection failed: {other}"),
    }
}

/// Whether a refused WebSocket upgrade will be refused again (403 forbidden, 404 no such
/// endpoint, ...): every 4xx but 401 (a fresh token may do), 408 and 429 (later may do).
pub(super) fn handshake_refusal_is_permanent(status: u16) -> bool {
    (400..500).contains(&status) && !matches!(status, 401 | 408 | 429)
}

/// Whether `host` (as in a URL, IPv6 in brackets) is this machine.
pub(super) fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost")
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The upgrade request to `url` with the session's extra headers (marked sensitive).
pub(super) fn upgrade_request(
    url: &str,
    headers: Vec<(&'static str, String)>,
) -> Result<tokio_tungstenite::tungstenite::handshake::client::Request, String> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    use tokio_tungstenite::tungstenite::http::{HeaderName, HeaderValue};
    let mut request = url
        .into_client_request()
        .map_err(|err| format!("invalid URL {url}: {err}"))?;
    for (name, value) in headers {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| format!("invalid upgrade header name {name:?}"))?;
        let mut value = HeaderValue::from_str(&value)
            .map_err(|_| format!("invalid value for upgrade header {name}"))?;
        value.set_sensitive(true);
        request.headers_mut().insert(name, value);
    }
    Ok(request)
}

/// Whether a login error means that retrying cannot help.
pub(super) fn login_error_is_fatal(error: &ApiError) -> bool {
    !matches!(
        error.kind,
        ErrorType::Authentication
            | ErrorType::Internal
            | ErrorType::ServiceUnavailable
            | ErrorType::TooManyRequests
            | ErrorType::RequestTimeout
            | ErrorType::PendingRequestsLimitReached
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts_are_recognised() {
        for host in [
            "localhost",
            "127.0.0.1",
            "127.3.2.1",
            "[::1]",
            "::1",
            "LOCALHOST",
        ] {
            assert!(is_loopback(host), "{host}");
        }
        for host in ["192.0.2.1", "example.com", "", "[::2]"] {
            assert!(!is_loopback(host), "{host}");
        }
    }

    #[test]
    fn only_lasting_refusals_stop_the_engine() {
        assert!(handshake_refusal_is_permanent(403));
        assert!(handshake_refusal_is_permanent(404));
        assert!(!handshake_refusal_is_permanent(401));
        assert!(!handshake_refusal_is_permanent(429));
        assert!(!handshake_refusal_is_permanent(503));
    }
}
