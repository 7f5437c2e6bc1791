//! The state as a file: what `--state FILE`, `GET /_sandbox/state` and
//! `PUT /_sandbox/state` read and write. Versioned JSON: a file of another format
//! version, or a damaged one, is refused with a clear error.
//!
//! Saved: groups and their properties, agents (profile, groups, routing status), bots'
//! Configuration API records, customers (profile, group, side storage), the tokens that
//! do not expire and personal access tokens, license properties, enabled forms, chats
//! (users, access, properties, followers, threads with events, properties, tags and
//! summaries), and the Inbenta side ([`crate::inbenta::snapshot`]: apps, users, tokens,
//! chats, messages, files). Not saved: connections, LiveChat's uploaded files, expiring
//! access tokens and bot tokens, OAuth apps, bans, greetings, armed faults.

use crate::bots::BotRec;
use crate::inbenta::snapshot::{self as inbenta_snapshot, InbentaSnap};
use crate::shared::Shared;
use crate::state::{
    AgentLogin, AgentRec, ChatRec, ChatUserRec, CustomerRec, GroupRec, Principal, State, ThreadRec,
};
use lc_protocol::id::{AgentId, ChatId, CustomerId, GroupId, ThreadId};
use lc_protocol::types::{
    Access, Agent, ConfigGroupPriority, ConfigWorkScheduler, Customer, Event, Properties,
    RoutingStatus, Summary, Visibility,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;

use super::refusal::Refusal;

/// What the `format` field of a state file says.
pub(crate) const FORMAT: &str = "lc-sandbox-state";
/// The format version this sandbox writes and reads.
pub(crate) const VERSION: u64 = 1;

/// Why a state could not be loaded.
#[derive(Debug, thiserror::Error)]
pub(crate) enum LoadError {
    /// Not JSON, not a state file, or a field of the wrong shape.
    #[error("damaged or not a state file: {0}")]
    Damaged(String),
    /// Written by a sandbox with another format version.
    #[error(
        "written with state format version {found}; this lc-sandbox reads version {VERSION} only \
         (start without the file, or with a sandbox of its version)"
    )]
    Version {
        /// The version the file says it is.
        found: u64,
    },
}

/// The whole saved state.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Snapshot {
    format: String,
    version: u64,
    organization_id: String,
    /// How many ids the id generator had handed out (new ids never repeat them).
    ids_issued: u64,
    chat_seq: u64,
    groups: Vec<GroupSnap>,
    agents: Vec<AgentSnap>,
    bots: Vec<BotSnap>,
    customers: Vec<CustomerSnap>,
    tokens: Vec<TokenSnap>,
    pats: Vec<PatSnap>,
    license_properties: Properties,
    enabled_forms: Vec<(u32, String)>,
    chats: Vec<ChatSnap>,
    /// The Inbenta side (a file without it has no Inbenta app).
    #[serde(default)]
    inbenta: InbentaSnap,
}

#[derive(Debug, Serialize, Deserialize)]
struct GroupSnap {
    id: u32,
    name: String,
    properties: Properties,
}

#[derive(Debug, Serialize, Deserialize)]
struct AgentSnap {
    profile: Agent,
    groups: Vec<u32>,
    routing_status: RoutingStatus,
    last_status: Option<RoutingStatus>,
}

#[derive(Debug, Serialize, Deserialize)]
struct BotSnap {
    id: AgentId,
    owner_client_id: String,
    secret: String,
    kind: String,
    max_chats_count: u32,
    default_group_priority: ConfigGroupPriority,
    groups: Vec<(u32, ConfigGroupPriority)>,
    job_title: Option<String>,
    avatar: Option<String>,
    work_scheduler: Option<ConfigWorkScheduler>,
    creator_client_id: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct CustomerSnap {
    profile: Customer,
    group_id: Option<u32>,
    side_storage: BTreeMap<String, String>,
}

/// An agent or a customer.
#[derive(Debug, Serialize, Deserialize)]
struct UserRef {
    #[serde(rename = "type")]
    kind: String,
    id: String,
}

impl UserRef {
    fn of(principal: &Principal) -> Self {
        let kind = match principal {
            Principal::Agent(_) => "agent",
            Principal::Customer(_) => "customer",
        };
        Self {
            kind: kind.to_owned(),
            id: principal.user_id_str().to_owned(),
        }
    }

    fn principal(&self) -> Result<Principal, LoadError> {
        match self.kind.as_str() {
            "agent" => Ok(Principal::Agent(AgentId::new(&self.id))),
            "customer" => Ok(Principal::Customer(CustomerId::new(&self.id))),
            other => Err(LoadError::Damaged(format!("user type {other:?}"))),
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct TokenSnap {
    token: String,
    user: UserRef,
}

#[derive(Debug, Serialize, Deserialize)]
struct PatSnap {
    account_id: String,
    pat: String,
    agent: AgentId,
}

#[derive(Debug, Serialize, Deserialize)]
struct ChatSnap {
    id: ChatId,
    users: Vec<ChatUserSnap>,
    threads: Vec<ThreadSnap>,
    properties: Properties,
    access: Access,
    followers: Vec<AgentId>,
    unfollowers: Vec<AgentId>,
    seq: u64,
}

#[derive(Debug, Serialize, Deserialize)]
struct ChatUserSnap {
    user: UserRef,
    visibility: Visibility,
    present: bool,
    events_seen_up_to: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct ThreadSnap {
    id: ThreadId,
    active: bool,
    events: Vec<Event>,
    properties: Properties,
    tags: Vec<String>,
    created_at: String,
    access: Access,
    next_event: u64,
    summary: Option<Summary>,
}

/// The state as saved, the LiveChat side and the Inbenta side (each under its own lock).
pub(crate) fn take(shared: &Shared) -> Snapshot {
    let mut snapshot = take_livechat(&shared.lock());
    snapshot.inbenta = inbenta_snapshot::take(&shared.inbenta.lock());
    snapshot
}

/// The LiveChat side as saved.
fn take_livechat(state: &State) -> Snapshot {
    let groups = state
        .groups
        .iter()
        .map(|(id, g)| GroupSnap {
            id: id.0,
            name: g.name.clone(),
            properties: g.properties.clone(),
        })
        .collect();
    let agents = state
        .agents
        .values()
        .map(|a| AgentSnap {
            profile: a.profile.clone(),
            groups: a.groups.iter().map(|g| g.0).collect(),
            routing_status: a.routing_status.clone(),
            last_status: a.login.last_status.clone(),
        })
        .collect();
    let bots = state
        .bots
        .iter()
        .map(|(id, b)| BotSnap {
            id: id.clone(),
            owner_client_id: b.owner_client_id.clone(),
            secret: b.secret.clone(),
            kind: b.kind.clone(),
            max_chats_count: b.max_chats_count,
            default_group_priority: b.default_group_priority.clone(),
            groups: b.groups.iter().map(|(g, p)| (g.0, p.clone())).collect(),
            job_title: b.job_title.clone(),
            avatar: b.avatar.clone(),
            work_scheduler: b.work_scheduler.clone(),
            creator_client_id: b.creator_client_id.clone(),
        })
        .collect();
    let customers = state
        .customers
        .values()
        .map(|c| CustomerSnap {
            profile: c.profile.clone(),
            group_id: c.group_id.map(|g| g.0),
            side_storage: c.side_storage.clone(),
        })
        .collect();
    let mut tokens: Vec<TokenSnap> = state
        .tokens
        .iter()
        .filter(|(token, _)| !state.accounts.expiry.contains_key(*token))
        .map(|(token, who)| TokenSnap {
            token: token.clone(),
            user: UserRef::of(who),
        })
        .collect();
    tokens.sort_by(|a, b| a.token.cmp(&b.token));
    let mut pats: Vec<PatSnap> = state
        .pats
        .iter()
        .map(|((account_id, pat), agent)| PatSnap {
            account_id: account_id.clone(),
            pat: pat.clone(),
            agent: agent.clone(),
        })
        .collect();
    pats.sort_by(|a, b| a.account_id.cmp(&b.account_id));
    let chats = state.chats.values().map(chat_snap).collect();
    Snapshot {
        format: FORMAT.to_owned(),
        version: VERSION,
        organization_id: state.settings.organization_id.clone(),
        ids_issued: state.ids.issued(),
        chat_seq: state.chat_seq,
        groups,
        agents,
        bots,
        customers,
        tokens,
        pats,
        license_properties: state.license_properties.clone(),
        enabled_forms: state
            .enabled_forms
            .iter()
            .map(|(g, kind)| (g.0, kind.clone()))
            .collect(),
        chats,
        inbenta: InbentaSnap::default(),
    }
}

fn chat_snap(chat: &ChatRec) -> ChatSnap {
    ChatSnap {
        id: chat.id.clone(),
        users: chat
            .users
            .iter()
            .map(|u| ChatUserSnap {
                user: UserRef::of(&u.principal),
                visibility: u.visibility.clone(),
                present: u.present,
                events_seen_up_to: u.events_seen_up_to.clone(),
            })
            .collect(),
        threads: chat
            .threads
            .iter()
            .map(|t| ThreadSnap {
                id: t.id.clone(),
                active: t.active,
                events: t.events.clone(),
                properties: t.properties.clone(),
                tags: t.tags.clone(),
                created_at: t.created_at.clone(),
                access: t.access.clone(),
                next_event: t.next_event,
                summary: t.summary.clone(),
            })
            .collect(),
        properties: chat.properties.clone(),
        access: chat.access.clone(),
        followers: chat.followers.iter().cloned().collect(),
        unfollowers: chat.unfollowers.iter().cloned().collect(),
        seq: chat.seq,
    }
}

/// Reads a saved state, checking its format and version first.
pub(crate) fn parse(text: &[u8]) -> Result<Snapshot, LoadError> {
    let value: Value =
        serde_json::from_slice(text).map_err(|e| LoadError::Damaged(format!("not JSON: {e}")))?;
    if value.get("format").and_then(Value::as_str) != Some(FORMAT) {
        return Err(LoadError::Damaged(format!(
            "no \"format\": \"{FORMAT}\" field"
        )));
    }
    let found = value
        .get("version")
        .and_then(Value::as_u64)
        .ok_or_else(|| LoadError::Damaged("no numeric \"version\" field".into()))?;
    if found != VERSION {
        return Err(LoadError::Version { found });
    }
    let snapshot: Snapshot =
        serde_json::from_value(value).map_err(|e| LoadError::Damaged(e.to_string()))?;
    inbenta_snapshot::check(&snapshot.inbenta).map_err(LoadError::Damaged)?;
    Ok(snapshot)
}

/// Replaces the LiveChat state's saved parts with `snapshot`'s (what is not saved is
/// left as it is), and gives back its Inbenta side, for
/// [`inbenta_snapshot::restore`]. Every RTM connection is dropped: who it logged in as
/// may be gone.
pub(crate) fn restore(state: &mut State, snapshot: Snapshot) -> Result<InbentaSnap, LoadError> {
    let mut chats = crate::chats::Chats::default();
    for chat in snapshot.chats {
        let rec = chat_rec(chat)?;
        chats.insert(rec.id.clone(), rec);
    }
    let mut tokens = std::collections::HashMap::new();
    for t in snapshot.tokens {
        tokens.insert(t.token, t.user.principal()?);
    }
    for conn in state.conns.values() {
        conn.cutoff.cut();
    }
    state.settings.organization_id = snapshot.organization_id;
    state.ids.resume_after(snapshot.ids_issued);
    state.chat_seq = snapshot.chat_seq;
    state.groups = snapshot
        .groups
        .into_iter()
        .map(|g| {
            let rec = GroupRec {
                name: g.name,
                properties: g.properties,
            };
            (GroupId(g.id), rec)
        })
        .collect();
    state.agents = snapshot
        .agents
        .into_iter()
        .map(|a| {
            let rec = AgentRec {
                groups: a.groups.into_iter().map(GroupId).collect(),
                routing_status: a.routing_status,
                login: AgentLogin {
                    last_status: a.last_status,
                    ..AgentLogin::default()
                },
                profile: a.profile,
            };
            (rec.profile.id.clone(), rec)
        })
        .collect();
    state.bots = snapshot
        .bots
        .into_iter()
        .map(|b| {
            let rec = BotRec {
                owner_client_id: b.owner_client_id,
                secret: b.secret,
                kind: b.kind,
                max_chats_count: b.max_chats_count,
                default_group_priority: b.default_group_priority,
                groups: b.groups.into_iter().map(|(g, p)| (GroupId(g), p)).collect(),
                job_title: b.job_title,
                avatar: b.avatar,
                work_scheduler: b.work_scheduler,
                creator_client_id: b.creator_client_id,
            };
            (b.id, rec)
        })
        .collect();
    state.customers = snapshot
        .customers
        .into_iter()
        .map(|c| {
            let mut rec = CustomerRec::new(c.profile);
            rec.group_id = c.group_id.map(GroupId);
            rec.side_storage = c.side_storage;
            (rec.profile.id.clone(), rec)
        })
        .collect();
    state.tokens = tokens;
    state.pats = snapshot
        .pats
        .into_iter()
        .map(|p| ((p.account_id, p.pat), p.agent))
        .collect();
    state.license_properties = snapshot.license_properties;
    state.enabled_forms = snapshot
        .enabled_forms
        .into_iter()
        .map(|(g, kind)| (GroupId(g), kind))
        .collect();
    state.chats = chats;
    Ok(snapshot.inbenta)
}

fn chat_rec(chat: ChatSnap) -> Result<ChatRec, LoadError> {
    let users = chat
        .users
        .into_iter()
        .map(|u| {
            Ok(ChatUserRec {
                principal: u.user.principal()?,
                visibility: u.visibility,
                present: u.present,
                events_seen_up_to: u.events_seen_up_to,
            })
        })
        .collect::<Result<Vec<_>, LoadError>>()?;
    let threads = chat
        .threads
        .into_iter()
        .map(|t| ThreadRec {
            id: t.id,
            active: t.active,
            events: t.events,
            properties: t.properties,
            tags: t.tags,
            created_at: t.created_at,
            access: t.access,
            next_event: t.next_event,
            summary: t.summary,
            // Queue places are not saved: a queued thread comes back out of the queue.
            queue: None,
        })
        .collect();
    Ok(ChatRec {
        id: chat.id,
        users,
        threads,
        properties: chat.properties,
        access: chat.access,
        followers: chat.followers.into_iter().collect(),
        unfollowers: chat.unfollowers.into_iter().collect(),
        seq: chat.seq,
    })
}

/// `GET /_sandbox/state`: the state as a state file holds it.
pub(crate) fn export(shared: &Shared) -> Value {
    let snapshot = take(shared);
    serde_json::to_value(snapshot).unwrap_or_else(|e| json!({ "error": e.to_string() }))
}

/// `PUT /_sandbox/state`: replaces the state with a saved one.
pub(crate) fn import_json(shared: &Shared, body: &[u8]) -> Result<Value, Refusal> {
    let snapshot = parse(body).map_err(|e| Refusal::BadRequest(e.to_string()))?;
    let counts = json!({
        "agents": snapshot.agents.len(),
        "customers": snapshot.customers.len(),
        "chats": snapshot.chats.len(),
        "inbenta_apps": snapshot.inbenta.app_count(),
    });
    let inbenta =
        restore(&mut shared.lock(), snapshot).map_err(|e| Refusal::BadRequest(e.to_string()))?;
    inbenta_snapshot::restore(&shared.inbenta, inbenta);
    Ok(json!({ "imported": counts }))
}
