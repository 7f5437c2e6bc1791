//! Unit tests of selection: gating by registration type, each filter, `additional_data`
//! and the envelope, on a `State` built by hand. The sender is tested in
//! `sender_tests`.

#![allow(clippy::unwrap_used)]

use super::config::DeliveryConfig;
use super::queue::{Job, Queue};
use super::select::offer;
use crate::bots::BotRec;
use crate::outbox::Audience;
use crate::state::{AgentRec, ChatRec, ChatUserRec, CustomerRec, Principal, Settings, State};
use crate::webhook_registry::Registration;
use lc_protocol::ApiVersion;
use lc_protocol::agent::AgentPush;
use lc_protocol::configuration::{
    WebhookAdditionalData, WebhookChatPresence, WebhookFilters, WebhookSourceType, WebhookType,
    WebhookUserIds,
};
use lc_protocol::id::{AgentId, ChatId, CustomerId, UserId};
use lc_protocol::types::{
    Access, Agent, ConfigGroupPriority, Customer, Properties, RoutingStatus, UserType, Visibility,
};
use lc_protocol::webhook::Webhook;
use serde_json::{Value, json};
use tokio::sync::mpsc;

const APP: &str = "app-client-id";
const OTHER_APP: &str = "other-client-id";
const CHAT: &str = "PJ0MRSHTDG";
const AGENT: &str = "smith@example.com";
const CUSTOMER: &str = "b7eff798-f8df-4364-8059-649c35c9ed0c";
const BOT: &str = "5c9871d5372c824cbf22d860a707a578";
const OTHER_BOT: &str = "0f0e0d0c0b0a09080706050403020100";

/// A state with an agent, a customer, two bots (one of `APP`, one of `OTHER_APP`, both
/// offline) and a chat between the agent and the customer, delivering into a channel.
struct Scene {
    state: State,
    jobs: mpsc::Receiver<Job>,
}

fn agent_rec(id: &str, bot: bool) -> AgentRec {
    AgentRec {
        profile: Agent {
            id: AgentId::new(id),
            is_bot: bot.then_some(true),
            ..Agent::default()
        },
        groups: Vec::new(),
        routing_status: if bot {
            RoutingStatus::Offline
        } else {
            RoutingStatus::AcceptingChats
        },
        login: Default::default(),
    }
}

fn bot_rec(owner: &str) -> BotRec {
    BotRec {
        owner_client_id: owner.into(),
        secret: "secret".into(),
        kind: "chatbot".into(),
        max_chats_count: 6,
        default_group_priority: ConfigGroupPriority::First,
        groups: Default::default(),
        job_title: None,
        avatar: None,
        work_scheduler: None,
    }
}

fn user(principal: Principal) -> ChatUserRec {
    ChatUserRec {
        principal,
        visibility: Visibility::All,
        present: true,
        events_seen_up_to: None,
    }
}

impl Scene {
    fn new() -> Self {
        let mut state = State::new(Settings {
            organization_id: "390e44e6-f1e6-0368-c1ba-3b48b1ba6be0".into(),
            license_id: "104130623".into(),
            multiple_chats_per_customer: false,
        });
        let (queue, jobs) = Queue::new(&DeliveryConfig::default());
        state.webhook_queue = queue;
        state
            .agents
            .insert(AgentId::new(AGENT), agent_rec(AGENT, false));
        for (bot, owner) in [(BOT, APP), (OTHER_BOT, OTHER_APP)] {
            state.agents.insert(AgentId::new(bot), agent_rec(bot, true));
            state.bots.insert(AgentId::new(bot), bot_rec(owner));
        }
        state.customers.insert(
            CustomerId::new(CUSTOMER),
            CustomerRec::new(Customer {
                id: CustomerId::new(CUSTOMER),
                ..Customer::default()
            }),
        );
        state.chats.insert(
            ChatId::new(CHAT),
            ChatRec {
                id: ChatId::new(CHAT),
                users: vec![
                    user(Principal::Customer(CustomerId::new(CUSTOMER))),
                    user(Principal::Agent(AgentId::new(AGENT))),
                ],
                threads: Vec::new(),
                properties: Properties::new(),
                access: Access::default(),
                followers: Default::default(),
                unfollowers: Default::default(),
                seq: 0,
            },
        );
        Self { state, jobs }
    }

    /// Registers a webhook of `APP` for `action`, returning its id.
    fn register(&mut self, action: &str, edit: impl FnOnce(&mut Registration)) -> String {
        let id = format!("wh{}", self.state.webhooks.registrations.len() + 1);
        let mut registration = Registration {
            id: id.clone(),
            action: action.into(),
            secret_key: "s3cret".into(),
            url: "http://127.0.0.1:9/hook".into(),
            owner_client_id: APP.into(),
            kind: WebhookType::License,
            description: None,
            filters: WebhookFilters::default(),
            additional_data: Vec::new(),
            version: ApiVersion::V3_6,
        };
        edit(&mut registration);
        self.state
            .webhooks
            .registrations
            .insert(id.clone(), registration);
        id
    }

    fn set_status(&mut self, agent: &str, status: RoutingStatus) {
        self.state
            .agents
            .get_mut(&AgentId::new(agent))
            .unwrap()
            .routing_status = status;
    }

    fn put_bot_in_chat(&mut self, bot: &str) {
        let chat = self.state.chats.get_mut(&ChatId::new(CHAT)).unwrap();
        chat.users.push(user(Principal::Agent(AgentId::new(bot))));
    }

    /// Queues `incoming_event` by `author` in the chat, offers the pushes, and returns
    /// the deliveries queued.
    fn event_by(&mut self, author: &str) -> Vec<Job> {
        let payload = json!({
            "chat_id": CHAT, "thread_id": "K600PKZON8",
            "event": {"id": "K600PKZON8_1", "type": "message", "text": "Hello",
                      "author_id": author, "created_at": "2026-12-03T10:00:00.000000Z",
                      "visibility": "all"},
        });
        self.push(
            Audience::Chat(ChatId::new(CHAT)),
            "incoming_event",
            &payload,
        )
    }

    /// Queues an agent push, offers every queued push, returns the deliveries queued.
    fn push(&mut self, audience: Audience, name: &'static str, payload: &Value) -> Vec<Job> {
        self.state.outbox.agents(audience, name, payload);
        for push in self.state.outbox.take() {
            offer(&self.state, &push);
        }
        let mut jobs = Vec::new();
        while let Ok(job) = self.jobs.try_recv() {
            jobs.push(job);
        }
        jobs
    }

    fn status_set(&mut self, agent: &str, status: &str) -> Vec<Job> {
        let payload = json!({"agent_id": agent, "status": status});
        self.push(Audience::AllAgents, "routing_status_set", &payload)
    }
}

fn ids(jobs: &[Job]) -> Vec<&str> {
    jobs.iter().map(|j| j.webhook_id.as_str()).collect()
}

fn filters(edit: impl FnOnce(&mut WebhookFilters)) -> impl FnOnce(&mut Registration) {
    move |r: &mut Registration| edit(&mut r.filters)
}

#[test]
fn a_registration_of_the_action_fires_with_the_envelope() {
    let mut scene = Scene::new();
    let id = scene.register("incoming_event", |_| {});
    scene.register("chat_deactivated", |_| {});
    let jobs = scene.event_by(CUSTOMER);
    assert_eq!(ids(&jobs), [id.as_str()]);
    let job = &jobs[0];
    assert_eq!(job.url, "http://127.0.0.1:9/hook");
    assert_eq!(job.action, "incoming_event");
    let body = &job.body;
    assert_eq!(body["webhook_id"], id);
    assert_eq!(body["secret_key"], "s3cret");
    assert_eq!(body["action"], "incoming_event");
    assert_eq!(
        body["organization_id"],
        "390e44e6-f1e6-0368-c1ba-3b48b1ba6be0"
    );
    assert_eq!(body["payload"]["event"]["text"], "Hello");
    assert_eq!(body["additional_data"], json!({}));
    assert!(body.get("requester").is_none(), "{body}");
    let typed = Webhook::from_json(body.to_string().as_bytes()).unwrap();
    assert!(
        matches!(typed.payload, AgentPush::IncomingEvent(_)),
        "{typed:?}"
    );
    assert!(typed.payload_error.is_none());
    assert!(typed.secret_matches("s3cret"));
}

#[test]
fn nothing_is_decoded_or_queued_without_a_registration_for_the_action() {
    let mut scene = Scene::new();
    scene.register("event_updated", |_| {});
    assert!(scene.event_by(CUSTOMER).is_empty());
    assert!(scene.state.webhook_queue.log.snapshot().is_empty());
}

#[test]
fn pushes_for_one_connection_and_per_agent_incoming_chat_copies_are_no_webhooks() {
    let mut scene = Scene::new();
    scene.register("incoming_chat", |_| {});
    scene.register("incoming_event", |_| {});
    let chat = json!({"chat": {"id": CHAT, "users": [], "thread": null}});
    let event = json!({"chat_id": CHAT, "thread_id": "T", "event": {}});
    let copy = Audience::Agents(vec![AgentId::new(AGENT)]);
    assert!(scene.push(copy, "incoming_chat", &chat).is_empty());
    assert!(
        scene
            .push(Audience::Conn(1), "incoming_event", &event)
            .is_empty()
    );
    let started = scene.push(Audience::Chat(ChatId::new(CHAT)), "incoming_chat", &chat);
    assert_eq!(started.len(), 1);
}

#[test]
fn bot_webhooks_fire_only_while_a_bot_of_the_owner_is_not_offline() {
    let mut scene = Scene::new();
    let id = scene.register("incoming_event", |r| r.kind = WebhookType::Bot);
    assert!(scene.event_by(CUSTOMER).is_empty(), "owner's bot offline");
    scene.set_status(OTHER_BOT, RoutingStatus::AcceptingChats);
    assert!(scene.event_by(CUSTOMER).is_empty(), "another app's bot");
    scene.set_status(BOT, RoutingStatus::NotAcceptingChats);
    assert_eq!(ids(&scene.event_by(CUSTOMER)), [id.as_str()]);
    scene.set_status(BOT, RoutingStatus::AcceptingChats);
    assert_eq!(ids(&scene.event_by(CUSTOMER)), [id.as_str()]);
    scene.set_status(BOT, RoutingStatus::Offline);
    assert!(scene.event_by(CUSTOMER).is_empty());
}

#[test]
fn license_webhooks_stop_while_the_owner_disabled_them() {
    let mut scene = Scene::new();
    let id = scene.register("incoming_event", |_| {});
    scene
        .state
        .webhooks
        .license_disabled
        .insert(OTHER_APP.into());
    assert_eq!(ids(&scene.event_by(CUSTOMER)), [id.as_str()]);
    scene.state.webhooks.license_disabled.insert(APP.into());
    assert!(scene.event_by(CUSTOMER).is_empty());
    scene.state.webhooks.license_disabled.remove(APP);
    assert_eq!(ids(&scene.event_by(CUSTOMER)), [id.as_str()]);
}

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

fn user_ids(values: Option<&[&str]>, exclude: Option<&[&str]>) -> WebhookChatPresence {
    let list = |ids: &[&str]| ids.iter().map(|id| UserId::new(*id)).collect();
    WebhookChatPresence {
        user_ids: Some(WebhookUserIds {
            values: values.map(list),
            exclude_values: exclude.map(list),
            extra: Default::default(),
        }),
        ..WebhookChatPresence::default()
    }
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

#[test]
fn additional_data_only_when_registered_and_the_action_has_a_chat() {
    let mut scene = Scene::new();
    let both = vec![
        WebhookAdditionalData::ChatProperties,
        WebhookAdditionalData::ChatPresenceUserIds,
    ];
    scene.register("incoming_event", |r| r.additional_data.clone_from(&both));
    scene.register("routing_status_set", |r| r.additional_data = both);
    let chat = scene.state.chats.get_mut(&ChatId::new(CHAT)).unwrap();
    chat.properties.insert("source", "client_id", APP);
    let event = scene.event_by(CUSTOMER);
    let data = &event[0].body["additional_data"];
    assert_eq!(
        data["chat_properties"],
        json!({"source": {"client_id": APP}})
    );
    assert_eq!(data["chat_presence_user_ids"], json!([CUSTOMER, AGENT]));
    let typed = Webhook::from_json(event[0].body.to_string().as_bytes()).unwrap();
    assert_eq!(
        typed.additional_data.chat_presence_user_ids,
        Some(vec![CUSTOMER.to_owned(), AGENT.to_owned()])
    );
    let status = scene.status_set(AGENT, "accepting_chats");
    assert_eq!(status[0].body["additional_data"], json!({}));
}

#[test]
fn routing_status_set_is_spelled_with_spaces_unless_told_otherwise() {
    let mut scene = Scene::new();
    scene.register("routing_status_set", |_| {});
    let jobs = scene.status_set(AGENT, "not_accepting_chats");
    assert_eq!(jobs[0].body["payload"]["status"], "not accepting chats");
    let typed = Webhook::from_json(jobs[0].body.to_string().as_bytes()).unwrap();
    assert!(
        matches!(typed.payload, AgentPush::RoutingStatusSet(_)),
        "{typed:?}"
    );
    scene.state.webhook_queue.status_with_spaces = false;
    let jobs = scene.status_set(AGENT, "accepting_chats");
    assert_eq!(jobs[0].body["payload"]["status"], "accepting_chats");
}

#[test]
fn configuration_webhooks_of_3_6_carry_the_requester() {
    let mut scene = Scene::new();
    scene.register("agent_updated", |_| {});
    scene.register("agent_updated", |r| r.version = ApiVersion::V3_5);
    scene.state.outbox.source_client_id = Some(APP.into());
    let payload = json!({"id": AGENT, "name": "Agent Smith"});
    let jobs = scene.push(Audience::AllAgents, "agent_updated", &payload);
    assert_eq!(jobs[0].body["requester"], json!({"client_id": APP}));
    assert!(jobs[1].body.get("requester").is_none(), "3.5 has none");
    assert_eq!(jobs[0].body["additional_data"], json!({}));
}
