//! The body of a delivery (§3.4): `webhook_id`, `secret_key`, `action`,
//! `organization_id`, `payload`, `additional_data` and, for API 3.6 configuration
//! webhooks, `requester`.

use super::filters::present_user_ids;
use super::occurrence::Occurrence;
use crate::state::State;
use crate::webhook_registry::Registration;
use lc_protocol::ApiVersion;
use lc_protocol::configuration::WebhookAdditionalData;
use serde_json::{Map, Value, json};

/// The envelope `registration` sends for `what`.
pub(crate) fn build(
    state: &State,
    registration: &Registration,
    what: &Occurrence<'_>,
    status_with_spaces: bool,
) -> Value {
    let mut payload = what.payload.clone();
    if what.action == "routing_status_set" && status_with_spaces {
        spell_status_with_spaces(&mut payload);
    }
    let mut body = json!({
        "webhook_id": registration.id,
        "secret_key": registration.secret_key,
        "action": what.action,
        "organization_id": state.settings.organization_id,
        "payload": payload,
        "additional_data": additional_data(registration, what),
    });
    if registration.version >= ApiVersion::V3_6 && is_configuration_action(what.action) {
        if let Some(map) = body.as_object_mut() {
            map.insert("requester".into(), requester(what));
        }
    }
    body
}

/// What the registration asked for, when the occurrence concerns a chat (Q17): the
/// chat's properties and the ids of its present users; `{}` otherwise.
fn additional_data(registration: &Registration, what: &Occurrence<'_>) -> Value {
    let mut data = Map::new();
    let Some(chat) = what.chat else {
        return Value::Object(data);
    };
    for wanted in &registration.additional_data {
        match wanted {
            WebhookAdditionalData::ChatProperties => {
                let properties = serde_json::to_value(&chat.properties).unwrap_or_default();
                data.insert("chat_properties".into(), properties);
            }
            WebhookAdditionalData::ChatPresenceUserIds => {
                let ids: Vec<Value> = present_user_ids(what).map(Value::String).collect();
                data.insert("chat_presence_user_ids".into(), Value::Array(ids));
            }
            _ => {}
        }
    }
    Value::Object(data)
}

/// The API 3.6 configuration webhooks, which carry `requester` (§3.4).
pub(crate) fn is_configuration_action(action: &str) -> bool {
    ["agent_", "bot_", "group_", "tag_"]
        .iter()
        .any(|prefix| action.starts_with(prefix))
        || action == "auto_accesses_updated"
}

/// Who caused it, as far as the sandbox knows: the application's client id and the
/// acting user (the payload's `author_id` or `requester_id`, when it has one).
fn requester(what: &Occurrence<'_>) -> Value {
    let mut requester = Map::new();
    let user = ["author_id", "requester_id"]
        .iter()
        .find_map(|key| what.payload.get(*key).and_then(Value::as_str));
    if let Some(user) = user {
        requester.insert("user_id".into(), user.into());
    }
    if let Some(client) = what.source_client_id {
        requester.insert("client_id".into(), client.into());
    }
    Value::Object(requester)
}

/// `accepting_chats` → `accepting chats`, `not_accepting_chats` → `not accepting chats`
/// (the spelling of the webhook docs, Q16).
fn spell_status_with_spaces(payload: &mut Value) {
    if let Some(status) = payload.get_mut("status") {
        if let Some(text) = status.as_str() {
            *status = Value::String(text.replace('_', " "));
        }
    }
}
