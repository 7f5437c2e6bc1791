//! Every agent Web method (lc-sdk-js `agent/web`) end to end against a real lc-sandbox
//! over HTTP, each with its effect visible to the agent, another agent or the customer.
//! An RTM connection of the same agent accepts the chats the customer starts.

#![allow(clippy::unwrap_used)]

use futures_util::StreamExt;
use lc_agent::AgentClient;
use lc_protocol::agent::{
    AgentPush, ChatAccessChange, MulticastAgents, MulticastRecipients, TransferChatTarget,
};
use lc_protocol::customer::CustomerPush;
use lc_protocol::id::{ChatId, GroupId, ThreadId};
use lc_protocol::types::{
    Event, Postback, Properties, PropertyNames, RoutingStatus, TransferTargetType, UserType,
    Visibility,
};
use lc_protocol::{ApiVersion, Error, PushSet, Transport, customer};
use lc_rtm::{AgentSession, CustomerSession, PushStream, RtmClient, RtmConfig, RtmEvent};
use lc_sandbox::{AgentHandle, CustomerHandle, NewAgent, NewCustomer, Sandbox};
use lc_web::{Upload, WebClient, WebConfig};
use serde_json::json;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(10);

type WebAgent = AgentClient<WebClient>;
type RtmAgent = AgentClient<RtmClient<AgentSession>>;

struct World {
    sandbox: Sandbox,
    agent: AgentHandle,
    customer: CustomerHandle,
    /// The client under test.
    web: WebAgent,
    /// The same agent over RTM: accepts chats and sees pushes.
    rtm: RtmAgent,
}

fn web_client(sandbox: &Sandbox, agent: &AgentHandle, version: ApiVersion) -> WebAgent {
    let config = WebConfig::default()
        .base_url(sandbox.http_url())
        .version(version);
    AgentClient::connect_web(agent.token.clone(), config)
}

async fn rtm_client(sandbox: &Sandbox, agent: &AgentHandle) -> RtmAgent {
    let session = AgentSession::agent().base_url(sandbox.ws_url());
    let client = AgentClient::connect_rtm(session, agent.token.clone(), RtmConfig::default());
    client.list_routing_statuses().await.unwrap();
    client
}

async fn world_of(version: ApiVersion) -> World {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let agent = sandbox.create_agent(NewAgent::new("smith@example.com"));
    let customer = sandbox.create_customer(NewCustomer::new().name("Jane"));
    let rtm = rtm_client(&sandbox, &agent).await;
    let web = web_client(&sandbox, &agent, version);
    World {
        sandbox,
        agent,
        customer,
        web,
        rtm,
    }
}

async fn world() -> World {
    world_of(ApiVersion::V3_6).await
}

/// The customer starts a chat, routed to the agent of `w`.
async fn customer_chat(w: &World) -> (RtmClient<CustomerSession>, ChatId, ThreadId) {
    let mut pushes = w.rtm.pushes();
    let session =
        CustomerSession::customer(w.sandbox.organization_id()).base_url(w.sandbox.ws_url());
    let customer = RtmClient::connect(session, w.customer.token.clone(), RtmConfig::default());
    let started = customer.call(&customer::StartChat::new()).await.unwrap();
    next(&mut pushes, |p: &AgentPush| {
        matches!(p, AgentPush::IncomingChat(_))
    })
    .await;
    (customer, started.chat_id, started.thread_id)
}

/// The next push of `stream` that `accept` takes, or a panic after [`WAIT`].
async fn next<P>(stream: &mut PushStream<P>, accept: impl Fn(&P) -> bool) -> P
where
    P: PushSet + Clone + Send + std::fmt::Debug + 'static,
{
    let found = tokio::time::timeout(WAIT, async {
        while let Some(event) = stream.next().await {
            if let RtmEvent::Push { push, .. } = event {
                if accept(&push) {
                    return Some(push);
                }
            }
        }
        None
    })
    .await;
    found.ok().flatten().expect("the expected push")
}

fn user_ids(chat: &lc_protocol::agent::GetChatResponse) -> Vec<String> {
    chat.users
        .iter()
        .filter_map(|u| u.id().map(str::to_owned))
        .collect()
}

async fn shutdown(w: World) {
    w.rtm.transport().close();
    w.sandbox.shutdown().await;
}

// ---- chats ----------------------------------------------------------------------------

#[tokio::test]
async fn list_chats_list_threads_and_get_chat_read_the_customer_chat() {
    let w = world().await;
    let (_customer, chat_id, thread_id) = customer_chat(&w).await;
    let chats = w.web.list_chats().with(|r| r.limit(5u32)).await.unwrap();
    assert!(chats.chats_summary.iter().any(|c| c.id == chat_id));
    let threads = w.web.list_threads(chat_id.clone()).await.unwrap();
    assert_eq!(threads.threads[0].id, thread_id);
    let chat = w.web.get_chat(chat_id.clone()).await.unwrap();
    assert_eq!(chat.thread.unwrap().id, thread_id);
    assert!(user_ids(&w.web.get_chat(chat_id).await.unwrap()).contains(&w.agent.id.to_string()));
    shutdown(w).await;
}

#[tokio::test]
async fn start_chat_creates_a_chat_the_agent_can_read() {
    let w = world().await;
    let started = w.web.start_chat().await.unwrap();
    let chat = w.rtm.get_chat(started.chat_id).await.unwrap();
    assert_eq!(chat.thread.unwrap().id, started.thread_id);
    shutdown(w).await;
}

#[tokio::test]
async fn deactivate_chat_archives_it_and_resume_chat_opens_a_new_thread() {
    let w = world().await;
    let (customer, chat_id, first) = customer_chat(&w).await;
    let mut pushes = customer.subscribe();
    w.web.deactivate_chat(chat_id.clone()).await.unwrap();
    next(&mut pushes, |p: &CustomerPush| {
        matches!(p, CustomerPush::ChatDeactivated(_))
    })
    .await;
    let archives = w.web.list_archives().await.unwrap();
    assert!(archives.chats.iter().any(|c| c.id == chat_id));
    let resumed = w.web.resume_chat(chat_id.clone()).await.unwrap();
    assert_ne!(resumed.thread_id, first);
    let thread = w.web.get_chat(chat_id).await.unwrap().thread.unwrap();
    assert!(thread.active);
    customer.close();
    shutdown(w).await;
}

#[tokio::test]
async fn transfer_chat_moves_the_chat_to_an_agent_listed_for_transfer() {
    let w = world().await;
    let (_customer, chat_id, _) = customer_chat(&w).await;
    let other = w.sandbox.create_agent(NewAgent::new("jones@example.com"));
    let other_rtm = rtm_client(&w.sandbox, &other).await;
    let candidates = w
        .web
        .list_agents_for_transfer(chat_id.clone())
        .await
        .unwrap();
    assert!(candidates.iter().any(|a| a.agent_id == other.id));
    let target = TransferChatTarget {
        kind: TransferTargetType::Agent,
        ids: vec![json!(other.id)],
    };
    w.web
        .transfer_chat(chat_id.clone())
        .with(|r| r.target(target))
        .await
        .unwrap();
    let chat = other_rtm.get_chat(chat_id).await.unwrap();
    assert!(user_ids(&chat).contains(&other.id.to_string()));
    other_rtm.transport().close();
    shutdown(w).await;
}

#[tokio::test]
async fn add_user_to_chat_and_remove_user_from_chat_change_the_users() {
    let w = world().await;
    let (_customer, chat_id, _) = customer_chat(&w).await;
    let other = w.sandbox.create_agent(NewAgent::new("jones@example.com"));
    let (id, agent) = (other.id.clone(), UserType::Agent);
    w.web
        .add_user_to_chat(chat_id.clone(), id.clone(), agent, Visibility::All)
        .await
        .unwrap();
    let chat = w.web.get_chat(chat_id.clone()).await.unwrap();
    assert!(user_ids(&chat).contains(&other.id.to_string()));
    w.web
        .remove_user_from_chat(chat_id.clone(), id)
        .await
        .unwrap();
    let chat = w.web.get_chat(chat_id).await.unwrap();
    assert!(!user_ids(&chat).contains(&other.id.to_string()));
    shutdown(w).await;
}

#[tokio::test]
async fn follow_chat_and_unfollow_chat_change_is_followed() {
    let w = world().await;
    let (_customer, chat_id, _) = customer_chat(&w).await;
    let other = w.sandbox.create_agent(NewAgent::new("jones@example.com"));
    let other_rtm = rtm_client(&w.sandbox, &other).await;
    let other_web = web_client(&w.sandbox, &other, ApiVersion::V3_6);
    other_web.follow_chat(chat_id.clone()).await.unwrap();
    assert!(
        other_rtm
            .get_chat(chat_id.clone())
            .await
            .unwrap()
            .is_followed
    );
    other_web.unfollow_chat(chat_id.clone()).await.unwrap();
    assert!(!other_rtm.get_chat(chat_id).await.unwrap().is_followed);
    other_rtm.transport().close();
    shutdown(w).await;
}

#[tokio::test]
async fn tag_thread_and_untag_thread_show_in_get_chat() {
    let w = world().await;
    let (_customer, chat_id, thread_id) = customer_chat(&w).await;
    w.web
        .tag_thread(chat_id.clone(), thread_id.clone(), "vip")
        .await
        .unwrap();
    let thread = w
        .web
        .get_chat(chat_id.clone())
        .await
        .unwrap()
        .thread
        .unwrap();
    assert_eq!(thread.tags, Some(vec!["vip".to_owned()]));
    w.web
        .untag_thread(chat_id.clone(), thread_id, "vip")
        .await
        .unwrap();
    let thread = w.web.get_chat(chat_id).await.unwrap().thread.unwrap();
    assert!(thread.tags.unwrap_or_default().is_empty());
    shutdown(w).await;
}

#[tokio::test]
async fn grant_and_revoke_chat_access_change_the_chat_access_in_3_3() {
    let w = world_of(ApiVersion::V3_3).await;
    let (_customer, chat_id, _) = customer_chat(&w).await;
    w.sandbox.create_group(5, "Billing");
    let access = ChatAccessChange {
        kind: TransferTargetType::Group,
        id: json!(5),
    };
    w.web
        .grant_chat_access(chat_id.clone(), access.clone())
        .await
        .unwrap();
    let chat = w.web.get_chat(chat_id.clone()).await.unwrap();
    let groups = |chat: &lc_protocol::agent::GetChatResponse| {
        chat.access.clone().unwrap_or_default().group_ids
    };
    assert!(groups(&chat).contains(&GroupId(5)));
    w.web
        .revoke_chat_access(chat_id.clone(), access)
        .await
        .unwrap();
    let chat = w.web.get_chat(chat_id).await.unwrap();
    assert!(!groups(&chat).contains(&GroupId(5)));
    shutdown(w).await;
}

#[tokio::test]
async fn methods_missing_from_the_version_fail_before_sending() {
    let w = world().await;
    let access = ChatAccessChange {
        kind: TransferTargetType::Group,
        id: json!(0),
    };
    let err = w.web.grant_chat_access("ANY", access).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Unsupported {
                action: "grant_chat_access",
                ..
            }
        ),
        "{err:?}"
    );
    shutdown(w).await;
}

// ---- events and properties --------------------------------------------------------------

#[tokio::test]
async fn send_event_arrives_at_the_customer() {
    let w = world().await;
    let (customer, chat_id, _) = customer_chat(&w).await;
    let mut pushes = customer.subscribe();
    let sent = w
        .web
        .send_event(chat_id, Event::message("Hello Jane"))
        .await
        .unwrap();
    let push = next(&mut pushes, |p: &CustomerPush| {
        matches!(p, CustomerPush::IncomingEvent(_))
    })
    .await;
    let CustomerPush::IncomingEvent(push) = push else {
        unreachable!()
    };
    assert_eq!(push.event.text(), Some("Hello Jane"));
    assert_eq!(push.event.id(), Some(&sent.event_id));
    customer.close();
    shutdown(w).await;
}

#[tokio::test]
async fn send_typing_indicator_and_mark_events_as_seen_reach_the_customer() {
    let w = world().await;
    let (customer, chat_id, _) = customer_chat(&w).await;
    let mut pushes = customer.subscribe();
    w.web
        .send_typing_indicator(chat_id.clone(), true)
        .await
        .unwrap();
    next(&mut pushes, |p: &CustomerPush| {
        matches!(p, CustomerPush::IncomingTypingIndicator(t) if t.typing_indicator.is_typing)
    })
    .await;
    w.web
        .mark_events_as_seen(chat_id, "2099-01-01T00:00:00.000000Z")
        .await
        .unwrap();
    next(&mut pushes, |p: &CustomerPush| {
        matches!(p, CustomerPush::EventsMarkedAsSeen(_))
    })
    .await;
    customer.close();
    shutdown(w).await;
}

#[tokio::test]
async fn send_rich_message_postback_reaches_the_customer() {
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
    let sent = w.web.send_event(chat_id.clone(), rich).await.unwrap();
    let mut pushes = customer.subscribe();
    let postback = Postback {
        id: "yes".to_owned(),
        toggled: true,
        ..Postback::default()
    };
    w.web
        .send_rich_message_postback(chat_id, thread_id, sent.event_id, postback)
        .await
        .unwrap();
    next(&mut pushes, |p: &CustomerPush| {
        matches!(p, CustomerPush::IncomingRichMessagePostback(_))
    })
    .await;
    customer.close();
    shutdown(w).await;
}

#[tokio::test]
async fn chat_and_thread_properties_update_and_delete() {
    let w = world().await;
    let (_customer, chat_id, thread_id) = customer_chat(&w).await;
    let properties = Properties::new().with("bot", "mood", "happy");
    w.web
        .update_chat_properties(chat_id.clone(), properties.clone())
        .await
        .unwrap();
    w.web
        .update_thread_properties(chat_id.clone(), thread_id.clone(), properties)
        .await
        .unwrap();
    let chat = w.web.get_chat(chat_id.clone()).await.unwrap();
    let happy = Some(&json!("happy"));
    assert_eq!(chat.properties.as_ref().unwrap().get("bot", "mood"), happy);
    let thread = chat.thread.unwrap();
    assert_eq!(thread.properties.unwrap().get("bot", "mood"), happy);
    let names = PropertyNames::new().with("bot", "mood");
    w.web
        .delete_chat_properties(chat_id.clone(), names.clone())
        .await
        .unwrap();
    w.web
        .delete_thread_properties(chat_id.clone(), thread_id, names)
        .await
        .unwrap();
    let chat = w.web.get_chat(chat_id).await.unwrap();
    assert_eq!(chat.properties.unwrap_or_default().get("bot", "mood"), None);
    let thread = chat.thread.unwrap();
    assert_eq!(
        thread.properties.unwrap_or_default().get("bot", "mood"),
        None
    );
    shutdown(w).await;
}

#[tokio::test]
async fn event_properties_update_and_delete() {
    let w = world().await;
    let (_customer, chat_id, thread_id) = customer_chat(&w).await;
    let sent = w
        .web
        .send_event(chat_id.clone(), Event::message("hi"))
        .await
        .unwrap();
    let score = |chat: lc_protocol::agent::GetChatResponse| {
        let events = chat.thread.unwrap().events.unwrap();
        let event = events.into_iter().find(|e| e.id() == Some(&sent.event_id));
        event
            .unwrap()
            .properties()
            .and_then(|p| p.get("bot", "score").cloned())
    };
    let (chat, thread, event) = (chat_id.clone(), thread_id.clone(), sent.event_id.clone());
    let properties = Properties::new().with("bot", "score", 5);
    w.web
        .update_event_properties(chat, thread, event, properties)
        .await
        .unwrap();
    assert_eq!(
        score(w.web.get_chat(chat_id.clone()).await.unwrap()),
        Some(json!(5))
    );
    let names = PropertyNames::new().with("bot", "score");
    w.web
        .delete_event_properties(chat_id.clone(), thread_id, sent.event_id.clone(), names)
        .await
        .unwrap();
    assert_eq!(score(w.web.get_chat(chat_id).await.unwrap()), None);
    shutdown(w).await;
}

#[tokio::test]
async fn upload_file_gives_a_url_to_send_as_a_file_event() {
    let w = world().await;
    let (customer, chat_id, _) = customer_chat(&w).await;
    let mut pushes = customer.subscribe();
    let progress = std::sync::Arc::new(std::sync::Mutex::new(0.0f64));
    let sink = progress.clone();
    let upload = Upload::bytes("receipt.pdf", vec![9u8; 70_000])
        .on_progress(move |p| *sink.lock().unwrap() = p);
    let uploaded = w.web.upload_file(upload).await.unwrap();
    assert_eq!(*progress.lock().unwrap(), 1.0);
    w.web
        .send_event(chat_id, Event::file(uploaded.url.clone()))
        .await
        .unwrap();
    let push = next(
        &mut pushes,
        |p: &CustomerPush| matches!(p, CustomerPush::IncomingEvent(e) if e.event.kind() == "file"),
    )
    .await;
    let CustomerPush::IncomingEvent(push) = push else {
        unreachable!()
    };
    let Event::File(file) = push.event else {
        unreachable!()
    };
    assert_eq!(file.url.as_deref(), Some(uploaded.url.as_str()));
    customer.close();
    shutdown(w).await;
}

// ---- customers ------------------------------------------------------------------------

#[tokio::test]
async fn get_customer_and_update_customer() {
    let w = world().await;
    let customer = w.web.get_customer(w.customer.id.clone()).await.unwrap();
    assert_eq!(customer.name.as_deref(), Some("Jane"));
    w.web
        .update_customer(w.customer.id.clone())
        .with(|r| r.name("Jane Doe"))
        .await
        .unwrap();
    let customer = w.rtm.get_customer(w.customer.id.clone()).await.unwrap();
    assert_eq!(customer.name.as_deref(), Some("Jane Doe"));
    shutdown(w).await;
}

#[tokio::test]
async fn create_customer_and_list_customers_in_3_5() {
    let w = world_of(ApiVersion::V3_5).await;
    let created = w
        .web
        .create_customer()
        .with(|r| r.name("Walk-in"))
        .await
        .unwrap();
    let listed = w.web.list_customers().await.unwrap();
    let found = listed
        .customers
        .iter()
        .find(|c| c.id == created.customer_id);
    assert_eq!(found.unwrap().name.as_deref(), Some("Walk-in"));
    // Gone in 3.6: refused before sending.
    let err = web_client(&w.sandbox, &w.agent, ApiVersion::V3_6)
        .list_customers()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unsupported { .. }), "{err:?}");
    shutdown(w).await;
}

#[tokio::test]
async fn ban_customer_disconnects_the_customer() {
    let w = world().await;
    let (customer, _, _) = customer_chat(&w).await;
    let mut events = customer.subscribe();
    w.web.ban_customer(w.customer.id.clone(), 1).await.unwrap();
    let stopped = tokio::time::timeout(WAIT, async {
        while let Some(event) = events.next().await {
            if let RtmEvent::Disconnected { reason } | RtmEvent::Stopped { reason } = event {
                return reason;
            }
        }
        String::new()
    })
    .await
    .unwrap();
    assert_eq!(stopped, "customer_temporarily_blocked");
    customer.close();
    shutdown(w).await;
}

#[tokio::test]
async fn follow_customer_and_unfollow_customer_in_3_3() {
    let w = world_of(ApiVersion::V3_3).await;
    let (customer, _chat_id, _) = customer_chat(&w).await;
    w.web.follow_customer(w.customer.id.clone()).await.unwrap();
    w.web
        .unfollow_customer(w.customer.id.clone())
        .await
        .unwrap();
    let err = w.web.follow_customer("no-such-customer").await.unwrap_err();
    assert!(err.api_error().is_some(), "{err:?}");
    customer.close();
    shutdown(w).await;
}

// ---- status ---------------------------------------------------------------------------

#[tokio::test]
async fn set_routing_status_shows_in_list_routing_statuses() {
    let w = world().await;
    w.web
        .set_routing_status(RoutingStatus::NotAcceptingChats)
        .await
        .unwrap();
    let statuses = w.web.list_routing_statuses().await.unwrap();
    let mine = statuses.iter().find(|s| s.agent_id == w.agent.id).unwrap();
    assert_eq!(mine.status, RoutingStatus::NotAcceptingChats);
    shutdown(w).await;
}

#[tokio::test]
async fn multicast_reaches_the_agents() {
    let w = world().await;
    let mut pushes = w.rtm.pushes();
    let recipients = MulticastRecipients {
        agents: Some(MulticastAgents {
            all: Some(true),
            ..MulticastAgents::default()
        }),
        ..MulticastRecipients::default()
    };
    w.web
        .multicast(recipients, json!({"hello": "team"}))
        .await
        .unwrap();
    let push = next(&mut pushes, |p: &AgentPush| {
        matches!(p, AgentPush::IncomingMulticast(_))
    })
    .await;
    let AgentPush::IncomingMulticast(push) = push else {
        unreachable!()
    };
    assert_eq!(push.content, json!({"hello": "team"}));
    shutdown(w).await;
}

#[tokio::test]
async fn send_is_the_raw_escape_hatch() {
    let w = world().await;
    let (_customer, chat_id, _) = customer_chat(&w).await;
    let chat = w
        .web
        .send("get_chat", json!({"chat_id": chat_id}))
        .await
        .unwrap();
    assert_eq!(chat["id"], chat_id.as_str());
    let err = w.web.send("no_such_action", json!({})).await.unwrap_err();
    assert!(err.api_error().is_some(), "{err:?}");
    shutdown(w).await;
}
