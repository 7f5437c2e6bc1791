//! Helpers for the Configuration API tests: calls over Web, bots and their tokens.

use super::web::{Reply, Web};
use bytes::Bytes;
use http::Method;
use lc_sandbox::{AgentHandle, Sandbox};
use serde_json::{Value, json};

/// `POST /v{version}/configuration/action/{action}` with `Authorization: auth`.
pub async fn call(web: &Web, version: &str, action: &str, auth: &str, payload: Value) -> Reply {
    let path = format!("/v{version}/configuration/action/{action}");
    web.post_json(&path, auth, &payload).await
}

/// Like [`call`], without an `Authorization` header.
pub async fn call_anonymous(web: &Web, version: &str, action: &str, payload: Value) -> Reply {
    let path = format!("/v{version}/configuration/action/{action}");
    let headers = [("content-type", "application/json")];
    web.send(
        Method::POST,
        &path,
        &headers,
        Bytes::from(payload.to_string()),
    )
    .await
}

/// `Bearer <token>` of an OAuth app (a new one) for `agent`, and the app's client id.
pub fn oauth_bearer(sandbox: &Sandbox, agent: &AgentHandle) -> (String, String) {
    let client = sandbox.create_oauth_client();
    let token = sandbox
        .issue_access_token(&client, &agent.id)
        .expect("a token");
    (format!("Bearer {}", token.expose()), client.client_id)
}

/// A bot created with `auth` (3.6) from `request`: its id and secret.
pub async fn create_bot(web: &Web, auth: &str, request: Value) -> (String, String) {
    let created = call(web, "3.6", "create_bot", auth, request).await.ok();
    let id = created["id"].as_str().expect("an id").to_owned();
    let secret = created["secret"].as_str().expect("a secret").to_owned();
    (id, secret)
}

/// A bot token for the bot, asked without credentials.
pub async fn bot_token(
    web: &Web,
    sandbox: &Sandbox,
    bot: &str,
    client_id: &str,
    secret: &str,
) -> String {
    let issued = call_anonymous(
        web,
        "3.6",
        "issue_bot_token",
        json!({
            "bot_id": bot,
            "client_id": client_id,
            "bot_secret": secret,
            "organization_id": sandbox.organization_id(),
        }),
    )
    .await
    .ok();
    issued["token"].as_str().expect("a token").to_owned()
}

/// Whether `text` is 32 lowercase hex characters.
pub fn is_hex32(text: &str) -> bool {
    text.len() == 32
        && text
            .chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
}
