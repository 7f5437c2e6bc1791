//! Errors of the accounts service and the Configuration API, as [`lc_protocol::Error`]s.
//!
//! The accounts service answers errors with `{"error", "error_description"}` (agent
//! tokens) or `{"oauth_exception", "exception_description"}` (customer tokens). Both
//! become [`Error::Api`] whose [`ErrorType`] says what to do:
//! [`Authentication`](ErrorType::Authentication) for a grant that will never work again
//! (authorize again), [`Validation`](ErrorType::Validation) for a malformed request,
//! [`ServiceUnavailable`](ErrorType::ServiceUnavailable),
//! [`TooManyRequests`](ErrorType::TooManyRequests) or [`Internal`](ErrorType::Internal)
//! for a failure that may pass ([`Error::is_transient`]). The service's own code is kept:
//! see [`accounts_error_code`].

use http::StatusCode;
use lc_protocol::Error;
use lc_protocol::error::{ApiError, ErrorBody, ErrorType};
use serde_json::{Value, json};

/// Codes meaning the credentials will not work again: the user must authorize again (or
/// the app's settings be fixed).
const REAUTHORIZE: &[&str] = &[
    "invalid_grant",
    "unauthorized_client",
    "invalid_client",
    "missing_grant",
    "access_denied",
    "unauthorized",
    "identity_lost",
    "forbidden",
];

/// Codes of a request the service will never accept as it is.
const MALFORMED: &[&str] = &[
    "invalid_request",
    "unsupported_grant_type",
    "unsupported_response_type",
    "invalid_scope",
    "bad_request",
];

/// The accounts service's error code (`invalid_grant`, `unauthorized_client`,
/// `server_error`, ...) carried by `error`, if it came from the accounts service.
///
/// ```
/// use lc_accounts::accounts_error_code;
///
/// assert_eq!(accounts_error_code(&lc_protocol::Error::Closed), None);
/// ```
pub fn accounts_error_code(error: &Error) -> Option<&str> {
    match error {
        Error::Api { error, .. } => error.data.as_ref()?.get("accounts_error")?.as_str(),
        _ => None,
    }
}

/// Whether `error` means the credentials (refresh token, client, bot secret) are no
/// longer accepted: trying again will not help, the user must authorize the app again.
///
/// ```
/// use lc_accounts::needs_reauthorization;
///
/// assert!(!needs_reauthorization(&lc_protocol::Error::Closed));
/// ```
pub fn needs_reauthorization(error: &Error) -> bool {
    matches!(error, Error::Api { error, .. } if error.kind == ErrorType::Authentication)
}

/// The error an accounts service answer with `status` and `body` stands for.
pub(crate) fn accounts_error(action: &str, status: StatusCode, body: &[u8]) -> Error {
    let parsed: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let text = |keys: &[&str]| {
        keys.iter()
            .find_map(|key| parsed.get(*key).and_then(Value::as_str))
            .map(str::to_owned)
    };
    let code = text(&["error", "oauth_exception", "identity_exception"]);
    let description = text(&["error_description", "exception_description", "description"]);
    let kind = match code.as_deref() {
        Some(c) if REAUTHORIZE.contains(&c) => ErrorType::Authentication,
        Some(c) if MALFORMED.contains(&c) => ErrorType::Validation,
        Some("temporarily_unavailable") => ErrorType::ServiceUnavailable,
        Some("server_error") => ErrorType::Internal,
        _ => by_status(status),
    };
    let mut message = match (&code, &description) {
        (Some(code), Some(description)) => format!("{code}: {description}"),
        (Some(code), None) => code.clone(),
        (None, _) => format!("HTTP {status} without an error code"),
    };
    if kind == ErrorType::Authentication {
        message.push_str(" (the credentials are no longer accepted: authorize again)");
    }
    let mut error = ApiError::with_message(kind, message);
    if let Some(code) = code {
        error = error.data(json!({ "accounts_error": code }));
    }
    Error::Api {
        action: action.to_owned(),
        error,
        http_status: Some(status.as_u16()),
    }
}

/// The error a Configuration API answer with `status` and `body` stands for: its
/// `{"error": {"type", "message"}}` object, else one made from the status.
pub(crate) fn api_error(action: &str, status: StatusCode, body: &[u8]) -> Error {
    let error = serde_json::from_slice::<ErrorBody>(body)
        .map(|body| body.error)
        .unwrap_or_else(|_| ApiError::with_message(by_status(status), format!("HTTP {status}")));
    Error::Api {
        action: action.to_owned(),
        error,
        http_status: Some(status.as_u16()),
    }
}

fn by_status(status: StatusCode) -> ErrorType {
    match status {
        StatusCode::UNAUTHORIZED => ErrorType::Authentication,
        StatusCode::FORBIDDEN => ErrorType::Authorization,
        StatusCode::NOT_FOUND => ErrorType::NotFound,
        StatusCode::TOO_MANY_REQUESTS => ErrorType::TooManyRequests,
        StatusCode::SERVICE_UNAVAILABLE => ErrorType::ServiceUnavailable,
        s if s.is_server_error() => ErrorType::Internal,
        s if s.is_client_error() => ErrorType::Validation,
        _ => ErrorType::Unknown(format!("http_{}", status.as_u16())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_grant_means_authorize_again() {
        let body = br#"{"error":"invalid_grant","error_description":"token revoked"}"#;
        let error = accounts_error("POST /v2/token", StatusCode::UNAUTHORIZED, body);
        assert!(needs_reauthorization(&error));
        assert!(!error.is_transient());
        assert_eq!(accounts_error_code(&error), Some("invalid_grant"));
        assert!(error.to_string().contains("token revoked"));
    }

    #[test]
    fn customer_shape_and_server_trouble_are_read() {
        let body = br#"{"oauth_exception":"server_error","exception_description":"x"}"#;
        let error = accounts_error("t", StatusCode::INTERNAL_SERVER_ERROR, body);
        assert!(error.is_transient());
        assert_eq!(accounts_error_code(&error), Some("server_error"));
        let html = accounts_error("t", StatusCode::BAD_GATEWAY, b"<html>");
        assert!(html.is_transient());
        assert_eq!(accounts_error_code(&html), None);
    }
}
