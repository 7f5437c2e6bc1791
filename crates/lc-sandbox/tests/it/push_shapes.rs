//! Pushes in the shape of each connection's API version: a connection logged in on 3.5
//! gets the 3.5 shape where the v3.5 → v3.6 changelog says the shapes differ.

use crate::common;

use common::{Rtm, World};
use serde_json::{Value, json};

#[tokio::test]
async fn incoming_customer_has_visit_in_3_6_and_last_visit_before() {
    let world = World::new().await;
    let mut new = world.watching_agent_rtm("3.6").await;
    let mut old = world.watching_agent_rtm("3.5").await;
    let _customer = world.customer_rtm("3.6").await;
    let pushed = new.push("incoming_customer").await;
    assert!(pushed["payload"]["visit"].is_object(), "{pushed}");
    assert!(pushed["payload"].get("last_visit").is_none(), "{pushed}");
    let pushed = old.push("incoming_customer").await;
    assert!(pushed["payload"]["last_visit"].is_object(), "{pushed}");
    assert!(pushed["payload"].get("visit").is_none(), "{pushed}");
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn customer_updated_leaves_the_3_6_fields_out_before_3_6() {
    let world = World::new().await;
    let mut new = world.watching_agent_rtm("3.6").await;
    let mut old = world.watching_agent_rtm("3.5").await;
    let _customer = world.customer_rtm("3.6").await;
    let update = json!({"id": world.customer.id, "name": "Jo", "phone_number": "+48 123"});
    new.ok("update_customer", update).await;
    let pushed = new.push("customer_updated").await;
    assert_eq!(pushed["payload"]["name"], "Jo");
    assert_eq!(pushed["payload"]["phone_number"], "+48 123");
    let pushed = old.push("customer_updated").await;
    assert_eq!(pushed["version"], "3.5");
    assert_eq!(pushed["payload"]["name"], "Jo");
    assert!(pushed["payload"].get("phone_number").is_none(), "{pushed}");
    world.sandbox.shutdown().await;
}

/// The `postback` of the next `incoming_rich_message_postback` on `rtm`.
async fn postback(rtm: &mut Rtm) -> Value {
    rtm.push("incoming_rich_message_postback").await["payload"]["postback"].clone()
}

#[tokio::test]
async fn rich_message_postbacks_have_no_button_fields_before_3_6() {
    let world = World::new().await;
    let (mut agent, mut customer, chat_id) = world.started_chat().await;
    let mut old = world.agent_rtm("3.5").await;
    let rich = json!({
        "type": "rich_message",
        "template_id": "quick_replies",
        "elements": [{"title": "Happy?", "buttons": [
            {"text": "Yes", "type": "message", "value": "yes", "postback_id": "yes", "user_ids": []}
        ]}]
    });
    let sent = agent
        .ok("send_event", json!({"chat_id": chat_id, "event": rich}))
        .await;
    let chat = customer.ok("get_chat", json!({"chat_id": chat_id})).await;
    let thread_id = chat["thread"]["id"].as_str().unwrap().to_owned();
    let payload = json!({
        "chat_id": chat_id, "thread_id": thread_id, "event_id": sent["event_id"],
        "postback": {"id": "yes", "toggled": true, "button_type": "message", "button_value": "yes"},
    });
    customer.ok("send_rich_message_postback", payload).await;
    let new_shape = postback(&mut agent).await;
    assert_eq!(new_shape["button_type"], "message");
    assert_eq!(new_shape["button_value"], "yes");
    let old_shape = postback(&mut old).await;
    assert_eq!(old_shape, json!({"id": "yes", "toggled": true}));
    world.sandbox.shutdown().await;
}
