//! Agent search, invitations and the queue (queue mode). (The inactivity timers of chats
//! are [`super::ops`]'.)
//!
//! Without queue mode, `chats:assign` runs a search: up to `maxAttempts` agents are
//! invited one after the other, each invitation lasting `interval`; the first to accept
//! joins (`user:joined`), and when none does, or none is free, `forever:alone` is pushed.
//! In queue mode every chat waits in its room's queue from its creation; free agents are
//! invited in queue order, and each chat behind one that leaves the queue gets a
//! `queue:update` with its new position.

use super::config::AgentBehaviour;
use super::ctx::{Ctx, Who};
use super::error::Fail;
use super::hub::Hub;
use super::membership::{check_member, push_joined};
use super::state::AppRec;
use lc_protocol::inbenta::{ForeverAlone, InbentaAgent, QueueUpdate};
use serde_json::Map;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::time::Instant;

/// Invitations a search makes when `maxAttempts` is not given.
pub(crate) const DEFAULT_MAX_ATTEMPTS: u32 = 3;
/// The most `chats:assign` calls that may wait on one chat's search at once.
pub(crate) const MAX_WAITERS: usize = 16;
/// The estimated waiting time per queue position, in seconds (`queue:update`).
const SECONDS_PER_POSITION: f64 = 60.0;

/// How `chats:assign` ends: now, or when the search ends.
pub(crate) enum AssignStart {
    Done(Option<InbentaAgent>),
    Wait(Waiting),
}

/// A `chats:assign` call waiting for its search's end, for at most `max_wait`.
#[derive(Debug)]
pub(crate) struct Waiting {
    search: oneshot::Receiver<Option<InbentaAgent>>,
    max_wait: Duration,
}

/// Starts looking for an agent for `chat_id` (`chats:assign`, `GET chats/{id}/assign`).
pub(crate) fn request_assign(
    ctx: &mut Ctx<'_>,
    who: &Who,
    chat_id: &str,
    max_attempts: Option<u32>,
    interval: Option<Duration>,
) -> Result<AssignStart, Fail> {
    let app = ctx.app()?;
    let queue_mode = app.config.queue_mode;
    let interval = interval.unwrap_or(app.config.assign_interval);
    let max_wait = app.config.assign_wait;
    let chat = app.chat(chat_id)?;
    check_member(chat, who)?;
    if chat.closed {
        return Err(Fail::bad_request("The chat is closed"));
    }
    if let Some(agent) = &chat.agent {
        return Ok(AssignStart::Done(Some(app.agent_view(agent))));
    }
    let queued = chat.queued_since.is_some();
    let (tx, rx) = oneshot::channel();
    let (hub, app_id) = (ctx.hub.clone(), ctx.app.clone());
    let chat = ctx.app_mut()?.chat_mut(chat_id)?;
    chat.waiters.retain(|waiter| !waiter.is_closed());
    if chat.waiters.len() >= MAX_WAITERS {
        return Err(Fail::new(
            429,
            "Too many agent searches are waiting for this chat",
        ));
    }
    chat.waiters.push(tx);
    if queue_mode {
        if queued {
            push_position(ctx, chat_id);
        } else {
            enqueue(ctx, chat_id);
        }
        let chat = ctx.app_mut()?.chat_mut(chat_id)?;
        if chat.invited.is_none() && chat.agent.is_none() {
            // Waiting in the queue: the search ends here; `user:joined` comes later.
            chat.resolve_waiters(None);
        }
        return Ok(AssignStart::Wait(Waiting {
            search: rx,
            max_wait,
        }));
    }
    if !chat.searching {
        chat.searching = true;
        chat.search_gen += 1;
        chat.tried.clear();
        let search = Search {
            hub: hub.clone(),
            app: app_id,
            chat: chat_id.to_owned(),
            generation: chat.search_gen,
            max_attempts: max_attempts.unwrap_or(DEFAULT_MAX_ATTEMPTS),
            interval,
        };
        hub.spawn(search.run());
    }
    Ok(AssignStart::Wait(Waiting {
        search: rx,
        max_wait,
    }))
}

/// The agent a `chats:assign` call gets once its search ends (none after the app's
/// longest wait, [`DEFAULT_ASSIGN_WAIT`](super::config::DEFAULT_ASSIGN_WAIT) by default).
pub(crate) async fn wait_for_agent(waiting: Waiting) -> Option<InbentaAgent> {
    let Waiting { search, max_wait } = waiting;
    tokio::time::timeout(max_wait, search)
        .await
        .ok()?
        .ok()
        .flatten()
}

/// The next agent to invite for a chat: online, serving its room and language, below
/// capacity, not tried yet; the least loaded first, then in creation order.
fn pick_agent(app: &AppRec, chat_id: &str) -> Option<(String, AgentBehaviour)> {
    let chat = app.chats.get(chat_id)?;
    let mut best: Option<(u32, &String, AgentBehaviour)> = None;
    for id in &app.agent_order {
        let Some(agent) = app.users.get(id).and_then(|u| u.agent.as_ref()) else {
            continue;
        };
        if !agent.online
            || !agent.serves(&chat.room, chat.lang.as_deref())
            || chat.tried.contains(id)
            || chat.is_member(id)
        {
            continue;
        }
        let load = app.load_of(id);
        if load >= agent.capacity {
            continue;
        }
        if best.as_ref().is_none_or(|(l, _, _)| load < *l) {
            best = Some((load, id, agent.behaviour));
        }
    }
    best.map(|(_, id, behaviour)| (id.clone(), behaviour))
}

/// Invites the best free agent for `chat_id`, if any: `(agent, wait, accepts)`.
fn invite(
    ctx: &mut Ctx<'_>,
    chat_id: &str,
    interval: Duration,
) -> Option<(String, Duration, bool)> {
    let (agent, behaviour) = pick_agent(ctx.app().ok()?, chat_id)?;
    let chat = ctx.app_mut().ok()?.chats.get_mut(chat_id)?;
    chat.invited = Some(agent.clone());
    chat.tried.push(agent.clone());
    let (wait, accepts) = match behaviour {
        AgentBehaviour::Accept => (Duration::ZERO, true),
        AgentBehaviour::AcceptAfter(d) if d < interval => (d, true),
        AgentBehaviour::AcceptAfter(_) | AgentBehaviour::Ignore => (interval, false),
    };
    Some((agent, wait, accepts))
}

/// Ends an invitation: the agent joins when it accepts and can still take the chat.
/// Answers whether it joined.
fn end_invitation(ctx: &mut Ctx<'_>, chat_id: &str, agent: &str, accepts: bool) -> bool {
    let Ok(app) = ctx.app_mut() else { return false };
    let online = app
        .users
        .get(agent)
        .and_then(|u| u.agent.as_ref())
        .is_some_and(|a| a.online);
    let Some(chat) = app.chats.get_mut(chat_id) else {
        return false;
    };
    if chat.invited.as_deref() == Some(agent) {
        chat.invited = None;
    }
    if chat.closed || chat.agent.is_some() || !accepts || !online {
        return false;
    }
    assign_to(ctx, chat_id, agent);
    true
}

/// A running search (no queue mode).
struct Search {
    hub: Arc<Hub>,
    app: String,
    chat: String,
    generation: u64,
    max_attempts: u32,
    interval: Duration,
}

impl Search {
    /// Whether this search still owns the chat.
    fn current(&self, ctx: &Ctx<'_>) -> bool {
        ctx.app()
            .ok()
            .and_then(|a| a.chats.get(&self.chat))
            .is_some_and(|c| {
                !c.closed && c.agent.is_none() && c.searching && c.search_gen == self.generation
            })
    }

    async fn run(self) {
        for _ in 0..self.max_attempts {
            let invited = {
                let mut st = self.hub.lock();
                let mut ctx = Ctx::new(&self.hub, &mut st, &self.app);
                if !self.current(&ctx) {
                    return;
                }
                invite(&mut ctx, &self.chat, self.interval)
            };
            let Some((agent, wait, accepts)) = invited else {
                break;
            };
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
            let mut st = self.hub.lock();
            let mut ctx = Ctx::new(&self.hub, &mut st, &self.app);
            if !self.current(&ctx) {
                return;
            }
            if end_invitation(&mut ctx, &self.chat, &agent, accepts) {
                return;
            }
        }
        let mut st = self.hub.lock();
        let mut ctx = Ctx::new(&self.hub, &mut st, &self.app);
        if !self.current(&ctx) {
            return;
        }
        if let Ok(chat) = ctx.app_mut().and_then(|a| a.chat_mut(&self.chat)) {
            chat.searching = false;
            chat.resolve_waiters(None);
        }
        let alone = ForeverAlone {
            chat_id: Some(self.chat.clone()),
            extra: Map::new(),
        };
        ctx.push_chat(&self.chat, &alone, None);
    }
}

/// Gives `chat_id` to `agent`: it becomes a member and the chat's agent, leaves the
/// queue, `user:joined` goes to the members and the search's waiters get the agent.
pub(crate) fn assign_to(ctx: &mut Ctx<'_>, chat_id: &str, agent: &str) {
    let Ok(app) = ctx.app_mut() else { return };
    let view = app.agent_view(agent);
    if let Some(user) = app.users.get_mut(agent) {
        let chats = user.profile.chats.get_or_insert_with(Vec::new);
        chats.push(chat_id.to_owned());
    }
    let Some(chat) = app.chats.get_mut(chat_id) else {
        return;
    };
    chat.agent = Some(agent.to_owned());
    chat.invited = None;
    chat.searching = false;
    if !chat.is_member(agent) {
        chat.members.push(agent.to_owned());
    }
    remove_from_queue(ctx, chat_id);
    push_joined(ctx, chat_id, agent);
    if let Ok(chat) = ctx.app_mut().and_then(|a| a.chat_mut(chat_id)) {
        chat.resolve_waiters(Some(&view));
    }
    dispatch(ctx);
}

/// Puts a chat at the end of its room's queue, tells its members their position, and
/// invites a free agent if there is one.
pub(crate) fn enqueue(ctx: &mut Ctx<'_>, chat_id: &str) {
    let Ok(app) = ctx.app_mut() else { return };
    let Some(chat) = app.chats.get_mut(chat_id) else {
        return;
    };
    if chat.queued_since.is_some() || chat.agent.is_some() || chat.closed {
        return;
    }
    chat.queued_since = Some(Instant::now());
    let room = chat.room.clone();
    app.queues.entry(room).or_default().push(chat_id.to_owned());
    push_position(ctx, chat_id);
    dispatch(ctx);
}

/// Takes a chat out of its queue; every chat behind it gets its new position.
pub(crate) fn remove_from_queue(ctx: &mut Ctx<'_>, chat_id: &str) {
    let Ok(app) = ctx.app_mut() else { return };
    let Some(chat) = app.chats.get_mut(chat_id) else {
        return;
    };
    if chat.queued_since.take().is_none() {
        return;
    }
    let Some(queue) = app.queues.get_mut(&chat.room) else {
        return;
    };
    let Some(at) = queue.iter().position(|c| c == chat_id) else {
        return;
    };
    queue.remove(at);
    let behind: Vec<String> = queue[at..].to_vec();
    for chat in behind {
        push_position(ctx, &chat);
    }
}

/// Pushes `queue:update` with a queued chat's position to its members.
fn push_position(ctx: &Ctx<'_>, chat_id: &str) {
    let Ok(app) = ctx.app() else { return };
    let Some(chat) = app.chats.get(chat_id) else {
        return;
    };
    let Some(at) = app
        .queues
        .get(&chat.room)
        .and_then(|q| q.iter().position(|c| c == chat_id))
    else {
        return;
    };
    let position = u32::try_from(at + 1).unwrap_or(u32::MAX);
    let update = QueueUpdate {
        queue_position: position,
        waiting_time: Some(f64::from(position) * SECONDS_PER_POSITION),
        chat_id: Some(chat_id.to_owned()),
        extra: Map::new(),
    };
    ctx.push_chat(chat_id, &update, None);
}

/// Queue mode: invites free agents for the queued chats, first queued first.
pub(crate) fn dispatch(ctx: &mut Ctx<'_>) {
    let Ok(app) = ctx.app() else { return };
    if !app.config.queue_mode {
        return;
    }
    let interval = app.config.assign_interval;
    let queued: Vec<String> = app.queues.values().flatten().cloned().collect();
    for chat_id in queued {
        let busy = ctx
            .app()
            .ok()
            .and_then(|a| a.chats.get(&chat_id))
            .is_none_or(|c| c.invited.is_some() || c.agent.is_some());
        if busy {
            continue;
        }
        if let Some((agent, wait, accepts)) = invite(ctx, &chat_id, interval) {
            if wait.is_zero() && accepts {
                end_invitation(ctx, &chat_id, &agent, accepts);
                continue;
            }
            let hub = ctx.hub.clone();
            let app = ctx.app.clone();
            ctx.hub.spawn(async move {
                if !wait.is_zero() {
                    tokio::time::sleep(wait).await;
                }
                let mut st = hub.lock();
                let mut ctx = Ctx::new(&hub, &mut st, &app);
                if !end_invitation(&mut ctx, &chat_id, &agent, accepts) {
                    if let Ok(chat) = ctx.app_mut().and_then(|a| a.chat_mut(&chat_id)) {
                        chat.resolve_waiters(None);
                    }
                    dispatch(&mut ctx);
                }
            });
        }
    }
}
