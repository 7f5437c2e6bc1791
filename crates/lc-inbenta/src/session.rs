//! [`InbentaSession`] (it lives in `lc_protocol::session`, beside the Inbenta dialect) and
//! the query escaping of the REST paths.

pub use lc_protocol::session::InbentaSession;

/// Percent-encodes everything but unreserved characters, for a query value.
pub(crate) fn query_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}
