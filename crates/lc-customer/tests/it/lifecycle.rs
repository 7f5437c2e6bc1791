//! The connection's life: recovery after a dropped connection (re-login, no lost pushes),
//! token refresh, disconnect and destroy.

#![allow(clippy::unwrap_used)]

use crate::common;

use async_trait::async_trait;
use common::{next_event, next_of, shutdown, start_chat, world};
use futures_util::StreamExt;
use lc_customer::{Connected, CustomerEvent, Pagination, Stopped, Upload};
use lc_protocol::auth::TokenProvider;
use lc_protocol::customer::push::{CustomerDisconnected, IncomingEvent};
use lc_protocol::customer::{self, CustomerPush};
use lc_protocol::id::Token;
use lc_protocol::types::Event;
use lc_protocol::{Error, Transport};
use lc_sandbox::{NewCustomer, Sandbox};
use std::sync::{Arc, Mutex};

#[tokio::test]
async fn a_dropped_connection_is_recovered_without_losing_later_pushes() {
    let mut w = world().await;
    let (chat_id, _) = start_chat(&w).await;
    w.sandbox.drop_connections();
    next_of::<lc_customer::Disconnected>(&mut w.events).await;
    next_of::<lc_customer::Reconnecting>(&mut w.events).await;
    let again = next_of::<Connected>(&mut w.events).await;
    assert_eq!(again.customer.id, w.customer.id);
    assert!(again.has_active_thread);

    // Everything the agent sends after the recovery arrives, in order.
    let texts: Vec<String> = (0..5).map(|n| format!("after {n}")).collect();
    for text in &texts {
        w.agent
            .send_event(chat_id.clone(), Event::message(text.as_str()))
            .await
            .unwrap();
    }
    let mut received = Vec::new();
    while received.len() < texts.len() {
        let incoming = next_of::<IncomingEvent>(&mut w.events).await;
        if let Some(text) = incoming.event.text() {
            received.push(text.to_owned());
        }
    }
    assert_eq!(received, texts);
    // And requests work again.
    w.client
        .send_event(chat_id, Event::message("back"))
        .await
        .unwrap();
    shutdown(w).await;
}

/// A caching token provider that counts what the client asks of it.
#[derive(Clone)]
struct CachingTokens {
    good: Token,
    state: Arc<Mutex<TokenState>>,
}

#[derive(Default)]
struct TokenState {
    cached: Option<Token>,
    fetches: usize,
    invalidated: Vec<String>,
    /// Tokens to hand out before the good one (e.g. an invalid one).
    queue: Vec<Token>,
}

#[async_trait]
impl TokenProvider for CachingTokens {
    async fn token(&self) -> Result<Token, Error> {
        let mut state = self.state.lock().unwrap();
        if let Some(token) = &state.cached {
            return Ok(token.clone());
        }
        state.fetches += 1;
        let token = if state.queue.is_empty() {
            self.good.clone()
        } else {
            state.queue.remove(0)
        };
        state.cached = Some(token.clone());
        Ok(token)
    }

    async fn invalidate(&self, rejected: &Token) {
        let mut state = self.state.lock().unwrap();
        state.invalidated.push(rejected.expose().to_owned());
        state.cached = None;
    }
}

#[tokio::test]
async fn tokens_are_refreshed_after_expiry_and_authentication_errors() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let customer = sandbox.create_customer(NewCustomer::new());
    let tokens = CachingTokens {
        good: customer.token.clone(),
        state: Arc::new(Mutex::new(TokenState {
            queue: vec![Token::new("dal:not-a-valid-token")],
            ..TokenState::default()
        })),
    };
    let client = common::connect(&sandbox, common::config(&sandbox), tokens.clone());
    let mut events = client.events();
    // The first token is refused at login: it is invalidated and a fresh one fetched.
    next_of::<Connected>(&mut events).await;
    {
        let state = tokens.state.lock().unwrap();
        assert_eq!(state.fetches, 2);
        assert_eq!(state.invalidated, ["dal:not-a-valid-token"]);
    }

    // The server says the token expired: it is invalidated before the next login.
    sandbox.disconnect(customer.id.as_str(), "access_token_expired");
    let pushed = next_of::<CustomerDisconnected>(&mut events).await;
    assert_eq!(pushed.reason.as_str(), "access_token_expired");
    next_of::<Connected>(&mut events).await;
    {
        let state = tokens.state.lock().unwrap();
        assert_eq!(state.fetches, 3);
        assert_eq!(state.invalidated.len(), 2);
        assert_eq!(state.invalidated[1], customer.token.expose());
    }
    client.get_customer().await.unwrap();
    client.destroy();
    sandbox.shutdown().await;
}

#[tokio::test]
async fn disconnect_closes_the_connection_but_keeps_listeners() {
    let mut w = world().await;
    w.client.disconnect();
    let stopped = next_of::<Stopped>(&mut w.events).await;
    assert!(!stopped.reason.is_empty());
    let refused = w.client.get_customer().await;
    assert!(matches!(refused, Err(Error::Closed)), "{refused:?}");
    assert!(!w.client.is_destroyed());
    shutdown(w).await;
}

#[tokio::test]
async fn destroy_releases_everything_and_refuses_later_calls() {
    let mut w = world().await;
    let (chat_id, _) = start_chat(&w).await;
    let history = w.client.get_chat_history(chat_id.clone());
    let mut second_stream = w.client.events();
    let subscription = w.client.on::<IncomingEvent>(|_| {});
    w.client.destroy();

    // Listeners and streams end.
    let last = next_event(&mut w.events, "the stopped event", |e| {
        matches!(e, CustomerEvent::Stopped(_))
    })
    .await;
    assert!(matches!(last, CustomerEvent::Stopped(Stopped { reason }) if reason == "destroyed"));
    assert!(w.events.next().await.is_none());
    let ended = tokio::time::timeout(common::WAIT, async {
        while second_stream.next().await.is_some() {}
    })
    .await;
    assert!(ended.is_ok());
    tokio::time::timeout(common::WAIT, async {
        while !subscription.is_finished() {
            tokio::task::yield_now().await;
        }
    })
    .await
    .unwrap();
    assert!(w.client.events().next().await.is_none());

    // Every call fails with a clear "destroyed" error, before anything is sent.
    let started = w.client.start_chat().await;
    assert!(destroyed(&started), "{started:?}");
    let summary = w.client.get_chats_summary(Pagination::default()).await;
    assert!(destroyed(&summary));
    assert!(destroyed(&history.next().await));
    let file = w
        .client
        .send_file(chat_id.clone(), Upload::bytes("a.txt", b"a".to_vec()))
        .await;
    assert!(destroyed(&file));
    assert!(destroyed(
        &w.client
            .call_raw("get_customer", serde_json::json!({}))
            .await
    ));
    assert!(destroyed(
        &w.client
            .rate_chat(chat_id.clone(), lc_customer::Rating::bad())
            .await
    ));
    w.client.set_sneak_peek(chat_id, "ignored"); // does nothing, does not panic
    assert!(w.client.is_destroyed());
    assert_eq!(
        Error::Destroyed.to_string(),
        "the client was destroyed; create a new one"
    );

    // The connection itself is closed.
    let raw = w
        .client
        .transport()
        .call(&customer::GetCustomer::new())
        .await;
    assert!(matches!(raw, Err(Error::Closed)), "{raw:?}");
    w.client.destroy(); // twice is fine
    shutdown(w).await;
}

#[tokio::test]
async fn a_fatal_disconnect_stops_the_client() {
    let mut w = world().await;
    w.sandbox
        .disconnect(w.customer.id.as_str(), "logged_out_remotely");
    let pushed = next_event(&mut w.events, "customer_disconnected", |e| {
        matches!(
            e,
            CustomerEvent::Push(CustomerPush::CustomerDisconnected(_))
        )
    })
    .await;
    assert_eq!(pushed.name(), "customer_disconnected");
    let stopped = next_of::<Stopped>(&mut w.events).await;
    assert_eq!(stopped.reason, "logged_out_remotely");
    let refused = w.client.get_customer().await;
    assert!(
        matches!(&refused, Err(Error::SessionEnded { reason }) if reason == "logged_out_remotely"),
        "{refused:?}"
    );
    shutdown(w).await;
}

fn destroyed<T>(result: &Result<T, Error>) -> bool {
    matches!(result, Err(Error::Destroyed))
}

#[tokio::test]
async fn a_late_listener_still_learns_the_connection() {
    let mut w = world().await;
    let current = w.client.connected().unwrap();
    assert_eq!(current.customer.id, w.customer.id);
    // A stream opened after the login starts with the current connection...
    let mut late = w.client.events();
    let first = tokio::time::timeout(common::WAIT, late.next())
        .await
        .unwrap();
    assert!(matches!(first, Some(CustomerEvent::Connected(c)) if c.customer.id == w.customer.id));
    // ... and `once` fires for it.
    let (tx, rx) = tokio::sync::oneshot::channel();
    let _once = w.client.once::<Connected>(move |c| {
        let _ = tx.send(c.customer.id.clone());
    });
    let id = tokio::time::timeout(common::WAIT, rx)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(id, w.customer.id);

    w.client.disconnect();
    next_of::<Stopped>(&mut w.events).await;
    assert!(w.client.connected().is_none());
    let mut after = w.client.events();
    let nothing = tokio::time::timeout(std::time::Duration::from_millis(50), after.next()).await;
    assert!(
        nothing.is_err(),
        "no connection to replay once disconnected"
    );
    shutdown(w).await;
}

#[tokio::test]
async fn every_login_sends_the_customer_page_and_group() {
    let builder = Sandbox::builder();
    let mut w = common::world_with(builder, |config| {
        config
            .customer(customer::LoginCustomer {
                name: Some("From Login".to_owned()),
                session_fields: Some(vec![[("plan".to_owned(), "gold".to_owned())].into()]),
                ..customer::LoginCustomer::default()
            })
            .page("https://example.com/pricing", Some("Pricing"))
            .login_field("referrer", serde_json::json!("https://search.example/"))
    })
    .await;
    let connected = w.client.connected().unwrap();
    assert_eq!(connected.customer.name.as_deref(), Some("From Login"));
    let fields = connected.customer.session_fields.clone().unwrap();
    assert_eq!(fields[0]["plan"], "gold");
    let views = |c: &Connected| c.customer.statistics.as_ref().unwrap().page_views_count;
    assert_eq!(views(&connected), Some(1));
    let seen = w.agent.get_customer(w.customer.id.clone()).await.unwrap();
    let visit = seen.visit.unwrap();
    assert_eq!(visit.referrer.as_deref(), Some("https://search.example/"));
    let pages = visit.last_pages.unwrap();
    assert_eq!(pages[0].url.as_deref(), Some("https://example.com/pricing"));

    // After a reconnection the same fields go again: one more page view.
    w.sandbox.drop_connections();
    next_of::<lc_customer::Disconnected>(&mut w.events).await;
    let again = next_of::<Connected>(&mut w.events).await;
    assert_eq!(views(&again), Some(2));
    shutdown(w).await;

    // The configured group decides the availability: group 0 is served, group 7 is not.
    let sandbox = Sandbox::builder().start().await.unwrap();
    sandbox.create_group(7, "Sales");
    let agent = sandbox.create_agent(lc_sandbox::NewAgent::new("smith@example.com"));
    let session = lc_rtm::AgentSession::agent().base_url(sandbox.ws_url());
    let agent = lc_agent::AgentClient::connect_rtm(session, agent.token, common::rtm_config());
    agent.list_routing_statuses().await.unwrap();
    let customer = sandbox.create_customer(NewCustomer::new());
    let config = common::config(&sandbox).group(7);
    let client = common::connect(&sandbox, config, customer.token.clone());
    let mut events = client.events();
    let connected = next_of::<Connected>(&mut events).await;
    assert_eq!(connected.availability, lc_customer::Availability::Offline);
    client.destroy();
    agent.transport().close();
    sandbox.shutdown().await;
}
