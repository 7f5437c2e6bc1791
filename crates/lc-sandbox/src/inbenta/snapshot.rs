//! The Inbenta side as a state file holds it (`--state`, `GET`/`PUT /_sandbox/state`):
//! apps with their settings, users (agents with their rooms, capacity, behaviour and
//! presence), session tokens, chats with their members, history and messages, the
//! queues, and uploaded files (content included, base64).
//!
//! Not saved: sockets, and what only lives while the sandbox runs: an invitation in
//! flight, the searches `chats:assign` waits on, the timers. A loaded open chat gets its
//! inactivity timer again from the load on, and a queued one its place in the queue (the
//! queue's free agents are invited at once).

use super::config::{AgentBehaviour, NewInbentaApp};
use super::ctx::Ctx;
use super::hub::Hub;
use super::state::{AgentRec, AppRec, ChatRec, InbState, MediaRec, MessageRec, UserRec};
use super::{assign, ops};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use lc_protocol::inbenta::{HistoryEntry, InbentaMessage, InbentaUser};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// The whole Inbenta side.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct InbentaSnap {
    /// How many ids the side had handed out (new ids never repeat them).
    ids_issued: u64,
    apps: Vec<AppSnap>,
}

impl InbentaSnap {
    /// How many apps it holds.
    pub(crate) fn app_count(&self) -> usize {
        self.apps.len()
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct AppSnap {
    app_id: String,
    secret: Option<String>,
    domain_key: Option<String>,
    rooms: Vec<u32>,
    queue_mode: bool,
    /// Inactivity: `[after, grace]` in milliseconds.
    inactivity_ms: Option<(u64, u64)>,
    assign_interval_ms: u64,
    /// How long `chats:assign` waits for an agent (absent in files from before it was kept).
    #[serde(default)]
    assign_wait_ms: Option<u64>,
    allowed_media_types: Vec<String>,
    users: Vec<UserSnap>,
    /// Session token → user id.
    tokens: BTreeMap<String, String>,
    chats: Vec<ChatSnap>,
    messages: Vec<MessageSnap>,
    media: Vec<MediaSnap>,
    queues: BTreeMap<String, Vec<String>>,
    agent_order: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct UserSnap {
    profile: InbentaUser,
    agent: Option<AgentSnap>,
}

#[derive(Debug, Serialize, Deserialize)]
struct AgentSnap {
    rooms: Vec<u32>,
    langs: Vec<String>,
    capacity: u32,
    /// `accept`, `accept_after` (with `accept_after_ms`) or `ignore`.
    behaviour: String,
    accept_after_ms: Option<u64>,
    online: bool,
}

#[derive(Debug, Serialize, Deserialize)]
struct ChatSnap {
    id: String,
    creator: String,
    room: String,
    source: serde_json::Value,
    lang: Option<String>,
    external_id: Option<String>,
    closed: bool,
    members: Vec<String>,
    history: Vec<HistoryEntry>,
    messages: Vec<String>,
    agent: Option<String>,
    ticket: Option<String>,
    search_gen: u64,
}

#[derive(Debug, Serialize, Deserialize)]
struct MessageSnap {
    id: String,
    message: InbentaMessage,
    chat: String,
    sender: String,
    event_id: Option<String>,
    read_by: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct MediaSnap {
    id: String,
    chat: String,
    name: String,
    mime: String,
    /// The file, base64.
    content: String,
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// The Inbenta side as saved.
pub(crate) fn take(st: &InbState) -> InbentaSnap {
    let mut apps: Vec<AppSnap> = st.apps.iter().map(|(id, app)| app_snap(id, app)).collect();
    apps.sort_by(|a, b| a.app_id.cmp(&b.app_id));
    InbentaSnap {
        ids_issued: st.ids_issued(),
        apps,
    }
}

fn app_snap(app_id: &str, app: &AppRec) -> AppSnap {
    let config = &app.config;
    let mut users: Vec<UserSnap> = app
        .users
        .values()
        .map(|u| UserSnap {
            profile: u.profile.clone(),
            agent: u.agent.as_ref().map(|a| {
                let (behaviour, after) = match a.behaviour {
                    AgentBehaviour::Accept => ("accept", None),
                    AgentBehaviour::AcceptAfter(d) => ("accept_after", Some(millis(d))),
                    AgentBehaviour::Ignore => ("ignore", None),
                };
                AgentSnap {
                    rooms: a.rooms.clone(),
                    langs: a.langs.clone(),
                    capacity: a.capacity,
                    behaviour: behaviour.to_owned(),
                    accept_after_ms: after,
                    online: a.online,
                }
            }),
        })
        .collect();
    users.sort_by(|a, b| a.profile.id.cmp(&b.profile.id));
    let mut chats: Vec<ChatSnap> = app
        .chats
        .values()
        .map(|c| ChatSnap {
            id: c.id.clone(),
            creator: c.creator.clone(),
            room: c.room.clone(),
            source: c.source.clone(),
            lang: c.lang.clone(),
            external_id: c.external_id.clone(),
            closed: c.closed,
            members: c.members.clone(),
            history: c.history.clone(),
            messages: c.messages.clone(),
            agent: c.agent.clone(),
            ticket: c.ticket.clone(),
            search_gen: c.search_gen,
        })
        .collect();
    chats.sort_by(|a, b| a.id.cmp(&b.id));
    let mut messages: Vec<MessageSnap> = app
        .messages
        .iter()
        .map(|(id, m)| MessageSnap {
            id: id.clone(),
            message: m.message.clone(),
            chat: m.chat.clone(),
            sender: m.sender.clone(),
            event_id: m.event_id.clone(),
            read_by: m.read_by.clone(),
        })
        .collect();
    messages.sort_by(|a, b| a.id.cmp(&b.id));
    let mut media: Vec<MediaSnap> = app
        .media
        .iter()
        .map(|(id, m)| MediaSnap {
            id: id.clone(),
            chat: m.chat.clone(),
            name: m.name.clone(),
            mime: m.mime.clone(),
            content: BASE64.encode(&m.bytes),
        })
        .collect();
    media.sort_by(|a, b| a.id.cmp(&b.id));
    AppSnap {
        app_id: app_id.to_owned(),
        secret: config.secret.clone(),
        domain_key: config.domain_key.clone(),
        rooms: config.rooms.clone(),
        queue_mode: config.queue_mode,
        inactivity_ms: config.inactivity.map(|(a, g)| (millis(a), millis(g))),
        assign_interval_ms: millis(config.assign_interval),
        assign_wait_ms: Some(millis(config.assign_wait)),
        allowed_media_types: config.allowed_media_types.clone(),
        users,
        tokens: app
            .tokens
            .iter()
            .map(|(t, u)| (t.clone(), u.clone()))
            .collect(),
        chats,
        messages,
        media,
        queues: app.queues.clone(),
        agent_order: app.agent_order.clone(),
    }
}

/// Checks what serde cannot: that every file's content is base64.
pub(crate) fn check(snap: &InbentaSnap) -> Result<(), String> {
    for app in &snap.apps {
        for media in &app.media {
            BASE64
                .decode(&media.content)
                .map_err(|e| format!("inbenta media {}: {e}", media.id))?;
        }
        for agent in app.users.iter().filter_map(|u| u.agent.as_ref()) {
            if !["accept", "accept_after", "ignore"].contains(&agent.behaviour.as_str()) {
                return Err(format!("inbenta agent behaviour {:?}", agent.behaviour));
            }
        }
    }
    Ok(())
}

/// Replaces the Inbenta side with `snap` (checked with [`check`] first): every socket is
/// cut, then open chats get their inactivity timers and queued chats their queue again.
pub(crate) fn restore(hub: &Arc<Hub>, snap: InbentaSnap) {
    let mut st = hub.lock();
    for conn in st.conns.values() {
        conn.cutoff.cut();
    }
    st.resume_ids_after(snap.ids_issued);
    // The inactivity timers of the chats replaced here end (each open chat gets its own
    // again below), so that a chat kept under the same id is not alerted twice.
    st.restores += 1;
    st.apps = snap
        .apps
        .into_iter()
        .map(|app| (app.app_id.clone(), app_rec(app)))
        .collect();
    let app_ids: Vec<String> = st.apps.keys().cloned().collect();
    for app_id in app_ids {
        let mut ctx = Ctx::new(hub, &mut st, &app_id);
        let open: Vec<String> = ctx
            .app()
            .map(|a| {
                a.chats
                    .values()
                    .filter(|c| !c.closed)
                    .map(|c| c.id.clone())
                    .collect()
            })
            .unwrap_or_default();
        for chat in open {
            ops::start_inactivity(&ctx, &chat);
        }
        assign::dispatch(&mut ctx);
    }
}

fn app_rec(snap: AppSnap) -> AppRec {
    let mut config = NewInbentaApp::new(snap.app_id)
        .rooms(snap.rooms)
        .queue_mode(snap.queue_mode)
        .assign_interval(Duration::from_millis(snap.assign_interval_ms))
        .allowed_media_types(snap.allowed_media_types);
    config.secret = snap.secret;
    config.domain_key = snap.domain_key;
    if let Some(wait) = snap.assign_wait_ms {
        config = config.assign_wait(Duration::from_millis(wait));
    }
    if let Some((after, grace)) = snap.inactivity_ms {
        config = config.inactivity(Duration::from_millis(after), Duration::from_millis(grace));
    }
    let mut app = AppRec::new(config);
    let now = Instant::now();
    app.users = snap
        .users
        .into_iter()
        .map(|u| {
            let agent = u.agent.map(|a| AgentRec {
                rooms: a.rooms,
                langs: a.langs,
                capacity: a.capacity,
                behaviour: match (a.behaviour.as_str(), a.accept_after_ms) {
                    ("accept_after", Some(ms)) => {
                        AgentBehaviour::AcceptAfter(Duration::from_millis(ms))
                    }
                    ("ignore", _) => AgentBehaviour::Ignore,
                    _ => AgentBehaviour::Accept,
                },
                online: a.online,
            });
            (
                u.profile.id.clone(),
                UserRec {
                    profile: u.profile,
                    agent,
                },
            )
        })
        .collect();
    app.tokens = snap.tokens.into_iter().collect();
    let queued: Vec<&String> = snap.queues.values().flatten().collect();
    app.chats = snap
        .chats
        .into_iter()
        .map(|c| {
            let rec = ChatRec {
                queued_since: queued.contains(&&c.id).then_some(now),
                id: c.id,
                creator: c.creator,
                room: c.room,
                source: c.source,
                lang: c.lang,
                external_id: c.external_id,
                closed: c.closed,
                members: c.members,
                history: c.history,
                messages: c.messages,
                agent: c.agent,
                invited: None,
                tried: Vec::new(),
                searching: false,
                // No search runs (`searching` is off): a search task of the state
                // replaced finds its chat not searching, and ends.
                search_gen: c.search_gen,
                waiters: Vec::new(),
                last_message: now,
                ticket: c.ticket,
            };
            (rec.id.clone(), rec)
        })
        .collect();
    app.messages = snap
        .messages
        .into_iter()
        .map(|m| {
            let rec = MessageRec {
                message: m.message,
                chat: m.chat,
                sender: m.sender,
                event_id: m.event_id,
                read_by: m.read_by,
            };
            (m.id, rec)
        })
        .collect();
    app.media = snap
        .media
        .into_iter()
        .map(|m| {
            let bytes = BASE64.decode(&m.content).unwrap_or_default();
            let rec = MediaRec {
                chat: m.chat,
                name: m.name,
                mime: m.mime,
                bytes: bytes.into(),
            };
            (m.id, rec)
        })
        .collect();
    app.queues = snap.queues;
    app.agent_order = snap.agent_order;
    app
}
