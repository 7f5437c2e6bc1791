//! The receiver mounted in an axum app next to another route, served on 127.0.0.1 and
//! sent real HTTP deliveries.

use axum::Router;
use axum::routing::get;
use futures_util::StreamExt;
use http::{Method, StatusCode};
use lc_protocol::agent::AgentPush;
use lc_web::{HttpEngine, HttpRequest, RetryPolicy, WebConfig};
use lc_webhooks::{WebhookReceiver, Webhooks};
use std::time::Duration;

const SECRET: &str = "registered-secret";

/// An app with `GET /health` and the receiver at `/livechat/webhooks`, served; its base
/// URL.
async fn app() -> (String, Webhooks) {
    let (receiver, webhooks) = WebhookReceiver::new(SECRET);
    let app = Router::new()
        .route("/health", get(|| async { "ok" }))
        .merge(receiver.into_router("/livechat/webhooks"));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, webhooks)
}

fn delivery(secret: &str) -> String {
    format!(
        r#"{{"webhook_id":"w1","secret_key":"{secret}","action":"routing_status_set","organization_id":"o1","payload":{{"agent_id":"smith@example.com","status":"accepting chats"}},"additional_data":{{}}}}"#
    )
}

async fn send(method: Method, url: &str, body: impl Into<bytes::Bytes>) -> (StatusCode, String) {
    let mut request = HttpRequest::new(method, url);
    request.body = body.into();
    let response = HttpEngine::new(WebConfig::default().retry(RetryPolicy::none()))
        .send(request)
        .await
        .unwrap();
    (
        response.status,
        String::from_utf8_lossy(&response.body).into_owned(),
    )
}

#[tokio::test]
async fn an_axum_app_hands_deliveries_to_the_stream_and_keeps_its_other_routes() {
    let (base, mut webhooks) = app().await;
    let hook_url = format!("{base}/livechat/webhooks");

    let (status, _) = send(Method::POST, &hook_url, delivery(SECRET)).await;
    assert_eq!(status, StatusCode::OK);
    let webhook = tokio::time::timeout(Duration::from_secs(5), webhooks.next())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(webhook.action, "routing_status_set");
    assert!(
        matches!(&webhook.payload, AgentPush::RoutingStatusSet(set) if set.agent_id.as_str() == "smith@example.com"),
        "{:?}",
        webhook.payload
    );

    // A wrong secret: 401, and nothing on the stream.
    let (status, _) = send(Method::POST, &hook_url, delivery("guessed")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Not a POST: the receiver's own answer.
    let (status, _) = send(Method::GET, &hook_url, "").await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    let next = tokio::time::timeout(Duration::from_millis(200), webhooks.next()).await;
    assert!(next.is_err(), "unexpected delivery: {next:?}");

    // The app's other route is untouched; other paths are the app's 404.
    assert_eq!(
        send(Method::GET, &format!("{base}/health"), "").await,
        (StatusCode::OK, "ok".to_owned())
    );
    let (status, _) = send(Method::POST, &format!("{base}/elsewhere"), delivery(SECRET)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_router_merges_into_an_app_with_state() {
    #[derive(Clone)]
    struct AppState {
        greeting: &'static str,
    }
    let (receiver, mut webhooks) = WebhookReceiver::new(SECRET);
    let app = Router::new()
        .route(
            "/hello",
            get(
                |axum::extract::State(state): axum::extract::State<AppState>| async move {
                    state.greeting
                },
            ),
        )
        .merge(receiver.into_router("/hooks"))
        .with_state(AppState { greeting: "hi" });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });

    assert_eq!(
        send(Method::GET, &format!("{base}/hello"), "").await,
        (StatusCode::OK, "hi".to_owned())
    );
    let (status, _) = send(Method::POST, &format!("{base}/hooks"), delivery(SECRET)).await;
    assert_eq!(status, StatusCode::OK);
    let webhook = tokio::time::timeout(Duration::from_secs(5), webhooks.next())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(webhook.webhook_id, "w1");
}
