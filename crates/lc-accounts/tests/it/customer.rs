//! `CustomerTokens` against the sandbox's `POST /v2/customer/token`.

use crate::common::World;
use lc_accounts::{CustomerTokens, TokenProvider};
use lc_protocol::Transport;
use lc_protocol::id::Token;
use lc_web::{CustomerSession, WebClient, WebConfig};
use std::time::Duration;

/// The id of the customer `token` logs in as, on the customer Web API.
async fn who(w: &World, token: Token) -> String {
    let session =
        CustomerSession::customer(w.sandbox.organization_id()).base_url(w.sandbox.http_url());
    let web = WebClient::new(session, token, WebConfig::default());
    let customer = web
        .call_raw("get_customer", serde_json::json!({}))
        .await
        .unwrap();
    customer["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_agent_token_grant_logs_a_customer_in_and_keeps_its_identity() {
    let w = World::new(None).await;
    let agent = w.agent_tokens(Duration::from_secs(300));
    let tokens = CustomerTokens::agent_token(w.app.client_id.clone(), agent)
        .organization_id(w.sandbox.organization_id())
        .accounts_url(w.sandbox.http_url())
        .build();
    let first = tokens.token().await.unwrap();
    let id = tokens.customer_id().unwrap();
    assert_eq!(who(&w, first.clone()).await, id);
    tokens.invalidate(&first).await;
    let second = tokens.token().await.unwrap();
    assert_ne!(second.expose(), first.expose());
    assert_eq!(who(&w, second).await, id, "the same customer");
    // Agent token (1) and two customer tokens.
    assert_eq!(w.sandbox.token_requests(), 3);
    // The same provider logs the customer in over RTM.
    let session =
        lc_rtm::CustomerSession::customer(w.sandbox.organization_id()).base_url(w.sandbox.ws_url());
    let rtm = lc_rtm::RtmClient::connect(session, tokens.clone(), lc_rtm::RtmConfig::default());
    let customer = rtm
        .call_raw("get_customer", serde_json::json!({}))
        .await
        .unwrap();
    assert_eq!(customer["id"].as_str(), Some(id.as_str()));
    assert_eq!(w.sandbox.token_requests(), 3, "RTM and Web share the token");
}

#[tokio::test]
async fn the_cookie_grant_keeps_its_cookies_and_groups_have_their_own_identity() {
    let w = World::new(Some(Duration::from_secs(4))).await;
    w.sandbox.create_group(1, "Sales");
    let org = w.sandbox.organization_id();
    let tokens = CustomerTokens::cookie(w.app.client_id.clone(), org.clone())
        .accounts_url(w.sandbox.http_url())
        .refresh_margin(Duration::from_secs(1))
        .build();
    let first = tokens.token().await.unwrap();
    let id = tokens.customer_id().unwrap();
    assert_eq!(who(&w, first.clone()).await, id);
    let (cid, cst) = tokens.cookies().unwrap();
    assert_eq!(cid, id);
    assert!(!format!("{tokens:?}").contains(cst.expose()));
    tokio::time::sleep(Duration::from_millis(3200)).await;
    let second = tokens.token().await.unwrap();
    assert_ne!(second.expose(), first.expose(), "refreshed ahead of expiry");
    assert_eq!(who(&w, second).await, id);
    // The stored cookies give the same customer; none give a new one.
    let again = CustomerTokens::cookie(w.app.client_id.clone(), org.clone())
        .accounts_url(w.sandbox.http_url())
        .cookies(cid.clone(), cst.clone())
        .build();
    again.token().await.unwrap();
    assert_eq!(again.customer_id().unwrap(), id);
    let stranger = CustomerTokens::cookie(w.app.client_id.clone(), org.clone())
        .accounts_url(w.sandbox.http_url())
        .build();
    stranger.token().await.unwrap();
    assert_ne!(stranger.customer_id().unwrap(), id);
    // Per-group identity: the same cookies are another customer in group 1.
    let sales = CustomerTokens::cookie(w.app.client_id.clone(), org.clone())
        .accounts_url(w.sandbox.http_url())
        .per_group(org, 1)
        .cookies(cid, cst)
        .build();
    let token = sales.token().await.unwrap();
    let sales_id = sales.customer_id().unwrap();
    assert_ne!(sales_id, id);
    assert_eq!(who(&w, token).await, sales_id);
}
