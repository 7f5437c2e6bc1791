//! Envelopes: the chat and key of webhooks, RTM pushes and Inbenta pushes.

use lc_dispatch::{Envelope, push_key};
use lc_protocol::PushSet;
use lc_protocol::agent::AgentPush;
use lc_protocol::inbenta::InbentaPush;
use lc_protocol::webhook::Webhook;
use serde_json::json;

fn webhook(action: &str, payload: &serde_json::Value) -> Webhook {
    let body = json!({"webhook_id": "w1", "secret_key": "s", "action": action, "payload": payload});
    Webhook::from_json(body.to_string().as_bytes()).unwrap()
}

fn push(action: &str, payload: &serde_json::Value) -> AgentPush {
    AgentPush::decode(action, &payload.to_string()).unwrap()
}

#[test]
fn a_webhook_and_the_push_of_the_same_event_share_a_key() {
    let payload = json!({"chat_id": "C1", "thread_id": "T1",
        "event": {"id": "T1_3", "type": "message", "text": "hi", "author_id": "c"}});
    let from_webhook = Envelope::from_webhook(webhook("incoming_event", &payload)).unwrap();
    let from_push = Envelope::from_push(push("incoming_event", &payload)).unwrap();
    assert_eq!(from_webhook.chat, "C1");
    assert_eq!(from_webhook.key, "incoming_event:C1:T1_3");
    assert_eq!(from_webhook.key, from_push.key);
    // The same event updated is another key.
    let updated = Envelope::from_push(push("event_updated", &payload)).unwrap();
    assert_eq!(updated.key, "event_updated:C1:T1_3");
}

#[test]
fn pushes_without_an_event_are_keyed_by_thread_or_content() {
    let closed = json!({"chat_id": "C1", "thread_id": "T1", "user_id": "a@b.c"});
    assert_eq!(
        push_key(&push("chat_deactivated", &closed)),
        Some(("C1".to_owned(), "chat_deactivated:C1:T1".to_owned()))
    );
    let tagged = |tag: &str| json!({"chat_id": "C1", "thread_id": "T1", "tag": tag});
    let a = push_key(&push("thread_tagged", &tagged("a"))).unwrap();
    let a_again = push_key(&push("thread_tagged", &tagged("a"))).unwrap();
    let b = push_key(&push("thread_tagged", &tagged("b"))).unwrap();
    assert_eq!(a, a_again, "stable");
    assert_ne!(a.1, b.1, "another content, another key");
    assert!(a.1.starts_with("thread_tagged:C1:"));
}

#[test]
fn pushes_about_no_chat_have_no_envelope() {
    let status = json!({"agent_id": "bot", "status": "accepting_chats"});
    let webhook = webhook("routing_status_set", &status);
    assert!(Envelope::from_webhook(webhook).is_none());
}

#[test]
fn inbenta_messages_are_keyed_by_message_id() {
    let received = json!({"message": {"id": "m-1", "chat": "chat-9", "message": "hello"}});
    let push = InbentaPush::decode("message:received", &received.to_string()).unwrap();
    let envelope = Envelope::from_inbenta("fallback", push);
    assert_eq!(envelope.chat, "chat-9");
    assert_eq!(envelope.key, "message:received:chat-9:m-1");
}
