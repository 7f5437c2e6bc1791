//! Who is in a chat: whether a user may see it, adding a chat to a user's list, and the
//! `user:joined` push. Both [`super::ops`] and [`super::assign`] build on it.

use super::ctx::{Ctx, Who};
use super::error::Fail;
use super::state::{ChatRec, UserRec};
use lc_protocol::inbenta::UserJoined;

/// Adds `chat` to the chats of `user` (once).
pub(crate) fn add_user_chat(user: Option<&mut UserRec>, chat: &str) {
    if let Some(user) = user {
        let chats = user.profile.chats.get_or_insert_with(Vec::new);
        if !chats.iter().any(|c| c == chat) {
            chats.push(chat.to_owned());
        }
    }
}

/// Checks that `who` may see `chat`: a member, or a server.
pub(crate) fn check_member(chat: &ChatRec, who: &Who) -> Result<(), Fail> {
    match who {
        Who::User(me) if !chat.is_member(me) => {
            Err(Fail::forbidden("You are not a member of this chat"))
        }
        _ => Ok(()),
    }
}

/// Pushes `user:joined` for `user` to the chat's members (the user included).
pub(crate) fn push_joined(ctx: &Ctx<'_>, chat_id: &str, user: &str) {
    let Ok(app) = ctx.app() else { return };
    let Ok(chat) = app.chat(chat_id) else { return };
    let joined = UserJoined {
        user: app.user_view(user),
        chat: Some(app.chat_view(chat, &["users"])),
        chat_id: Some(chat_id.to_owned()),
        sender: Some(user.to_owned()),
        transfer: Some(false),
        ..UserJoined::default()
    };
    ctx.push_chat(chat_id, &joined, None);
}
