//! Small HTTP response helpers shared by the RTM upgrade, the Web API and the files.

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Response, StatusCode};
use http_body_util::Full;
use lc_protocol::ApiVersion;

/// The lifecycle header a response of `version` carries (§0 of the notes): legacy
/// versions answer with `Legacy: <end of the legacy stage>`, deprecated ones with
/// `Deprecation: <end of the deprecated stage>`.
///
/// The real dates are not published; these are [I] plausible ones: 3.5 became legacy when
/// 3.6 became stable (2025-08-07) and stays legacy for a year (`Legacy: 2026-08-07`);
/// 3.3 and 3.4 are deprecated until `2026-02-07`.
pub(crate) fn lifecycle_header(version: ApiVersion) -> Option<(HeaderName, HeaderValue)> {
    let (name, date) = match version {
        ApiVersion::V3_5 => ("legacy", "2026-08-07"),
        ApiVersion::V3_3 | ApiVersion::V3_4 => ("deprecation", "2026-02-07"),
        _ => return None,
    };
    Some((
        HeaderName::from_static(name),
        HeaderValue::from_static(date),
    ))
}

/// A plain-text response.
pub(crate) fn text(status: StatusCode, body: &str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_owned())));
    *response.status_mut() = status;
    response
}
