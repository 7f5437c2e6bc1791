//! Event and property scenarios: each sends with the client under test and asserts the
//! effect in `get_chat` or in the customer's pushes.

use super::{CustomerChat, World, next_push};
use lc_protocol::Transport;
use lc_protocol::agent::GetChatResponse;
use lc_protocol::customer::CustomerPush;
use lc_protocol::id::EventId;
use lc_protocol::types::{Event, Postback, Properties, PropertyNames};
use serde_json::{Value, json};

/// `send_event` arrives at the customer as `incoming_event`, with its text and id.
pub(crate) async fn send_event_reaches_the_customer<T: Transport>(
    w: &World<T>,
    chat: &CustomerChat,
) {
    let mut pushes = chat.pushes();
    let sent = w
        .client
        .send_event(chat.chat_id.clone(), Event::message("Hello Jane"))
        .await
        .unwrap();
    let push = next_push(&mut pushes, "incoming_event", |p| {
        matches!(p, CustomerPush::IncomingEvent(_))
    })
    .await;
    let CustomerPush::IncomingEvent(push) = push else {
        unreachable!()
    };
    assert_eq!(push.event.text(), Some("Hello Jane"));
    assert_eq!(push.event.id(), Some(&sent.event_id));
}

/// `send_typing_indicator` arrives at the customer, typing.
pub(crate) async fn send_typing_indicator_reaches_the_customer<T: Transport>(
    w: &World<T>,
    chat: &CustomerChat,
) {
    let mut pushes = chat.pushes();
    w.client
        .send_typing_indicator(chat.chat_id.clone(), true)
        .await
        .unwrap();
    next_push(
        &mut pushes,
        "incoming_typing_indicator",
        |p| matches!(p, CustomerPush::IncomingTypingIndicator(t) if t.typing_indicator.is_typing),
    )
    .await;
}

/// `mark_events_as_seen` arrives at the customer as `events_marked_as_seen`.
pub(crate) async fn mark_events_as_seen_reaches_the_customer<T: Transport>(
    w: &World<T>,
    chat: &CustomerChat,
) {
    let mut pushes = chat.pushes();
    w.client
        .mark_events_as_seen(chat.chat_id.clone(), "2099-01-01T00:00:00.000000Z")
        .await
        .unwrap();
    next_push(&mut pushes, "events_marked_as_seen", |p| {
        matches!(p, CustomerPush::EventsMarkedAsSeen(_))
    })
    .await;
}

/// `send_rich_message_postback` on a sent rich message reaches the customer.
pub(crate) async fn send_rich_message_postback_reaches_the_customer<T: Transport>(
    w: &World<T>,
    chat: &CustomerChat,
) {
    let rich: Event = serde_json::from_value(json!({
        "type": "rich_message",
        "template_id": "quick_replies",
        "elements": [{"title": "Pick", "buttons": [
            {"type": "message", "text": "Yes", "value": "yes", "postback_id": "yes", "user_ids": []}
        ]}]
    }))
    .unwrap();
    let sent = w
        .client
        .send_event(chat.chat_id.clone(), rich)
        .await
        .unwrap();
    let mut pushes = chat.pushes();
    let postback = Postback {
        id: "yes".to_owned(),
        toggled: true,
        ..Postback::default()
    };
    w.client
        .send_rich_message_postback(
            chat.chat_id.clone(),
            chat.thread_id.clone(),
            sent.event_id,
            postback,
        )
        .await
        .unwrap();
    next_push(&mut pushes, "incoming_rich_message_postback", |p| {
        matches!(p, CustomerPush::IncomingRichMessagePostback(_))
    })
    .await;
}

/// `send_event_preview` arrives at the customer as `incoming_event_preview`.
pub(crate) async fn send_event_preview_reaches_the_customer<T: Transport>(
    w: &World<T>,
    chat: &CustomerChat,
) {
    let mut pushes = chat.pushes();
    w.client
        .send_event_preview(chat.chat_id.clone(), Event::message("Typing..."))
        .await
        .unwrap();
    next_push(&mut pushes, "incoming_event_preview", |p| {
        matches!(p, CustomerPush::IncomingEventPreview(_))
    })
    .await;
}

/// `send_thinking_indicator` (3.6) arrives at the customer.
pub(crate) async fn send_thinking_indicator_reaches_the_customer<T: Transport>(
    w: &World<T>,
    chat: &CustomerChat,
) {
    let mut pushes = chat.pushes();
    w.client
        .send_thinking_indicator(chat.chat_id.clone())
        .await
        .unwrap();
    next_push(&mut pushes, "incoming_thinking_indicator", |p| {
        matches!(p, CustomerPush::IncomingThinkingIndicator(_))
    })
    .await;
}

/// `request_thread_summary` after a message sets the thread's summary.
pub(crate) async fn request_thread_summary_sets_the_summary<T: Transport>(
    w: &World<T>,
    chat: &CustomerChat,
) {
    w.client
        .send_event(chat.chat_id.clone(), Event::message("How can I help?"))
        .await
        .unwrap();
    w.client
        .request_thread_summary(chat.chat_id.clone(), chat.thread_id.clone())
        .await
        .unwrap();
    let got = w.client.get_chat(chat.chat_id.clone()).await.unwrap();
    assert!(got.thread.unwrap().summary.is_some());
}

/// `update_chat_properties` and `delete_chat_properties` show in `get_chat`.
pub(crate) async fn chat_properties_update_and_delete<T: Transport>(
    w: &World<T>,
    chat: &CustomerChat,
) {
    let properties = Properties::new().with("bot", "mood", "happy");
    w.client
        .update_chat_properties(chat.chat_id.clone(), properties)
        .await
        .unwrap();
    let got = w.client.get_chat(chat.chat_id.clone()).await.unwrap();
    let mood = got.properties.unwrap();
    assert_eq!(mood.get("bot", "mood"), Some(&json!("happy")));
    let names = PropertyNames::new().with("bot", "mood");
    w.client
        .delete_chat_properties(chat.chat_id.clone(), names)
        .await
        .unwrap();
    let got = w.client.get_chat(chat.chat_id.clone()).await.unwrap();
    assert_eq!(got.properties.unwrap_or_default().get("bot", "mood"), None);
}

/// `update_thread_properties` and `delete_thread_properties` show in `get_chat`.
pub(crate) async fn thread_properties_update_and_delete<T: Transport>(
    w: &World<T>,
    chat: &CustomerChat,
) {
    let step = async || {
        let got = w.client.get_chat(chat.chat_id.clone()).await.unwrap();
        let properties = got.thread.unwrap().properties.unwrap_or_default();
        properties.get("bot", "step").cloned()
    };
    let properties = Properties::new().with("bot", "step", 2);
    w.client
        .update_thread_properties(chat.chat_id.clone(), chat.thread_id.clone(), properties)
        .await
        .unwrap();
    assert_eq!(step().await, Some(json!(2)));
    let names = PropertyNames::new().with("bot", "step");
    w.client
        .delete_thread_properties(chat.chat_id.clone(), chat.thread_id.clone(), names)
        .await
        .unwrap();
    assert_eq!(step().await, None);
}

/// `update_event_properties` and `delete_event_properties` show in `get_chat`.
pub(crate) async fn event_properties_update_and_delete<T: Transport>(
    w: &World<T>,
    chat: &CustomerChat,
) {
    let sent = w
        .client
        .send_event(chat.chat_id.clone(), Event::message("hi"))
        .await
        .unwrap();
    let score = async || {
        let got = w.client.get_chat(chat.chat_id.clone()).await.unwrap();
        score_of(got, &sent.event_id)
    };
    let properties = Properties::new().with("bot", "score", 5);
    w.client
        .update_event_properties(
            chat.chat_id.clone(),
            chat.thread_id.clone(),
            sent.event_id.clone(),
            properties,
        )
        .await
        .unwrap();
    assert_eq!(score().await, Some(json!(5)));
    let names = PropertyNames::new().with("bot", "score");
    w.client
        .delete_event_properties(
            chat.chat_id.clone(),
            chat.thread_id.clone(),
            sent.event_id.clone(),
            names,
        )
        .await
        .unwrap();
    assert_eq!(score().await, None);
}

/// The `bot.score` property of the event `id` of the chat's thread (which must be there).
fn score_of(chat: GetChatResponse, id: &EventId) -> Option<Value> {
    let events = chat.thread.unwrap().events.unwrap();
    let event = events.into_iter().find(|e| e.id() == Some(id)).unwrap();
    event
        .properties()
        .and_then(|p| p.get("bot", "score").cloned())
}
