//! `BotTokens` against a small local server answering `issue_bot_token` (the sandbox has
//! no Configuration API).

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use lc_accounts::{BotTokens, TokenProvider, needs_reauthorization};
use serde_json::{Value, json};
use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;
use tokio::net::TcpListener;

/// Serves `issue_bot_token` for bot `bot` with secret `secret`; counts the requests.
async fn serve(issued: Arc<AtomicU32>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let issued = issued.clone();
            let service = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                let issued = issued.clone();
                async move {
                    let path = req.uri().path().to_owned();
                    let body = req.into_body().collect().await.unwrap().to_bytes();
                    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                    let good = path == "/v3.6/configuration/action/issue_bot_token"
                        && body["bot_id"] == "bot1"
                        && body["client_id"] == "app1"
                        && body["organization_id"] == "org1"
                        && body["bot_secret"] == "s3cret";
                    let (status, answer) = if good {
                        let n = issued.fetch_add(1, Ordering::SeqCst);
                        (200, json!({ "token": format!("jwt.{n}") }))
                    } else {
                        let error =
                            json!({"type": "authentication", "message": "Invalid bot secret"});
                        (401, json!({ "error": error }))
                    };
                    let mut response =
                        hyper::Response::new(Full::new(Bytes::from(answer.to_string())));
                    *response.status_mut() = hyper::StatusCode::from_u16(status).unwrap();
                    Ok::<_, Infallible>(response)
                }
            });
            tokio::spawn(
                hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service),
            );
        }
    });
    url
}

#[tokio::test]
async fn bot_tokens_are_issued_again_ahead_of_expiry() {
    let issued = Arc::new(AtomicU32::new(0));
    let url = serve(issued.clone()).await;
    let tokens = BotTokens::builder("bot1", "s3cret", "app1", "org1")
        .api_url(url.clone())
        .lifetime(Duration::from_secs(2))
        .refresh_margin(Duration::from_secs(1))
        .build();
    let first = tokens.token().await.unwrap();
    assert_eq!(first.expose(), "jwt.0");
    assert_eq!(tokens.clone().token().await.unwrap().expose(), "jwt.0");
    assert_eq!(issued.load(Ordering::SeqCst), 1);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(tokens.token().await.unwrap().expose(), "jwt.1");
    tokens
        .invalidate(&lc_protocol::id::Token::new("jwt.1"))
        .await;
    assert_eq!(tokens.token().await.unwrap().expose(), "jwt.2");
    assert!(!format!("{tokens:?}").contains("s3cret"));

    let wrong = BotTokens::builder("bot1", "nope", "app1", "org1")
        .api_url(url)
        .build();
    let error = wrong.token().await.unwrap_err();
    assert!(needs_reauthorization(&error), "{error}");
}
