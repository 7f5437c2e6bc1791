//! The client events of the realtime channel, each mapped onto [`ops`].

use super::assign::{self, AssignStart};
use super::ctx::{Ctx, Who};
use super::error::{Fail, parse};
use super::membership::check_member;
use super::messages::{self, Post};
use super::state::ConnId;
use super::{ops, users};
use lc_protocol::inbenta::{
    ChatsClose, ChatsCreate, ChatsGet, ChatsJoin, HistoryImport, InbentaAgent, InbentaMessageType,
    MessagesRead, MessagesSend, UserFocus, UsersActivity, UsersChats,
};
use serde_json::{Value, json};
use std::time::Duration;

/// How an event is answered.
pub(crate) enum Outcome {
    /// Now, with this data.
    Now(Value),
    /// When the agent search ends.
    Later(assign::Waiting),
}

/// The reply of `chats:assign`: `{agent}`, or `{}` when none was found.
pub(crate) fn assign_reply(agent: Option<InbentaAgent>) -> Value {
    match agent {
        Some(agent) => json!({ "agent": agent }),
        None => json!({}),
    }
}

/// `chats:assign` data: `interval` may be fractional (seconds), unlike the typed event.
pub(crate) struct AssignArgs {
    pub(crate) chat_id: String,
    pub(crate) max_attempts: Option<u32>,
    pub(crate) interval: Option<Duration>,
}

impl AssignArgs {
    /// Reads `chatId`, `maxAttempts` and `interval` from an object (event data or query).
    pub(crate) fn from_value(data: &Value) -> Result<Self, Fail> {
        let chat_id = match data.get("chatId") {
            Some(Value::String(id)) => id.clone(),
            Some(_) => return Err(Fail::bad_request("`chatId` must be a string")),
            None => return Err(Fail::bad_request("`chatId` is required")),
        };
        let number = |key: &str| -> Result<Option<f64>, Fail> {
            match data.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::Number(n)) => Ok(n.as_f64()),
                Some(Value::String(s)) => s
                    .parse::<f64>()
                    .map(Some)
                    .map_err(|_| Fail::bad_request(format!("`{key}` must be a number"))),
                Some(_) => Err(Fail::bad_request(format!("`{key}` must be a number"))),
            }
        };
        let max_attempts = match number("maxAttempts")? {
            Some(n) if n >= 0.0 && n.fract() == 0.0 && n <= f64::from(u32::MAX) => Some(n as u32),
            Some(_) => return Err(Fail::bad_request("`maxAttempts` must be a whole number")),
            None => None,
        };
        let interval = match number("interval")? {
            Some(s) if s.is_finite() && (0.0..=86_400.0).contains(&s) => {
                Some(Duration::from_secs_f64(s))
            }
            Some(_) => return Err(Fail::bad_request("`interval` must be 0 to 86400 seconds")),
            None => None,
        };
        Ok(Self {
            chat_id,
            max_attempts,
            interval,
        })
    }
}

/// Runs event `name` for `who` on socket `conn`.
pub(crate) fn run(
    ctx: &mut Ctx<'_>,
    who: &Who,
    conn: ConnId,
    name: &str,
    data: &Value,
) -> Result<Outcome, Fail> {
    let now = |v: Value| Ok(Outcome::Now(v));
    match name {
        "chats:create" => {
            let chat = ops::create_chat(ctx, who, parse::<ChatsCreate>(name, data)?)?;
            now(json!({ "chat": chat }))
        }
        "chats:get" => {
            let req = parse::<ChatsGet>(name, data)?;
            let fields = req.fields.unwrap_or_default();
            now(json!({ "chat": ops::get_chat(ctx, who, &req.chat_id, &fields)? }))
        }
        "chats:assign" => {
            let args = AssignArgs::from_value(data)?;
            match assign::request_assign(ctx, who, &args.chat_id, args.max_attempts, args.interval)?
            {
                AssignStart::Done(agent) => now(assign_reply(agent)),
                AssignStart::Wait(rx) => Ok(Outcome::Later(rx)),
            }
        }
        "chats:join" => {
            let req = parse::<ChatsJoin>(name, data)?;
            ops::join(ctx, who, &req.chat_id, &req.user_id)?;
            now(json!({ "success": true }))
        }
        "messages:send" => {
            let req = parse::<MessagesSend>(name, data)?;
            let post = Post {
                chat: req.chat_id,
                sender: req.sender,
                kind: InbentaMessageType::Text,
                content: Value::String(req.message),
                event_id: Some(req.event_id.clone()),
            };
            let message = messages::post_message(ctx, who, post, Some(conn))?;
            now(json!({ "eventId": req.event_id, "message": message }))
        }
        "users:activity" => {
            let req = parse::<UsersActivity>(name, data)?;
            messages::activity(ctx, who, &req.chat_id, &req.user_id, req.kind, Some(conn))?;
            now(json!({ "success": true }))
        }
        "user:focus" => {
            let req = parse::<UserFocus>(name, data)?;
            if let Some(chat) = req.chat_id {
                check_member(ctx.app()?.chat(&chat)?, who)?;
            }
            now(json!({ "success": true }))
        }
        "messages:read" => {
            let req = parse::<MessagesRead>(name, data)?;
            let (message, event_id) =
                messages::read_message(ctx, who, &req.message_id, Some(&req.user_id), Some(conn))?;
            let mut reply = json!({ "message": message });
            if let Some(event_id) = event_id {
                reply["eventId"] = Value::String(event_id);
            }
            now(reply)
        }
        "chats:close" => {
            let req = parse::<ChatsClose>(name, data)?;
            let by = who.acting_as(Some(&req.user_id), "userId")?;
            check_member(ctx.app()?.chat(&req.chat_id)?, who)?;
            ops::close_chat(ctx, &req.chat_id, &by, req.extra_data, true)?;
            now(json!({ "success": true }))
        }
        "history:import" => {
            let req = parse::<HistoryImport>(name, data)?;
            let history = ops::import_history(ctx, who, &req.chat_id, req.history)?;
            now(json!({ "history": history }))
        }
        "users:chats" => {
            let req = parse::<UsersChats>(name, data)?;
            now(json!({ "chats": users::user_chats(ctx, who, &req.user_id)? }))
        }
        other => Err(Fail::bad_request(format!("Unknown event `{other}`"))),
    }
}
