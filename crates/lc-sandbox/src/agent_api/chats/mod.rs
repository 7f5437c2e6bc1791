//! Agent actions on chats: listings (`list_chats`, `list_threads`, `get_chat`,
//! `list_archives`), starting, resuming and closing chats, following them, their access
//! (3.3 `grant_chat_access` / `revoke_chat_access`, `transfer_chat`) and their users
//! (`add_user_to_chat`, `remove_user_from_chat`, `list_agents_for_transfer`).
//!
//! Choices where the protocol notes are silent ([I]):
//! - a thread is readable by the chat's users and followers and by the agents having the
//!   thread's access; an unreadable thread is `not_found`, as an invisible chat is;
//! - errors the agent API does not document for a case (a resumed chat that is active, a
//!   transfer with no available agent, a target without access) are `validation` errors;
//! - pushes about users who leave a chat (transfer, removal) also reach those users: their
//!   audience is taken before the change.
//!
//! One file per topic: `listing` (`list_chats`, `list_threads`, `get_chat`), `archives`
//! (`list_archives`, with its checks in `archive_filter` and the shared filter plumbing in
//! `filters`), `lifecycle` (start, resume, deactivate, follow, unfollow), `access`,
//! `transfer` and `users`.

mod access;
mod archive_filter;
mod archives;
mod filters;
mod lifecycle;
mod listing;
mod transfer;
mod users;

use crate::handler::{Ctx, Reply, run};
use serde_json::value::RawValue;

/// Handles the chat actions; `None` for actions of other topics.
pub(super) fn handle(ctx: &mut Ctx<'_>, action: &str, payload: &RawValue) -> Option<Reply> {
    Some(match action {
        "list_chats" => run(ctx, payload, listing::list_chats),
        "list_threads" => run(ctx, payload, listing::list_threads),
        "get_chat" => run(ctx, payload, listing::get_chat),
        "list_archives" => run(ctx, payload, archives::list_archives),
        "start_chat" => run(ctx, payload, lifecycle::start_chat),
        "resume_chat" => run(ctx, payload, lifecycle::resume_chat),
        "deactivate_chat" => run(ctx, payload, lifecycle::deactivate_chat),
        "follow_chat" => run(ctx, payload, lifecycle::follow_chat),
        "unfollow_chat" => run(ctx, payload, lifecycle::unfollow_chat),
        "grant_chat_access" => run(ctx, payload, access::grant_chat_access),
        "revoke_chat_access" => run(ctx, payload, access::revoke_chat_access),
        "transfer_chat" => run(ctx, payload, transfer::transfer_chat),
        "add_user_to_chat" => run(ctx, payload, users::add_user_to_chat),
        "remove_user_from_chat" => run(ctx, payload, users::remove_user_from_chat),
        "list_agents_for_transfer" => run(ctx, payload, transfer::list_agents_for_transfer),
        _ => return None,
    })
}
