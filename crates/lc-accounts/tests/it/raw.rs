//! The sandbox's token endpoints on the wire: body formats and error shapes.

use crate::common::World;
use http::Method;
use lc_web::{HttpEngine, HttpRequest, WebConfig};
use serde_json::{Value, json};

async fn post(w: &World, path: &str, content_type: &str, body: &str) -> (u16, Value) {
    let engine = HttpEngine::new(WebConfig::default());
    let mut request = HttpRequest::new(Method::POST, format!("{}{path}", w.sandbox.http_url()));
    if !content_type.is_empty() {
        request = request.header("content-type", content_type).unwrap();
    }
    request.body = body.to_owned().into();
    let response = engine.send(request).await.unwrap();
    let body = serde_json::from_slice(&response.body).unwrap();
    (response.status.as_u16(), body)
}

#[tokio::test]
async fn agent_token_errors_take_the_global_accounts_shape() {
    let w = World::new(None).await;
    let (status, body) = post(
        &w,
        "/v2/token",
        "application/x-www-form-urlencoded",
        "grant_type=refresh_token",
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(body["error"], "invalid_request");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("client_id")
    );
    assert!(body["request_id"].is_string());
    let (status, body) = post(
        &w,
        "/v2/token",
        "",
        r#"{"grant_type":"password","client_id":"x"}"#,
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(body["error"], "unsupported_grant_type");
}

#[tokio::test]
async fn a_json_refresh_without_content_type_works() {
    let w = World::new(None).await;
    let refresh = w.sandbox.issue_refresh_token(&w.app, &w.agent.id).unwrap();
    let body = json!({
        "grant_type": "refresh_token",
        "refresh_token": refresh.expose(),
        "client_id": w.app.client_id,
        "client_secret": w.app.client_secret.as_ref().unwrap().expose(),
    });
    let (status, answer) = post(&w, "/v2/token", "", &body.to_string()).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["token_type"], "Bearer");
    assert_eq!(answer["expires_in"], 28_800);
    assert_eq!(
        answer["refresh_token"],
        refresh.expose(),
        "server-side apps keep theirs"
    );
    assert_eq!(answer["account_id"], w.agent.account_id.as_str());
    assert!(answer["access_token"].as_str().unwrap().starts_with("dal:"));
}

#[tokio::test]
async fn customer_token_errors_take_the_customer_accounts_shape() {
    let w = World::new(None).await;
    let body = json!({"grant_type": "cookie", "client_id": "unknown"}).to_string();
    let (status, answer) = post(&w, "/v2/customer/token", "application/json", &body).await;
    assert_eq!(status, 401);
    assert_eq!(answer["oauth_exception"], "unauthorized_client");
    let body = json!({"grant_type": "agent_token", "client_id": w.app.client_id}).to_string();
    let (status, answer) = post(&w, "/v2/customer/token", "application/json", &body).await;
    assert_eq!(status, 401);
    assert_eq!(answer["oauth_exception"], "unauthorized");
}
