//! Starting, resuming and closing chats (`start_chat`, `resume_chat`, `deactivate_chat`),
//! following them (`follow_chat`, `unfollow_chat`), and helpers on chat users.

use crate::chat_ops::{self, NewThread};
use crate::handler::{Ctx, err, invalid};
use crate::outbox::Audience;
use crate::state::{ChatRec, ChatUserRec, Principal, State};
use crate::views;
use lc_protocol::agent::{self, push as agent_push};
use lc_protocol::error::{ApiError, ErrorType};
use lc_protocol::id::{AgentId, ChatId, CustomerId};
use lc_protocol::types::{Access, TransferredFrom};
use lc_protocol::{ApiVersion, Empty};

/// `start_chat`: a new chat with the requester (and the listed users) and a thread.
pub(super) fn start_chat(
    ctx: &mut Ctx<'_>,
    request: agent::StartChat,
) -> Result<agent::StartChatResponse, ApiError> {
    let chat = request.chat.unwrap_or_default();
    let users = chat_ops::initial_users(
        ctx.state,
        &ctx.who,
        chat.users.as_deref().unwrap_or_default(),
    )?;
    let thread = chat.thread.unwrap_or_default();
    let chat_id = chat_ops::create_chat(ctx.state, users, chat.access, chat.properties);
    let new = NewThread {
        events: thread.events.unwrap_or_default(),
        properties: thread.properties,
        active: request.active.unwrap_or(true),
    };
    let opened = chat_ops::open_thread(ctx.state, &chat_id, &ctx.who, new);
    let (thread_id, event_ids) = match opened {
        Ok(opened) => opened,
        Err(e) => {
            // Nothing of a failed request stays.
            ctx.state.chats.remove(&chat_id);
            return Err(e);
        }
    };
    chat_ops::set_continuous(ctx.state, &chat_id, request.continuous);
    chat_ops::push_incoming_chat(ctx.state, &chat_id, &ctx.who);
    if let Some(customer) = ctx
        .state
        .chats
        .get(&chat_id)
        .and_then(|c| c.customer().cloned())
    {
        super::super::customers::announce_statistics(ctx.state, &customer);
    }
    Ok(agent::StartChatResponse {
        chat_id,
        thread_id,
        event_ids: (!event_ids.is_empty()).then_some(event_ids),
        ..Default::default()
    })
}

/// `resume_chat`: a new thread in an inactive chat, with the requester (and the listed
/// users) as users; `access` replaces the chat's access, `properties` are merged and
/// `continuous` is stored as the chat property `routing.continuous`. The chat's followers
/// stop following it (following lasts until the chat is reactivated). An active chat is a
/// `validation` error ([I]).
pub(super) fn resume_chat(
    ctx: &mut Ctx<'_>,
    request: agent::ResumeChat,
) -> Result<agent::ResumeChatResponse, ApiError> {
    let wanted = request.chat;
    let chat = chat_ops::visible_chat(ctx.state, &ctx.who, &wanted.id)?;
    if chat.is_active() {
        return Err(invalid(
            "The chat is already active: only an inactive chat can be resumed",
        ));
    }
    let listed = chat_ops::initial_users(
        ctx.state,
        &ctx.who,
        wanted.users.as_deref().unwrap_or_default(),
    )?;
    let customers = chat
        .customer()
        .into_iter()
        .chain(listed.iter().filter_map(|u| customer_of(&u.principal)));
    if customers.collect::<std::collections::BTreeSet<_>>().len() > 1 {
        return Err(invalid("A chat has at most one customer"));
    }
    let thread = wanted.thread.unwrap_or_default();
    let new = NewThread {
        events: thread.events.unwrap_or_default(),
        properties: thread.properties,
        active: request.active.unwrap_or(true),
    };
    let (thread_id, event_ids) = chat_ops::open_thread(ctx.state, &wanted.id, &ctx.who, new)?;
    let seen = ctx.state.clock.stamp();
    if let Some(chat) = ctx.state.chats.get_mut(&wanted.id) {
        for user in listed {
            join(chat, user);
        }
        if let Some(me) = chat.user_mut(&ctx.who) {
            me.events_seen_up_to = Some(seen);
        }
        if let Some(access) = wanted.access {
            set_access(chat, access);
        }
        if let Some(properties) = &wanted.properties {
            chat.properties.merge(properties);
        }
        chat.followers.clear();
        chat.unfollowers.clear();
    }
    chat_ops::set_continuous(ctx.state, &wanted.id, request.continuous);
    chat_ops::push_incoming_chat(ctx.state, &wanted.id, &ctx.who);
    if let Some(customer) = ctx
        .state
        .chats
        .get(&wanted.id)
        .and_then(|c| c.customer().cloned())
    {
        super::super::customers::announce_statistics(ctx.state, &customer);
    }
    Ok(agent::ResumeChatResponse {
        thread_id,
        event_ids: (!event_ids.is_empty()).then_some(event_ids),
        ..Default::default()
    })
}

/// `deactivate_chat`: closes the active thread (the requester must be a chat user since
/// 3.4, unless `ignore_requester_presence`).
pub(super) fn deactivate_chat(
    ctx: &mut Ctx<'_>,
    request: agent::DeactivateChat,
) -> Result<Empty, ApiError> {
    let chat = chat_ops::visible_chat(ctx.state, &ctx.who, &request.id)?;
    require_presence(ctx, chat, request.ignore_requester_presence)?;
    let who = ctx.who.clone();
    chat_ops::deactivate(ctx.state, &request.id, Some(&who))?;
    Ok(Empty {})
}

/// Makes `user` a present user of `chat` (already a user: present again).
pub(super) fn join(chat: &mut ChatRec, user: ChatUserRec) {
    match chat.user_mut(&user.principal) {
        Some(existing) => {
            existing.present = true;
            existing.visibility = user.visibility;
        }
        None => chat.users.push(user),
    }
}

/// Sets the access of the chat and of its active thread.
pub(super) fn set_access(chat: &mut ChatRec, access: Access) {
    if let Some(thread) = chat.active_thread_mut() {
        thread.access = access.clone();
    }
    chat.access = access;
}

/// The customer `principal` is, if it is one.
pub(super) fn customer_of(principal: &Principal) -> Option<&CustomerId> {
    match principal {
        Principal::Customer(id) => Some(id),
        Principal::Agent(_) => None,
    }
}

/// The agent users of `chat`.
pub(super) fn chat_agents(chat: &ChatRec) -> Vec<AgentId> {
    chat.users
        .iter()
        .filter_map(|u| match &u.principal {
            Principal::Agent(id) => Some(id.clone()),
            Principal::Customer(_) => None,
        })
        .collect()
}

/// Since 3.4 the requester must be a user of the chat, unless `ignore` (the request's
/// `ignore_requester_presence`); `authorization` otherwise.
pub(super) fn require_presence(
    ctx: &Ctx<'_>,
    chat: &ChatRec,
    ignore: Option<bool>,
) -> Result<(), ApiError> {
    if ctx.version < ApiVersion::V3_4 || ignore.unwrap_or(false) || chat.user(&ctx.who).is_some() {
        Ok(())
    } else {
        Err(err(
            ErrorType::Authorization,
            "The requester is not a user of the chat",
        ))
    }
}

// ---------------------------------------------------------------------------------------
// Following
// ---------------------------------------------------------------------------------------

/// `follow_chat`: the requester gets the chat's pushes until it unfollows or the chat is
/// resumed; `incoming_chat` goes to it unless it already is a user or a follower.
pub(super) fn follow_chat(
    ctx: &mut Ctx<'_>,
    request: agent::FollowChat,
) -> Result<Empty, ApiError> {
    let me = ctx.agent_id()?;
    let chat = chat_ops::visible_chat_mut(ctx.state, &ctx.who, &request.id)?;
    if chat.user(&ctx.who).is_some() || !chat.followers.insert(me.clone()) {
        return Ok(Empty {});
    }
    chat.unfollowers.remove(&me);
    push_incoming_chat_to(ctx.state, &request.id, &ctx.who, &me, None);
    Ok(Empty {})
}

/// `unfollow_chat`: the requester stops following the chat; its other connections get
/// `chat_unfollowed`. Chat users cannot unfollow (`validation`); unfollowing a chat one
/// does not follow changes nothing.
pub(super) fn unfollow_chat(
    ctx: &mut Ctx<'_>,
    request: agent::UnfollowChat,
) -> Result<Empty, ApiError> {
    let me = ctx.agent_id()?;
    let chat = chat_ops::visible_chat_mut(ctx.state, &ctx.who, &request.id)?;
    if chat.user(&ctx.who).is_some() {
        return Err(invalid("Chat users cannot unfollow their chat"));
    }
    if !chat.followers.remove(&me) {
        return Ok(Empty {});
    }
    chat.unfollowers.insert(me.clone());
    let payload = agent_push::ChatUnfollowed {
        chat_id: request.id,
        extra: Default::default(),
    };
    for conn in ctx.state.agent_conns(&me) {
        if Some(conn) != ctx.conn {
            ctx.state
                .outbox
                .agents(Audience::Conn(conn), "chat_unfollowed", &payload);
        }
    }
    Ok(Empty {})
}

/// Queues `incoming_chat` for `agent` alone, with the chat as it sees it (latest thread).
pub(super) fn push_incoming_chat_to(
    state: &mut State,
    chat_id: &ChatId,
    requester: &Principal,
    agent: &AgentId,
    transferred_from: Option<TransferredFrom>,
) {
    let Some(chat) = state.chats.get(chat_id) else {
        return;
    };
    let viewer = Principal::Agent(agent.clone());
    let payload = agent_push::IncomingChat {
        requester_id: Some(requester.user_id()),
        chat: views::chat_view(state, chat, chat.threads.last(), &viewer),
        transferred_from,
        extra: Default::default(),
    };
    state.outbox.agents(
        Audience::Agents(vec![agent.clone()]),
        "incoming_chat",
        &payload,
    );
}
