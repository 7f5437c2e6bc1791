//! Messages, read receipts and activity.

use super::ctx::{Ctx, Who};
use super::error::Fail;
use super::membership::check_member;
use super::state::{ConnId, MessageRec, unix_now};
use lc_protocol::inbenta::{
    HistoryEntry, InbentaActivityType, InbentaHistoryEntryType, InbentaMessage, InbentaMessageType,
    MessageRead, MessageReceived, UserActivity,
};
use serde_json::{Map, Value};
use tokio::time::Instant;

/// A message to post: text, or a media object.
pub(crate) struct Post {
    pub(crate) chat: String,
    pub(crate) sender: Option<String>,
    pub(crate) kind: InbentaMessageType,
    pub(crate) content: Value,
    pub(crate) event_id: Option<String>,
}

/// Posts a message and pushes `message:received` to every socket of the chat's members
/// except `except` (the sending socket of `messages:send`).
pub(crate) fn post_message(
    ctx: &mut Ctx<'_>,
    who: &Who,
    post: Post,
    except: Option<ConnId>,
) -> Result<InbentaMessage, Fail> {
    let sender = who.acting_as(post.sender.as_deref(), "sender")?;
    let chat = ctx.app()?.chat(&post.chat)?;
    if !chat.is_member(&sender) {
        return Err(Fail::forbidden("The sender is not a member of this chat"));
    }
    if chat.closed {
        return Err(Fail::bad_request("The chat is closed"));
    }
    let id = ctx.st.mint("m");
    let created = unix_now();
    let mut message = InbentaMessage {
        id: id.clone(),
        chat: Some(post.chat.clone()),
        sender: Some(Value::String(sender.clone())),
        kind: Some(post.kind.clone()),
        message: Some(post.content.clone()),
        ..InbentaMessage::default()
    };
    message.extra.insert("created".into(), created.into());
    let entry_kind = match post.kind {
        InbentaMessageType::Text => InbentaHistoryEntryType::Text,
        _ => InbentaHistoryEntryType::Object,
    };
    let app = ctx.app_mut()?;
    let chat = app.chat_mut(&post.chat)?;
    chat.messages.push(id.clone());
    chat.last_message = Instant::now();
    chat.history.push(HistoryEntry {
        created,
        kind: entry_kind,
        message: post.content,
        sender: sender.clone(),
        extra: Map::new(),
    });
    app.messages.insert(
        id,
        MessageRec {
            message: message.clone(),
            chat: post.chat.clone(),
            sender,
            event_id: post.event_id.clone(),
            read_by: Vec::new(),
        },
    );
    let received = MessageReceived {
        message: message.clone(),
        event_id: post.event_id,
        ..MessageReceived::default()
    };
    ctx.push_chat(&post.chat, &received, except);
    Ok(message)
}

/// The messages of a chat, oldest first.
pub(crate) fn list_messages(
    ctx: &Ctx<'_>,
    who: &Who,
    chat_id: &str,
) -> Result<Vec<InbentaMessage>, Fail> {
    let app = ctx.app()?;
    let chat = app.chat(chat_id)?;
    check_member(chat, who)?;
    Ok(chat
        .messages
        .iter()
        .filter_map(|m| app.messages.get(m).map(|r| r.message.clone()))
        .collect())
}

/// Marks a message read by `user` and pushes `message:read` to the message's sender.
/// Answers the message's `(id, chat, sender)` summary and its `eventId`.
pub(crate) fn read_message(
    ctx: &mut Ctx<'_>,
    who: &Who,
    message_id: &str,
    user: Option<&str>,
    except: Option<ConnId>,
) -> Result<(InbentaMessage, Option<String>), Fail> {
    let reader = who.acting_as(user, "userId")?;
    let app = ctx.app_mut()?;
    let record = app
        .messages
        .get(message_id)
        .ok_or_else(|| Fail::not_found("Message not found"))?;
    let chat = app.chat(&record.chat)?;
    if !chat.is_member(&reader) {
        return Err(Fail::forbidden("You are not a member of this chat"));
    }
    let (sender, event_id) = (record.sender.clone(), record.event_id.clone());
    let summary = InbentaMessage {
        id: message_id.to_owned(),
        chat: Some(record.chat.clone()),
        sender: Some(Value::String(sender.clone())),
        ..InbentaMessage::default()
    };
    if let Some(record) = app.messages.get_mut(message_id)
        && !record.read_by.contains(&reader)
    {
        record.read_by.push(reader.clone());
    }
    let read = MessageRead {
        message: summary.clone(),
        event_id: event_id.clone(),
        user_id: Some(reader),
        ..MessageRead::default()
    };
    ctx.push_users(&[sender], &read, except);
    Ok((summary, event_id))
}

/// Relays a user's activity to every socket of the chat's members except `except` (the
/// sending socket of `users:activity`).
pub(crate) fn activity(
    ctx: &Ctx<'_>,
    who: &Who,
    chat_id: &str,
    user: &str,
    kind: InbentaActivityType,
    except: Option<ConnId>,
) -> Result<(), Fail> {
    let user = who.acting_as(Some(user), "userId")?;
    if kind.is_unknown() {
        return Err(Fail::bad_request(format!(
            "Unknown activity type `{kind}`: use writing, stop-writing or not-writing"
        )));
    }
    let chat = ctx.app()?.chat(chat_id)?;
    if !chat.is_member(&user) {
        return Err(Fail::forbidden("You are not a member of this chat"));
    }
    let push = UserActivity {
        user_id: user,
        kind,
        chat_id: Some(chat_id.to_owned()),
        extra: Map::new(),
    };
    ctx.push_chat(chat_id, &push, except);
    Ok(())
}
