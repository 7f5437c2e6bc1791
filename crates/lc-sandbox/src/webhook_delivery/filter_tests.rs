//! Unit tests of each webhook filter (§3.3) and of their combination (Q19), on the
//! hand-built state of [`super::scene`].

#![allow(clippy::unwrap_used)]

use super::scene::*;
use crate::outbox::Audience;
use lc_protocol::configuration::{WebhookChatPresence, WebhookSourceType};
use lc_protocol::id::ChatId;
use lc_protocol::types::UserType;
use serde_json::json;

#[test]
fn author_type_tells_customers_from_agents_and_bots_are_agents() {
    let mut scene = Scene::new();
    let customers = scene.register(
        "incoming_event",
        filters(|f| f.author_type = Some(UserType::Customer)),
    );
    let agents = scene.register(
        "incoming_event",
        filters(|f| f.author_type = Some(UserType::Agent)),
    );
    assert_eq!(ids(&scene.event_by(CUSTOMER)), [customers.as_str()]);
    assert_eq!(ids(&scene.event_by(AGENT)), [agents.as_str()]);
    assert_eq!(ids(&scene.event_by(BOT)), [agents.as_str()]);
    let system = json!({"chat_id": CHAT, "thread_id": "T",
                        "event": {"id": "T_2", "type": "system_message", "text": "closed"}});
    let jobs = scene.push(Audience::Chat(ChatId::new(CHAT)), "incoming_event", &system);
    assert!(jobs.is_empty(), "a system message has no author type");
}

#[test]
fn only_my_chats_wants_the_owner_as_the_chat_source() {
    let mut scene = Scene::new();
    let id = scene.register("incoming_event", filters(|f| f.only_my_chats = Some(true)));
    let off = scene.register("incoming_event", filters(|f| f.only_my_chats = Some(false)));
    assert_eq!(ids(&scene.event_by(CUSTOMER)), [off.as_str()]);
    let chat = scene.state.chats.get_mut(&ChatId::new(CHAT)).unwrap();
    chat.properties.insert("source", "client_id", OTHER_APP);
    assert_eq!(ids(&scene.event_by(CUSTOMER)), [off.as_str()]);
    let chat = scene.state.chats.get_mut(&ChatId::new(CHAT)).unwrap();
    chat.properties.insert("source", "client_id", APP);
    assert_eq!(ids(&scene.event_by(CUSTOMER)), [id.as_str(), off.as_str()]);
}

#[test]
fn chat_presence_user_ids_values_and_exclude_values() {
    let mut scene = Scene::new();
    let with_agent = scene.register(
        "incoming_event",
        filters(|f| f.chat_presence = Some(user_ids(Some(&["nobody", AGENT]), None))),
    );
    scene.register(
        "incoming_event",
        filters(|f| f.chat_presence = Some(user_ids(Some(&["nobody"]), None))),
    );
    scene.register(
        "incoming_event",
        filters(|f| f.chat_presence = Some(user_ids(None, Some(&[CUSTOMER])))),
    );
    let without_bot = scene.register(
        "incoming_event",
        filters(|f| f.chat_presence = Some(user_ids(None, Some(&[BOT])))),
    );
    assert_eq!(
        ids(&scene.event_by(CUSTOMER)),
        [with_agent.as_str(), without_bot.as_str()]
    );
    scene.put_bot_in_chat(BOT);
    assert_eq!(ids(&scene.event_by(CUSTOMER)), [with_agent.as_str()]);
}

#[test]
fn chat_presence_my_bots_wants_a_bot_of_the_owner_in_the_chat() {
    let mut scene = Scene::new();
    let presence = WebhookChatPresence {
        my_bots: Some(true),
        ..WebhookChatPresence::default()
    };
    let id = scene.register(
        "incoming_event",
        filters(|f| f.chat_presence = Some(presence)),
    );
    assert!(scene.event_by(CUSTOMER).is_empty());
    scene.put_bot_in_chat(OTHER_BOT);
    assert!(scene.event_by(CUSTOMER).is_empty(), "another app's bot");
    scene.put_bot_in_chat(BOT);
    assert_eq!(ids(&scene.event_by(CUSTOMER)), [id.as_str()]);
}

#[test]
fn chat_presence_needs_a_chat() {
    let mut scene = Scene::new();
    scene.register(
        "routing_status_set",
        filters(|f| f.chat_presence = Some(user_ids(None, Some(&["nobody"])))),
    );
    assert!(scene.status_set(AGENT, "accepting_chats").is_empty());
}

#[test]
fn source_type_tells_my_client_other_clients_and_system() {
    let mut scene = Scene::new();
    let mine = scene.register(
        "incoming_event",
        filters(|f| f.source_type = Some(vec![WebhookSourceType::MyClient])),
    );
    let others = scene.register(
        "incoming_event",
        filters(|f| f.source_type = Some(vec![WebhookSourceType::OtherClients])),
    );
    let system = scene.register(
        "incoming_event",
        filters(|f| {
            f.source_type = Some(vec![WebhookSourceType::System, WebhookSourceType::MyClient]);
        }),
    );
    assert_eq!(ids(&scene.event_by(CUSTOMER)), [system.as_str()]);
    scene.state.outbox.source_client_id = Some(APP.into());
    assert_eq!(
        ids(&scene.event_by(CUSTOMER)),
        [mine.as_str(), system.as_str()]
    );
    scene.state.outbox.source_client_id = Some(OTHER_APP.into());
    assert_eq!(ids(&scene.event_by(CUSTOMER)), [others.as_str()]);
}

#[test]
fn agent_ids_takes_values_exclude_values_and_a_bare_list() {
    let mut scene = Scene::new();
    let values = scene.register(
        "routing_status_set",
        filters(|f| f.agent_ids = Some(json!({"values": [AGENT]}))),
    );
    let exclude = scene.register(
        "routing_status_set",
        filters(|f| f.agent_ids = Some(json!({"exclude_values": [AGENT]}))),
    );
    let bare = scene.register(
        "routing_status_set",
        filters(|f| f.agent_ids = Some(json!([BOT, "someone"]))),
    );
    assert_eq!(
        ids(&scene.status_set(AGENT, "accepting_chats")),
        [values.as_str()]
    );
    assert_eq!(
        ids(&scene.status_set(BOT, "accepting_chats")),
        [exclude.as_str(), bare.as_str()]
    );
}

#[test]
fn all_given_filters_must_pass() {
    let mut scene = Scene::new();
    let id = scene.register(
        "incoming_event",
        filters(|f| {
            f.author_type = Some(UserType::Customer);
            f.source_type = Some(vec![WebhookSourceType::System]);
            f.chat_presence = Some(user_ids(Some(&[AGENT]), None));
        }),
    );
    assert_eq!(ids(&scene.event_by(CUSTOMER)), [id.as_str()]);
    assert!(scene.event_by(AGENT).is_empty());
    scene.state.outbox.source_client_id = Some(APP.into());
    assert!(scene.event_by(CUSTOMER).is_empty());
}
