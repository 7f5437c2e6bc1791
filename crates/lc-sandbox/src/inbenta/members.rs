//! Who is in a chat besides joining: a user leaving (`PUT /v1/chats/{id}/leave`) and a
//! supervisor intervening (the scripting hook [`Sandbox::intervene_inbenta_chat`]).

use super::assign;
use super::config::{InbentaUser, NewInbentaAgent};
use super::ctx::{Ctx, Who};
use super::error::Fail;
use super::membership::add_user_chat;
use super::users::add_agent;
use crate::sandbox::Sandbox;
use lc_protocol::inbenta::{ChatIntervened, UserLeft};
use serde_json::Map;

/// Has a user leave an open chat: `user:left {chatId, userId, user}` goes to the members
/// who stay. An agent who leaves leaves the chat without an agent (status `waiting`):
/// `chats:assign` looks for another, and queued chats may take the freed capacity.
pub(crate) fn leave(
    ctx: &mut Ctx<'_>,
    who: &Who,
    chat_id: &str,
    user_id: Option<&str>,
) -> Result<(), Fail> {
    let user = who.acting_as(user_id, "userId")?;
    let app = ctx.app_mut()?;
    let chat = app.chat_mut(chat_id)?;
    if !chat.is_member(&user) {
        return Err(Fail::forbidden("The user is not a member of this chat"));
    }
    if chat.closed {
        return Err(Fail::bad_request("The chat is closed"));
    }
    chat.members.retain(|member| *member != user);
    if chat.agent.as_deref() == Some(user.as_str()) {
        chat.agent = None;
    }
    forget_chat(app.users.get_mut(&user), chat_id);
    let left = UserLeft {
        chat_id: Some(chat_id.to_owned()),
        user_id: Some(user.clone()),
        user: Some(app.user_view(&user)),
        extra: Map::new(),
    };
    ctx.push_chat(chat_id, &left, None);
    assign::dispatch(ctx);
    Ok(())
}

/// Has `supervisor` take an open chat over from its agents: they leave the chat, the
/// supervisor becomes its agent (a waiting chat leaves the queue, and a running agent
/// search ends with the supervisor), and `chat:intervened {chat, interventor,
/// intervenedUsers}` goes to every member, the replaced agents and the supervisor
/// included.
pub(crate) fn intervene(ctx: &mut Ctx<'_>, chat_id: &str, supervisor: &str) -> Result<(), Fail> {
    let app = ctx.app_mut()?;
    let interventor = app.user_view(supervisor);
    let agent = app.agent_view(supervisor);
    let chat = app.chat(chat_id)?;
    if chat.closed {
        return Err(Fail::bad_request("The chat is closed"));
    }
    let replaced: Vec<String> = chat
        .members
        .iter()
        .filter(|m| *m != supervisor && app.users.get(*m).is_some_and(|u| u.agent.is_some()))
        .cloned()
        .collect();
    let mut audience = chat.members.clone();
    audience.push(supervisor.to_owned());
    let chat = app.chat_mut(chat_id)?;
    chat.members.retain(|m| !replaced.contains(m));
    if !chat.is_member(supervisor) {
        chat.members.push(supervisor.to_owned());
    }
    chat.agent = Some(supervisor.to_owned());
    chat.invited = None;
    chat.searching = false;
    chat.resolve_waiters(Some(&agent));
    for user in &replaced {
        forget_chat(app.users.get_mut(user), chat_id);
    }
    add_user_chat(app.users.get_mut(supervisor), chat_id);
    let intervened = ChatIntervened {
        interventor,
        chat: Some(app.chat_view(app.chat(chat_id)?, &["users"])),
        intervened_users: Some(replaced.iter().map(|u| app.user_view(u)).collect()),
        extra: Map::new(),
    };
    assign::remove_from_queue(ctx, chat_id);
    ctx.push_users(&audience, &intervened, None);
    assign::dispatch(ctx);
    Ok(())
}

/// Drops `chat` from a user's list of chats.
fn forget_chat(user: Option<&mut super::state::UserRec>, chat: &str) {
    if let Some(chats) = user.and_then(|u| u.profile.chats.as_mut()) {
        chats.retain(|c| c != chat);
    }
}

impl Sandbox {
    /// Scripting: a new supervisor intervenes in (takes over) an open chat. The chat's
    /// agents are replaced: they leave it and the supervisor becomes its agent, and every
    /// member (the replaced agents and the supervisor included) gets `chat:intervened
    /// {chat, interventor, intervenedUsers}`. Answers the supervisor, whose token opens a
    /// socket to act in the chat; `None` (and no supervisor is made) when the app or the
    /// chat is unknown or the chat is closed.
    ///
    /// The supervisor is an agent made from `supervisor`, but offline: the sandbox does
    /// not assign it other chats until [`set_inbenta_agent_online`](Sandbox::set_inbenta_agent_online).
    ///
    /// ```no_run
    /// # async fn demo(sandbox: lc_sandbox::Sandbox, chat_id: &str) {
    /// use lc_sandbox::NewInbentaAgent;
    /// let sue = sandbox
    ///     .intervene_inbenta_chat("app-1", chat_id, NewInbentaAgent::new("Sue"))
    ///     .expect("an open chat");
    /// // sue.token opens a socket as Sue: /v1/ws?appId=app-1&token=<sue.token>
    /// # let _ = sue;
    /// # }
    /// ```
    pub fn intervene_inbenta_chat(
        &self,
        app_id: &str,
        chat_id: &str,
        supervisor: NewInbentaAgent,
    ) -> Option<InbentaUser> {
        let hub = &self.shared.inbenta;
        let mut st = hub.lock();
        let open = st
            .apps
            .get(app_id)
            .and_then(|app| app.chats.get(chat_id))
            .is_some_and(|chat| !chat.closed);
        if !open {
            return None;
        }
        let supervisor = add_agent(&mut st, app_id, supervisor, false);
        let mut ctx = Ctx::new(hub, &mut st, app_id);
        match intervene(&mut ctx, chat_id, &supervisor.id) {
            Ok(()) => Some(supervisor),
            Err(fail) => {
                tracing::warn!(chat = chat_id, error = %fail.message, "intervention failed");
                None
            }
        }
    }
}
