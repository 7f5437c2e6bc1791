//! Failures, with the HTTP-like code both channels report them with.

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use http_body_util::Full;
use lc_protocol::wire::inbenta::{InbentaError, InbentaErrorBody};

/// A failed request: `{"error": {"code", "message"}}` over REST (with the same HTTP
/// status) and in realtime error replies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Fail {
    pub(crate) code: u16,
    pub(crate) message: String,
}

impl Fail {
    pub(crate) fn new(code: u16, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, message)
    }

    pub(crate) fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(401, message)
    }

    pub(crate) fn forbidden(message: impl Into<String>) -> Self {
        Self::new(403, message)
    }

    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self::new(404, message)
    }

    pub(crate) fn conflict(message: impl Into<String>) -> Self {
        Self::new(409, message)
    }

    /// The wire error object.
    pub(crate) fn to_wire(&self) -> InbentaError {
        InbentaError {
            code: self.code,
            message: self.message.clone(),
        }
    }

    /// The REST answer: the status and `{"error": {...}}`.
    pub(crate) fn response(&self) -> Response<Full<Bytes>> {
        let body = serde_json::to_string(&InbentaErrorBody {
            error: self.to_wire(),
        })
        .unwrap_or_default();
        let status = StatusCode::from_u16(self.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        json_response(status, body)
    }
}

/// A JSON response.
pub(crate) fn json_response(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// Decodes event or body data into `T`; a wrong shape is a 400 naming the problem.
pub(crate) fn parse<T: serde::de::DeserializeOwned>(
    what: &str,
    data: &serde_json::Value,
) -> Result<T, Fail> {
    serde_json::from_value(data.clone())
        .map_err(|e| Fail::bad_request(format!("Invalid data for {what}: {e}")))
}
