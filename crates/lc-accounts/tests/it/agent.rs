//! `AgentOAuth` against the sandbox's `POST /v2/token`.

use crate::common::World;
use lc_accounts::{AgentOAuth, TokenProvider, accounts_error_code, needs_reauthorization};
use lc_agent::AgentClient;
use lc_protocol::Transport;
use lc_protocol::id::Token;
use lc_rtm::{AgentSession, RtmConfig};
use lc_web::{WebClient, WebConfig};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const MARGIN: Duration = Duration::from_secs(300);

#[tokio::test]
async fn a_refreshed_token_logs_an_agent_in_over_rtm_and_web_shares_it() {
    let w = World::new(None).await;
    let tokens = w.agent_tokens(MARGIN);
    let session = AgentSession::agent().base_url(w.sandbox.ws_url());
    let rtm = AgentClient::connect_rtm(session, tokens.clone(), RtmConfig::default());
    let statuses = rtm.list_routing_statuses().await.unwrap();
    assert!(!statuses.is_empty());
    let web_session = AgentSession::agent().base_url(w.sandbox.http_url());
    let web = WebClient::new(web_session, tokens.clone(), WebConfig::default());
    web.call_raw("list_routing_statuses", serde_json::json!({}))
        .await
        .unwrap();
    assert_eq!(w.sandbox.token_requests(), 1, "RTM and Web share one token");
    let shown = format!("{tokens:?}");
    assert!(!shown.contains(tokens.refresh_token().expose()), "{shown}");
}

#[tokio::test]
async fn the_token_is_refreshed_ahead_of_expiry() {
    let w = World::new(Some(Duration::from_secs(4))).await;
    let tokens = w.agent_tokens(Duration::from_secs(1));
    let first = tokens.token().await.unwrap();
    assert_eq!(tokens.token().await.unwrap().expose(), first.expose());
    tokio::time::sleep(Duration::from_millis(3200)).await;
    let second = tokens.token().await.unwrap();
    assert_ne!(second.expose(), first.expose());
    assert_eq!(w.sandbox.token_requests(), 2);
    assert!(
        w.agent_token_works(first.clone()).await,
        "refreshed before expiry"
    );
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert!(!w.agent_token_works(first).await, "the old token expired");
    assert!(w.agent_token_works(second).await);
}

#[tokio::test]
async fn a_rotated_refresh_token_reaches_the_callback() {
    let w = World::new(None).await;
    let app = w.sandbox.create_public_oauth_client();
    let original = w.sandbox.issue_refresh_token(&app, &w.agent.id).unwrap();
    let stored: Arc<Mutex<Vec<Token>>> = Arc::default();
    let tokens = AgentOAuth::builder(app.client_id.clone())
        .accounts_url(w.sandbox.http_url())
        .on_refresh_token({
            let stored = stored.clone();
            move |new| stored.lock().unwrap().push(new.clone())
        })
        .build(original.clone());
    let first = tokens.token().await.unwrap();
    let rotated = stored.lock().unwrap().clone();
    assert_eq!(rotated.len(), 1);
    assert_ne!(rotated[0].expose(), original.expose());
    assert_eq!(tokens.refresh_token().expose(), rotated[0].expose());
    tokens.invalidate(&first).await;
    tokens.token().await.unwrap();
    assert_eq!(stored.lock().unwrap().len(), 2, "every refresh rotates");
    // The first refresh token was used up.
    let stale = AgentOAuth::builder(app.client_id.clone())
        .accounts_url(w.sandbox.http_url())
        .build(original);
    let error = stale.token().await.unwrap_err();
    assert_eq!(accounts_error_code(&error), Some("invalid_grant"));
}

#[tokio::test]
async fn concurrent_calls_share_one_refresh() {
    let w = World::new(None).await;
    let tokens = w.agent_tokens(MARGIN);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..16 {
        let tokens = tokens.clone();
        tasks.spawn(async move { tokens.token().await.unwrap() });
    }
    let mut seen = Vec::new();
    while let Some(token) = tasks.join_next().await {
        seen.push(token.unwrap().expose().to_owned());
    }
    seen.dedup();
    assert_eq!(seen.len(), 1);
    assert_eq!(w.sandbox.token_requests(), 1);
}

#[tokio::test]
async fn invalidate_forces_a_refresh_and_the_engine_uses_it() {
    let w = World::new(None).await;
    let tokens = w.agent_tokens(MARGIN);
    let first = tokens.token().await.unwrap();
    tokens.invalidate(&Token::new("not the current one")).await;
    assert_eq!(tokens.token().await.unwrap().expose(), first.expose());
    tokens.invalidate(&first).await;
    let second = tokens.token().await.unwrap();
    assert_ne!(second.expose(), first.expose());
    assert_eq!(w.sandbox.token_requests(), 2);
    // The server refuses the current token: the Web engine invalidates it and retries.
    w.sandbox.revoke_token(&second);
    let session = AgentSession::agent().base_url(w.sandbox.http_url());
    let web = WebClient::new(session, tokens.clone(), WebConfig::default());
    web.call_raw("list_routing_statuses", serde_json::json!({}))
        .await
        .unwrap();
    assert_eq!(w.sandbox.token_requests(), 3);
}

#[tokio::test]
async fn a_revoked_refresh_token_is_a_clear_error_to_authorize_again() {
    let w = World::new(None).await;
    let refresh = w.sandbox.issue_refresh_token(&w.app, &w.agent.id).unwrap();
    w.sandbox.revoke_refresh_token(&refresh);
    let tokens = AgentOAuth::builder(w.app.client_id.clone())
        .client_secret(w.app.client_secret.clone().unwrap())
        .accounts_url(w.sandbox.http_url())
        .build(refresh);
    let error = tokens.token().await.unwrap_err();
    assert!(needs_reauthorization(&error), "{error}");
    assert!(!error.is_transient());
    assert_eq!(accounts_error_code(&error), Some("invalid_grant"));
    assert!(error.to_string().contains("invalid_grant"), "{error}");
    assert!(error.to_string().contains("authorize again"), "{error}");
    let wrong_secret = AgentOAuth::builder(w.app.client_id.clone())
        .client_secret("wrong")
        .accounts_url(w.sandbox.http_url())
        .build(w.sandbox.issue_refresh_token(&w.app, &w.agent.id).unwrap());
    let error = wrong_secret.token().await.unwrap_err();
    assert_eq!(accounts_error_code(&error), Some("unauthorized_client"));
    assert!(needs_reauthorization(&error));
}

#[tokio::test]
async fn an_authorization_code_is_exchanged_once() {
    let w = World::new(None).await;
    let redirect = "https://my.app/callback";
    let code = w
        .sandbox
        .issue_authorization_code(&w.app, &w.agent.id, redirect)
        .unwrap();
    let builder = || {
        AgentOAuth::builder(w.app.client_id.clone())
            .client_secret(w.app.client_secret.clone().unwrap())
            .accounts_url(w.sandbox.http_url())
    };
    let (tokens, set) = builder()
        .exchange_code(&code, redirect, None)
        .await
        .unwrap();
    assert!(set.refresh_token.is_some());
    assert_eq!(set.expires_in, Duration::from_secs(28_800));
    assert_eq!(
        tokens.token().await.unwrap().expose(),
        set.access_token.expose()
    );
    assert_eq!(w.sandbox.token_requests(), 1, "the exchanged token is used");
    assert!(w.agent_token_works(set.access_token).await);
    let error = builder()
        .exchange_code(&code, redirect, None)
        .await
        .unwrap_err();
    assert_eq!(accounts_error_code(&error), Some("unauthorized_client"));
}

#[tokio::test]
async fn after_access_token_expired_the_rtm_engine_logs_in_with_a_refreshed_token() {
    let w = World::new(None).await;
    let tokens = w.agent_tokens(MARGIN);
    let session = AgentSession::agent().base_url(w.sandbox.ws_url());
    let rtm = AgentClient::connect_rtm(session, tokens.clone(), RtmConfig::default());
    rtm.list_routing_statuses().await.unwrap();
    let first = tokens.token().await.unwrap();
    w.sandbox
        .disconnect(w.agent.id.as_str(), "access_token_expired");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while w.sandbox.token_requests() < 2 {
        assert!(tokio::time::Instant::now() < deadline, "no refresh");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    rtm.list_routing_statuses().await.unwrap();
    assert_ne!(tokens.token().await.unwrap().expose(), first.expose());
    assert_eq!(w.sandbox.token_requests(), 2);
}

#[tokio::test]
async fn when_the_token_expires_the_rtm_connection_comes_back_with_a_new_one() {
    let w = World::new(Some(Duration::from_secs(2))).await;
    let tokens = w.agent_tokens(MARGIN);
    let session = AgentSession::agent().base_url(w.sandbox.ws_url());
    let rtm = AgentClient::connect_rtm(session, tokens.clone(), RtmConfig::default());
    rtm.list_routing_statuses().await.unwrap();
    assert_eq!(w.sandbox.token_requests(), 1);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while w.sandbox.token_requests() < 2 {
        assert!(tokio::time::Instant::now() < deadline, "no refresh");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    rtm.list_routing_statuses().await.unwrap();
}
