//! The REST side: `<server>:<port>/v1/<route>` through [`lc_web::HttpEngine`], with the
//! `x-hyper-*` headers and Inbenta's error body turned into [`Error::Api`].

use bytes::Bytes;
use http::header::ACCEPT;
use http::{HeaderMap, HeaderValue, Method};
use lc_protocol::Error;
use lc_protocol::id::Token;
use lc_protocol::wire::inbenta::{InbentaError, InbentaErrorBody};
use lc_web::{HttpEngine, HttpRequest, HttpResponse, Upload};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// The credential sent besides `x-hyper-appid`.
#[derive(Debug, Clone)]
pub(crate) enum Credential {
    /// Nothing more (enough for `POST /v1/users` on some servers).
    None,
    /// `x-hyper-token`: a user's session token.
    Session(Token),
    /// `x-hyper-secret`: the app secret (servers only).
    Secret(Token),
    /// `x-hyper-key`: a domain key (a few public routes only).
    DomainKey(Token),
}

/// A REST client of one app, with one credential.
#[derive(Debug, Clone)]
pub(crate) struct Rest {
    engine: HttpEngine,
    base: String,
    app_id: String,
    credential: Credential,
}

impl Rest {
    pub(crate) fn new(
        engine: HttpEngine,
        base: String,
        app_id: String,
        credential: Credential,
    ) -> Self {
        Self {
            engine,
            base,
            app_id,
            credential,
        }
    }

    /// The same app and engine with another credential.
    pub(crate) fn with_credential(&self, credential: Credential) -> Self {
        Self {
            credential,
            ..self.clone()
        }
    }

    /// The absolute URL of `path` (`users`, `/media/m1`, `agents/online?roomId=1`).
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}/{}", self.base, path.trim_start_matches('/'))
    }

    /// The `x-hyper-*` headers; secrets are marked sensitive so they never print.
    fn headers(&self) -> Result<HeaderMap, Error> {
        let mut headers = HeaderMap::new();
        let app = HeaderValue::from_str(&self.app_id)
            .map_err(|_| Error::InvalidInput("the app id is not valid in a header".into()))?;
        headers.insert("x-hyper-appid", app);
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        let (name, secret) = match &self.credential {
            Credential::None => return Ok(headers),
            Credential::Session(token) => ("x-hyper-token", token),
            Credential::Secret(secret) => ("x-hyper-secret", secret),
            Credential::DomainKey(key) => ("x-hyper-key", key),
        };
        let mut value = HeaderValue::from_str(secret.expose())
            .map_err(|_| Error::InvalidInput(format!("the value of {name} is not valid")))?;
        value.set_sensitive(true);
        headers.insert(name, value);
        Ok(headers)
    }

    /// Sends `method path` with an optional JSON body and returns the raw response body.
    ///
    /// # Errors
    /// [`Error::Api`] with Inbenta's code and message (and the HTTP status) for a failed
    /// request; the engine's errors otherwise.
    pub(crate) async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Bytes, Error> {
        let label = format!("{method} /v1/{}", route_of(path));
        let mut request = HttpRequest::new(method, self.url(path)).label(label.clone());
        if let Some(body) = body {
            request = request.json(body)?;
        }
        request.headers.extend(self.headers()?);
        let response = self.engine.send(request).await?;
        success(&label, response)
    }

    /// Like [`send`](Self::send), decoding the JSON answer into `T`.
    pub(crate) async fn json<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<T, Error> {
        let label = format!("{method} /v1/{}", route_of(path));
        let bytes = self.send(method, path, body).await?;
        decode(&label, &bytes)
    }

    /// Uploads `upload` with `POST path` as `multipart/form-data`.
    pub(crate) async fn upload<T: DeserializeOwned>(
        &self,
        path: &str,
        mut upload: Upload,
    ) -> Result<T, Error> {
        let label = format!("POST /v1/{}", route_of(path));
        let response = self
            .engine
            .upload(&self.url(path), self.headers()?, &label, &mut upload)
            .await?;
        let bytes = success(&label, response)?;
        decode(&label, &bytes)
    }
}

/// The path without its query, for labels (queries may hold ids, never secrets).
fn route_of(path: &str) -> &str {
    let path = path.trim_start_matches('/');
    path.split('?').next().unwrap_or(path)
}

/// The body of a 2xx answer, or the error it carries.
fn success(label: &str, response: HttpResponse) -> Result<Bytes, Error> {
    if response.status.is_success() {
        return Ok(response.body);
    }
    let status = response.status.as_u16();
    let error = serde_json::from_slice::<InbentaErrorBody>(&response.body)
        .map(|body| body.error)
        .unwrap_or_else(|_| InbentaError {
            code: status,
            message: response
                .status
                .canonical_reason()
                .unwrap_or("request failed")
                .to_owned(),
        });
    Err(Error::Api {
        action: label.to_owned(),
        error: error.to_api_error(),
        http_status: Some(status),
    })
}

fn decode<T: DeserializeOwned>(label: &str, bytes: &[u8]) -> Result<T, Error> {
    serde_json::from_slice(bytes).map_err(|source| Error::Decode {
        action: label.to_owned(),
        source: lc_protocol::FrameError::Payload {
            name: label.to_owned(),
            source: source.into(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::StatusCode;

    fn response(status: u16, body: &str) -> HttpResponse {
        HttpResponse {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::IM_A_TEAPOT),
            version: http::Version::HTTP_11,
            headers: HeaderMap::new(),
            body: Bytes::from(body.to_owned()),
        }
    }

    #[test]
    fn inbenta_error_bodies_become_api_errors_with_code_and_status() {
        let Err(Error::Api {
            action,
            error,
            http_status,
        }) = success(
            "POST /v1/media",
            response(
                403,
                r#"{"error":{"code":403,"message":"File type is not allowed"}}"#,
            ),
        )
        else {
            panic!("not an API error");
        };
        assert_eq!(action, "POST /v1/media");
        assert_eq!(http_status, Some(403));
        assert_eq!(error.kind, lc_protocol::ErrorType::Authorization);
        assert_eq!(error.message, "File type is not allowed");
        assert_eq!(error.data, Some(serde_json::json!({"code": 403})));
    }

    #[test]
    fn other_error_bodies_fall_back_to_the_status() {
        let Err(Error::Api { error, .. }) = success("GET /v1/x", response(502, "<html>")) else {
            panic!("not an API error");
        };
        assert_eq!(error.kind, lc_protocol::ErrorType::Internal);
        assert_eq!(error.message, "Bad Gateway");
    }

    #[test]
    fn credentials_are_sensitive_headers() {
        let rest = Rest::new(
            HttpEngine::new(lc_web::WebConfig::default()),
            "http://127.0.0.1:9/v1".into(),
            "app".into(),
            Credential::Session(Token::new("t-secret")),
        );
        let headers = rest.headers().unwrap_or_default();
        assert_eq!(headers["x-hyper-appid"], "app");
        assert!(headers["x-hyper-token"].is_sensitive());
        assert!(!format!("{headers:?}").contains("t-secret"));
        assert!(!format!("{rest:?}").contains("t-secret"));
        assert_eq!(rest.url("/media/m1"), "http://127.0.0.1:9/v1/media/m1");
        assert_eq!(route_of("agents/online?roomId=1"), "agents/online");
    }
}
