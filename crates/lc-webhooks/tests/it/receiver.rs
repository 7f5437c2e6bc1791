//! A receiver served on 127.0.0.1, sent real HTTP deliveries.

use futures_util::StreamExt;
use http::{Method, StatusCode};
use lc_protocol::agent::AgentPush;
use lc_web::{HttpEngine, HttpRequest, RetryPolicy, WebConfig};
use lc_webhooks::{MAX_BODY_BYTES, WebhookReceiver, Webhooks};
use std::time::Duration;

const SECRET: &str = "registered-secret";

async fn served() -> (String, Webhooks) {
    let (receiver, webhooks) = WebhookReceiver::with_buffer(SECRET, 2);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/livechat", listener.local_addr().unwrap());
    tokio::spawn(receiver.serve(listener));
    (url, webhooks)
}

fn delivery(secret: &str, tag: &str) -> String {
    format!(
        r#"{{"webhook_id":"w1","secret_key":"{secret}","action":"thread_tagged","organization_id":"o1","payload":{{"chat_id":"C1","thread_id":"T1","tag":"{tag}"}}}}"#
    )
}

async fn post(url: &str, method: Method, body: impl Into<bytes::Bytes>) -> StatusCode {
    let mut request = HttpRequest::new(method, url);
    request.body = body.into();
    // No retries: each answer is seen as LiveChat would see it.
    HttpEngine::new(WebConfig::default().retry(RetryPolicy::none()))
        .send(request)
        .await
        .unwrap()
        .status
}

/// Nothing more arrives on `webhooks` for a while.
async fn nothing_more(webhooks: &mut Webhooks) {
    let next = tokio::time::timeout(Duration::from_millis(200), webhooks.next()).await;
    assert!(next.is_err(), "unexpected delivery: {next:?}");
}

#[tokio::test]
async fn a_delivery_is_given_once_even_when_livechat_sends_it_again() {
    let (url, mut webhooks) = served().await;
    assert_eq!(
        post(&url, Method::POST, delivery(SECRET, "vip")).await,
        StatusCode::OK
    );
    let webhook = tokio::time::timeout(Duration::from_secs(5), webhooks.next())
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(&webhook.payload, AgentPush::ThreadTagged(t) if t.tag == "vip"));
    // The same body again (no 200 reached LiveChat in time): answered, not given again.
    assert_eq!(
        post(&url, Method::POST, delivery(SECRET, "vip")).await,
        StatusCode::OK
    );
    nothing_more(&mut webhooks).await;
    // Another delivery is given.
    assert_eq!(
        post(&url, Method::POST, delivery(SECRET, "new")).await,
        StatusCode::OK
    );
    let webhook = webhooks.next().await.unwrap();
    assert!(matches!(&webhook.payload, AgentPush::ThreadTagged(t) if t.tag == "new"));
}

#[tokio::test]
async fn wrong_secrets_bad_bodies_and_other_methods_are_refused_and_given_nothing() {
    let (url, mut webhooks) = served().await;
    assert_eq!(
        post(&url, Method::POST, delivery("guess", "vip")).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        post(&url, Method::POST, "{not json").await,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        post(&url, Method::POST, r#"{"action":"thread_tagged"}"#).await,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        post(&url, Method::GET, "").await,
        StatusCode::METHOD_NOT_ALLOWED
    );
    let huge = vec![b' '; MAX_BODY_BYTES + 1];
    assert_eq!(
        post(&url, Method::POST, huge).await,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    nothing_more(&mut webhooks).await;
    // The receiver still works.
    assert_eq!(
        post(&url, Method::POST, delivery(SECRET, "ok")).await,
        StatusCode::OK
    );
    assert!(webhooks.next().await.is_some());
}

#[tokio::test]
async fn a_full_stream_answers_503_so_that_livechat_sends_it_again_and_it_then_arrives() {
    let (url, mut webhooks) = served().await;
    for tag in ["a", "b"] {
        assert_eq!(
            post(&url, Method::POST, delivery(SECRET, tag)).await,
            StatusCode::OK
        );
    }
    // The buffer (2) is full: refused, and not remembered as given.
    assert_eq!(
        post(&url, Method::POST, delivery(SECRET, "c")).await,
        StatusCode::SERVICE_UNAVAILABLE
    );
    for _ in 0..2 {
        webhooks.next().await.unwrap();
    }
    // LiveChat's retry is given.
    assert_eq!(
        post(&url, Method::POST, delivery(SECRET, "c")).await,
        StatusCode::OK
    );
    let webhook = webhooks.next().await.unwrap();
    assert!(matches!(&webhook.payload, AgentPush::ThreadTagged(t) if t.tag == "c"));
}

#[tokio::test]
async fn the_receiver_is_a_tower_service() {
    use tower_service::Service;

    let (mut receiver, mut webhooks) = WebhookReceiver::new(SECRET);
    let request = http::Request::post("/livechat")
        .body(http_body_util::Full::new(bytes::Bytes::from(delivery(
            SECRET, "vip",
        ))))
        .unwrap();
    let response = receiver.call(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(webhooks.next().await.is_some());
    let request = http::Request::post("/livechat")
        .body(http_body_util::Full::new(bytes::Bytes::from(delivery(
            "x", "vip",
        ))))
        .unwrap();
    assert_eq!(
        receiver.call(request).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
}
