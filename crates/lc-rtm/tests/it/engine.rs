//! The RTM engine against a real lc-sandbox over real sockets.

#![allow(clippy::unwrap_used)]

use crate::common::{WAIT, config, connected, next};
use futures_util::{FutureExt, StreamExt};
use lc_protocol::id::Token;
use lc_protocol::{Error, Transport, agent, customer};
use lc_rtm::{
    AgentSession, CustomerSession, PushStream, RtmClient, RtmConfig, RtmEvent, RtmStatus,
};
use lc_sandbox::{AgentHandle, CustomerHandle, NewAgent, NewCustomer, Sandbox};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

async fn world() -> (Sandbox, AgentHandle, CustomerHandle) {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let agent = sandbox.create_agent(NewAgent::new("smith@example.com"));
    let customer = sandbox.create_customer(NewCustomer::new().name("Jane"));
    (sandbox, agent, customer)
}

fn agent_client(sandbox: &Sandbox, token: Token) -> RtmClient<AgentSession> {
    RtmClient::connect(
        AgentSession::agent().base_url(sandbox.ws_url()),
        token,
        config(),
    )
}

fn customer_client(sandbox: &Sandbox, customer: &CustomerHandle) -> RtmClient<CustomerSession> {
    let session = CustomerSession::customer(sandbox.organization_id()).base_url(sandbox.ws_url());
    RtmClient::connect(session, customer.token.clone(), config())
}

/// Waits for the next `incoming_chat` push.
async fn incoming_chat(events: &mut PushStream<agent::AgentPush>, what: &str) {
    next(events, what, |e| {
        matches!(
            e,
            RtmEvent::Push {
                push: agent::AgentPush::IncomingChat(_),
                ..
            }
        )
    })
    .await;
}

#[tokio::test]
async fn typed_requests_resolve_over_a_logged_in_connection() {
    let (sandbox, agent, _) = world().await;
    let client = agent_client(&sandbox, agent.token.clone());
    let chats = client.call(&agent::ListChats::new()).await.unwrap();
    assert!(chats.chats_summary.is_empty());
    client.close();
    sandbox.shutdown().await;
}

#[tokio::test]
async fn many_requests_in_flight_on_one_connection_all_resolve() {
    let (sandbox, agent, _) = world().await;
    let client = agent_client(&sandbox, agent.token.clone());
    let calls = (0..50).map(|_| {
        let client = client.clone();
        async move { client.call(&agent::ListRoutingStatuses::new()).await }
    });
    let results = futures_util::future::join_all(calls).await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    client.close();
    sandbox.shutdown().await;
}

#[tokio::test]
async fn pushes_reach_every_subscriber() {
    let (sandbox, agent, customer) = world().await;
    let agents = agent_client(&sandbox, agent.token.clone());
    let mut first = agents.subscribe();
    let mut second = agents.subscribe();
    connected(&mut first, "connected").await;
    let customers = customer_client(&sandbox, &customer);
    customers.call(&customer::StartChat::new()).await.unwrap();
    for events in [&mut first, &mut second] {
        incoming_chat(events, "incoming_chat").await;
    }
    agents.close();
    customers.close();
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_retryable_disconnect_reconnects_and_logs_in_again() {
    let (sandbox, agent, _) = world().await;
    let client = agent_client(&sandbox, agent.token.clone());
    let mut events = client.subscribe();
    connected(&mut events, "connected").await;
    sandbox.disconnect(agent.id.as_str(), "connection_timeout");
    next(
        &mut events,
        "disconnected",
        |e| matches!(e, RtmEvent::Disconnected { reason } if reason == "connection_timeout"),
    )
    .await;
    next(&mut events, "reconnecting", |e| {
        matches!(e, RtmEvent::Reconnecting { attempt: 1, .. })
    })
    .await;
    connected(&mut events, "connected again").await;
    client.call(&agent::ListChats::new()).await.unwrap();
    client.close();
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_fatal_disconnect_reason_stops_the_client() {
    let (sandbox, agent, _) = world().await;
    let client = agent_client(&sandbox, agent.token.clone());
    let mut events = client.subscribe();
    connected(&mut events, "connected").await;
    sandbox.disconnect(agent.id.as_str(), "agent_logged_out_remotely");
    next(&mut events, "stopped", |e| {
        matches!(e, RtmEvent::Stopped { .. })
    })
    .await;
    let err = client.call(&agent::ListChats::new()).await.unwrap_err();
    assert!(
        matches!(&err, Error::SessionEnded { reason } if reason == "agent_logged_out_remotely"),
        "{err:?}"
    );
    sandbox.shutdown().await;
}

#[tokio::test]
async fn an_expired_token_is_refreshed_through_the_provider() {
    let (sandbox, agent, _) = world().await;
    let sandbox = Arc::new(sandbox);
    let provider = Arc::new(Minting {
        sandbox: sandbox.clone(),
        agent: agent.clone(),
        calls: AtomicUsize::new(0),
        invalidated: std::sync::Mutex::new(Vec::new()),
    });
    let session = AgentSession::agent().base_url(sandbox.ws_url());
    let client = RtmClient::connect(session, provider.clone(), config());
    let mut events = client.subscribe();
    connected(&mut events, "connected").await;
    // Expired first: revoking closes the connection with `access_token_revoked`, which is final.
    sandbox.disconnect(agent.id.as_str(), "access_token_expired");
    sandbox.revoke_token(&agent.token);
    connected(&mut events, "connected again").await;
    assert_eq!(
        provider.calls.load(Ordering::SeqCst),
        2,
        "asked again on re-login"
    );
    // The engine told the provider which token expired, before asking for a new one.
    let invalidated = provider.invalidated.lock().unwrap().clone();
    assert_eq!(invalidated, [agent.token.expose().to_owned()]);
    client.call(&agent::ListChats::new()).await.unwrap();
    client.close();
}

/// Gives the agent's first token, then fresh ones; records invalidated tokens.
struct Minting {
    sandbox: Arc<Sandbox>,
    agent: AgentHandle,
    calls: AtomicUsize,
    invalidated: std::sync::Mutex<Vec<String>>,
}

#[async_trait::async_trait]
impl lc_protocol::auth::TokenProvider for Minting {
    async fn token(&self) -> Result<Token, Error> {
        if self.calls.fetch_add(1, Ordering::SeqCst) == 0 {
            return Ok(self.agent.token.clone());
        }
        let fresh = self.sandbox.mint_token_for_agent(&self.agent.id);
        fresh.ok_or(Error::InvalidInput("unknown agent".into()))
    }

    async fn invalidate(&self, rejected: &Token) {
        let rejected = rejected.expose().to_owned();
        self.invalidated.lock().unwrap().push(rejected);
    }
}

#[tokio::test]
async fn actions_the_connection_lacks_fail_before_sending() {
    let (sandbox, agent, _) = world().await;
    let client = agent_client(&sandbox, agent.token.clone());
    let err = client.call(&agent::UploadFile::new()).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Unsupported {
                action: "upload_file",
                ..
            }
        ),
        "{err:?}"
    );
    let err = client.call(&agent::ListCustomers::new()).await.unwrap_err();
    assert!(err.to_string().contains("3.3–3.5"), "{err}");
    client.close();
    sandbox.shutdown().await;
}

#[tokio::test]
async fn api_errors_are_typed() {
    let (sandbox, agent, _) = world().await;
    let client = agent_client(&sandbox, agent.token.clone());
    let err = client.call(&agent::GetChat::new("NOPE")).await.unwrap_err();
    assert_eq!(
        err.error_type(),
        Some(&lc_protocol::ErrorType::NotFound),
        "{err:?}"
    );
    client.close();
    sandbox.shutdown().await;
}

#[tokio::test]
async fn close_fails_later_calls_and_ends_streams() {
    let (sandbox, agent, _) = world().await;
    let client = agent_client(&sandbox, agent.token.clone());
    let mut events = client.subscribe();
    connected(&mut events, "connected").await;
    client.close();
    next(&mut events, "stopped", |e| {
        matches!(e, RtmEvent::Stopped { .. })
    })
    .await;
    assert!(matches!(
        client.call(&agent::ListChats::new()).await,
        Err(Error::Closed)
    ));
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_bad_token_never_logs_in_and_requests_time_out() {
    let (sandbox, _, _) = world().await;
    let mut config = config();
    config.request_timeout = Duration::from_millis(300);
    let client = RtmClient::connect(
        AgentSession::agent().base_url(sandbox.ws_url()),
        Token::new("dal:wrong"),
        config,
    );
    let err = client.call(&agent::ListChats::new()).await.unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    client.close();
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_call_with_its_own_timeout_times_out_while_the_default_waits() {
    let (sandbox, agent, _) = world().await;
    let client = agent_client(&sandbox, agent.token.clone());
    client.call(&agent::ListChats::new()).await.unwrap();
    sandbox.set_action_delay("list_routing_statuses", Duration::from_millis(400));
    let short = lc_protocol::Call::new(&client, agent::ListRoutingStatuses::new())
        .timeout(Duration::from_millis(100))
        .await
        .unwrap_err();
    assert!(
        matches!(&short, Error::Timeout { after, .. } if *after == Duration::from_millis(100)),
        "{short:?}"
    );
    // The engine's own timeout (15 s) lets the slow answer come.
    lc_protocol::Call::new(&client, agent::ListRoutingStatuses::new())
        .await
        .unwrap();
    client.close();
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_slow_server_times_requests_out_and_the_connection_stays_usable() {
    let (sandbox, agent, _) = world().await;
    let mut config = config();
    config.request_timeout = Duration::from_millis(200);
    let client = RtmClient::connect(
        AgentSession::agent().base_url(sandbox.ws_url()),
        agent.token.clone(),
        config,
    );
    client.call(&agent::ListChats::new()).await.unwrap();
    sandbox.set_action_delay("list_routing_statuses", Duration::from_millis(600));
    let err = client
        .call(&agent::ListRoutingStatuses::new())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    // The sandbox answers in order: let the slow answer go by (and be ignored) first.
    tokio::time::sleep(Duration::from_millis(500)).await;
    client.call(&agent::ListChats::new()).await.unwrap();
    client.close();
    sandbox.shutdown().await;
}

#[tokio::test]
async fn more_than_ten_requests_queue_instead_of_failing() {
    let (sandbox, agent, _) = world().await;
    let client = agent_client(&sandbox, agent.token.clone());
    client.call(&agent::ListChats::new()).await.unwrap();
    // Every response takes a while, so requests pile up past the server's limit of 10.
    sandbox.set_response_delay(Duration::from_millis(30));
    let calls = (0..25).map(|_| {
        let client = client.clone();
        async move { client.call(&agent::ListChats::new()).await }
    });
    let results = futures_util::future::join_all(calls).await;
    let failures: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert!(
        failures.is_empty(),
        "the limit must be respected by queueing: {failures:?}"
    );
    client.close();
    sandbox.shutdown().await;
}

#[tokio::test]
async fn requests_in_flight_when_the_socket_dies_get_connection_lost_and_the_client_recovers() {
    let (sandbox, agent, customer) = world().await;
    let client = agent_client(&sandbox, agent.token.clone());
    let mut events = client.subscribe();
    connected(&mut events, "connected").await;
    sandbox.set_action_delay("list_chats", Duration::from_millis(500));
    let in_flight = {
        let client = client.clone();
        tokio::spawn(async move { client.call(&agent::ListChats::new()).await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    sandbox.drop_connections();
    let err = in_flight.await.unwrap().unwrap_err();
    assert!(matches!(err, Error::ConnectionLost { .. }), "{err:?}");
    connected(&mut events, "connected again").await;
    sandbox.set_action_delay("list_chats", Duration::ZERO);
    // Logged in again: pushes flow again.
    let customers = customer_client(&sandbox, &customer);
    customers.call(&customer::StartChat::new()).await.unwrap();
    incoming_chat(&mut events, "incoming_chat after recovery").await;
    client.close();
    customers.close();
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_malformed_frame_is_skipped_and_nothing_else_is_lost() {
    let (sandbox, agent, _) = world().await;
    let client = agent_client(&sandbox, agent.token.clone());
    let mut events = client.subscribe();
    connected(&mut events, "connected").await;
    sandbox.send_raw_frame(agent.id.as_str(), "{\"action\": 42, truncated");
    sandbox.send_raw_frame(
        agent.id.as_str(),
        r#"{"action":"incoming_event","type":"push","payload":{"chat_id":7}}"#,
    );
    client.call(&agent::ListChats::new()).await.unwrap();
    sandbox.send_raw_frame(
        agent.id.as_str(),
        r#"{"version":"3.6","action":"chat_unfollowed","type":"push","payload":{"chat_id":"PJ0MRSHTDG"}}"#,
    );
    next(&mut events, "the push after the malformed frames", |e| {
        matches!(
            e,
            RtmEvent::Push {
                push: agent::AgentPush::ChatUnfollowed(_),
                ..
            }
        )
    })
    .await;
    client.close();
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_slow_subscriber_is_told_how_many_items_it_missed() {
    let (sandbox, agent, _) = world().await;
    let mut config = config();
    config.push_buffer = 4;
    let client = RtmClient::connect(
        AgentSession::agent().base_url(sandbox.ws_url()),
        agent.token.clone(),
        config,
    );
    let mut slow = client.subscribe();
    client.call(&agent::ListChats::new()).await.unwrap();
    for i in 0..20 {
        let frame = format!(
            r#"{{"version":"3.6","action":"chat_unfollowed","type":"push","payload":{{"chat_id":"C{i}"}}}}"#
        );
        sandbox.send_raw_frame(agent.id.as_str(), &frame);
    }
    client.call(&agent::ListChats::new()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let missed = next(&mut slow, "missed", |e| matches!(e, RtmEvent::Missed(_))).await;
    assert!(matches!(missed, RtmEvent::Missed(n) if n > 0), "{missed:?}");
    client.close();
    sandbox.shutdown().await;
}

/// Backoff on tokio's paused clock: no real sleeping, exact bounds.
#[tokio::test(start_paused = true)]
async fn reconnection_delays_grow_exponentially_with_jitter_up_to_the_cap() {
    // Nothing listens on this port: every attempt fails at once.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("ws://{}", listener.local_addr().unwrap());
    drop(listener);
    let mut config = RtmConfig::default();
    config.backoff.initial = Duration::from_secs(1);
    config.backoff.max = Duration::from_secs(8);
    let client = RtmClient::connect(
        AgentSession::agent().base_url(url),
        Token::new("dal:x"),
        config,
    );
    let mut events = client.subscribe();
    let mut delays = Vec::new();
    while delays.len() < 6 {
        match events.next().await.unwrap() {
            RtmEvent::Reconnecting { attempt, delay } => {
                assert_eq!(attempt as usize, delays.len() + 1);
                delays.push(delay);
            }
            RtmEvent::Disconnected { .. } => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    let ceilings = [1, 2, 4, 8, 8, 8].map(Duration::from_secs);
    for (delay, ceiling) in delays.iter().zip(ceilings) {
        assert!(
            *delay <= ceiling && *delay >= ceiling / 2,
            "{delay:?} not in [{:?}, {ceiling:?}]",
            ceiling / 2
        );
    }
    client.close();
}

#[tokio::test]
async fn every_login_passes_its_response_on_right_before_connected() {
    let (sandbox, _, customer) = world().await;
    let client = customer_client(&sandbox, &customer);
    let mut events = client.subscribe();
    for round in 0..2 {
        let logged_in = next(&mut events, "the login response", |e| {
            matches!(e, RtmEvent::LoggedIn { .. })
        })
        .await;
        let RtmEvent::LoggedIn { response } = logged_in else {
            unreachable!()
        };
        let login: customer::LoginResponse = serde_json::from_str(response.get()).unwrap();
        assert_eq!(login.customer.id, customer.id);
        let following = tokio::time::timeout(WAIT, events.next()).await.unwrap();
        assert!(
            matches!(following, Some(RtmEvent::Connected)),
            "{following:?}"
        );
        if round == 0 {
            sandbox.drop_connections();
        }
    }
    client.close();
    sandbox.shutdown().await;
}

#[tokio::test]
async fn wss_servers_are_verified_and_extra_roots_are_trusted() {
    let cert = lc_sandbox::SelfSigned::localhost().unwrap();
    let sandbox = Sandbox::builder()
        .tls_pem(cert.cert_pem.clone(), cert.key_pem.clone())
        .start()
        .await
        .unwrap();
    let agent = sandbox.create_agent(NewAgent::new("tls@example.com"));
    assert!(sandbox.ws_url().starts_with("wss://"));
    let session = || AgentSession::agent().base_url(sandbox.ws_url());
    // The default roots do not trust a self-signed certificate.
    let untrusted = RtmClient::connect(session(), agent.token.clone(), config());
    let mut events = untrusted.subscribe();
    next(&mut events, "a refused certificate", |e| {
        matches!(e, RtmEvent::Disconnected { .. })
    })
    .await;
    untrusted.close();
    let tls = lc_rtm::Tls::default()
        .add_root_pem(cert.cert_pem.as_bytes())
        .unwrap();
    let trusted = RtmClient::connect(session(), agent.token.clone(), config().tls(tls));
    trusted.call(&agent::ListChats::new()).await.unwrap();
    trusted.close();
    sandbox.shutdown().await;
}

/// Polls `client.status()` until `accept` holds, or panics after [`WAIT`].
async fn status_until<S>(client: &RtmClient<S>, what: &str, accept: impl Fn(&RtmStatus) -> bool)
where
    S: lc_rtm::Session,
    <S::Dialect as lc_protocol::wire::Dialect>::Push: Clone,
{
    tokio::time::timeout(WAIT, async {
        while !accept(&client.status()) {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no {what}: {:?}", client.status()));
}

#[tokio::test]
async fn the_status_follows_the_connection_through_a_reconnection() {
    let (sandbox, agent, _) = world().await;
    let client = agent_client(&sandbox, agent.token.clone());
    assert!(matches!(
        client.status(),
        RtmStatus::Connecting | RtmStatus::Connected
    ));
    status_until(&client, "connected", |s| *s == RtmStatus::Connected).await;
    // Logins are refused for a while: the client stays in `Reconnecting`.
    sandbox.refuse_logins_for(Duration::from_millis(500));
    sandbox.drop_connections();
    status_until(
        &client,
        "reconnecting",
        |s| matches!(s, RtmStatus::Reconnecting { attempt } if *attempt >= 1),
    )
    .await;
    status_until(&client, "connected again", |s| *s == RtmStatus::Connected).await;
    client.close();
    status_until(&client, "stopped", |s| {
        matches!(s, RtmStatus::Stopped { .. })
    })
    .await;
    sandbox.shutdown().await;
}

#[tokio::test]
async fn latency_is_the_round_trip_of_the_last_heartbeat() {
    let (sandbox, agent, _) = world().await;
    let client = RtmClient::connect(
        AgentSession::agent().base_url(sandbox.ws_url()),
        agent.token.clone(),
        config().ping_interval(Duration::from_millis(100)),
    );
    let mut events = client.subscribe();
    connected(&mut events, "connected").await;
    tokio::time::timeout(WAIT, async {
        while client.latency().is_none() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("a heartbeat answered");
    let latency = client.latency().unwrap();
    assert!(latency < Duration::from_secs(2), "{latency:?}");
    client.close();
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_call_polled_once_and_then_left_does_not_hold_up_the_connection() {
    let (sandbox, agent, _) = world().await;
    let config = config().ping_interval(Duration::from_millis(300));
    let client = RtmClient::connect(
        AgentSession::agent().base_url(sandbox.ws_url()),
        agent.token.clone(),
        config,
    );
    let mut events = client.subscribe();
    client.call(&agent::ListChats::new()).await.unwrap();
    // Polled once, then kept without being awaited: whatever part of the request it
    // holds (a batch it was to flush, the socket's reading) must not stall the others.
    let statuses = agent::ListRoutingStatuses::new();
    let mut parked = Box::pin(client.call(&statuses));
    assert!(parked.as_mut().now_or_never().is_none());
    let other = tokio::time::timeout(WAIT, client.call(&agent::ListChats::new())).await;
    other
        .expect("another call is answered while the first is left")
        .unwrap();
    // Several heartbeats later the connection is still the first one.
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    client.call(&agent::ListChats::new()).await.unwrap();
    while let Ok(Some(event)) = tokio::time::timeout(Duration::from_millis(50), events.next()).await
    {
        assert!(
            !matches!(
                event,
                RtmEvent::Disconnected { .. } | RtmEvent::Reconnecting { .. }
            ),
            "{event:?}"
        );
    }
    // The call left behind was answered meanwhile.
    parked.await.unwrap();
    client.close();
    sandbox.shutdown().await;
}
