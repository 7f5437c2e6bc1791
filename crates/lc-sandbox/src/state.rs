//! The sandbox's world, in memory: organization, users, chats, connections.

use crate::clock::{Clock, IdGen};
use crate::push::Outbox;
use lc_protocol::id::{AgentId, ChatId, CustomerId, EventId, GroupId, ThreadId, UserId};
use lc_protocol::types::{
    Access, Agent, Customer, Event, Permission, Properties, RoutingStatus, Visibility,
};
use lc_protocol::{Api, ApiVersion};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Instant;
use tokio::sync::mpsc;

/// Who sent a request.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Principal {
    Agent(AgentId),
    Customer(CustomerId),
}

impl Principal {
    pub(crate) fn user_id(&self) -> UserId {
        match self {
            Principal::Agent(id) => UserId::new(id.as_str()),
            Principal::Customer(id) => UserId::new(id.as_str()),
        }
    }

    pub(crate) fn api(&self) -> Api {
        match self {
            Principal::Agent(_) => Api::Agent,
            Principal::Customer(_) => Api::Customer,
        }
    }
}

/// One connection's identity.
pub(crate) type ConnId = u64;

/// A frame queued for a connection, or the order to close it.
#[derive(Debug)]
pub(crate) enum Outgoing {
    Text(String),
    Close,
}

/// A WebSocket connection, as the state knows it.
#[derive(Debug)]
pub(crate) struct ConnRec {
    pub(crate) api: Api,
    pub(crate) version: ApiVersion,
    pub(crate) principal: Option<Principal>,
    /// version → push names (`None`: all pushes of the connection's version).
    pub(crate) pushes: Option<BTreeMap<String, Vec<String>>>,
    pub(crate) away: bool,
    pub(crate) tx: mpsc::UnboundedSender<Outgoing>,
}

impl ConnRec {
    /// Whether this connection subscribed to the push `name` (in its version).
    pub(crate) fn wants(&self, name: &str) -> bool {
        let Some(subscriptions) = &self.pushes else {
            return true;
        };
        subscriptions
            .values()
            .any(|names| names.iter().any(|n| n == "all" || n == name))
    }

    pub(crate) fn send(&self, frame: String) {
        // A closed receiver means the connection is going away; nothing to do.
        let _ = self.tx.send(Outgoing::Text(frame));
    }
}

#[derive(Debug, Clone)]
pub(crate) struct AgentRec {
    pub(crate) profile: Agent,
    pub(crate) groups: Vec<GroupId>,
    pub(crate) routing_status: RoutingStatus,
    pub(crate) account_id: String,
    pub(crate) last_seen: BTreeMap<ChatId, String>,
}

#[derive(Debug, Clone)]
pub(crate) struct CustomerRec {
    pub(crate) profile: Customer,
    pub(crate) banned_until: Option<Instant>,
    pub(crate) group_id: Option<GroupId>,
    pub(crate) side_storage: BTreeMap<String, String>,
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

/// A file uploaded with `upload_file`.
#[derive(Debug, Clone)]
pub(crate) struct FileRec {
    pub(crate) name: String,
    pub(crate) content_type: String,
    pub(crate) bytes: bytes::Bytes,
}

/// What a pagination cursor remembers.
#[derive(Debug, Clone)]
pub(crate) struct Cursor {
    /// The action and requester it belongs to.
    pub(crate) owner: (String, Principal),
    /// The filters of the first request, as JSON.
    pub(crate) query: serde_json::Value,
    pub(crate) offset: usize,
}

/// Settings of a sandbox.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) organization_id: String,
    pub(crate) license_id: String,
    /// Whether a customer may have several chats (the real default is one).
    pub(crate) multiple_chats_per_customer: bool,
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
    pub(crate) chats: HashMap<ChatId, ChatRec>,
    pub(crate) chat_seq: u64,
    pub(crate) conns: BTreeMap<ConnId, ConnRec>,
    pub(crate) next_conn: ConnId,
    pub(crate) files: HashMap<String, FileRec>,
    pub(crate) cursors: HashMap<String, Cursor>,
    pub(crate) license_properties: Properties,
    pub(crate) outbox: Outbox,
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
            chats: HashMap::new(),
            chat_seq: 0,
            conns: BTreeMap::new(),
            next_conn: 0,
            files: HashMap::new(),
            cursors: HashMap::new(),
            license_properties: Properties::new(),
            outbox: Outbox::default(),
        }
    }

    /// Mints a bearer token for `principal` (region prefix `dal:` as the real service).
    pub(crate) fn mint_token(&mut self, principal: Principal) -> String {
        let token = format!("dal:{}", uuid::Uuid::new_v4().simple());
        self.tokens.insert(token.clone(), principal);
        token
    }

    /// The agent connections of `agent` that are logged in.
    pub(crate) fn agent_online(&self, agent: &AgentId) -> bool {
        self.conns
            .values()
            .any(|c| c.principal.as_ref() == Some(&Principal::Agent(agent.clone())))
    }

    /// Whether the customer has a logged-in connection.
    pub(crate) fn customer_online(&self, customer: &CustomerId) -> bool {
        self.conns
            .values()
            .any(|c| c.principal.as_ref() == Some(&Principal::Customer(customer.clone())))
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
    let _ = c.tx.send(Outgoing::Close);
}
