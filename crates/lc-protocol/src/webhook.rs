//! Webhooks: what LiveChat POSTs to a registered URL when something happens — a chat
//! starts, a message arrives, an agent changes status — as typed values.
//!
//! The body of every delivery is one [`Webhook`] envelope; its payload mirrors the push
//! of the same name, so it decodes into an [`AgentPush`]. Decoding is tolerant: a new
//! field is kept, a new action (or a payload that does not match the type this crate
//! knows) becomes [`AgentPush::Unknown`] with the payload as received; only a body that
//! is not a webhook envelope at all is an error.
//!
//! Where a webhook spells its payload differently from the push, the payload is read
//! the push's way, so that one handler serves both: the `incoming_customer` webhook
//! wraps the customer in `{"customer": …}` (the push is the customer itself); the push
//! types also read the webhook spellings `accepting chats` (for `accepting_chats`, and
//! `not accepting chats`) and a queue's `queued_at_us` (for `queued_at`). `customer_session_fields_updated` is a webhook without an RTM push;
//! it is typed as [`AgentPush::CustomerSessionFieldsUpdated`] all the same.
//!
//! ```
//! use lc_protocol::agent::AgentPush;
//! use lc_protocol::webhook::Webhook;
//!
//! let body = br#"{
//!     "webhook_id": "b5c4e0b3a8c6f4f1", "secret_key": "s3cret", "action": "incoming_event",
//!     "organization_id": "390e44e6-f1e6-0368-c1ba-3b48b1ba6be0",
//!     "payload": {"chat_id": "PJ0MRSHTDG", "thread_id": "K600PKZON8",
//!                 "event": {"id": "K600PKZON8_1", "type": "message", "text": "Hello",
//!                           "author_id": "b7eff798-f8df-4364-8059-649c35c9ed0c",
//!                           "created_at": "2026-12-03T10:00:00.000000Z", "visibility": "all"}}
//! }"#;
//! let webhook = Webhook::from_json(body)?;
//! assert!(webhook.secret_matches("s3cret"));
//! if let AgentPush::IncomingEvent(incoming) = &webhook.payload {
//!     assert_eq!(incoming.event.text(), Some("Hello"));
//! }
//! # Ok::<(), lc_protocol::FrameError>(())
//! ```

use crate::error::FrameError;
use crate::generated::agent_pushes::AgentPush;
use crate::id::{OrganizationId, Token};
use crate::push::PushSet;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::sync::Arc;

/// One webhook delivery: the envelope LiveChat POSTs, with its payload typed.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Webhook {
    /// The id `register_webhook` returned for the registration that fired.
    pub webhook_id: String,
    /// The secret given at registration, echoed in every delivery: the only sign that
    /// LiveChat sent it. Check it with [`secret_matches`](Webhook::secret_matches).
    pub secret_key: Token,
    /// The action that fired (`incoming_chat`, `incoming_event`, ...).
    pub action: String,
    /// The organization it happened in.
    pub organization_id: Option<OrganizationId>,
    /// The payload, typed as the push of the same name (read the push's way where the
    /// webhook spells it differently, see the [module docs](self));
    /// [`AgentPush::Unknown`] for an action this crate does not know or a payload that
    /// does not match its type.
    pub payload: AgentPush,
    /// What the registration asked to add (`chat_properties`,
    /// `chat_presence_user_ids`), when it asked.
    pub additional_data: AdditionalData,
    /// Who caused it (API 3.6 configuration webhooks: agent, bot, group, tag and auto
    /// access changes).
    pub requester: Option<Requester>,
    /// Envelope fields this crate does not know, kept as received.
    pub extra: Map<String, Value>,
    /// Why a known action's payload was kept untyped (it did not match the type this
    /// crate knows), if it was.
    pub payload_error: Option<FrameError>,
    /// The payload as received, for [`redelivery_key`](Webhook::redelivery_key).
    raw_payload: Arc<str>,
}

/// The `additional_data` of a delivery.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct AdditionalData {
    /// The chat's properties (`{namespace: {name: value}}`).
    #[serde(default)]
    pub chat_properties: Option<Map<String, Value>>,
    /// The ids of the users present in the chat.
    #[serde(default)]
    pub chat_presence_user_ids: Option<Vec<String>>,
    /// Fields this crate does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Who caused a configuration webhook (API 3.6).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct Requester {
    /// The user (agent or bot) id.
    #[serde(default)]
    pub user_id: Option<String>,
    /// Its account id.
    #[serde(default)]
    pub account_id: Option<String>,
    /// The client id of the application that made the change.
    #[serde(default)]
    pub client_id: Option<String>,
    /// Fields this crate does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The envelope as it comes, before the payload is typed.
#[derive(Deserialize)]
struct Envelope<'a> {
    webhook_id: String,
    secret_key: String,
    action: String,
    #[serde(default)]
    organization_id: Option<OrganizationId>,
    #[serde(borrow)]
    payload: &'a RawValue,
    #[serde(default)]
    additional_data: Option<AdditionalData>,
    #[serde(default)]
    requester: Option<Requester>,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

impl Webhook {
    /// Decodes the body of a delivery.
    ///
    /// # Errors
    /// [`FrameError::Json`] when the body is not JSON, [`FrameError::NotAnObject`] or a
    /// missing envelope field when it is not a webhook envelope. A payload this crate
    /// cannot type is not an error (see [`Webhook::payload`]).
    pub fn from_json(body: &[u8]) -> Result<Self, FrameError> {
        let value: &RawValue =
            serde_json::from_slice(body).map_err(|e| FrameError::Json(Arc::new(e)))?;
        if !value.get().trim_start().starts_with('{') {
            return Err(FrameError::NotAnObject);
        }
        let envelope: Envelope<'_> =
            serde_json::from_str(value.get()).map_err(|e| missing_or_json(&e))?;
        let raw = envelope.payload.get();
        let as_push = as_push_payload(&envelope.action, raw);
        let (payload, payload_error) = match AgentPush::decode(&envelope.action, &as_push) {
            Ok(payload) => (payload, None),
            Err(error) => {
                let untyped = AgentPush::Unknown {
                    name: envelope.action.clone(),
                    payload: serde_json::from_str(raw).unwrap_or(Value::Null),
                };
                (untyped, Some(error))
            }
        };
        Ok(Self {
            webhook_id: envelope.webhook_id,
            secret_key: Token::new(envelope.secret_key),
            action: envelope.action,
            organization_id: envelope.organization_id,
            payload,
            additional_data: envelope.additional_data.unwrap_or_default(),
            requester: envelope.requester,
            extra: envelope.extra,
            payload_error,
            raw_payload: Arc::from(raw),
        })
    }

    /// Whether the delivery carries `secret`, compared in constant time (the time does
    /// not tell how much of a guess was right).
    pub fn secret_matches(&self, secret: &str) -> bool {
        constant_time_eq(self.secret_key.expose().as_bytes(), secret.as_bytes())
    }

    /// The same for every delivery of the same webhook: LiveChat sends a delivery
    /// again (up to 3 times within about a minute) when it got no HTTP 200 in about
    /// 10 s, with the same body, and gives no delivery id; this key (of the
    /// registration, the action and the payload) tells a redelivery from a new one.
    /// Stable across processes and versions: a 64-bit FNV-1a hash.
    pub fn redelivery_key(&self) -> u64 {
        let mut hash = Fnv::default();
        for part in [&*self.webhook_id, &*self.action, &*self.raw_payload] {
            hash.write(part.as_bytes());
            hash.write(&[0xff]);
        }
        hash.0
    }
}

/// The payload of a webhook shaped as the push of the same name: the `incoming_customer`
/// webhook wraps the customer the push is. Borrowed as received (not parsed twice) for
/// every other action; other spellings of names and values (e.g. `accepting chats`) are
/// aliases of the push types themselves.
fn as_push_payload<'a>(action: &str, raw: &'a str) -> Cow<'a, str> {
    if action != "incoming_customer" {
        return Cow::Borrowed(raw);
    }
    // The push is the customer; the webhook wraps it in `{"customer": …}`.
    match serde_json::from_str::<Value>(raw) {
        Ok(Value::Object(mut payload)) if !payload.contains_key("id") => {
            match payload.remove("customer") {
                Some(customer @ Value::Object(_)) => {
                    serde_json::to_string(&customer).map_or(Cow::Borrowed(raw), Cow::Owned)
                }
                _ => Cow::Borrowed(raw),
            }
        }
        _ => Cow::Borrowed(raw),
    }
}

/// `MissingField` for a missing envelope field, else the JSON error.
fn missing_or_json(error: &serde_json::Error) -> FrameError {
    let text = error.to_string();
    for field in ["webhook_id", "secret_key", "action", "payload"] {
        if text.contains(&format!("missing field `{field}`")) {
            return FrameError::MissingField(field);
        }
    }
    FrameError::WrongType {
        field: "webhook",
        expected: "a webhook envelope",
    }
}

/// Compares without stopping at the first difference.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for (i, x) in a.iter().enumerate() {
        let y = b.get(i % b.len().max(1)).copied().unwrap_or(0);
        diff |= usize::from(x ^ y);
    }
    diff == 0
}

/// FNV-1a, 64 bits.
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 ^= u64::from(*byte);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(action: &str, payload: &str) -> Vec<u8> {
        format!(
            r#"{{"webhook_id":"w1","secret_key":"s3cret","action":"{action}","organization_id":"o1","payload":{payload},"additional_data":{{"chat_presence_user_ids":["a1"]}},"new_field":1}}"#
        )
        .into_bytes()
    }

    #[test]
    fn a_known_action_is_typed_and_the_envelope_kept_whole() {
        let hook = Webhook::from_json(&body(
            "chat_deactivated",
            r#"{"chat_id":"C1","thread_id":"T1","user_id":"a1"}"#,
        ))
        .unwrap();
        assert!(matches!(hook.payload, AgentPush::ChatDeactivated(_)));
        assert_eq!(hook.webhook_id, "w1");
        assert_eq!(
            hook.additional_data.chat_presence_user_ids,
            Some(vec!["a1".to_owned()])
        );
        assert_eq!(hook.extra["new_field"], 1);
        assert!(
            !format!("{hook:?}").contains("s3cret"),
            "the secret is redacted"
        );
    }

    #[test]
    fn new_actions_and_mismatched_payloads_are_kept_untyped() {
        let hook = Webhook::from_json(&body("chat_teleported", r#"{"to":"mars"}"#)).unwrap();
        assert!(
            matches!(&hook.payload, AgentPush::Unknown { name, payload } if name == "chat_teleported" && payload["to"] == "mars")
        );
        assert!(hook.payload_error.is_none());
        let hook = Webhook::from_json(&body("chat_deactivated", r#"{"chat_id":42}"#)).unwrap();
        assert!(matches!(hook.payload, AgentPush::Unknown { .. }));
        assert!(matches!(
            hook.payload_error,
            Some(FrameError::Payload { .. })
        ));
    }

    #[test]
    fn webhook_spellings_are_read_the_push_way() {
        use crate::generated::common::RoutingStatus;
        for (status, expected) in [
            ("accepting chats", RoutingStatus::AcceptingChats),
            ("accepting_chats", RoutingStatus::AcceptingChats),
            ("not accepting chats", RoutingStatus::NotAcceptingChats),
            ("not_accepting_chats", RoutingStatus::NotAcceptingChats),
            ("offline", RoutingStatus::Offline),
        ] {
            let payload = format!(r#"{{"agent_id":"a@example.com","status":"{status}"}}"#);
            let hook = Webhook::from_json(&body("routing_status_set", &payload)).unwrap();
            let AgentPush::RoutingStatusSet(set) = &hook.payload else {
                panic!("{status}: {:?}", hook.payload)
            };
            assert_eq!(set.status, expected, "{status}");
        }

        let queue = r#"{"chat_id":"C1","reason":"manual","transferred_to":{"group_ids":[1]},"queue":{"position":2,"wait_time":30,"#;
        for field in ["queued_at", "queued_at_us"] {
            let payload = format!(r#"{queue}"{field}":"2026-12-03T10:00:00.000000Z"}}}}"#);
            let hook = Webhook::from_json(&body("chat_transferred", &payload)).unwrap();
            let AgentPush::ChatTransferred(transferred) = &hook.payload else {
                panic!("{field}: {:?}", hook.payload)
            };
            let queue = transferred.queue.as_ref().unwrap();
            assert_eq!(
                queue.queued_at.as_deref(),
                Some("2026-12-03T10:00:00.000000Z"),
                "{field}"
            );
            assert!(queue.extra.is_empty(), "{field}: {:?}", queue.extra);
        }

        let customer = r#"{"id":"c1","type":"customer","name":"Ann"}"#;
        for payload in [customer.to_owned(), format!(r#"{{"customer":{customer}}}"#)] {
            let hook = Webhook::from_json(&body("incoming_customer", &payload)).unwrap();
            let AgentPush::IncomingCustomer(customer) = &hook.payload else {
                panic!("{payload}: {:?}", hook.payload)
            };
            assert_eq!(customer.id.as_str(), "c1");
            assert_eq!(customer.name.as_deref(), Some("Ann"));
        }
    }

    #[test]
    fn the_redelivery_key_is_of_the_payload_as_received() {
        let spaced = Webhook::from_json(&body(
            "routing_status_set",
            r#"{"agent_id":"a","status":"accepting chats"}"#,
        ))
        .unwrap();
        let snake = Webhook::from_json(&body(
            "routing_status_set",
            r#"{"agent_id":"a","status":"accepting_chats"}"#,
        ))
        .unwrap();
        assert_ne!(spaced.redelivery_key(), snake.redelivery_key());
    }

    #[test]
    fn what_is_not_a_webhook_is_a_clear_error() {
        assert!(matches!(
            Webhook::from_json(b"not json"),
            Err(FrameError::Json(_))
        ));
        assert!(matches!(
            Webhook::from_json(b"[1]"),
            Err(FrameError::NotAnObject)
        ));
        assert!(matches!(
            Webhook::from_json(br#"{"webhook_id":"w","action":"a","payload":{}}"#),
            Err(FrameError::MissingField("secret_key"))
        ));
    }

    #[test]
    fn the_secret_is_compared_whole() {
        let hook = Webhook::from_json(&body("thread_tagged", r#"{}"#)).unwrap();
        assert!(hook.secret_matches("s3cret"));
        for wrong in ["", "s3cre", "s3crett", "S3cret", "x3cret"] {
            assert!(!hook.secret_matches(wrong), "{wrong}");
        }
    }

    #[test]
    fn a_redelivery_has_the_same_key_and_another_delivery_another() {
        let payload = r#"{"chat_id":"C1","thread_id":"T1","tag":"vip"}"#;
        let first = Webhook::from_json(&body("thread_tagged", payload)).unwrap();
        let again = Webhook::from_json(&body("thread_tagged", payload)).unwrap();
        assert_eq!(first.redelivery_key(), again.redelivery_key());
        let other = Webhook::from_json(&body(
            "thread_tagged",
            r#"{"chat_id":"C1","thread_id":"T1","tag":"new"}"#,
        ))
        .unwrap();
        assert_ne!(first.redelivery_key(), other.redelivery_key());
        let untagged = Webhook::from_json(&body("thread_untagged", payload)).unwrap();
        assert_ne!(first.redelivery_key(), untagged.redelivery_key());
    }
}
