//! The connection, messaging, customer and listening methods of the customer seed end to
//! end against lc-sandbox, with an agent on the other side seeing their effect.

#![allow(clippy::unwrap_used)]

use crate::common;

use common::{agent_push, next_event, next_of, shutdown, start_chat, world};
use lc_customer::{Availability, CustomerEvent, Pagination};
use lc_protocol::Transport;
use lc_protocol::agent::AgentPush;
use lc_protocol::customer::CustomerPush;
use lc_protocol::customer::push::{CustomerUpdated, IncomingEvent};
use lc_protocol::types::Event;
use lc_sandbox::Sandbox;
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn connected_carries_the_customer_and_the_groups_availability() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let customer = sandbox.create_customer(lc_sandbox::NewCustomer::new().name("Jane"));
    let client = common::connect(&sandbox, common::config(&sandbox), customer.token.clone());
    let mut events = client.events();
    let connected = next_of::<lc_customer::Connected>(&mut events).await;
    assert_eq!(connected.customer.id, customer.id);
    assert_eq!(connected.customer.name.as_deref(), Some("Jane"));
    assert_eq!(connected.availability, Availability::Offline); // no agent yet
    assert!(!connected.has_active_thread);
    client.destroy();

    // With an agent accepting chats, the group is online.
    let agent = sandbox.create_agent(lc_sandbox::NewAgent::new("smith@example.com"));
    let session = lc_rtm::AgentSession::agent().base_url(sandbox.ws_url());
    let agent = lc_agent::AgentClient::connect_rtm(session, agent.token, common::rtm_config());
    agent.list_routing_statuses().await.unwrap();
    let client = common::connect(&sandbox, common::config(&sandbox), customer.token.clone());
    let mut events = client.events();
    let connected = next_of::<lc_customer::Connected>(&mut events).await;
    assert_eq!(connected.availability, Availability::Online);
    client.destroy();
    agent.transport().close();
    sandbox.shutdown().await;
}

#[tokio::test]
async fn messages_go_both_ways() {
    let mut w = world().await;
    let (chat_id, _) = start_chat(&w).await;
    let mut pushes = w.agent.events();
    let sent = w
        .client
        .send_event(chat_id.clone(), Event::message("Hello, agent"))
        .await
        .unwrap();
    agent_push(&mut pushes, "the customer's message", |p| {
        matches!(p, AgentPush::IncomingEvent(e)
            if e.event.id() == Some(&sent.event_id) && e.event.text() == Some("Hello, agent"))
    })
    .await;

    w.agent
        .send_event(chat_id.clone(), Event::message("Hello, customer"))
        .await
        .unwrap();
    let incoming = loop {
        let incoming = next_of::<IncomingEvent>(&mut w.events).await;
        if incoming.event.text() == Some("Hello, customer") {
            break incoming;
        }
    };
    assert_eq!(incoming.chat_id, chat_id);
    shutdown(w).await;
}

#[tokio::test]
async fn send_postback_reaches_the_agent() {
    let w = world().await;
    let (chat_id, thread_id) = start_chat(&w).await;
    let rich: Event = serde_json::from_value(json!({
        "type": "rich_message",
        "template_id": "quick_replies",
        "elements": [{"title": "Pick", "buttons": [
            {"type": "message", "text": "Yes", "value": "yes", "postback_id": "yes", "user_ids": []}
        ]}]
    }))
    .unwrap();
    let sent = w.agent.send_event(chat_id.clone(), rich).await.unwrap();
    let mut pushes = w.agent.events();
    w.client
        .send_postback(chat_id, thread_id, sent.event_id.clone(), "yes")
        .await
        .unwrap();
    let pushed = agent_push(&mut pushes, "incoming_rich_message_postback", |p| {
        matches!(p, AgentPush::IncomingRichMessagePostback(_))
    })
    .await;
    let AgentPush::IncomingRichMessagePostback(pushed) = pushed else {
        unreachable!()
    };
    assert_eq!(pushed.event_id, sent.event_id);
    assert_eq!(pushed.postback.id, "yes");
    assert!(pushed.postback.toggled);
    shutdown(w).await;
}

#[tokio::test]
async fn update_customer_and_page_reach_the_agent() {
    let mut w = world().await;
    let (_chat_id, _) = start_chat(&w).await;
    let mut pushes = w.agent.events();
    w.client
        .update_customer(
            Some("John Doe"),
            Some("john.doe@example.com"),
            [("custom_property", "BasketValue=10usd")],
        )
        .await
        .unwrap();
    let updated = next_of::<CustomerUpdated>(&mut w.events).await;
    assert_eq!(updated.name.as_deref(), Some("John Doe"));
    let customer = w.client.get_customer().await.unwrap();
    assert_eq!(customer.email.as_deref(), Some("john.doe@example.com"));
    let fields = customer.session_fields.unwrap();
    assert_eq!(fields[0]["custom_property"], "BasketValue=10usd");
    agent_push(&mut pushes, "customer_updated", |p| {
        matches!(p, AgentPush::CustomerUpdated(_))
    })
    .await;

    w.client
        .update_customer_page("https://developers.livechatinc.com/")
        .title("LiveChat for Developers")
        .await
        .unwrap();
    let page = agent_push(&mut pushes, "customer_page_updated", |p| {
        matches!(p, AgentPush::CustomerPageUpdated(_))
    })
    .await;
    let AgentPush::CustomerPageUpdated(page) = page else {
        unreachable!()
    };
    assert_eq!(page.url, "https://developers.livechatinc.com/");
    assert_eq!(page.title.as_deref(), Some("LiveChat for Developers"));
    shutdown(w).await;
}

#[tokio::test]
async fn web_only_actions_go_over_web() {
    let w = world().await;
    w.sandbox
        .set_license_property("widget", "theme", json!("dark"));
    assert!(
        !w.client
            .transport()
            .kind()
            .eq(&lc_protocol::TransportKind::Web)
    );
    let properties = w.client.list_license_properties().await.unwrap();
    assert_eq!(
        serde_json::to_value(&properties).unwrap()["widget"]["theme"],
        "dark"
    );
    w.sandbox
        .set_group_property(0, "widget", "color", json!("blue"));
    let group = w.client.list_group_properties(0).await.unwrap();
    assert_eq!(
        serde_json::to_value(&group).unwrap()["widget"]["color"],
        "blue"
    );
    let dynamic = w.client.get_dynamic_configuration().await.unwrap();
    let livechat = dynamic.livechat.unwrap();
    let configuration = w
        .client
        .get_configuration(0, livechat.config_version.clone())
        .await
        .unwrap();
    assert!(!configuration.buttons.is_empty());
    w.client
        .get_localization(0, livechat.language, livechat.localization_version)
        .await
        .unwrap();
    shutdown(w).await;
}

#[tokio::test]
async fn observe_gives_names_and_data() {
    let w = world().await;
    let mut named = Box::pin(w.client.observe());
    let (chat_id, _) = start_chat(&w).await;
    w.agent
        .send_event(chat_id.clone(), Event::message("hi"))
        .await
        .unwrap();
    let (name, data) = tokio::time::timeout(common::WAIT, async {
        loop {
            let (name, data) = futures_util::StreamExt::next(&mut named).await.unwrap();
            if name == "incoming_event" && data["event"]["text"] == "hi" {
                return (name, data);
            }
        }
    })
    .await
    .unwrap();
    assert_eq!(name, "incoming_event");
    assert_eq!(data["chat_id"], chat_id.as_str());
    shutdown(w).await;
}

#[tokio::test]
async fn once_fires_once_and_off_stops_a_handler() {
    let mut w = world().await;
    let (chat_id, _) = start_chat(&w).await;
    let once = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let on = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = once.clone();
    let once_subscription = w.client.once::<IncomingEvent>(move |_| {
        counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    });
    let counted = on.clone();
    let on_subscription = w.client.on::<IncomingEvent>(move |_| {
        counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    });
    for text in ["one", "two"] {
        w.agent
            .send_event(chat_id.clone(), Event::message(text))
            .await
            .unwrap();
    }
    next_event(&mut w.events, "the second message", |e| {
        matches!(e, CustomerEvent::Push(CustomerPush::IncomingEvent(i)) if i.event.text() == Some("two"))
    })
    .await;
    // The handlers run in their own tasks: wait until they saw both messages.
    tokio::time::timeout(common::WAIT, async {
        while on.load(std::sync::atomic::Ordering::SeqCst) < 2 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .unwrap();
    assert_eq!(once.load(std::sync::atomic::Ordering::SeqCst), 1);
    assert!(once_subscription.is_finished());
    on_subscription.off();
    w.agent
        .send_event(chat_id, Event::message("three"))
        .await
        .unwrap();
    next_event(&mut w.events, "the third message", |e| {
        matches!(e, CustomerEvent::Push(CustomerPush::IncomingEvent(i)) if i.event.text() == Some("three"))
    })
    .await;
    tokio::task::yield_now().await;
    assert_eq!(on.load(std::sync::atomic::Ordering::SeqCst), 2);
    shutdown(w).await;
}

#[tokio::test]
async fn a_web_only_client_offers_what_web_carries() {
    let w = world().await;
    let web = lc_web::WebClient::new(
        lc_web::CustomerSession::customer(w.sandbox.organization_id())
            .base_url(w.sandbox.http_url()),
        w.customer.token.clone(),
        lc_web::WebConfig::default(),
    );
    let client = lc_customer::CustomerClient::new(web);
    assert!(client.connected().is_none());
    let mut pushes = w.agent.events();
    let started = client.start_chat().await.unwrap();
    agent_push(
        &mut pushes,
        "incoming_chat",
        |p| matches!(p, AgentPush::IncomingChat(c) if c.chat.id == started.chat_id),
    )
    .await;
    client
        .send_event(started.chat_id.clone(), Event::message("over Web"))
        .await
        .unwrap();
    agent_push(
        &mut pushes,
        "the message",
        |p| matches!(p, AgentPush::IncomingEvent(e) if e.event.text() == Some("over Web")),
    )
    .await;
    let sent = client
        .send_file(
            started.chat_id.clone(),
            lc_customer::Upload::bytes("a.txt", b"abc".to_vec()),
        )
        .await
        .unwrap();
    assert!(!sent.url.is_empty());
    let summary = client
        .get_chats_summary(Pagination::default())
        .await
        .unwrap();
    assert_eq!(summary.chats_summary[0].id, started.chat_id);
    client.list_license_properties().await.unwrap();
    client.destroy();
    shutdown(w).await;
}
