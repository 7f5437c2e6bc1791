//! Unit tests of selection: gating by registration type, `additional_data` and the
//! envelope, on a `State` built by hand ([`super::scene`]). Filters are tested in
//! `filter_tests`, the sender in `sender_tests`.

#![allow(clippy::unwrap_used)]

use super::scene::*;
use crate::outbox::Audience;
use lc_protocol::ApiVersion;
use lc_protocol::agent::AgentPush;
use lc_protocol::configuration::{WebhookAdditionalData, WebhookType};
use lc_protocol::id::{AgentId, ChatId};
use lc_protocol::types::RoutingStatus;
use lc_protocol::webhook::Webhook;
use serde_json::json;

#[test]
fn a_registration_of_the_action_fires_with_the_envelope() {
    let mut scene = Scene::new();
    let id = scene.register("incoming_event", |_| {});
    scene.register("chat_deactivated", |_| {});
    let jobs = scene.event_by(CUSTOMER);
    assert_eq!(ids(&jobs), [id.as_str()]);
    let job = &jobs[0];
    assert_eq!(job.url, "http://127.0.0.1:9/hook");
    assert_eq!(job.action, "incoming_event");
    let body = &job.body;
    assert_eq!(body["webhook_id"], id);
    assert_eq!(body["secret_key"], "s3cret");
    assert_eq!(body["action"], "incoming_event");
    assert_eq!(
        body["organization_id"],
        "390e44e6-f1e6-0368-c1ba-3b48b1ba6be0"
    );
    assert_eq!(body["payload"]["event"]["text"], "Hello");
    assert_eq!(body["additional_data"], json!({}));
    assert!(body.get("requester").is_none(), "{body}");
    let typed = Webhook::from_json(body.to_string().as_bytes()).unwrap();
    assert!(
        matches!(typed.payload, AgentPush::IncomingEvent(_)),
        "{typed:?}"
    );
    assert!(typed.payload_error.is_none());
    assert!(typed.secret_matches("s3cret"));
}

#[test]
fn nothing_is_decoded_or_queued_without_a_registration_for_the_action() {
    let mut scene = Scene::new();
    scene.register("event_updated", |_| {});
    assert!(scene.event_by(CUSTOMER).is_empty());
    assert!(scene.state.webhook_queue.log.snapshot().is_empty());
}

#[test]
fn pushes_for_one_connection_and_per_agent_incoming_chat_copies_are_no_webhooks() {
    let mut scene = Scene::new();
    scene.register("incoming_chat", |_| {});
    scene.register("incoming_event", |_| {});
    let chat = json!({"chat": {"id": CHAT, "users": [], "thread": null}});
    let event = json!({"chat_id": CHAT, "thread_id": "T", "event": {}});
    let copy = Audience::Agents(vec![AgentId::new(AGENT)]);
    assert!(scene.push(copy, "incoming_chat", &chat).is_empty());
    assert!(
        scene
            .push(Audience::Conn(1), "incoming_event", &event)
            .is_empty()
    );
    scene.register("incoming_customer", |_| {});
    let customer = json!({"id": CUSTOMER});
    let follower = Audience::Agents(vec![AgentId::new(AGENT)]);
    assert!(
        scene
            .push(follower, "incoming_customer", &customer)
            .is_empty()
    );
    let started = scene.push(Audience::Chat(ChatId::new(CHAT)), "incoming_chat", &chat);
    assert_eq!(started.len(), 1);
}

#[test]
fn bot_webhooks_fire_only_while_a_bot_of_the_owner_is_not_offline() {
    let mut scene = Scene::new();
    let id = scene.register("incoming_event", |r| r.kind = WebhookType::Bot);
    assert!(scene.event_by(CUSTOMER).is_empty(), "owner's bot offline");
    scene.set_status(OTHER_BOT, RoutingStatus::AcceptingChats);
    assert!(scene.event_by(CUSTOMER).is_empty(), "another app's bot");
    scene.set_status(BOT, RoutingStatus::NotAcceptingChats);
    assert_eq!(ids(&scene.event_by(CUSTOMER)), [id.as_str()]);
    scene.set_status(BOT, RoutingStatus::AcceptingChats);
    assert_eq!(ids(&scene.event_by(CUSTOMER)), [id.as_str()]);
    scene.set_status(BOT, RoutingStatus::Offline);
    assert!(scene.event_by(CUSTOMER).is_empty());
}

#[test]
fn license_webhooks_stop_while_the_owner_disabled_them() {
    let mut scene = Scene::new();
    let id = scene.register("incoming_event", |_| {});
    scene
        .state
        .webhooks
        .license_disabled
        .insert(OTHER_APP.into());
    assert_eq!(ids(&scene.event_by(CUSTOMER)), [id.as_str()]);
    scene.state.webhooks.license_disabled.insert(APP.into());
    assert!(scene.event_by(CUSTOMER).is_empty());
    scene.state.webhooks.license_disabled.remove(APP);
    assert_eq!(ids(&scene.event_by(CUSTOMER)), [id.as_str()]);
}

#[test]
fn additional_data_only_when_registered_and_the_action_has_a_chat() {
    let mut scene = Scene::new();
    let both = vec![
        WebhookAdditionalData::ChatProperties,
        WebhookAdditionalData::ChatPresenceUserIds,
    ];
    scene.register("incoming_event", |r| r.additional_data.clone_from(&both));
    scene.register("routing_status_set", |r| r.additional_data = both);
    let chat = scene.state.chats.get_mut(&ChatId::new(CHAT)).unwrap();
    chat.properties.insert("source", "client_id", APP);
    let event = scene.event_by(CUSTOMER);
    let data = &event[0].body["additional_data"];
    assert_eq!(
        data["chat_properties"],
        json!({"source": {"client_id": APP}})
    );
    assert_eq!(data["chat_presence_user_ids"], json!([CUSTOMER, AGENT]));
    let typed = Webhook::from_json(event[0].body.to_string().as_bytes()).unwrap();
    assert_eq!(
        typed.additional_data.chat_presence_user_ids,
        Some(vec![CUSTOMER.to_owned(), AGENT.to_owned()])
    );
    let status = scene.status_set(AGENT, "accepting_chats");
    assert_eq!(status[0].body["additional_data"], json!({}));
}

#[test]
fn routing_status_set_is_spelled_with_spaces_unless_told_otherwise() {
    let mut scene = Scene::new();
    scene.register("routing_status_set", |_| {});
    let jobs = scene.status_set(AGENT, "not_accepting_chats");
    assert_eq!(jobs[0].body["payload"]["status"], "not accepting chats");
    let typed = Webhook::from_json(jobs[0].body.to_string().as_bytes()).unwrap();
    assert!(
        matches!(typed.payload, AgentPush::RoutingStatusSet(_)),
        "{typed:?}"
    );
    scene.state.webhook_queue.status_with_spaces = false;
    let jobs = scene.status_set(AGENT, "accepting_chats");
    assert_eq!(jobs[0].body["payload"]["status"], "accepting_chats");
}

#[test]
fn configuration_webhooks_of_3_6_carry_the_requester() {
    let mut scene = Scene::new();
    scene.register("agent_updated", |_| {});
    scene.register("agent_updated", |r| r.version = ApiVersion::V3_5);
    scene.state.outbox.source_client_id = Some(APP.into());
    let payload = json!({"id": AGENT, "name": "Agent Smith"});
    let jobs = scene.push(Audience::AllAgents, "agent_updated", &payload);
    assert_eq!(jobs[0].body["requester"], json!({"client_id": APP}));
    assert!(jobs[1].body.get("requester").is_none(), "3.5 has none");
    assert_eq!(jobs[0].body["additional_data"], json!({}));
}
