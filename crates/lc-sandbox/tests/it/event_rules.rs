//! What the sandbox checks in sent events, as the real service does (`validation` for a
//! missing required field or a broken limit), and what it fills in for `file` events.

use crate::common;

use common::web::{Web, agent_bearer};
use common::{Rtm, World};
use serde_json::{Value, json};

/// A chat the world's customer started and the world's agent got, with both connections.
async fn chat() -> (World, Rtm, Rtm, String) {
    let world = World::new().await;
    let (agent, customer, chat_id) = world.started_chat().await;
    (world, agent, customer, chat_id)
}

/// Sends `event` to `chat_id` as the agent; the error type, if it failed.
async fn send(agent: &mut Rtm, chat_id: &str, event: Value) -> Option<String> {
    let frame = agent
        .request("send_event", json!({"chat_id": chat_id, "event": event}))
        .await;
    (frame["success"] != true).then(|| {
        frame["payload"]["error"]["type"]
            .as_str()
            .unwrap()
            .to_owned()
    })
}

#[tokio::test]
async fn events_missing_a_required_field_are_validation_errors() {
    let (world, mut agent, _customer, chat_id) = chat().await;
    let broken = [
        json!({"type": "message"}),
        json!({"type": "file"}),
        json!({"type": "form", "fields": []}),
        json!({"type": "form", "form_id": "f1"}),
        json!({"type": "filled_form", "fields": []}),
        json!({"type": "filled_form", "form_id": "f1"}),
        json!({"type": "rich_message", "elements": []}),
        json!({"type": "system_message", "text": "no type"}),
    ];
    for event in broken {
        let error = send(&mut agent, &chat_id, event.clone()).await;
        assert_eq!(error.as_deref(), Some("validation"), "{event}");
    }
    let fine = [
        json!({"type": "message", "text": "hello"}),
        json!({"type": "form", "form_id": "f1", "fields": []}),
        json!({"type": "filled_form", "form_id": "f1", "fields": []}),
        json!({"type": "rich_message", "template_id": "cards", "elements": []}),
        json!({"type": "system_message", "system_message_type": "custom", "text": "ok"}),
        json!({"type": "custom", "content": {"any": 1}}),
    ];
    for event in fine {
        assert_eq!(
            send(&mut agent, &chat_id, event.clone()).await,
            None,
            "{event}"
        );
    }
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn events_over_the_documented_limits_are_validation_errors() {
    let (world, mut agent, _customer, chat_id) = chat().await;
    let longest = "x".repeat(16 * 1024);
    let too_long = "x".repeat(16 * 1024 + 1);
    assert_eq!(
        send(
            &mut agent,
            &chat_id,
            json!({"type": "message", "text": longest})
        )
        .await,
        None
    );
    let error = send(
        &mut agent,
        &chat_id,
        json!({"type": "message", "text": too_long}),
    )
    .await;
    assert_eq!(error.as_deref(), Some("validation"));

    let element = |buttons: usize| {
        let button = json!({"text": "b", "type": "message", "value": "v", "postback_id": "p"});
        json!({"title": "t", "buttons": vec![button; buttons]})
    };
    let rich = |elements: usize, buttons: usize| json!({"type": "rich_message", "template_id": "cards", "elements": vec![element(buttons); elements]});
    assert_eq!(send(&mut agent, &chat_id, rich(10, 13)).await, None);
    for event in [
        rich(11, 1),
        rich(1, 14),
        json!({"type": "rich_message", "template_id": "carousel"}),
        json!({"type": "message", "text": "x", "postback": {"id": "p", "thread_id": "T", "event_id": "E", "type": "message"}}),
    ] {
        let error = send(&mut agent, &chat_id, event.clone()).await;
        assert_eq!(error.as_deref(), Some("validation"), "{event}");
    }
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn a_chat_is_not_started_with_a_broken_initial_event() {
    let world = World::new().await;
    let mut customer = world.customer_rtm("3.6").await;
    let error = customer
        .fails(
            "start_chat",
            json!({"chat": {"thread": {"events": [{"type": "message"}]}}}),
        )
        .await;
    assert_eq!(error, "validation");
    let chats = customer.ok("list_chats", json!({})).await;
    assert_eq!(chats["chats_summary"], json!([]), "no chat was left behind");
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn a_file_event_takes_an_uploaded_file_and_gets_its_details() {
    let (world, mut agent, mut customer, chat_id) = chat().await;
    let error = send(
        &mut agent,
        &chat_id,
        json!({"type": "file", "url": "https://example.com/cat.png"}),
    )
    .await;
    assert_eq!(error.as_deref(), Some("validation"), "not an upload");

    // A 3×2 PNG header.
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    png.extend_from_slice(&3u32.to_be_bytes());
    png.extend_from_slice(&2u32.to_be_bytes());
    png.extend_from_slice(b"rest of the picture");
    let web = Web::new(&world.sandbox);
    let auth = agent_bearer(&world.agent);
    let uploaded = web
        .upload(
            "/v3.6/agent/action/upload_file",
            &auth,
            "file",
            "cat.png",
            "image/png",
            &png,
        )
        .await;
    let url = uploaded.ok()["url"].as_str().unwrap().to_owned();
    assert_eq!(
        send(&mut agent, &chat_id, json!({"type": "file", "url": url})).await,
        None
    );

    let pushed = customer.push("incoming_event").await;
    let file = &pushed["payload"]["event"];
    assert_eq!(file["url"], url.as_str());
    assert_eq!(file["name"], "cat.png");
    assert_eq!(file["content_type"], "image/png");
    assert_eq!(file["size"], png.len());
    assert_eq!(
        (file["width"].as_u64(), file["height"].as_u64()),
        (Some(3), Some(2))
    );
    assert_eq!(file["thumbnail_url"], url.as_str());

    let text = web
        .upload(
            "/v3.6/agent/action/upload_file",
            &auth,
            "file",
            "a.txt",
            "text/plain",
            b"hello",
        )
        .await;
    let text_url = text.ok()["url"].as_str().unwrap().to_owned();
    assert_eq!(
        send(
            &mut agent,
            &chat_id,
            json!({"type": "file", "url": text_url})
        )
        .await,
        None
    );
    let pushed = customer.push("incoming_event").await;
    let file = &pushed["payload"]["event"];
    assert_eq!(file["size"], 5);
    assert!(file.get("width").is_none(), "not an image: {file}");
    world.sandbox.shutdown().await;
}
