//! The sandbox's world, in memory: organization, users, chats, connections.

use crate::accounts_store::AccountsStore;
use crate::chats::{Chats, CountedChat};
use crate::clock::{Clock, IdGen};
use crate::files::Files;
use crate::outbox::{Audience, Outbox};
pub(crate) use crate::principal::{AuthKind, ConnId, Principal};
use lc_protocol::id::{AgentId, ChatId, CustomerId, EventId, GroupId, ThreadId};
use lc_protocol::types::{
    Access, Agent, Customer, CustomerMonitoringLevel, Event, Permission, Properties, RoutingStatus,
    Visibility,
};
use lc_protocol::{Api, ApiVersion};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Instant;

pub(crate) use crate::out_queue::Outgoing;

/// A WebSocket connection, as the state knows it.
#[derive(Debug)]
pub(crate) struct ConnRec {
    pub(crate) api: Api,
    pub(crate) version: ApiVersion,
    /// Who logged in on it: set only with [`State::set_principal`], which keeps
    /// [`State::user_conns`] in step.
    pub(crate) principal: Option<Principal>,
    /// version → push names (`None`: all pushes of the connection's version).
    pub(crate) pushes: Option<BTreeMap<String, Vec<String>>>,
    pub(crate) away: bool,
    /// Agent connections: the login token and customer subscriptions.
    pub(crate) session: ConnSession,
    pub(crate) tx: crate::out_queue::OutQueue,
    /// Cuts the connection at once (fault injection).
    pub(crate) cutoff: std::sync::Arc<crate::cutoff::Cutoff>,
    /// Whether a chaos plan was drawn for it (at its first successful login).
    pub(crate) chaos_armed: bool,
}

/// What an agent connection remembers besides its identity.
#[derive(Debug, Clone, Default)]
pub(crate) struct ConnSession {
    /// The token it logged in with, as sent (replaced by `update_session`); customer
    /// connections keep theirs too.
    pub(crate) token: Option<String>,
    /// Its `subscribe_customers` subscriptions: id → the groups tracked (`None`: all).
    pub(crate) customer_subscriptions: BTreeMap<String, Option<Vec<GroupId>>>,
    /// The `limit` of each of those subscriptions: past it, the periodic
    /// `subscribed_customers_totals_updated` tells how many customers match.
    pub(crate) subscription_limits: BTreeMap<String, usize>,
}

impl ConnRec {
    pub(crate) fn send(&self, frame: String) {
        self.tx.send(Outgoing::Text(frame));
    }
}

#[derive(Debug, Clone)]
pub(crate) struct AgentRec {
    pub(crate) profile: Agent,
    pub(crate) groups: Vec<GroupId>,
    pub(crate) routing_status: RoutingStatus,
    /// What its logins remember across connections.
    pub(crate) login: AgentLogin,
}

/// What an agent's logins remember across its connections: the server-side record of
/// a logged-in agent (not to be confused with `lc_rtm::AgentSession`, the client's
/// connection settings).
#[derive(Debug, Clone, Default)]
pub(crate) struct AgentLogin {
    /// The routing status it had when its last connection closed (a `login` with
    /// `reconnect: true` restores it).
    pub(crate) last_status: Option<RoutingStatus>,
    /// Whether the auto-away rule (every connection away) made it `not_accepting_chats`.
    pub(crate) auto_away: bool,
    /// The customer monitoring level of its last login (`my` until one is chosen).
    pub(crate) monitoring_level: Option<CustomerMonitoringLevel>,
    /// Push notification settings (login `push_notifications`, `change_push_notifications`).
    pub(crate) push_notifications: Option<serde_json::Value>,
    /// The customers it follows (`follow_customer`, 3.3).
    pub(crate) followed_customers: BTreeSet<CustomerId>,
}

#[derive(Debug, Clone)]
pub(crate) struct CustomerRec {
    pub(crate) profile: Customer,
    pub(crate) banned_until: Option<Instant>,
    pub(crate) group_id: Option<GroupId>,
    pub(crate) side_storage: BTreeMap<String, String>,
    /// What the customer's logins and page updates said (Customer API).
    pub(crate) login: CustomerLogin,
}

impl CustomerRec {
    /// A customer with `profile`, in no group, never banned.
    pub(crate) fn new(profile: Customer) -> Self {
        Self {
            profile,
            banned_until: None,
            group_id: None,
            side_storage: BTreeMap::new(),
            login: CustomerLogin::default(),
        }
    }
}

/// What a customer's logins and page updates told the sandbox, and its greetings: the
/// server-side record of a logged-in customer (not to be confused with
/// `lc_rtm::CustomerSession`, the client's connection settings).
#[derive(Debug, Clone, Default)]
pub(crate) struct CustomerLogin {
    /// Login `is_mobile`.
    pub(crate) is_mobile: Option<bool>,
    /// Login `application`.
    pub(crate) application: Option<lc_protocol::customer::LoginApplication>,
    /// Whether its page is active (`activate_customer_page` / `deactivate_customer_page`).
    pub(crate) page_active: bool,
    /// The greetings shown to it, oldest first.
    pub(crate) greetings: Vec<GreetingRec>,
}

/// A greeting shown to a customer and what became of it.
#[derive(Debug, Clone)]
pub(crate) struct GreetingRec {
    pub(crate) greeting: lc_protocol::types::Greeting,
    pub(crate) status: GreetingStatus,
}

/// Where a greeting stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GreetingStatus {
    /// Shown, neither accepted nor canceled.
    Displayed,
    Accepted,
    /// Canceled by the customer or replaced by a newer greeting.
    Canceled,
}

#[derive(Debug, Clone)]
pub(crate) struct GroupRec {
    pub(crate) name: String,
    pub(crate) properties: Properties,
}

/// A user of a chat and how it sees the chat.
#[derive(Debug, Clone)]
pub(crate) struct ChatUserRec {
    pub(crate) principal: Principal,
    pub(crate) visibility: Visibility,
    pub(crate) present: bool,
    pub(crate) events_seen_up_to: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct ThreadRec {
    pub(crate) id: ThreadId,
    pub(crate) active: bool,
    pub(crate) events: Vec<Event>,
    pub(crate) properties: Properties,
    pub(crate) tags: Vec<String>,
    pub(crate) created_at: String,
    pub(crate) access: Access,
    pub(crate) next_event: u64,
    /// The summary set by `request_thread_summary` (3.6).
    pub(crate) summary: Option<lc_protocol::types::Summary>,
    /// Where the thread stands in the queue while it waits for an agent.
    pub(crate) queue: Option<QueueRec>,
}

/// A queued thread's place (see [`crate::queue`]).
#[derive(Debug, Clone)]
pub(crate) struct QueueRec {
    /// When it entered the queue (RFC 3339).
    pub(crate) queued_at: String,
    /// Its rank among all queued threads ever (the queue's order).
    pub(crate) order: u64,
    /// Its position (1 = next).
    pub(crate) position: u32,
    /// The position last pushed (0: none yet).
    pub(crate) pushed: u32,
}

/// The queued chats, in queue order, and whether positions may have moved.
#[derive(Debug, Default)]
pub(crate) struct Queueing {
    /// Queue order → chat (entries of chats that left are dropped at the next delivery).
    pub(crate) queued: BTreeMap<u64, ChatId>,
    /// The last order handed out.
    pub(crate) seq: u64,
}

impl ThreadRec {
    pub(crate) fn next_event_id(&mut self) -> EventId {
        self.next_event += 1;
        EventId::new(format!("{}_{}", self.id, self.next_event))
    }
}

#[derive(Debug, Clone)]
pub(crate) struct ChatRec {
    pub(crate) id: ChatId,
    pub(crate) users: Vec<ChatUserRec>,
    pub(crate) threads: Vec<ThreadRec>,
    pub(crate) properties: Properties,
    pub(crate) access: Access,
    pub(crate) followers: BTreeSet<AgentId>,
    /// Agents that unfollowed: until the chat is reactivated they still get its key
    /// changes ([`KEY_PUSHES`](crate::push::KEY_PUSHES)).
    pub(crate) unfollowers: BTreeSet<AgentId>,
    pub(crate) seq: u64,
}

impl ChatRec {
    pub(crate) fn active_thread(&self) -> Option<&ThreadRec> {
        self.threads.last().filter(|t| t.active)
    }

    pub(crate) fn active_thread_mut(&mut self) -> Option<&mut ThreadRec> {
        self.threads.last_mut().filter(|t| t.active)
    }

    pub(crate) fn is_active(&self) -> bool {
        self.active_thread().is_some()
    }

    pub(crate) fn customer(&self) -> Option<&CustomerId> {
        self.users.iter().find_map(|u| match &u.principal {
            Principal::Customer(id) => Some(id),
            Principal::Agent(_) => None,
        })
    }

    pub(crate) fn user(&self, who: &Principal) -> Option<&ChatUserRec> {
        self.users.iter().find(|u| &u.principal == who)
    }

    pub(crate) fn user_mut(&mut self, who: &Principal) -> Option<&mut ChatUserRec> {
        self.users.iter_mut().find(|u| &u.principal == who)
    }

    pub(crate) fn thread(&self, id: &ThreadId) -> Option<&ThreadRec> {
        self.threads.iter().find(|t| &t.id == id)
    }

    pub(crate) fn thread_mut(&mut self, id: &ThreadId) -> Option<&mut ThreadRec> {
        self.threads.iter_mut().find(|t| &t.id == id)
    }
}

impl CountedChat for ChatRec {
    fn counted_agents(&self) -> impl Iterator<Item = &AgentId> {
        let counts = self.is_active() && self.customer().is_some();
        let users = &self.users;
        users
            .iter()
            .enumerate()
            .filter(move |_| counts)
            .filter_map(move |(i, u)| match &u.principal {
                Principal::Agent(id) if !users[..i].iter().any(|e| e.principal == u.principal) => {
                    Some(id)
                }
                _ => None,
            })
    }
}

/// The group statuses last pushed (`groups_status_updated`), and whether they may have
/// changed since.
#[derive(Debug, Default)]
pub(crate) struct GroupStatuses {
    /// The status last pushed per group (a group missing here was `offline`: nobody was
    /// logged in when the sandbox started).
    pub(crate) last: BTreeMap<GroupId, lc_protocol::types::GroupStatus>,
    /// Set when a routing status changed (a login, a logout, a status request, the
    /// auto-away rule): the statuses are compared when the pushes are delivered.
    pub(crate) dirty: bool,
}

/// Settings of a sandbox.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) organization_id: String,
    pub(crate) license_id: String,
    /// Whether a customer may have several chats (the real default is one).
    pub(crate) multiple_chats_per_customer: bool,
    /// How long bot tokens (`issue_bot_token`) live.
    pub(crate) bot_token_lifetime: std::time::Duration,
}

/// Everything, behind one lock.
#[derive(Debug)]
pub(crate) struct State {
    pub(crate) settings: Settings,
    pub(crate) clock: Clock,
    pub(crate) ids: IdGen,
    pub(crate) agents: BTreeMap<AgentId, AgentRec>,
    pub(crate) customers: BTreeMap<CustomerId, CustomerRec>,
    pub(crate) groups: BTreeMap<GroupId, GroupRec>,
    pub(crate) tokens: HashMap<String, Principal>,
    pub(crate) pats: HashMap<(String, String), AgentId>,
    pub(crate) chats: Chats<ChatRec>,
    pub(crate) chat_seq: u64,
    pub(crate) conns: BTreeMap<ConnId, ConnRec>,
    /// The logged-in connections by user id (agents' and customers'), in id order: the
    /// index behind [`Self::conns_of_user`], [`Self::agent_online`] and the push
    /// audiences. Kept by [`Self::set_principal`] and [`Self::on_connection_closed`].
    user_conns: HashMap<String, Vec<ConnId>>,
    pub(crate) next_conn: ConnId,
    pub(crate) files: Files,
    pub(crate) cursors: crate::cursors::Cursors,
    pub(crate) license_properties: Properties,
    /// The forms enabled per group (`get_form`, `get_configuration`): (group, form type).
    pub(crate) enabled_forms: BTreeSet<(GroupId, String)>,
    pub(crate) outbox: Outbox,
    /// The emulated accounts service (OAuth apps, refresh tokens, token expiry).
    pub(crate) accounts: AccountsStore,
    /// The bots' Configuration API records (each bot is in `agents` too).
    pub(crate) bots: BTreeMap<AgentId, crate::bots::BotRec>,
    /// Webhook registrations.
    pub(crate) webhooks: crate::webhook_registry::WebhookRegistry,
    /// Bot tokens (`issue_bot_token`) → what they stand for.
    pub(crate) bot_tokens: HashMap<String, crate::bots::BotToken>,
    /// Where webhook deliveries go (to the sender task), with the delivery log.
    pub(crate) webhook_queue: crate::webhook_delivery::queue::Queue,
    /// The group statuses last pushed.
    pub(crate) group_statuses: GroupStatuses,
    /// The chat queue.
    pub(crate) queue: Queueing,
}

impl State {
    pub(crate) fn new(settings: Settings) -> Self {
        let mut groups = BTreeMap::new();
        groups.insert(
            GroupId(0),
            GroupRec {
                name: "General".into(),
                properties: Properties::new(),
            },
        );
        Self {
            settings,
            clock: Clock::new(),
            ids: IdGen::default(),
            agents: BTreeMap::new(),
            customers: BTreeMap::new(),
            groups,
            tokens: HashMap::new(),
            pats: HashMap::new(),
            chats: Chats::default(),
            chat_seq: 0,
            conns: BTreeMap::new(),
            user_conns: HashMap::new(),
            next_conn: 0,
            files: Files::default(),
            cursors: Default::default(),
            license_properties: Properties::new(),
            enabled_forms: BTreeSet::new(),
            outbox: Outbox::default(),
            accounts: AccountsStore::default(),
            bots: BTreeMap::new(),
            webhooks: Default::default(),
            bot_tokens: HashMap::new(),
            webhook_queue: Default::default(),
            group_statuses: GroupStatuses::default(),
            queue: Queueing::default(),
        }
    }

    /// Mints a bearer token for `principal` (region prefix `dal:` as the real service).
    pub(crate) fn mint_token(&mut self, principal: Principal) -> String {
        let token = format!("dal:{}", uuid::Uuid::new_v4().simple());
        self.tokens.insert(token.clone(), principal);
        token
    }

    /// Whether `agent` has a logged-in connection.
    pub(crate) fn agent_online(&self, agent: &AgentId) -> bool {
        self.conns_of(agent.as_str(), Api::Agent).next().is_some()
    }

    /// The logged-in connections of the agent or customer with id `user`, in id order.
    pub(crate) fn conns_of_user(&self, user: &str) -> Vec<ConnId> {
        self.user_conns(user).to_vec()
    }

    /// Like [`Self::conns_of_user`], borrowed from the index.
    pub(crate) fn user_conns(&self, user: &str) -> &[ConnId] {
        self.user_conns.get(user).map_or(&[], Vec::as_slice)
    }

    /// Whether the customer has a logged-in connection.
    pub(crate) fn customer_online(&self, customer: &CustomerId) -> bool {
        self.conns_of(customer.as_str(), Api::Customer)
            .next()
            .is_some()
    }

    /// The logged-in connections of the user `id` of `kind` (agent or customer), in id
    /// order, found in the index.
    pub(crate) fn conns_of<'s>(
        &'s self,
        id: &str,
        kind: Api,
    ) -> impl Iterator<Item = (ConnId, &'s ConnRec)> + 's {
        self.user_conns
            .get(id)
            .into_iter()
            .flatten()
            .filter_map(move |conn| {
                let rec = self.conns.get(conn)?;
                let api = rec.principal.as_ref()?.api();
                (api == kind).then_some((*conn, rec))
            })
    }

    /// Records that `principal` logged in on `conn` (replacing whoever did before), in
    /// the connection and in the index by user id.
    pub(crate) fn set_principal(&mut self, conn: ConnId, principal: Principal) {
        let Some(rec) = self.conns.get_mut(&conn) else {
            return;
        };
        let old = rec.principal.replace(principal);
        if let Some(old) = old {
            unindex_conn(&mut self.user_conns, &old, conn);
        }
        if let Some(new) = &rec.principal {
            let conns = self
                .user_conns
                .entry(new.user_id_str().to_owned())
                .or_default();
            if let Err(at) = conns.binary_search(&conn) {
                conns.insert(at, conn);
            }
        }
    }

    /// Checks the indexes ([`Self::user_conns`] and [`Chats`]'s) against a rebuild from
    /// scratch; the mismatch, if any. Tests call it after every change they make.
    pub(crate) fn index_mismatch(&self) -> Option<String> {
        let mut rebuilt: HashMap<String, Vec<ConnId>> = HashMap::new();
        for (id, conn) in &self.conns {
            if let Some(principal) = &conn.principal {
                rebuilt
                    .entry(principal.user_id_str().to_owned())
                    .or_default()
                    .push(*id);
            }
        }
        if rebuilt != self.user_conns {
            return Some(format!(
                "connections by user: indexed {:?}, rebuilt {rebuilt:?}",
                self.user_conns
            ));
        }
        self.chats.index_mismatch()
    }

    /// Whether `agent` can access a chat with `access` (group 0 is everyone's).
    pub(crate) fn agent_has_access(&self, agent: &AgentId, access: &Access) -> bool {
        let Some(rec) = self.agents.get(agent) else {
            return false;
        };
        if matches!(
            rec.profile.permission,
            Some(Permission::Owner | Permission::Administrator | Permission::Viceowner)
        ) {
            return true;
        }
        access
            .group_ids
            .iter()
            .any(|g| g.0 == 0 || rec.groups.contains(g))
            || access
                .agent_ids
                .as_ref()
                .is_some_and(|ids| ids.contains(agent))
    }

    /// Whether `who` may see the chat at all.
    pub(crate) fn can_see_chat(&self, who: &Principal, chat: &ChatRec) -> bool {
        match who {
            Principal::Customer(id) => chat.customer() == Some(id),
            Principal::Agent(id) => {
                chat.user(who).is_some()
                    || chat.followers.contains(id)
                    || self.agent_has_access(id, &chat.access)
            }
        }
    }
}

/// Routing statuses, auto-away and the end of connections.
impl State {
    /// Whether `agent` is a bot: its status never follows connections (it has none).
    pub(crate) fn is_bot(&self, agent: &AgentId) -> bool {
        self.bots.contains_key(agent)
            || self
                .agents
                .get(agent)
                .is_some_and(|a| a.profile.is_bot.unwrap_or(false))
    }

    /// The logged-in connections of `agent`.
    pub(crate) fn agent_conns(&self, agent: &AgentId) -> Vec<ConnId> {
        self.conns_of(agent.as_str(), Api::Agent)
            .map(|(id, _)| id)
            .collect()
    }

    /// Whether every connection of `agent` is away (false when it has none).
    pub(crate) fn all_away(&self, agent: &AgentId) -> bool {
        let mut conns = self.conns_of(agent.as_str(), Api::Agent).peekable();
        conns.peek().is_some() && conns.all(|(_, c)| c.away)
    }

    /// Sets the routing status of `agent` and queues `routing_status_set` for every agent.
    pub(crate) fn set_routing_status(&mut self, agent: &AgentId, status: RoutingStatus) {
        let Some(rec) = self.agents.get_mut(agent) else {
            return;
        };
        rec.routing_status = status.clone();
        self.group_statuses.dirty = true;
        let payload = serde_json::json!({ "agent_id": agent, "status": status });
        self.outbox
            .agents(Audience::AllAgents, "routing_status_set", &payload);
    }

    /// The auto-away rule ([I], §4.7): an agent accepting chats whose logged-in
    /// connections are all away becomes `not_accepting_chats`; once one of them is back,
    /// an agent that this rule (not a request) made `not_accepting_chats` accepts chats
    /// again. Any other status is left alone, and bots are never touched. Returns whether
    /// the agent became `accepting_chats` (waiting chats may then be routed to it).
    pub(crate) fn apply_away_rule(&mut self, agent: &AgentId) -> bool {
        if self.is_bot(agent) {
            return false;
        }
        if !self.agent_online(agent) {
            return false;
        }
        let all_away = self.all_away(agent);
        let Some(rec) = self.agents.get_mut(agent) else {
            return false;
        };
        let status = match (all_away, &rec.routing_status, rec.login.auto_away) {
            (true, RoutingStatus::AcceptingChats, _) => RoutingStatus::NotAcceptingChats,
            (false, RoutingStatus::NotAcceptingChats, true) => RoutingStatus::AcceptingChats,
            _ => {
                rec.login.auto_away &= all_away;
                return false;
            }
        };
        rec.login.auto_away = all_away;
        let back = status == RoutingStatus::AcceptingChats;
        self.set_routing_status(agent, status);
        back
    }

    /// `agent` has no connection left (or logged out): it becomes `offline`, pushed when
    /// that is a change, and its status is remembered for a `reconnect` login (the status
    /// it chose, when auto-away had changed it). Bots are left alone.
    pub(crate) fn agent_offline(&mut self, agent: &AgentId) {
        if self.is_bot(agent) {
            return;
        }
        let Some(rec) = self.agents.get_mut(agent) else {
            return;
        };
        if rec.routing_status == RoutingStatus::Offline {
            return;
        }
        rec.login.last_status = Some(if rec.login.auto_away {
            RoutingStatus::AcceptingChats
        } else {
            rec.routing_status.clone()
        });
        rec.login.auto_away = false;
        rec.profile.present = Some(false);
        self.set_routing_status(agent, RoutingStatus::Offline);
    }

    /// Forgets a closed connection. When it was an agent's last one the agent goes
    /// offline ([`Self::agent_offline`]); otherwise the auto-away rule is applied to the
    /// connections left. Queues the pushes this causes: deliver them afterwards.
    pub(crate) fn on_connection_closed(&mut self, conn: ConnId) -> Option<ConnRec> {
        let rec = self.conns.remove(&conn)?;
        if let Some(principal) = &rec.principal {
            unindex_conn(&mut self.user_conns, principal, conn);
        }
        if let Some(Principal::Agent(agent)) = &rec.principal {
            if self.agent_online(agent) {
                self.apply_away_rule(agent);
            } else {
                self.agent_offline(agent);
            }
        }
        Some(rec)
    }
}

/// Removes `conn` from `principal`'s entry of the index by user id (and the entry once
/// empty).
fn unindex_conn(index: &mut HashMap<String, Vec<ConnId>>, principal: &Principal, conn: ConnId) {
    let id = principal.user_id_str();
    if let Some(conns) = index.get_mut(id) {
        conns.retain(|c| *c != conn);
        if conns.is_empty() {
            index.remove(id);
        }
    }
}

/// Sends the disconnect push with `reason` to connection `conn`, then closes it.
pub(crate) fn close_conn(state: &State, conn: ConnId, reason: &str) {
    let Some(c) = state.conns.get(&conn) else {
        return;
    };
    let name = match c.api {
        Api::Agent => "agent_disconnected",
        _ => "customer_disconnected",
    };
    let payload = serde_json::json!({ "reason": reason });
    if let Ok(raw) = serde_json::value::to_raw_value(&payload) {
        c.send(lc_protocol::wire::livechat::encode_push(
            c.version, None, name, &raw,
        ));
    }
    c.tx.send(Outgoing::Close);
}
