//! Chat users: `add_user_to_chat`, `remove_user_from_chat` and the
//! `user_added_to_chat` push.

use super::access::{agent_id, chat_audience, notify};
use super::lifecycle::{join, require_presence};
use crate::chat_ops;
use crate::handler::{Ctx, err, invalid, not_found};
use crate::state::{ChatRec, ChatUserRec, Principal, State};
use crate::views;
use lc_protocol::agent::{self, push as agent_push};
use lc_protocol::error::{ApiError, ErrorType};
use lc_protocol::id::{AgentId, ChatId, CustomerId, UserId};
use lc_protocol::types::{UserType, Visibility};
use lc_protocol::{Api, ApiVersion, Empty};
use serde_json::Value;

/// `add_user_to_chat`: adds an agent (having access to the chat) or the chat's customer
/// (visibility `all` only; at most one customer). Since 3.4 the chat must be active,
/// `visibility` is required and the requester must be a chat user (unless
/// `ignore_requester_presence`); 3.3 requires an active chat only with
/// `require_active_thread`. Adding a user again updates its visibility and presence.
pub(super) fn add_user_to_chat(
    ctx: &mut Ctx<'_>,
    request: agent::AddUserToChat,
) -> Result<Empty, ApiError> {
    let modern = ctx.version >= ApiVersion::V3_4;
    let chat = chat_ops::visible_chat(ctx.state, &ctx.who, &request.chat_id)?;
    if (modern || request.require_active_thread.unwrap_or(false)) && !chat.is_active() {
        return Err(err(ErrorType::ChatInactive, "Chat is inactive"));
    }
    require_presence(ctx, chat, request.ignore_requester_presence)?;
    let visibility = match request.visibility {
        Some(v @ (Visibility::All | Visibility::Agents)) => v,
        Some(other) => return Err(invalid(format!("Unknown visibility `{other}`"))),
        None if modern => return Err(invalid("`visibility` is required")),
        None => Visibility::All,
    };
    let principal = new_user(
        ctx.state,
        chat,
        &request.user_id,
        &request.user_type,
        &visibility,
    )?;
    let new_user = chat.user(&principal).is_none();
    let had_agent = chat
        .users
        .iter()
        .any(|u| matches!(u.principal, Principal::Agent(_)));
    let user = ChatUserRec {
        principal: principal.clone(),
        visibility: visibility.clone(),
        present: true,
        events_seen_up_to: None,
    };
    if let Some(chat) = ctx.state.chats.get_mut(&request.chat_id) {
        join(chat, user);
    }
    let audience = ctx
        .state
        .chats
        .get(&request.chat_id)
        .map(chat_audience)
        .unwrap_or_default();
    let requester = ctx.agent_id().ok();
    push_user_added(
        ctx.state,
        &request.chat_id,
        audience,
        &principal,
        requester.as_ref(),
    );
    if new_user {
        let initiator = ctx.who.clone();
        let note = match &principal {
            Principal::Agent(_) if !had_agent => None,
            Principal::Agent(_) if principal == initiator => Some(("agent_joined", "agent")),
            Principal::Agent(_) => Some(("agent_added", "agent")),
            Principal::Customer(_) => Some(("customer_added", "customer")),
        };
        if let Some(note) = note {
            let chat_id = &request.chat_id;
            user_note(ctx.state, chat_id, note, &principal, &initiator, visibility);
        }
    }
    Ok(Empty {})
}

/// Writes the system message `kind` about `user` (named as `role` in its text
/// variables; the requester is the `initiator`) into the chat's active thread, as the
/// real service does when users are added to or removed from a chat: `agent_added`
/// ("%initiator% added %agent% to the chat"), `agent_joined` ("%agent% joined the
/// chat"), `customer_added`, `agent_removed` ("%initiator% removed %agent% from the
/// chat"), `agent_left` ("%agent% left the chat").
fn user_note(
    state: &mut State,
    chat_id: &ChatId,
    (kind, role): (&'static str, &str),
    user: &Principal,
    initiator: &Principal,
    visibility: Visibility,
) {
    // An inactive chat (3.3) gets no system message.
    if !state.chats.get(chat_id).is_some_and(ChatRec::is_active) {
        return;
    }
    let name = chat_ops::display_name(state, user);
    let by = chat_ops::display_name(state, initiator);
    let text = match kind {
        "agent_joined" => format!("{name} joined the chat"),
        "agent_left" => format!("{name} left the chat"),
        "agent_removed" => format!("{by} removed {name} from the chat"),
        _ => format!("{by} added {name} to the chat"),
    };
    let mut vars = std::collections::BTreeMap::from([(role.to_owned(), name)]);
    if !matches!(kind, "agent_joined" | "agent_left") {
        vars.insert("initiator".to_owned(), by);
    }
    let note = chat_ops::SystemNote {
        kind,
        text,
        vars,
        visibility,
    };
    chat_ops::system_note(state, chat_id, note);
}

/// Checks the user `add_user_to_chat` adds to `chat`.
fn new_user(
    state: &State,
    chat: &ChatRec,
    id: &UserId,
    kind: &UserType,
    visibility: &Visibility,
) -> Result<Principal, ApiError> {
    match kind {
        UserType::Agent => {
            let agent = agent_id(state, &Value::from(id.as_str()))?;
            if !state.agent_has_access(&agent, &chat.access) {
                return Err(invalid(format!(
                    "Agent `{agent}` has no access to the chat"
                )));
            }
            Ok(Principal::Agent(agent))
        }
        UserType::Customer => {
            let customer = CustomerId::new(id.as_str());
            if !state.customers.contains_key(&customer) {
                return Err(not_found(format_args!("Customer `{customer}`")));
            }
            if *visibility != Visibility::All {
                return Err(invalid("Customers are added with visibility `all`"));
            }
            if chat.customer().is_some_and(|c| *c != customer) {
                return Err(invalid("A chat has at most one customer"));
            }
            Ok(Principal::Customer(customer))
        }
        other => Err(invalid(format!("Unknown user type `{other}`"))),
    }
}

/// `remove_user_from_chat`: removes an agent (never the customer: `validation`). Since 3.4
/// the requester must be a chat user unless `ignore_requester_presence`; removing oneself
/// is always allowed. `user_removed_from_chat` also reaches the removed agent.
pub(super) fn remove_user_from_chat(
    ctx: &mut Ctx<'_>,
    request: agent::RemoveUserFromChat,
) -> Result<Empty, ApiError> {
    if request.user_type != UserType::Agent {
        return Err(invalid("Only agents can be removed from a chat"));
    }
    let target = Principal::Agent(AgentId::new(request.user_id.as_str()));
    let chat = chat_ops::visible_chat(ctx.state, &ctx.who, &request.chat_id)?;
    if target != ctx.who {
        require_presence(ctx, chat, request.ignore_requester_presence)?;
    }
    let user = chat
        .user(&target)
        .ok_or_else(|| not_found(format_args!("User `{}` in the chat", request.user_id)))?;
    let seen_by_customer = user.visibility == Visibility::All;
    let removed_visibility = user.visibility.clone();
    let audience = chat_audience(chat);
    let payload = agent_push::UserRemovedFromChat {
        chat_id: request.chat_id.clone(),
        thread_id: chat.active_thread().map(|t| t.id.clone()),
        user_id: request.user_id.clone(),
        reason: "manual".to_owned(),
        requester_id: ctx.agent_id().ok(),
        extra: Default::default(),
    };
    if let Some(chat) = ctx.state.chats.get_mut(&request.chat_id) {
        chat.users.retain(|u| u.principal != target);
    }
    let customer = seen_by_customer.then_some(&payload);
    notify(
        ctx.state,
        &request.chat_id,
        audience,
        "user_removed_from_chat",
        &payload,
        customer,
    );
    let note = if target == ctx.who {
        ("agent_left", "agent")
    } else {
        ("agent_removed", "agent")
    };
    let who = ctx.who.clone();
    user_note(
        ctx.state,
        &request.chat_id,
        note,
        &target,
        &who,
        removed_visibility,
    );
    Ok(Empty {})
}

/// Queues `user_added_to_chat` for the chat user `who` (the customer gets it only for a
/// user visible to all).
pub(super) fn push_user_added(
    state: &mut State,
    chat_id: &ChatId,
    audience: Vec<AgentId>,
    who: &Principal,
    requester: Option<&AgentId>,
) {
    let Some(chat) = state.chats.get(chat_id) else {
        return;
    };
    let Some(user) = chat.user(who) else {
        return;
    };
    let thread_id = chat.active_thread().map(|t| t.id.clone());
    let payload = |api: Api| agent_push::UserAddedToChat {
        chat_id: chat_id.clone(),
        thread_id: thread_id.clone(),
        user: views::user_view(state, user, api),
        reason: "manual".to_owned(),
        requester_id: requester.cloned(),
        extra: Default::default(),
    };
    let for_agents = payload(Api::Agent);
    let for_customer = (user.visibility == Visibility::All).then(|| payload(Api::Customer));
    notify(
        state,
        chat_id,
        audience,
        "user_added_to_chat",
        &for_agents,
        for_customer.as_ref(),
    );
}
