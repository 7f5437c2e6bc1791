//! Requests to the accounts service and their answers: form encoding, sending, and
//! reading a JSON answer or an error.

use crate::error::accounts_error;
use bytes::Bytes;
use http::Method;
use lc_protocol::Error;
use lc_protocol::error::FrameError;
use lc_protocol::percent::encode;
use lc_web::{HttpEngine, HttpRequest, HttpResponse};
use serde::de::DeserializeOwned;
use std::sync::Arc;

/// The accounts service of LiveChat.
pub const DEFAULT_ACCOUNTS_URL: &str = "https://accounts.livechat.com";

/// The Configuration API (and the other APIs) of LiveChat.
pub const DEFAULT_API_URL: &str = "https://api.livechatinc.com";

/// `application/x-www-form-urlencoded` of `pairs`.
pub(crate) fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// A `POST` of a form body to `url`.
pub(crate) fn form_post(
    url: String,
    label: &str,
    pairs: &[(&str, &str)],
) -> Result<HttpRequest, Error> {
    let mut request = HttpRequest::new(Method::POST, url)
        .label(label)
        .header("content-type", "application/x-www-form-urlencoded")?;
    request.body = Bytes::from(form(pairs));
    Ok(request)
}

/// Sends `request` and reads a 2xx JSON answer as `T`; other statuses are accounts
/// service errors.
pub(crate) async fn send<T: DeserializeOwned>(
    engine: &HttpEngine,
    request: HttpRequest,
) -> Result<(T, HttpResponse), Error> {
    let label = request.label.clone();
    let response = engine.send(request).await?;
    if !response.status.is_success() {
        return Err(accounts_error(&label, response.status, &response.body));
    }
    let value = decode(&label, &response)?;
    Ok((value, response))
}

/// The body of `response` as `T`.
pub(crate) fn decode<T: DeserializeOwned>(
    label: &str,
    response: &HttpResponse,
) -> Result<T, Error> {
    serde_json::from_slice(&response.body).map_err(|source| Error::Decode {
        action: label.to_owned(),
        source: FrameError::Body {
            status: response.status.as_u16(),
            source: Arc::new(source),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_escape_reserved_characters() {
        assert_eq!(
            form(&[("a", "x y&z=1"), ("redirect_uri", "https://e.com/cb?q")]),
            "a=x%20y%26z%3D1&redirect_uri=https%3A%2F%2Fe.com%2Fcb%3Fq"
        );
    }
}
