//! The Inbenta world, in memory: apps, users, chats, messages, media, sockets.

use super::config::{AgentBehaviour, NewInbentaApp};
use super::error::Fail;
use bytes::Bytes;
use lc_protocol::inbenta::{HistoryEntry, InbentaAgent, InbentaChat, InbentaMessage, InbentaUser};
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::time::Instant;

/// One socket's identity.
pub(crate) type ConnId = u64;

/// A frame queued for a socket, or an order to its writer (the same as LiveChat's).
pub(crate) use crate::state::Outgoing as Out;

/// An open realtime socket.
#[derive(Debug)]
pub(crate) struct ConnRec {
    pub(crate) app: String,
    pub(crate) user: String,
    pub(crate) tx: crate::out_queue::OutQueue,
    /// Cuts the socket at once (fault injection).
    pub(crate) cutoff: std::sync::Arc<crate::cutoff::Cutoff>,
}

/// The whole Inbenta side.
#[derive(Debug, Default)]
pub(crate) struct InbState {
    pub(crate) apps: HashMap<String, AppRec>,
    pub(crate) conns: HashMap<ConnId, ConnRec>,
    next_id: u64,
    /// How many times a loaded state replaced this one: the timers started before end.
    pub(crate) restores: u64,
}

impl InbState {
    /// A fresh id with `prefix`, unique across apps.
    pub(crate) fn mint(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}{}", self.next_id)
    }

    /// How many ids it has handed out (the state file keeps it).
    pub(crate) fn ids_issued(&self) -> u64 {
        self.next_id
    }

    /// Hands out ids after `issued` from now on (a loaded state's ids never repeat).
    pub(crate) fn resume_ids_after(&mut self, issued: u64) {
        self.next_id = self.next_id.max(issued);
    }

    /// Registers a socket.
    pub(crate) fn add_conn(&mut self, rec: ConnRec) -> ConnId {
        self.next_id += 1;
        let id = self.next_id;
        self.conns.insert(id, rec);
        id
    }

    pub(crate) fn app(&self, app: &str) -> Result<&AppRec, Fail> {
        self.apps
            .get(app)
            .ok_or_else(|| Fail::unauthorized("Invalid app id"))
    }

    pub(crate) fn app_mut(&mut self, app: &str) -> Result<&mut AppRec, Fail> {
        self.apps
            .get_mut(app)
            .ok_or_else(|| Fail::unauthorized("Invalid app id"))
    }

    /// Sends `frame` to every socket of `users` in `app`, except `except`.
    pub(crate) fn send_to_users<'a>(
        &self,
        app: &str,
        users: impl IntoIterator<Item = &'a String>,
        frame: &str,
        except: Option<ConnId>,
    ) {
        let users: Vec<&String> = users.into_iter().collect();
        for (id, conn) in &self.conns {
            if conn.app == app && Some(*id) != except && users.contains(&&conn.user) {
                conn.tx.send(Out::Text(frame.to_owned()));
            }
        }
    }

    /// The sockets of `users` in `app`, except `except`.
    pub(crate) fn conns_of<'a>(
        &self,
        app: &str,
        users: impl IntoIterator<Item = &'a String>,
        except: Option<ConnId>,
    ) -> Vec<crate::out_queue::OutQueue> {
        let users: Vec<&String> = users.into_iter().collect();
        self.conns
            .iter()
            .filter(|(id, c)| c.app == app && Some(**id) != except && users.contains(&&c.user))
            .map(|(_, c)| c.tx.clone())
            .collect()
    }
}

/// A registered app.
#[derive(Debug)]
pub(crate) struct AppRec {
    pub(crate) config: NewInbentaApp,
    pub(crate) users: HashMap<String, UserRec>,
    /// Session token → user id.
    pub(crate) tokens: HashMap<String, String>,
    pub(crate) chats: HashMap<String, ChatRec>,
    pub(crate) messages: HashMap<String, MessageRec>,
    pub(crate) media: HashMap<String, MediaRec>,
    /// Room → the queued chats, first served first (queue mode).
    pub(crate) queues: BTreeMap<String, Vec<String>>,
    /// Agent ids in creation order (the order invitations try them in).
    pub(crate) agent_order: Vec<String>,
}

impl AppRec {
    pub(crate) fn new(config: NewInbentaApp) -> Self {
        Self {
            config,
            users: HashMap::new(),
            tokens: HashMap::new(),
            chats: HashMap::new(),
            messages: HashMap::new(),
            media: HashMap::new(),
            queues: BTreeMap::new(),
            agent_order: Vec::new(),
        }
    }

    pub(crate) fn user(&self, id: &str) -> Result<&UserRec, Fail> {
        self.users
            .get(id)
            .ok_or_else(|| Fail::not_found("User not found"))
    }

    pub(crate) fn chat(&self, id: &str) -> Result<&ChatRec, Fail> {
        self.chats
            .get(id)
            .ok_or_else(|| Fail::not_found("Chat not found"))
    }

    pub(crate) fn chat_mut(&mut self, id: &str) -> Result<&mut ChatRec, Fail> {
        self.chats
            .get_mut(id)
            .ok_or_else(|| Fail::not_found("Chat not found"))
    }

    /// Whether `room` (as a chat names it) is one of the app's rooms.
    pub(crate) fn has_room(&self, room: &str) -> bool {
        self.config.rooms.iter().any(|r| r.to_string() == room)
    }

    /// Chats an agent holds or is invited to (what counts against its capacity).
    pub(crate) fn load_of(&self, agent: &str) -> u32 {
        let count = self
            .chats
            .values()
            .filter(|c| {
                !c.closed
                    && (c.agent.as_deref() == Some(agent) || c.invited.as_deref() == Some(agent))
            })
            .count();
        u32::try_from(count).unwrap_or(u32::MAX)
    }

    /// The user's open chat, if any.
    pub(crate) fn open_chat_of(&self, user: &str) -> Option<&ChatRec> {
        self.chats.values().find(|c| !c.closed && c.creator == user)
    }

    /// The `user` profile as the wire shows it.
    pub(crate) fn user_view(&self, id: &str) -> InbentaUser {
        self.users
            .get(id)
            .map(|u| u.profile.clone())
            .unwrap_or_else(|| InbentaUser {
                id: id.to_owned(),
                ..InbentaUser::default()
            })
    }

    /// An agent as `chats:assign` answers it.
    pub(crate) fn agent_view(&self, id: &str) -> InbentaAgent {
        let user = self.user_view(id);
        InbentaAgent {
            id: user.id,
            name: user.name,
            nickname: user.nickname,
            provider_id: user.provider_id,
            ..InbentaAgent::default()
        }
    }

    /// The chat as the wire shows it; `fields` lists the related data to include
    /// (`users`, `watchers`, `history`).
    pub(crate) fn chat_view(&self, chat: &ChatRec, fields: &[&str]) -> InbentaChat {
        let mut view = InbentaChat {
            id: chat.id.clone(),
            creator: Some(chat.creator.clone()),
            room: Some(chat.room.clone()),
            source: Some(chat.source.clone()),
            lang: chat.lang.clone(),
            external_id: chat.external_id.clone(),
            status: Some(chat.status().to_owned()),
            closed: Some(chat.closed),
            ..InbentaChat::default()
        };
        if fields.contains(&"users") {
            view.users = Some(chat.members.iter().map(|m| self.user_view(m)).collect());
        }
        if fields.contains(&"watchers") {
            view.watchers = Some(Vec::new());
        }
        if fields.contains(&"history") {
            view.history = Some(chat.history.clone());
        }
        if let Some(agent) = &chat.agent {
            view.extra.insert("agent".into(), agent.clone().into());
        }
        if let Some(ticket) = &chat.ticket {
            view.extra.insert("ticketId".into(), ticket.clone().into());
        }
        view
    }
}

/// A user (an agent when `agent` is set).
#[derive(Debug, Clone)]
pub(crate) struct UserRec {
    pub(crate) profile: InbentaUser,
    pub(crate) agent: Option<AgentRec>,
}

/// What makes a user a simulated agent.
#[derive(Debug, Clone)]
pub(crate) struct AgentRec {
    pub(crate) rooms: Vec<u32>,
    pub(crate) langs: Vec<String>,
    pub(crate) capacity: u32,
    pub(crate) behaviour: AgentBehaviour,
    pub(crate) online: bool,
}

impl AgentRec {
    /// Whether it serves `room` in `lang` (no lang: any).
    pub(crate) fn serves(&self, room: &str, lang: Option<&str>) -> bool {
        let in_room = self.rooms.iter().any(|r| r.to_string() == room);
        let speaks = match lang {
            Some(lang) if !self.langs.is_empty() => self.langs.iter().any(|l| l == lang),
            _ => true,
        };
        in_room && speaks
    }
}

/// A chat.
#[derive(Debug)]
pub(crate) struct ChatRec {
    pub(crate) id: String,
    pub(crate) creator: String,
    pub(crate) room: String,
    pub(crate) source: serde_json::Value,
    pub(crate) lang: Option<String>,
    pub(crate) external_id: Option<String>,
    pub(crate) closed: bool,
    /// The users in the chat, in joining order.
    pub(crate) members: Vec<String>,
    pub(crate) history: Vec<HistoryEntry>,
    pub(crate) messages: Vec<String>,
    /// The agent who took the chat.
    pub(crate) agent: Option<String>,
    /// The agent currently invited.
    pub(crate) invited: Option<String>,
    /// Agents already invited during the current search.
    pub(crate) tried: Vec<String>,
    /// Whether a (non-queue) agent search runs.
    pub(crate) searching: bool,
    /// Numbers the searches, so that a stale search task knows it is stale.
    pub(crate) search_gen: u64,
    /// Who waits for the end of the search: they get the agent, or none.
    pub(crate) waiters: Vec<oneshot::Sender<Option<InbentaAgent>>>,
    /// When the chat entered the queue (queue mode).
    pub(crate) queued_since: Option<Instant>,
    /// The last message (or the creation): the inactivity timer's origin.
    pub(crate) last_message: Instant,
    pub(crate) ticket: Option<String>,
}

impl ChatRec {
    /// `waiting` (no agent yet), `active` or `closed`.
    pub(crate) fn status(&self) -> &'static str {
        match (self.closed, &self.agent) {
            (true, _) => "closed",
            (false, Some(_)) => "active",
            (false, None) => "waiting",
        }
    }

    pub(crate) fn is_member(&self, user: &str) -> bool {
        self.members.iter().any(|m| m == user)
    }

    /// Answers every waiter of the search.
    pub(crate) fn resolve_waiters(&mut self, agent: Option<&InbentaAgent>) {
        for waiter in self.waiters.drain(..) {
            let _ = waiter.send(agent.cloned());
        }
    }
}

/// A stored message.
#[derive(Debug, Clone)]
pub(crate) struct MessageRec {
    pub(crate) message: InbentaMessage,
    pub(crate) chat: String,
    pub(crate) sender: String,
    pub(crate) event_id: Option<String>,
    pub(crate) read_by: Vec<String>,
}

/// An uploaded file.
#[derive(Debug, Clone)]
pub(crate) struct MediaRec {
    /// The chat the file was posted in: only its members (and the app secret) read it.
    pub(crate) chat: String,
    pub(crate) name: String,
    pub(crate) mime: String,
    pub(crate) bytes: Bytes,
}

/// Seconds of a duration, rounded up (what `timeLeft` and `interval` carry).
pub(crate) fn whole_seconds(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

/// Unix seconds now.
pub(crate) fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
