//! End to end inside the crate: a real sandbox, Customer and Agent Web API calls over
//! real sockets, a real receiver; the registration is put in the registry directly
//! (the Configuration API that makes them lives elsewhere). Checks the hook in
//! `push::deliver`: webhooks fire whether or not an agent is connected.

#![allow(clippy::unwrap_used)]

use super::log::DeliveryOutcome;
use super::sender_tests::{Answer, receiver};
use crate::webhook_registry::Registration;
use crate::{NewAgent, NewCustomer, Sandbox};
use bytes::Bytes;
use http::Request;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use lc_protocol::ApiVersion;
use lc_protocol::configuration::{WebhookFilters, WebhookType};
use serde_json::{Value, json};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(5);

/// POSTs `payload` to the sandbox's `path` with `auth`; the JSON answer.
async fn post(sandbox: &Sandbox, path: &str, auth: &str, payload: &Value) -> Value {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let request = Request::post(format!("{}{path}", sandbox.http_url()))
        .header("authorization", auth)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(payload.to_string())))
        .unwrap();
    let response = client.request(request).await.unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(status, 200, "{path}: {body:?}");
    serde_json::from_slice(&body).unwrap()
}

fn register(sandbox: &Sandbox, id: &str, action: &str, url: String, kind: WebhookType) {
    register_with(sandbox, id, action, url, kind, WebhookFilters::default());
}

fn register_with(
    sandbox: &Sandbox,
    id: &str,
    action: &str,
    url: String,
    kind: WebhookType,
    filters: WebhookFilters,
) {
    let registration = Registration {
        id: id.into(),
        action: action.into(),
        secret_key: format!("secret of {id}"),
        url,
        owner_client_id: "app".into(),
        kind,
        description: None,
        filters,
        additional_data: Vec::new(),
        version: ApiVersion::V3_6,
    };
    sandbox
        .shared
        .lock()
        .webhooks
        .registrations
        .insert(id.into(), registration);
}

#[tokio::test]
async fn customer_actions_fire_webhooks_with_no_agent_online_and_failures_are_retried() {
    let sandbox = Sandbox::builder()
        .webhook_timeout(Duration::from_millis(300))
        .webhook_retry_delays(vec![Duration::from_millis(20); 3])
        .start()
        .await
        .unwrap();
    let (ok, ok_hits) = receiver(vec![], Answer::Status(200)).await;
    let (flaky, flaky_hits) = receiver(vec![Answer::Status(500)], Answer::Status(200)).await;
    register(
        &sandbox,
        "w1",
        "incoming_chat",
        format!("http://{ok}/"),
        WebhookType::License,
    );
    register(
        &sandbox,
        "w2",
        "incoming_event",
        format!("http://{flaky}/"),
        WebhookType::License,
    );
    register(
        &sandbox,
        "w3",
        "incoming_event",
        format!("http://{ok}/"),
        WebhookType::Bot,
    );
    let customer = sandbox.create_customer(NewCustomer::new().name("Jane"));
    let auth = customer.bearer().expose().to_owned();
    let org = sandbox.organization_id();
    let start = json!({"chat": {"thread": {"events": [{"type": "message", "text": "hi"}]}}});
    let started = post(
        &sandbox,
        &format!("/v3.6/customer/action/start_chat?organization_id={org}"),
        &auth,
        &start,
    )
    .await;
    let chat_id = started["chat_id"].as_str().unwrap();
    let event = json!({"chat_id": chat_id, "event": {"type": "message", "text": "anyone?"}});
    post(
        &sandbox,
        &format!("/v3.6/customer/action/send_event?organization_id={org}"),
        &auth,
        &event,
    )
    .await;
    let log = sandbox.wait_for_webhook_deliveries(3, WAIT).await;
    assert_eq!(log.len(), 3, "{log:?}");
    let ok_hits = ok_hits.lock().unwrap().clone();
    assert_eq!(ok_hits.len(), 1, "the bot webhook waits for a bot");
    assert_eq!(ok_hits[0].1["action"], "incoming_chat");
    assert_eq!(ok_hits[0].1["payload"]["chat"]["id"], chat_id);
    let flaky_hits = flaky_hits.lock().unwrap().clone();
    assert_eq!(flaky_hits.len(), 2);
    assert_eq!(flaky_hits[0].1, flaky_hits[1].1);
    assert_eq!(flaky_hits[0].1["secret_key"], "secret of w2");
    assert_eq!(flaky_hits[0].1["payload"]["event"]["text"], "anyone?");
    let w2: Vec<_> = log.iter().filter(|d| d.webhook_id == "w2").collect();
    assert!(matches!(
        w2[0].outcome,
        DeliveryOutcome::Failed {
            status: Some(500),
            ..
        }
    ));
    assert!(w2[1].is_delivered() && w2[1].attempt == 2 && w2[1].last);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn routing_status_set_reaches_webhooks_and_is_spelled_with_spaces() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let (addr, hits) = receiver(vec![], Answer::Status(200)).await;
    register(
        &sandbox,
        "w1",
        "routing_status_set",
        format!("http://{addr}/"),
        WebhookType::License,
    );
    let agent = sandbox.create_agent(NewAgent::new("smith@example.com"));
    let bot = sandbox.create_agent(NewAgent::new("robo").bot());
    let payload = json!({"status": "accepting_chats", "agent_id": bot.id});
    post(
        &sandbox,
        "/v3.6/agent/action/set_routing_status",
        agent.bearer().expose(),
        &payload,
    )
    .await;
    let log = sandbox.wait_for_webhook_deliveries(1, WAIT).await;
    assert_eq!(log.len(), 1, "{log:?}");
    let hits = hits.lock().unwrap().clone();
    assert_eq!(hits[0].1["payload"]["status"], "accepting chats");
    assert_eq!(hits[0].1["payload"]["agent_id"], "robo");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_waiting_chat_routed_at_an_agent_login_is_not_reported_again() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;

    let sandbox = Sandbox::builder().start().await.unwrap();
    let (addr, hits) = receiver(vec![], Answer::Status(200)).await;
    register(
        &sandbox,
        "w1",
        "incoming_chat",
        format!("http://{addr}/"),
        WebhookType::License,
    );
    let agent = sandbox.create_agent(NewAgent::new("smith@example.com"));
    let customer = sandbox.create_customer(NewCustomer::new());
    let org = sandbox.organization_id();
    let start = json!({"chat": {"thread": {"events": [{"type": "message", "text": "hi"}]}}});
    post(
        &sandbox,
        &format!("/v3.6/customer/action/start_chat?organization_id={org}"),
        customer.bearer().expose(),
        &start,
    )
    .await;
    assert_eq!(sandbox.wait_for_webhook_deliveries(1, WAIT).await.len(), 1);
    // The agent logs in: the waiting chat is routed to it and pushed again.
    let url = format!("{}/v3.6/agent/rtm/ws", sandbox.ws_url());
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let login = json!({"request_id": "1", "action": "login",
                       "payload": {"token": agent.bearer().expose()}});
    ws.send(Message::text(login.to_string())).await.unwrap();
    let mut pushed_again = false;
    while let Ok(Some(Ok(frame))) = tokio::time::timeout(WAIT, ws.next()).await {
        let frame: Value = serde_json::from_str(frame.to_text().unwrap_or("{}")).unwrap();
        if frame["action"] == "incoming_chat" {
            pushed_again = true;
            break;
        }
    }
    assert!(pushed_again, "the routed chat is pushed to the agent");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(sandbox.webhook_deliveries().len(), 1);
    assert_eq!(hits.lock().unwrap().len(), 1);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn only_my_chats_follows_the_source_property_given_at_start_chat() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let (addr, hits) = receiver(vec![], Answer::Status(200)).await;
    let filters = WebhookFilters {
        only_my_chats: Some(true),
        ..WebhookFilters::default()
    };
    let url = format!("http://{addr}/");
    register_with(
        &sandbox,
        "w1",
        "incoming_event",
        url,
        WebhookType::License,
        filters,
    );
    let org = sandbox.organization_id();
    let mut chats = Vec::new();
    for source in [json!({"source": {"client_id": "app"}}), json!({})] {
        let customer = sandbox.create_customer(NewCustomer::new());
        let auth = customer.bearer().expose().to_owned();
        let start = json!({"chat": {"properties": source,
                                    "thread": {"events": [{"type": "message", "text": "hi"}]}}});
        let path = format!("/v3.6/customer/action/start_chat?organization_id={org}");
        let started = post(&sandbox, &path, &auth, &start).await;
        let chat_id = started["chat_id"].as_str().unwrap().to_owned();
        let event = json!({"chat_id": chat_id, "event": {"type": "message", "text": "more"}});
        let path = format!("/v3.6/customer/action/send_event?organization_id={org}");
        post(&sandbox, &path, &auth, &event).await;
        chats.push(chat_id);
    }
    sandbox.wait_for_webhook_deliveries(1, WAIT).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let hits = hits.lock().unwrap().clone();
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(hits[0].1["payload"]["chat_id"], chats[0].as_str());
    sandbox.shutdown().await;
}
