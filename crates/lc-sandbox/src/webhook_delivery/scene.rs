//! The hand-built `State` the selection tests run on ([`Scene`]): an agent, a customer,
//! two bots of two applications and a chat, delivering into a channel.

#![allow(clippy::unwrap_used)]

use super::config::DeliveryConfig;
use super::queue::{Job, Queue};
use super::select::offer;
use crate::bots::BotRec;
use crate::outbox::Audience;
use crate::state::{AgentRec, ChatRec, ChatUserRec, CustomerRec, Principal, Settings, State};
use crate::webhook_registry::Registration;
use lc_protocol::ApiVersion;
use lc_protocol::configuration::{
    WebhookChatPresence, WebhookFilters, WebhookType, WebhookUserIds,
};
use lc_protocol::id::{AgentId, ChatId, CustomerId, UserId};
use lc_protocol::types::{
    Access, Agent, ConfigGroupPriority, Customer, Properties, RoutingStatus, Visibility,
};
use serde_json::{Value, json};
use tokio::sync::mpsc;

pub(super) const APP: &str = "app-client-id";
pub(super) const OTHER_APP: &str = "other-client-id";
pub(super) const CHAT: &str = "PJ0MRSHTDG";
pub(super) const AGENT: &str = "smith@example.com";
pub(super) const CUSTOMER: &str = "b7eff798-f8df-4364-8059-649c35c9ed0c";
pub(super) const BOT: &str = "5c9871d5372c824cbf22d860a707a578";
pub(super) const OTHER_BOT: &str = "0f0e0d0c0b0a09080706050403020100";

/// A state with an agent, a customer, two bots (one of `APP`, one of `OTHER_APP`, both
/// offline) and a chat between the agent and the customer, delivering into a channel.
pub(super) struct Scene {
    pub(super) state: State,
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
        creator_client_id: Some(owner.into()),
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
    pub(super) fn new() -> Self {
        let mut state = State::new(Settings {
            organization_id: "390e44e6-f1e6-0368-c1ba-3b48b1ba6be0".into(),
            license_id: "104130623".into(),
            multiple_chats_per_customer: false,
            bot_token_lifetime: crate::bots::DEFAULT_TOKEN_LIFETIME,
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
    pub(super) fn register(
        &mut self,
        action: &str,
        edit: impl FnOnce(&mut Registration),
    ) -> String {
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

    pub(super) fn set_status(&mut self, agent: &str, status: RoutingStatus) {
        self.state
            .agents
            .get_mut(&AgentId::new(agent))
            .unwrap()
            .routing_status = status;
    }

    pub(super) fn put_bot_in_chat(&mut self, bot: &str) {
        let chat = self.state.chats.get_mut(&ChatId::new(CHAT)).unwrap();
        chat.users.push(user(Principal::Agent(AgentId::new(bot))));
    }

    /// Queues `incoming_event` by `author` in the chat, offers the pushes, and returns
    /// the deliveries queued.
    pub(super) fn event_by(&mut self, author: &str) -> Vec<Job> {
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
    pub(super) fn push(
        &mut self,
        audience: Audience,
        name: &'static str,
        payload: &Value,
    ) -> Vec<Job> {
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

    pub(super) fn status_set(&mut self, agent: &str, status: &str) -> Vec<Job> {
        let payload = json!({"agent_id": agent, "status": status});
        self.push(Audience::AllAgents, "routing_status_set", &payload)
    }
}

pub(super) fn ids(jobs: &[Job]) -> Vec<&str> {
    jobs.iter().map(|j| j.webhook_id.as_str()).collect()
}

pub(super) fn filters(edit: impl FnOnce(&mut WebhookFilters)) -> impl FnOnce(&mut Registration) {
    move |r: &mut Registration| edit(&mut r.filters)
}

pub(super) fn user_ids(values: Option<&[&str]>, exclude: Option<&[&str]>) -> WebhookChatPresence {
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
