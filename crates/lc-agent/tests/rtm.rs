//! Every agent RTM method end to end against a real lc-sandbox over real sockets, each
//! with its effect visible (to the agent itself, a second agent or the customer).

#![allow(clippy::unwrap_used)]

use futures_util::StreamExt;
use lc_agent::AgentClient;
use lc_protocol::agent::push::{IncomingChat, IncomingMulticast};
use lc_protocol::agent::{
    AgentPush, ChatAccessChange, MulticastAgents, MulticastRecipients, TransferChatTarget,
};
use lc_protocol::customer::CustomerPush;
use lc_protocol::id::{ChatId, GroupId, ThreadId, Token};
use lc_protocol::types::{
    Event, Postback, Properties, PropertyNames, RoutingStatus, TransferTargetType, UserType,
    Visibility,
};
use lc_protocol::{ApiVersion, Error, PushSet, Transport, customer};
use lc_rtm::{AgentSession, CustomerSession, PushStream, RtmClient, RtmConfig, RtmEvent};
use lc_sandbox::{AgentHandle, CustomerHandle, NewAgent, NewCustomer, Sandbox};
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(10);

type Agent = AgentClient<RtmClient<AgentSession>>;

struct World {
    sandbox: Sandbox,
    agent: AgentHandle,
    customer: CustomerHandle,
    client: Agent,
}

fn config() -> RtmConfig {
    let mut config = RtmConfig::default();
    config.backoff.initial = Duration::from_millis(20);
    config.backoff.max = Duration::from_millis(200);
    config
}

/// An agent client of `version`, logged in (a first request has resolved).
async fn connect(sandbox: &Sandbox, token: Token, version: ApiVersion) -> Agent {
    let session = AgentSession::agent()
        .base_url(sandbox.ws_url())
        .version(version);
    let client = AgentClient::connect_rtm(session, token, config());
    client.list_routing_statuses().await.unwrap();
    client
}

async fn world_of(version: ApiVersion) -> World {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let agent = sandbox.create_agent(NewAgent::new("smith@example.com"));
    let customer = sandbox.create_customer(NewCustomer::new().name("Jane"));
    let client = connect(&sandbox, agent.token.clone(), version).await;
    World {
        sandbox,
        agent,
        customer,
        client,
    }
}

async fn world() -> World {
    world_of(ApiVersion::V3_6).await
}

/// A second agent, connected and accepting chats.
async fn second_agent(w: &World) -> (AgentHandle, Agent) {
    let handle = w.sandbox.create_agent(NewAgent::new("jones@example.com"));
    let client = connect(&w.sandbox, handle.token.clone(), ApiVersion::V3_6).await;
    (handle, client)
}

fn customer_client(w: &World) -> RtmClient<CustomerSession> {
    let session =
        CustomerSession::customer(w.sandbox.organization_id()).base_url(w.sandbox.ws_url());
    RtmClient::connect(session, w.customer.token.clone(), config())
}

/// The customer starts a chat, which is routed to the agent of `w`.
async fn customer_chat(w: &World) -> (RtmClient<CustomerSession>, ChatId, ThreadId) {
    let mut pushes = w.client.pushes();
    let customer = customer_client(w);
    let started = customer.call(&customer::StartChat::new()).await.unwrap();
    next(&mut pushes, "incoming_chat", |e| {
        matches!(
            e,
            RtmEvent::Push {
                push: AgentPush::IncomingChat(_),
                ..
            }
        )
    })
    .await;
    (customer, started.chat_id, started.thread_id)
}

/// The next item of `events` matching `accept`, or a panic after [`WAIT`].
async fn next<P: Clone + Send + 'static + std::fmt::Debug>(
    events: &mut PushStream<P>,
    what: &str,
    accept: impl Fn(&RtmEvent<P>) -> bool,
) -> RtmEvent<P> {
    tokio::time::timeout(WAIT, async {
        loop {
            let event = events
                .next()
                .await
                .unwrap_or_else(|| panic!("stream ended before {what}"));
            if accept(&event) {
                return event;
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no {what}"))
}

fn user_ids(chat: &lc_protocol::agent::GetChatResponse) -> Vec<String> {
    chat.users
        .iter()
        .filter_map(|u| u.id().map(str::to_owned))
        .collect()
}

async fn shutdown(w: World) {
    w.client.transport().close();
    w.sandbox.shutdown().await;
}

// ---- chats ------------------------------------------------------------------------

#[tokio::test]
async fn list_chats_lists_a_chat_started_by_the_customer() {
    let w = world().await;
    let (_customer, chat_id, _) = customer_chat(&w).await;
    let chats = w.client.list_chats().with(|r| r.limit(5u32)).await.unwrap();
    assert!(chats.chats_summary.iter().any(|c| c.id == chat_id));
    shutdown(w).await;
}

#[tokio::test]
async fn list_threads_returns_the_threads_of_a_chat() {
    let w = world().await;
    let (_customer, chat_id, thread_id) = customer_chat(&w).await;
    let threads = w
        .client
        .list_threads(chat_id)
        .with(|r| r.limit(5u32))
        .await
        .unwrap();
    assert_eq!(threads.threads[0].id, thread_id);
    shutdown(w).await;
}

#[tokio::test]
async fn get_chat_returns_the_chat_with_its_thread_and_users() {
    let w = world().await;
    let (_customer, chat_id, thread_id) = customer_chat(&w).await;
    let chat = w.client.get_chat(chat_id.clone()).await.unwrap();
    assert_eq!(chat.id, chat_id);
    assert_eq!(chat.thread.as_ref().unwrap().id, thread_id);
    assert!(user_ids(&chat).contains(&w.agent.id.to_string()));
    shutdown(w).await;
}

#[tokio::test]
async fn start_chat_creates_a_chat_the_agent_can_read() {
    let w = world().await;
    let started = w.client.start_chat().await.unwrap();
    let chat = w.client.get_chat(started.chat_id).await.unwrap();
    assert_eq!(chat.thread.unwrap().id, started.thread_id);
    shutdown(w).await;
}

#[tokio::test]
async fn deactivate_chat_closes_the_thread() {
    let w = world().await;
    let (_customer, chat_id, _) = customer_chat(&w).await;
    w.client.deactivate_chat(chat_id.clone()).await.unwrap();
    let chat = w.client.get_chat(chat_id).await.unwrap();
    assert!(!chat.thread.unwrap().active);
    shutdown(w).await;
}

#[tokio::test]
async fn list_archives_lists_a_deactivated_chat() {
    let w = world().await;
    let (_customer, chat_id, _) = customer_chat(&w).await;
    w.client.deactivate_chat(chat_id.clone()).await.unwrap();
    let archives = w.client.list_archives().await.unwrap();
    assert!(archives.chats.iter().any(|c| c.id == chat_id));
    shutdown(w).await;
}

#[tokio::test]
async fn resume_chat_opens_a_new_active_thread() {
    let w = world().await;
    let (_customer, chat_id, first) = customer_chat(&w).await;
    w.client.deactivate_chat(chat_id.clone()).await.unwrap();
    let resumed = w.client.resume_chat(chat_id.clone()).await.unwrap();
    assert_ne!(resumed.thread_id, first);
    let thread = w.client.get_chat(chat_id).await.unwrap().thread.unwrap();
    assert_eq!(thread.id, resumed.thread_id);
    assert!(thread.active);
    shutdown(w).await;
}

#[tokio::test]
async fn transfer_chat_moves_the_chat_to_another_agent() {
    let w = world().await;
    let (_customer, chat_id, _) = customer_chat(&w).await;
    let (other, other_client) = second_agent(&w).await;
    let target = TransferChatTarget {
        kind: TransferTargetType::Agent,
        ids: vec![json!(other.id)],
    };
    w.client
        .transfer_chat(chat_id.clone())
        .with(|r| r.target(target))
        .await
        .unwrap();
    let chat = other_client.get_chat(chat_id).await.unwrap();
    assert!(user_ids(&chat).contains(&other.id.to_string()));
    other_client.transport().close();
    shutdown(w).await;
}

#[tokio::test]
async fn add_user_to_chat_makes_the_agent_a_chat_user() {
    let w = world().await;
    let (_customer, chat_id, _) = customer_chat(&w).await;
    let (other, other_client) = second_agent(&w).await;
    w.client
        .add_user_to_chat(
            chat_id.clone(),
            other.id.clone(),
            UserType::Agent,
            Visibility::All,
        )
        .await
        .unwrap();
    let chat = w.client.get_chat(chat_id).await.unwrap();
    assert!(user_ids(&chat).contains(&other.id.to_string()));
    other_client.transport().close();
    shutdown(w).await;
}

#[tokio::test]
async fn remove_user_from_chat_takes_the_agent_out() {
    let w = world().await;
    let (_customer, chat_id, _) = customer_chat(&w).await;
    let (other, other_client) = second_agent(&w).await;
    w.client
        .add_user_to_chat(
            chat_id.clone(),
            other.id.clone(),
            UserType::Agent,
            Visibility::All,
        )
        .await
        .unwrap();
    w.client
        .remove_user_from_chat(chat_id.clone(), other.id.clone())
        .await
        .unwrap();
    let chat = w.client.get_chat(chat_id).await.unwrap();
    assert!(!user_ids(&chat).contains(&other.id.to_string()));
    other_client.transport().close();
    shutdown(w).await;
}

#[tokio::test]
async fn follow_chat_and_unfollow_chat_change_is_followed() {
    let w = world().await;
    let (_customer, chat_id, _) = customer_chat(&w).await;
    let (_other, other_client) = second_agent(&w).await;
    other_client.follow_chat(chat_id.clone()).await.unwrap();
    let chat = other_client.get_chat(chat_id.clone()).await.unwrap();
    assert!(chat.is_followed);
    other_client.unfollow_chat(chat_id.clone()).await.unwrap();
    let chat = other_client.get_chat(chat_id).await.unwrap();
    assert!(!chat.is_followed);
    other_client.transport().close();
    shutdown(w).await;
}

#[tokio::test]
async fn list_agents_for_transfer_lists_the_other_agent() {
    let w = world().await;
    let (_customer, chat_id, _) = customer_chat(&w).await;
    let (other, other_client) = second_agent(&w).await;
    let agents = w.client.list_agents_for_transfer(chat_id).await.unwrap();
    assert!(agents.iter().any(|a| a.agent_id == other.id));
    other_client.transport().close();
    shutdown(w).await;
}

#[tokio::test]
async fn tag_thread_shows_in_get_chat() {
    let w = world().await;
    let (_customer, chat_id, thread_id) = customer_chat(&w).await;
    w.client
        .tag_thread(chat_id.clone(), thread_id, "vip")
        .await
        .unwrap();
    let thread = w.client.get_chat(chat_id).await.unwrap().thread.unwrap();
    assert_eq!(thread.tags, Some(vec!["vip".to_owned()]));
    shutdown(w).await;
}

#[tokio::test]
async fn untag_thread_removes_the_tag() {
    let w = world().await;
    let (_customer, chat_id, thread_id) = customer_chat(&w).await;
    w.client
        .tag_thread(chat_id.clone(), thread_id.clone(), "vip")
        .await
        .unwrap();
    w.client
        .untag_thread(chat_id.clone(), thread_id, "vip")
        .await
        .unwrap();
    let thread = w.client.get_chat(chat_id).await.unwrap().thread.unwrap();
    assert!(thread.tags.unwrap_or_default().is_empty());
    shutdown(w).await;
}

// ---- events and properties ----------------------------------------------------------

#[tokio::test]
async fn send_event_arrives_as_incoming_event_at_the_customer() {
    let w = world().await;
    let (customer, chat_id, _) = customer_chat(&w).await;
    let mut pushes = customer.subscribe();
    let sent = w
        .client
        .send_event(chat_id, Event::message("Hello Jane"))
        .await
        .unwrap();
    let event = next(&mut pushes, "incoming_event", |e| {
        matches!(
            e,
            RtmEvent::Push {
                push: CustomerPush::IncomingEvent(_),
                ..
            }
        )
    })
    .await;
    let RtmEvent::Push {
        push: CustomerPush::IncomingEvent(push),
        ..
    } = event
    else {
        unreachable!()
    };
    assert_eq!(push.event.text(), Some("Hello Jane"));
    assert_eq!(push.event.id(), Some(&sent.event_id));
    customer.close();
    shutdown(w).await;
}

#[tokio::test]
async fn send_typing_indicator_reaches_the_customer() {
    let w = world().await;
    let (customer, chat_id, _) = customer_chat(&w).await;
    let mut pushes = customer.subscribe();
    w.client.send_typing_indicator(chat_id, true).await.unwrap();
    next(&mut pushes, "incoming_typing_indicator", |e| {
        matches!(e, RtmEvent::Push { push: CustomerPush::IncomingTypingIndicator(p), .. }
            if p.typing_indicator.is_typing)
    })
    .await;
    customer.close();
    shutdown(w).await;
}

#[tokio::test]
async fn mark_events_as_seen_reaches_the_customer() {
    let w = world().await;
    let (customer, chat_id, _) = customer_chat(&w).await;
    let mut pushes = customer.subscribe();
    w.client
        .mark_events_as_seen(chat_id, "2099-01-01T00:00:00.000000Z")
        .await
        .unwrap();
    next(&mut pushes, "events_marked_as_seen", |e| {
        matches!(
            e,
            RtmEvent::Push {
                push: CustomerPush::EventsMarkedAsSeen(_),
                ..
            }
        )
    })
    .await;
    customer.close();
    shutdown(w).await;
}

#[tokio::test]
async fn send_rich_message_postback_reaches_the_chat() {
    let w = world().await;
    let (customer, chat_id, thread_id) = customer_chat(&w).await;
    let rich: Event = serde_json::from_value(json!({
        "type": "rich_message",
        "template_id": "quick_replies",
        "elements": [{"title": "Pick", "buttons": [
            {"type": "message", "text": "Yes", "value": "yes", "postback_id": "yes", "user_ids": []}
        ]}]
    }))
    .unwrap();
    let sent = w.client.send_event(chat_id.clone(), rich).await.unwrap();
    let mut pushes = customer.subscribe();
    let postback = Postback {
        id: "yes".to_owned(),
        toggled: true,
        ..Postback::default()
    };
    w.client
        .send_rich_message_postback(chat_id, thread_id, sent.event_id, postback)
        .await
        .unwrap();
    next(&mut pushes, "incoming_rich_message_postback", |e| {
        matches!(
            e,
            RtmEvent::Push {
                push: CustomerPush::IncomingRichMessagePostback(_),
                ..
            }
        )
    })
    .await;
    customer.close();
    shutdown(w).await;
}

#[tokio::test]
async fn chat_properties_update_and_delete_show_in_get_chat() {
    let w = world().await;
    let (_customer, chat_id, _) = customer_chat(&w).await;
    let properties = Properties::new().with("bot", "mood", "happy");
    w.client
        .update_chat_properties(chat_id.clone(), properties)
        .await
        .unwrap();
    let chat = w.client.get_chat(chat_id.clone()).await.unwrap();
    assert_eq!(
        chat.properties.unwrap().get("bot", "mood"),
        Some(&json!("happy"))
    );
    let names = PropertyNames::new().with("bot", "mood");
    w.client
        .delete_chat_properties(chat_id.clone(), names)
        .await
        .unwrap();
    let chat = w.client.get_chat(chat_id).await.unwrap();
    assert_eq!(chat.properties.unwrap_or_default().get("bot", "mood"), None);
    shutdown(w).await;
}

#[tokio::test]
async fn thread_properties_update_and_delete_show_in_get_chat() {
    let w = world().await;
    let (_customer, chat_id, thread_id) = customer_chat(&w).await;
    let properties = Properties::new().with("bot", "step", 2);
    w.client
        .update_thread_properties(chat_id.clone(), thread_id.clone(), properties)
        .await
        .unwrap();
    let thread = w
        .client
        .get_chat(chat_id.clone())
        .await
        .unwrap()
        .thread
        .unwrap();
    assert_eq!(
        thread.properties.unwrap().get("bot", "step"),
        Some(&json!(2))
    );
    let names = PropertyNames::new().with("bot", "step");
    w.client
        .delete_thread_properties(chat_id.clone(), thread_id, names)
        .await
        .unwrap();
    let thread = w.client.get_chat(chat_id).await.unwrap().thread.unwrap();
    assert_eq!(
        thread.properties.unwrap_or_default().get("bot", "step"),
        None
    );
    shutdown(w).await;
}

#[tokio::test]
async fn event_properties_update_and_delete_show_in_get_chat() {
    let w = world().await;
    let (_customer, chat_id, thread_id) = customer_chat(&w).await;
    let sent = w
        .client
        .send_event(chat_id.clone(), Event::message("hi"))
        .await
        .unwrap();
    let event_of = |chat: lc_protocol::agent::GetChatResponse| {
        let events = chat.thread.unwrap().events.unwrap();
        events
            .into_iter()
            .find(|e| e.id() == Some(&sent.event_id))
            .unwrap()
    };
    let properties = Properties::new().with("bot", "score", 5);
    w.client
        .update_event_properties(
            chat_id.clone(),
            thread_id.clone(),
            sent.event_id.clone(),
            properties,
        )
        .await
        .unwrap();
    let event = event_of(w.client.get_chat(chat_id.clone()).await.unwrap());
    assert_eq!(
        event.properties().unwrap().get("bot", "score"),
        Some(&json!(5))
    );
    let names = PropertyNames::new().with("bot", "score");
    w.client
        .delete_event_properties(chat_id.clone(), thread_id, sent.event_id.clone(), names)
        .await
        .unwrap();
    let event = event_of(w.client.get_chat(chat_id).await.unwrap());
    assert_eq!(event.properties().and_then(|p| p.get("bot", "score")), None);
    shutdown(w).await;
}

#[tokio::test]
async fn send_event_preview_reaches_the_customer() {
    let w = world().await;
    let (customer, chat_id, _) = customer_chat(&w).await;
    let mut pushes = customer.subscribe();
    w.client
        .send_event_preview(chat_id, Event::message("Typing..."))
        .await
        .unwrap();
    next(&mut pushes, "incoming_event_preview", |e| {
        matches!(
            e,
            RtmEvent::Push {
                push: CustomerPush::IncomingEventPreview(_),
                ..
            }
        )
    })
    .await;
    customer.close();
    shutdown(w).await;
}

#[tokio::test]
async fn send_thinking_indicator_reaches_the_customer() {
    let w = world().await;
    let (customer, chat_id, _) = customer_chat(&w).await;
    let mut pushes = customer.subscribe();
    w.client.send_thinking_indicator(chat_id).await.unwrap();
    next(&mut pushes, "incoming_thinking_indicator", |e| {
        matches!(
            e,
            RtmEvent::Push {
                push: CustomerPush::IncomingThinkingIndicator(_),
                ..
            }
        )
    })
    .await;
    customer.close();
    shutdown(w).await;
}

#[tokio::test]
async fn request_thread_summary_sets_the_summary() {
    let w = world().await;
    let (_customer, chat_id, thread_id) = customer_chat(&w).await;
    w.client
        .send_event(chat_id.clone(), Event::message("How can I help?"))
        .await
        .unwrap();
    w.client
        .request_thread_summary(chat_id.clone(), thread_id)
        .await
        .unwrap();
    let thread = w.client.get_chat(chat_id).await.unwrap().thread.unwrap();
    assert!(thread.summary.is_some());
    shutdown(w).await;
}

#[tokio::test]
async fn grant_chat_access_and_revoke_chat_access_change_access_on_3_3() {
    let w = world_of(ApiVersion::V3_3).await;
    w.sandbox.create_group(7, "Sales");
    let started = w.client.start_chat().await.unwrap();
    let group = || ChatAccessChange {
        kind: TransferTargetType::Group,
        id: json!(7),
    };
    w.client
        .grant_chat_access(started.chat_id.clone(), group())
        .await
        .unwrap();
    let access = w
        .client
        .get_chat(started.chat_id.clone())
        .await
        .unwrap()
        .access
        .unwrap();
    assert!(access.group_ids.contains(&GroupId(7)));
    w.client
        .revoke_chat_access(started.chat_id.clone(), group())
        .await
        .unwrap();
    let access = w
        .client
        .get_chat(started.chat_id)
        .await
        .unwrap()
        .access
        .unwrap();
    assert!(!access.group_ids.contains(&GroupId(7)));
    shutdown(w).await;
}

// ---- customers --------------------------------------------------------------------

#[tokio::test]
async fn get_customer_returns_the_profile() {
    let w = world().await;
    let customer = w.client.get_customer(w.customer.id.clone()).await.unwrap();
    assert_eq!(customer.name.as_deref(), Some("Jane"));
    shutdown(w).await;
}

#[tokio::test]
async fn update_customer_changes_the_profile() {
    let w = world().await;
    w.client
        .update_customer(w.customer.id.clone())
        .with(|r| r.name("Janet"))
        .await
        .unwrap();
    let customer = w.client.get_customer(w.customer.id.clone()).await.unwrap();
    assert_eq!(customer.name.as_deref(), Some("Janet"));
    shutdown(w).await;
}

#[tokio::test]
async fn ban_customer_disconnects_the_customer() {
    let w = world().await;
    let (customer, _, _) = customer_chat(&w).await;
    let mut events = customer.subscribe();
    w.client
        .ban_customer(w.customer.id.clone(), 1)
        .await
        .unwrap();
    next(&mut events, "customer disconnected", |e| {
        matches!(e, RtmEvent::Disconnected { reason } | RtmEvent::Stopped { reason }
            if reason == "customer_temporarily_blocked")
    })
    .await;
    customer.close();
    shutdown(w).await;
}

#[tokio::test]
async fn create_customer_and_list_customers_work_on_3_5() {
    let w = world_of(ApiVersion::V3_5).await;
    let created = w
        .client
        .create_customer()
        .with(|r| r.name("Bob"))
        .await
        .unwrap();
    let customers = w.client.list_customers().await.unwrap();
    assert!(
        customers
            .customers
            .iter()
            .any(|c| c.id == created.customer_id)
    );
    shutdown(w).await;
}

#[tokio::test]
async fn follow_customer_sends_incoming_customer_on_3_3() {
    let w = world_of(ApiVersion::V3_3).await;
    let mut pushes = w.client.pushes();
    w.client
        .follow_customer(w.customer.id.clone())
        .await
        .unwrap();
    next(
        &mut pushes,
        "incoming_customer",
        |e| matches!(e, RtmEvent::Push { push, .. } if push.name() == "incoming_customer"),
    )
    .await;
    shutdown(w).await;
}

#[tokio::test]
async fn unfollow_customer_sends_customer_unfollowed_on_3_3() {
    let w = world_of(ApiVersion::V3_3).await;
    let mut pushes = w.client.pushes();
    w.client
        .follow_customer(w.customer.id.clone())
        .await
        .unwrap();
    w.client
        .unfollow_customer(w.customer.id.clone())
        .await
        .unwrap();
    next(&mut pushes, "customer_unfollowed", |e| {
        matches!(
            e,
            RtmEvent::Push {
                push: AgentPush::CustomerUnfollowed(_),
                ..
            }
        )
    })
    .await;
    shutdown(w).await;
}

#[tokio::test]
async fn subscribe_customers_and_unsubscribe_customers_round_trip() {
    let w = world().await;
    let subscription = w.client.subscribe_customers().await.unwrap();
    assert!(!subscription.subscription_id.is_empty());
    w.client
        .unsubscribe_customers(subscription.subscription_id)
        .await
        .unwrap();
    shutdown(w).await;
}

#[tokio::test]
async fn a_3_6_method_is_refused_on_a_3_5_connection_before_sending() {
    let w = world_of(ApiVersion::V3_5).await;
    let err = w.client.send_thinking_indicator("NOPE").await.unwrap_err();
    assert!(matches!(err, Error::Unsupported { .. }), "{err:?}");
    shutdown(w).await;
}

#[tokio::test]
async fn a_3_5_method_is_refused_on_a_3_6_connection_before_sending() {
    let w = world().await;
    let err = w.client.list_customers().await.unwrap_err();
    assert!(matches!(err, Error::Unsupported { .. }), "{err:?}");
    shutdown(w).await;
}

// ---- status -----------------------------------------------------------------------

#[tokio::test]
async fn set_routing_status_shows_in_list_routing_statuses() {
    let w = world().await;
    w.client
        .set_routing_status(RoutingStatus::NotAcceptingChats)
        .await
        .unwrap();
    let statuses = w.client.list_routing_statuses().await.unwrap();
    let mine = statuses.iter().find(|s| s.agent_id == w.agent.id).unwrap();
    assert_eq!(mine.status, RoutingStatus::NotAcceptingChats);
    shutdown(w).await;
}

#[tokio::test]
async fn set_away_status_stops_accepting_chats() {
    let w = world().await;
    w.client.set_away_status(true).await.unwrap();
    let statuses = w.client.list_routing_statuses().await.unwrap();
    let mine = statuses.iter().find(|s| s.agent_id == w.agent.id).unwrap();
    assert_eq!(mine.status, RoutingStatus::NotAcceptingChats);
    shutdown(w).await;
}

#[tokio::test]
async fn multicast_reaches_another_agent() {
    let w = world().await;
    let (other, other_client) = second_agent(&w).await;
    let mut pushes = other_client.pushes();
    let recipients = MulticastRecipients {
        agents: Some(MulticastAgents {
            ids: Some(vec![other.id.clone()]),
            ..MulticastAgents::default()
        }),
        ..MulticastRecipients::default()
    };
    w.client
        .multicast(recipients, json!({"hello": "team"}))
        .await
        .unwrap();
    next(&mut pushes, "incoming_multicast", |e| {
        matches!(e, RtmEvent::Push { push: AgentPush::IncomingMulticast(p), .. }
            if p.content == json!({"hello": "team"}))
    })
    .await;
    other_client.transport().close();
    shutdown(w).await;
}

#[tokio::test]
async fn change_push_notifications_works_on_3_4() {
    let w = world_of(ApiVersion::V3_4).await;
    w.client
        .change_push_notifications(
            "firebase-token",
            lc_protocol::agent::PushNotificationsPlatform::Ios,
            true,
        )
        .await
        .unwrap();
    shutdown(w).await;
}

#[tokio::test]
async fn login_sends_the_login_action_with_the_given_token() {
    let w = world().await;
    let response = w.client.login(w.agent.bearer()).await.unwrap();
    let profile = serde_json::to_value(&response).unwrap();
    assert_eq!(profile["my_profile"]["id"], json!(w.agent.id));
    shutdown(w).await;
}

#[tokio::test]
async fn logout_ends_the_connection() {
    let w = world().await;
    let mut events = w.client.pushes();
    w.client.logout().await.unwrap();
    next(&mut events, "disconnected", |e| {
        matches!(e, RtmEvent::Disconnected { .. } | RtmEvent::Stopped { .. })
    })
    .await;
    shutdown(w).await;
}

#[tokio::test]
async fn update_session_accepts_a_fresh_token() {
    let w = world().await;
    w.client.update_session(w.agent.bearer()).await.unwrap();
    w.client.list_chats().await.unwrap();
    shutdown(w).await;
}

#[tokio::test]
async fn send_is_the_raw_escape_hatch() {
    let w = world().await;
    let statuses = w
        .client
        .send("list_routing_statuses", json!({}))
        .await
        .unwrap();
    assert!(
        statuses
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["agent_id"] == json!(w.agent.id))
    );
    shutdown(w).await;
}

// ---- pushes -----------------------------------------------------------------------

#[tokio::test]
async fn on_calls_the_handler_for_its_push() {
    let w = world().await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let _subscription = w.client.on::<IncomingChat>(move |push| {
        let _ = tx.send(push.chat.id.clone());
    });
    let (_customer, chat_id, _) = customer_chat(&w).await;
    let got = tokio::time::timeout(WAIT, rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got, chat_id);
    shutdown(w).await;
}

#[tokio::test]
async fn on_ignores_other_pushes() {
    let w = world().await;
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let _subscription = w.client.on::<IncomingMulticast>(move |_| {
        counter.fetch_add(1, Ordering::SeqCst);
    });
    customer_chat(&w).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(calls.load(Ordering::SeqCst), 0);
    shutdown(w).await;
}

#[tokio::test]
async fn dropping_the_subscription_stops_calls() {
    let w = world().await;
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let dropped = w.client.on::<IncomingChat>(move |_| {
        counter.fetch_add(1, Ordering::SeqCst);
    });
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let _kept = w.client.on::<IncomingChat>(move |_| {
        let _ = tx.send(());
    });
    dropped.unsubscribe();
    customer_chat(&w).await;
    tokio::time::timeout(WAIT, rx.recv())
        .await
        .unwrap()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(calls.load(Ordering::SeqCst), 0);
    shutdown(w).await;
}
