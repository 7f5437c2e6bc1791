//! A realistic delivery of every webhook action decodes with its payload typed.
//!
//! The samples under `tests/fixtures/webhooks/` are hand-repaired (protocol notes
//! accounts-bots-webhooks.md §5 Q22: several of the documentation's samples are not valid
//! JSON or name the wrong action) and written from the payload fields of §3.5, with the
//! envelope of §3.4: `additional_data` on chat webhooks (left out where the docs'
//! samples leave it out, Q17), `requester` on the 3.6 configuration webhooks. The payloads
//! are those of the push fixtures (`tests/fixtures/pushes/agent/`), spelled the webhook
//! way where the webhook docs differ: `incoming_customer` wraps the customer in
//! `{"customer": …}` (API 3.5), `routing_status_set` writes `accepting chats` (Q16).

use crate::support::{all_in, assert_fully_known};

use lc_protocol::PushSet;
use lc_protocol::agent::AgentPush;
use lc_protocol::types::RoutingStatus;
use lc_protocol::webhook::Webhook;
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// Every webhook action of API 3.6 (accounts-bots-webhooks.md §3.5: 38 actions).
const ACTIONS_3_6: [&str; 38] = [
    "incoming_chat",
    "chat_deactivated",
    "chat_access_updated",
    "chat_transferred",
    "user_added_to_chat",
    "user_removed_from_chat",
    "incoming_event",
    "event_deleted",
    "event_updated",
    "incoming_rich_message_postback",
    "chat_properties_updated",
    "chat_properties_deleted",
    "thread_properties_updated",
    "thread_properties_deleted",
    "event_properties_updated",
    "event_properties_deleted",
    "thread_tagged",
    "thread_untagged",
    "routing_status_set",
    "customer_session_fields_updated",
    "agent_created",
    "agent_approved",
    "agent_updated",
    "agent_suspended",
    "agent_unsuspended",
    "agent_deleted",
    "auto_accesses_updated",
    "bot_created",
    "bot_updated",
    "bot_deleted",
    "group_created",
    "group_updated",
    "group_deleted",
    "tag_created",
    "tag_updated",
    "tag_deleted",
    "events_marked_as_seen",
    "thread_summary_set",
];

/// API 3.5 only (removed in 3.6).
const ACTIONS_3_5_ONLY: [&str; 1] = ["incoming_customer"];

/// The 3.6 configuration webhooks, which carry `requester` (§3.4).
fn is_configuration(action: &str) -> bool {
    ["agent_", "bot_", "group_", "tag_"]
        .iter()
        .any(|prefix| action.starts_with(prefix))
        || action == "auto_accesses_updated"
}

/// A key field of the typed payload, and where the sample has it (a JSON pointer into
/// the payload as delivered).
fn key_field(push: &AgentPush) -> (&'static str, Value) {
    match push {
        AgentPush::IncomingChat(p) => ("/chat/id", json!(p.chat.id)),
        AgentPush::ChatDeactivated(p) => ("/user_id", json!(p.user_id)),
        AgentPush::ChatAccessUpdated(p) => ("/access/group_ids", json!(p.access.group_ids)),
        AgentPush::ChatTransferred(p) => (
            "/queue/queued_at",
            json!(p.queue.as_ref().and_then(|q| q.queued_at.as_ref())),
        ),
        AgentPush::UserAddedToChat(p) => ("/user/id", json!(p.user.id())),
        AgentPush::UserRemovedFromChat(p) => ("/user_id", json!(p.user_id)),
        AgentPush::IncomingEvent(p) => ("/event/text", json!(p.event.text())),
        AgentPush::EventDeleted(p) => ("/event_id", json!(p.event_id)),
        AgentPush::EventUpdated(p) => ("/event/text", json!(p.event.text())),
        AgentPush::IncomingRichMessagePostback(p) => (
            "/postback/ecommerce/quantity",
            json!(p.postback.ecommerce.as_ref().and_then(|e| e.quantity)),
        ),
        AgentPush::ChatPropertiesUpdated(p) => ("/properties", json!(p.properties)),
        AgentPush::ChatPropertiesDeleted(p) => ("/properties", json!(p.properties)),
        AgentPush::ThreadPropertiesUpdated(p) => ("/properties", json!(p.properties)),
        AgentPush::ThreadPropertiesDeleted(p) => ("/properties", json!(p.properties)),
        AgentPush::EventPropertiesUpdated(p) => ("/properties", json!(p.properties)),
        AgentPush::EventPropertiesDeleted(p) => ("/properties", json!(p.properties)),
        AgentPush::ThreadTagged(p) => ("/tag", json!(p.tag)),
        AgentPush::ThreadUntagged(p) => ("/tag", json!(p.tag)),
        AgentPush::RoutingStatusSet(p) => ("/agent_id", json!(p.agent_id)),
        AgentPush::CustomerSessionFieldsUpdated(p) => {
            ("/active_chat/thread_id", json!(p.active_chat.thread_id))
        }
        AgentPush::IncomingCustomer(c) => ("/customer/email", json!(c.email)),
        AgentPush::AgentCreated(p) => ("/work_scheduler", json!(p.work_scheduler)),
        AgentPush::AgentApproved(p) => ("/id", json!(p.id)),
        AgentPush::AgentUpdated(p) => ("/work_scheduler", json!(p.work_scheduler)),
        AgentPush::AgentSuspended(p) => ("/id", json!(p.id)),
        AgentPush::AgentUnsuspended(p) => ("/id", json!(p.id)),
        AgentPush::AgentDeleted(p) => ("/id", json!(p.id)),
        AgentPush::AutoAccessesUpdated(changes) => ("/1/conditions", json!(changes[1].conditions)),
        AgentPush::BotCreated(p) => ("/owner_client_id", json!(p.owner_client_id)),
        AgentPush::BotUpdated(p) => ("/name", json!(p.name)),
        AgentPush::BotDeleted(p) => ("/id", json!(p.id)),
        AgentPush::GroupCreated(p) => ("/agent_priorities", json!(p.agent_priorities)),
        AgentPush::GroupUpdated(p) => ("/name", json!(p.name)),
        AgentPush::GroupDeleted(p) => ("/id", json!(p.id)),
        AgentPush::TagCreated(p) => ("/author_id", json!(p.author_id)),
        AgentPush::TagUpdated(p) => ("/group_ids", json!(p.group_ids)),
        AgentPush::TagDeleted(p) => ("/name", json!(p.name)),
        AgentPush::EventsMarkedAsSeen(p) => ("/seen_up_to", json!(p.seen_up_to)),
        AgentPush::ThreadSummarySet(p) => ("/summary/text", json!(p.summary.text)),
        other => panic!("no key field for {}", other.name()),
    }
}

#[test]
fn the_samples_are_exactly_the_webhook_actions() {
    let sampled: BTreeSet<String> = all_in("webhooks").into_iter().map(|(n, _)| n).collect();
    let actions: BTreeSet<String> = ACTIONS_3_6
        .iter()
        .chain(&ACTIONS_3_5_ONLY)
        .map(|a| (*a).to_owned())
        .collect();
    assert_eq!(ACTIONS_3_6.len(), 38);
    let missing: Vec<_> = actions.difference(&sampled).collect();
    let extra: Vec<_> = sampled.difference(&actions).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing samples: {missing:?}; samples of no webhook action: {extra:?}"
    );
}

#[test]
fn every_sample_decodes_with_its_payload_typed() {
    for (action, text) in all_in("webhooks") {
        let what = format!("webhooks/{action}");
        let sample: Value = serde_json::from_str(&text).unwrap();
        let hook = Webhook::from_json(text.as_bytes()).unwrap_or_else(|e| panic!("{what}: {e}"));

        // The payload is the push of the same name, fully known.
        assert!(
            hook.payload_error.is_none(),
            "{what}: {:?}",
            hook.payload_error
        );
        assert!(
            !matches!(hook.payload, AgentPush::Unknown { .. }),
            "{what}: untyped: {:?}",
            hook.payload
        );
        assert_eq!(hook.payload.name(), action, "{what}");
        assert_fully_known(&what, &hook.payload);
        let (pointer, typed) = key_field(&hook.payload);
        let delivered = sample["payload"]
            .pointer(pointer)
            .unwrap_or_else(|| panic!("{what}: no {pointer} in the sample"));
        assert_eq!(&typed, delivered, "{what}: payload{pointer}");

        // The envelope.
        assert_eq!(hook.action, action, "{what}");
        assert_eq!(
            hook.webhook_id, "7c5d2a1e9b8f4c3d8e6a5b4c3d2e1f0a",
            "{what}"
        );
        assert_eq!(
            hook.organization_id.as_ref().map(|o| o.as_str()),
            Some("390e44e6-f1e6-0368-c1ba-3b48b1ba6be0"),
            "{what}"
        );
        assert!(hook.secret_matches("laser-cat-42"), "{what}");
        assert!(hook.extra.is_empty(), "{what}: {:?}", hook.extra);
        assert!(hook.additional_data.extra.is_empty(), "{what}");
        if is_configuration(&action) {
            let requester = hook
                .requester
                .as_ref()
                .unwrap_or_else(|| panic!("{what}: no requester"));
            assert_eq!(requester.user_id.as_deref(), Some("jones@example.com"));
            assert_eq!(
                requester.account_id.as_deref(),
                Some("f09ba25b-8be8-4fcd-a2c8-0b1c567aec85")
            );
            assert_eq!(
                requester.client_id.as_deref(),
                Some("1b4237f476826986da63022a76c35bb1")
            );
            assert!(requester.extra.is_empty(), "{what}");
        } else {
            assert!(hook.requester.is_none(), "{what}");
        }
        match sample["additional_data"].get("chat_presence_user_ids") {
            Some(ids) => {
                assert_eq!(
                    json!(hook.additional_data.chat_presence_user_ids),
                    *ids,
                    "{what}"
                );
                let properties = hook.additional_data.chat_properties.as_ref().unwrap();
                assert_eq!(
                    properties["source"]["client_id"], "0805e283233042b37f460ed8fbf22160",
                    "{what}"
                );
            }
            None => assert_eq!(hook.additional_data, Default::default(), "{what}"),
        }
    }
}

#[test]
fn webhook_spellings_decode_as_the_push_spelling() {
    let hook = Webhook::from_json(read("routing_status_set").as_bytes()).unwrap();
    let AgentPush::RoutingStatusSet(set) = &hook.payload else {
        panic!("{:?}", hook.payload)
    };
    assert_eq!(
        set.status,
        RoutingStatus::AcceptingChats,
        "`accepting chats`"
    );

    let hook = Webhook::from_json(read("incoming_customer").as_bytes()).unwrap();
    let AgentPush::IncomingCustomer(customer) = &hook.payload else {
        panic!("{:?}", hook.payload)
    };
    assert_eq!(customer.id.as_str(), "a0c22fdd-fb71-40b5-bfc6-a8a0bc3117f5");

    // The API 3.5 `chat_transferred` sample names the queue time `queued_at_us`.
    let text = read("chat_transferred").replace("\"queued_at\"", "\"queued_at_us\"");
    assert!(text.contains("queued_at_us"));
    let hook = Webhook::from_json(text.as_bytes()).unwrap();
    let AgentPush::ChatTransferred(transferred) = &hook.payload else {
        panic!("{:?}", hook.payload)
    };
    let queue = transferred.queue.as_ref().unwrap();
    assert_eq!(
        queue.queued_at.as_deref(),
        Some("2019-12-09T12:01:18.909000Z")
    );
    assert!(queue.extra.is_empty(), "{:?}", queue.extra);
}

#[test]
fn the_session_fields_webhook_has_its_fields_in_order() {
    let hook = Webhook::from_json(read("customer_session_fields_updated").as_bytes()).unwrap();
    let AgentPush::CustomerSessionFieldsUpdated(updated) = &hook.payload else {
        panic!("{:?}", hook.payload)
    };
    assert_eq!(updated.id.as_str(), "a0c22fdd-fb71-40b5-bfc6-a8a0bc3117f5");
    assert_eq!(updated.active_chat.chat_id.as_str(), "PJ0MRSHTDG");
    let keys: Vec<&str> = updated
        .session_fields
        .iter()
        .flat_map(|field| field.keys().map(String::as_str))
        .collect();
    assert_eq!(keys, ["customer_tier", "order_id", "cart_value"]);
    assert_eq!(updated.session_fields[1]["order_id"], "10452");
}

fn read(action: &str) -> String {
    crate::support::read(&format!("webhooks/{action}.json"))
}
