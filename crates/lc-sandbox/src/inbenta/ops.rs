//! Chats: creation, reading, joining, closing (by request or after inactivity) and
//! history, for both channels.

use super::assign;
use super::ctx::{Ctx, Who};
use super::error::Fail;
use super::hub::Hub;
use super::membership::{add_user_chat, check_member, push_joined};
use super::state::{ChatRec, whole_seconds};
use lc_protocol::inbenta::{
    ChatClosed, ChatTimerExpiryAlert, ChatsCreate, HistoryEntry, InbentaChat,
    InbentaSystemInfoData, SystemInfo,
};
use serde_json::{Map, Value};
use tokio::time::Instant;

/// Creates a chat (`chats:create`, `POST /v1/chats`); in queue mode it enters its room's queue.
pub(crate) fn create_chat(
    ctx: &mut Ctx<'_>,
    who: &Who,
    req: ChatsCreate,
) -> Result<InbentaChat, Fail> {
    let creator = who.acting_as(Some(&req.creator), "creator")?;
    let app = ctx.app()?;
    app.user(&creator)?;
    if !app.has_room(&req.room) {
        return Err(Fail::bad_request(format!("Unknown room `{}`", req.room)));
    }
    if app.open_chat_of(&creator).is_some() {
        return Err(Fail::conflict("User already has a chat"));
    }
    let id = ctx.st.mint("c");
    let chat = ChatRec {
        id: id.clone(),
        creator: creator.clone(),
        room: req.room,
        source: req.source,
        lang: req.lang,
        external_id: req.external_id,
        closed: false,
        members: vec![creator.clone()],
        history: req.history.unwrap_or_default(),
        messages: Vec::new(),
        agent: None,
        invited: None,
        tried: Vec::new(),
        searching: false,
        search_gen: 0,
        waiters: Vec::new(),
        queued_since: None,
        last_message: Instant::now(),
        ticket: None,
    };
    let app = ctx.app_mut()?;
    app.chats.insert(id.clone(), chat);
    add_user_chat(app.users.get_mut(&creator), &id);
    let queue_mode = app.config.queue_mode;
    let view = {
        let app = ctx.app()?;
        app.chat_view(app.chat(&id)?, &["users"])
    };
    if queue_mode {
        assign::enqueue(ctx, &id);
    }
    start_inactivity(ctx, &id);
    Ok(view)
}

/// The chat with the related `fields` (comma-separated `users,watchers,history`).
pub(crate) fn get_chat(
    ctx: &Ctx<'_>,
    who: &Who,
    id: &str,
    fields: &str,
) -> Result<InbentaChat, Fail> {
    let app = ctx.app()?;
    let chat = app.chat(id)?;
    check_member(chat, who)?;
    let fields: Vec<&str> = fields.split(',').map(str::trim).collect();
    Ok(app.chat_view(chat, &fields))
}

/// Has `user` join `chat` (`chats:join`): an agent takes the chat if it has none; an end
/// user may join their own chat only.
pub(crate) fn join(ctx: &mut Ctx<'_>, who: &Who, chat_id: &str, user_id: &str) -> Result<(), Fail> {
    let user = who.acting_as(Some(user_id), "userId")?;
    let app = ctx.app()?;
    let is_agent = app.user(&user)?.agent.is_some();
    let chat = app.chat(chat_id)?;
    if chat.closed {
        return Err(Fail::bad_request("The chat is closed"));
    }
    if chat.is_member(&user) {
        return Ok(());
    }
    if !is_agent && chat.creator != user && *who != Who::Server {
        return Err(Fail::forbidden("Only agents may join other users' chats"));
    }
    if is_agent && chat.agent.is_none() {
        assign::assign_to(ctx, chat_id, &user);
        return Ok(());
    }
    let app = ctx.app_mut()?;
    app.chat_mut(chat_id)?.members.push(user.clone());
    add_user_chat(app.users.get_mut(&user), chat_id);
    push_joined(ctx, chat_id, &user);
    Ok(())
}

/// Closes a chat: `chat:closed` to its members, then `system:info` with the ticket
/// (after the reply when `defer`); queued chats move up and the agent is free again.
pub(crate) fn close_chat(
    ctx: &mut Ctx<'_>,
    chat_id: &str,
    by: &str,
    extra: Option<Map<String, Value>>,
    defer: bool,
) -> Result<(), Fail> {
    let ticket = ctx.st.mint("t-");
    let chat = ctx.app_mut()?.chat_mut(chat_id)?;
    if chat.closed {
        return Err(Fail::bad_request("The chat is already closed"));
    }
    chat.closed = true;
    chat.invited = None;
    chat.searching = false;
    chat.ticket = Some(ticket.clone());
    chat.resolve_waiters(None);
    assign::remove_from_queue(ctx, chat_id);
    let closed = ChatClosed {
        chat_id: chat_id.to_owned(),
        user_id: by.to_owned(),
        extra_data: extra,
        extra: Map::new(),
    };
    ctx.push_chat(chat_id, &closed, None);
    let info = SystemInfo {
        chat_id: Some(chat_id.to_owned()),
        data: Some(InbentaSystemInfoData {
            ticket_id: Some(Value::String(ticket)),
            extra: Map::new(),
        }),
        extra: Map::new(),
    };
    if defer {
        ctx.push_chat_later(chat_id, &info);
    } else {
        ctx.push_chat(chat_id, &info, None);
    }
    assign::dispatch(ctx);
    Ok(())
}

/// Appends `entries` to a chat's history; answers the whole history.
pub(crate) fn import_history(
    ctx: &mut Ctx<'_>,
    who: &Who,
    chat_id: &str,
    entries: Vec<HistoryEntry>,
) -> Result<Vec<HistoryEntry>, Fail> {
    let chat = ctx.app_mut()?.chat_mut(chat_id)?;
    check_member(chat, who)?;
    chat.history.extend(entries);
    Ok(chat.history.clone())
}

/// The history of a chat.
pub(crate) fn history(ctx: &Ctx<'_>, who: &Who, chat_id: &str) -> Result<Vec<HistoryEntry>, Fail> {
    let chat = ctx.app()?.chat(chat_id)?;
    check_member(chat, who)?;
    Ok(chat.history.clone())
}

/// Starts the inactivity timer of a new chat, when the app has one.
pub(crate) fn start_inactivity(ctx: &Ctx<'_>, chat_id: &str) {
    let Some((after, grace)) = ctx.app().ok().and_then(|a| a.config.inactivity) else {
        return;
    };
    let hub = ctx.hub.clone();
    let (app, chat) = (ctx.app.clone(), chat_id.to_owned());
    // The state this timer belongs to: a loaded state replacing it ends the timer.
    let era = ctx.st.restores;
    ctx.hub.spawn(async move {
        let last_message = |hub: &Hub| {
            let st = hub.lock();
            if st.restores != era {
                return None;
            }
            let chat = st.apps.get(&app).and_then(|a| a.chats.get(&chat));
            chat.filter(|c| !c.closed).map(|c| c.last_message)
        };
        loop {
            let Some(last) = last_message(&hub) else {
                return;
            };
            if Instant::now() < last + after {
                tokio::time::sleep_until(last + after).await;
                continue;
            }
            let alerted = Instant::now();
            {
                let mut st = hub.lock();
                let ctx = Ctx::new(&hub, &mut st, &app);
                let alert = ChatTimerExpiryAlert {
                    chat_id: chat.clone(),
                    time_left: whole_seconds(grace),
                    extra: Map::new(),
                };
                ctx.push_chat(&chat, &alert, None);
            }
            tokio::time::sleep(grace).await;
            let Some(last) = last_message(&hub) else {
                return;
            };
            if last > alerted {
                continue;
            }
            let mut st = hub.lock();
            let mut ctx = Ctx::new(&hub, &mut st, &app);
            let mut extra = Map::new();
            extra.insert("reason".into(), Value::from("inactivity"));
            let _ = close_chat(&mut ctx, &chat, "system", Some(extra), false);
            return;
        }
    });
}
