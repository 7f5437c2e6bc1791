//! [`Occurrence`]: what a queued push tells webhook delivery — the action, the agent
//! payload, the chat it concerns and the application that caused it.

use crate::outbox::{Audience, PushOut};
use crate::state::{ChatRec, State};
use lc_protocol::id::ChatId;
use serde_json::Value;

/// Something that happened, as webhooks see it.
#[derive(Debug)]
pub(crate) struct Occurrence<'a> {
    /// The action (the push name).
    pub(crate) action: &'a str,
    /// The payload, as the agent push carries it.
    pub(crate) payload: Value,
    /// The chat it concerns, when it concerns one that exists.
    pub(crate) chat: Option<&'a ChatRec>,
    /// The client id of the application whose request caused it (`None`: no
    /// application, or the sandbox itself).
    pub(crate) source_client_id: Option<&'a str>,
}

impl<'a> Occurrence<'a> {
    /// The occurrence a push reports, or `None` when the push is no webhook matter:
    /// pushes without an agent payload (customer-only pushes), repeats (a waiting chat's
    /// `incoming_chat` once routed: a thread's start is reported once), pushes for one
    /// connection (e.g. `incoming_customers` after a login, `chat_unfollowed` to the
    /// requester's other connections) and the per-agent copies of `incoming_chat` (to a
    /// follower or a transfer target) and `incoming_customer` (to a follower): the
    /// `incoming_chat` webhook reports chats that start, pushed to the whole chat, and
    /// the 3.5 `incoming_customer` webhook new customers, which the sandbox pushes only
    /// to the connections watching (so it is not delivered).
    pub(crate) fn of_push(state: &'a State, push: &'a PushOut) -> Option<Self> {
        let raw = push.agent.as_ref().filter(|_| !push.repeat)?;
        match &push.audience {
            Audience::Conn(_) => return None,
            Audience::Agents(_) | Audience::AllAgents | Audience::Customer(_)
                if matches!(push.name, "incoming_chat" | "incoming_customer") =>
            {
                return None;
            }
            _ => {}
        }
        let payload: Value = serde_json::from_str(raw.get()).ok()?;
        let chat_id = match &push.audience {
            Audience::Chat(id) | Audience::ChatAgents(id) => Some(id.as_str().to_owned()),
            _ => chat_id_of(push.name, &payload),
        };
        let chat = chat_id.and_then(|id| state.chats.get(&ChatId::new(id)));
        Some(Self {
            action: push.name,
            payload,
            chat,
            source_client_id: state.outbox.source_client_id.as_deref(),
        })
    }
}

/// The chat a payload names: `chat_id`, `chat.id` (`incoming_chat`), `id`
/// (`chat_access_updated`) or `active_chat.chat_id` (`customer_session_fields_updated`).
pub(crate) fn chat_id_of(action: &str, payload: &Value) -> Option<String> {
    let text = |v: &Value| v.as_str().map(str::to_owned);
    if let Some(id) = payload.get("chat_id").and_then(text) {
        return Some(id);
    }
    if let Some(id) = payload.pointer("/chat/id").and_then(text) {
        return Some(id);
    }
    if let Some(id) = payload.pointer("/active_chat/chat_id").and_then(text) {
        return Some(id);
    }
    match action {
        "chat_access_updated" => payload.get("id").and_then(text),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_chat_is_found_where_each_payload_keeps_it() {
        let cases = [
            ("incoming_event", json!({"chat_id": "C1"}), Some("C1")),
            ("incoming_chat", json!({"chat": {"id": "C2"}}), Some("C2")),
            ("chat_access_updated", json!({"id": "C3"}), Some("C3")),
            (
                "customer_session_fields_updated",
                json!({"id": "customer", "active_chat": {"chat_id": "C4"}}),
                Some("C4"),
            ),
            ("agent_updated", json!({"id": "smith@example.com"}), None),
            ("routing_status_set", json!({"agent_id": "a"}), None),
        ];
        for (action, payload, want) in cases {
            assert_eq!(chat_id_of(action, &payload).as_deref(), want, "{action}");
        }
    }
}
