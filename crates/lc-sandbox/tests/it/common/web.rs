//! A small raw Web (HTTP/1.1) client for the sandbox integration tests, on the hyper-util
//! legacy client: any method, headers and body bytes, so that tests can send what real
//! clients send (and what they should not).

use base64::Engine;
use bytes::Bytes;
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use lc_sandbox::{AgentHandle, CustomerHandle, Sandbox};
use serde_json::Value;

/// A Web client bound to one sandbox.
pub struct Web {
    client: Client<HttpConnector, Full<Bytes>>,
    base: String,
    organization_id: String,
}

/// An HTTP response, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    /// The body as JSON (panics when it is not).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {:?}", self.body))
    }

    /// `error.type` of an error body.
    pub fn error_type(&self) -> String {
        let body = self.json();
        body["error"]["type"]
            .as_str()
            .unwrap_or_else(|| panic!("not an error body: {body}"))
            .to_owned()
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts a 200 and returns the JSON body.
    pub fn ok(&self) -> Value {
        assert_eq!(
            self.status,
            StatusCode::OK,
            "expected 200, got {}: {:?}",
            self.status,
            self.body
        );
        self.json()
    }
}

/// `Bearer <token>` for an agent.
pub fn agent_bearer(agent: &AgentHandle) -> String {
    agent.bearer().expose().to_owned()
}

/// `Bearer <token>` for a customer.
pub fn customer_bearer(customer: &CustomerHandle) -> String {
    customer.bearer().expose().to_owned()
}

/// `Basic base64(account_id:PAT)` for an agent.
pub fn agent_basic(agent: &AgentHandle) -> String {
    let pair = format!("{}:{}", agent.account_id, agent.pat.expose());
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

impl Web {
    /// A client for `sandbox` (plain HTTP).
    pub fn new(sandbox: &Sandbox) -> Web {
        Web {
            client: Client::builder(TokioExecutor::new()).build_http(),
            base: sandbox.http_url(),
            organization_id: sandbox.organization_id(),
        }
    }

    /// Sends any request; `path` includes the query string.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: impl Into<Bytes>,
    ) -> Reply {
        let mut request = Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request.body(Full::new(body.into())).unwrap();
        let response = self
            .client
            .request(request)
            .await
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        let (parts, body) = response.into_parts();
        let body = body.collect().await.unwrap().to_bytes();
        Reply {
            status: parts.status,
            headers: parts.headers,
            body,
        }
    }

    /// `POST /v{version}/agent/action/{action}` with a JSON body.
    pub async fn agent(&self, version: &str, action: &str, auth: &str, payload: Value) -> Reply {
        let path = format!("/v{version}/agent/action/{action}");
        self.post_json(&path, auth, &payload).await
    }

    /// `POST /v{version}/customer/action/{action}?organization_id=…` with a JSON body.
    pub async fn customer(&self, version: &str, action: &str, auth: &str, payload: Value) -> Reply {
        let path = self.customer_path(version, action, "");
        self.post_json(&path, auth, &payload).await
    }

    /// `/v{version}/customer/action/{action}?organization_id=…&{query}`.
    pub fn customer_path(&self, version: &str, action: &str, query: &str) -> String {
        let mut path = format!(
            "/v{version}/customer/action/{action}?organization_id={}",
            self.organization_id
        );
        if !query.is_empty() {
            path.push('&');
            path.push_str(query);
        }
        path
    }

    /// `POST path` with `Authorization: auth` and a JSON body.
    pub async fn post_json(&self, path: &str, auth: &str, payload: &Value) -> Reply {
        let headers = [
            ("authorization", auth),
            ("content-type", "application/json"),
        ];
        self.send(Method::POST, path, &headers, payload.to_string())
            .await
    }

    /// `POST path` uploading `data` as the multipart part `part` named `file_name`.
    pub async fn upload(
        &self,
        path: &str,
        auth: &str,
        part: &str,
        file_name: &str,
        content_type: &str,
        data: &[u8],
    ) -> Reply {
        let boundary = "sandbox-test-boundary-7MA4YWxkTrZu0gW";
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{part}\"; \
             filename=\"{file_name}\"\r\nContent-Type: {content_type}\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(data);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let content_type = format!("multipart/form-data; boundary={boundary}");
        let headers = [
            ("authorization", auth),
            ("content-type", content_type.as_str()),
        ];
        self.send(Method::POST, path, &headers, body).await
    }

    /// `GET url` where `url` is absolute (e.g. an uploaded file's URL).
    pub async fn get_url(&self, url: &str) -> Reply {
        let path = url
            .strip_prefix(&self.base)
            .unwrap_or_else(|| panic!("{url} is not on {}", self.base));
        self.send(Method::GET, path, &[], Bytes::new()).await
    }
}
