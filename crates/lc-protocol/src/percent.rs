//! Percent-encoding of URL components (query values, path segments, form fields).

/// Percent-encodes every byte of `text` but the unreserved characters of RFC 3986
/// (`A-Z a-z 0-9 - . _ ~`): safe in a query value, a path segment or a form field.
///
/// ```
/// assert_eq!(lc_protocol::percent::encode("a b&c/é"), "a%20b%26c%2F%C3%A9");
/// ```
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}
