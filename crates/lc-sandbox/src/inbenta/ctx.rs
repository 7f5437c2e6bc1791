//! What every Inbenta operation works with: who makes the request ([`Who`]) and the
//! operation's view of the state ([`Ctx`]), with the pushes it sends.

use super::error::Fail;
use super::hub::Hub;
use super::state::{AppRec, ConnId, InbState, Out};
use lc_protocol::wire::inbenta::encode_push;
use serde::Serialize;
use std::sync::Arc;

/// Who makes a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Who {
    /// A user (end user or agent) with a session token.
    User(String),
    /// A server, with the app secret: may act for anyone.
    Server,
}

impl Who {
    /// The acting user: a user's own id; for a server, `given` (required).
    pub(crate) fn acting_as(&self, given: Option<&str>, field: &str) -> Result<String, Fail> {
        match (self, given) {
            (Who::User(me), Some(other)) if other != me => Err(Fail::forbidden(format!(
                "`{field}` must be the authenticated user"
            ))),
            (Who::User(me), _) => Ok(me.clone()),
            (Who::Server, Some(given)) => Ok(given.to_owned()),
            (Who::Server, None) => Err(Fail::bad_request(format!("`{field}` is required"))),
        }
    }
}

/// One operation's view of the state: the app it runs in, and the frames to send once
/// the request is answered.
pub(crate) struct Ctx<'a> {
    pub(crate) hub: &'a Arc<Hub>,
    pub(crate) st: &'a mut InbState,
    pub(crate) app: String,
    /// Frames sent after the reply (e.g. `system:info` after `chats:close`).
    pub(crate) later: Vec<(crate::out_queue::OutQueue, String)>,
}

impl<'a> Ctx<'a> {
    pub(crate) fn new(hub: &'a Arc<Hub>, st: &'a mut InbState, app: &str) -> Self {
        Self {
            hub,
            st,
            app: app.to_owned(),
            later: Vec::new(),
        }
    }

    pub(crate) fn app(&self) -> Result<&AppRec, Fail> {
        self.st.app(&self.app)
    }

    pub(crate) fn app_mut(&mut self) -> Result<&mut AppRec, Fail> {
        self.st.app_mut(&self.app)
    }

    /// Pushes `payload` to every socket of `users`, except `except`.
    pub(crate) fn push_users<P: lc_protocol::PushPayload + Serialize>(
        &self,
        users: &[String],
        payload: &P,
        except: Option<ConnId>,
    ) {
        if let Some(frame) = push_frame(payload) {
            self.st.send_to_users(&self.app, users, &frame, except);
        }
    }

    /// Pushes `payload` to every socket of every member of `chat`, except `except`.
    pub(crate) fn push_chat<P: lc_protocol::PushPayload + Serialize>(
        &self,
        chat: &str,
        payload: &P,
        except: Option<ConnId>,
    ) {
        let members = self.members(chat);
        self.push_users(&members, payload, except);
    }

    /// Like [`push_chat`](Self::push_chat), once the request is answered.
    pub(crate) fn push_chat_later<P: lc_protocol::PushPayload + Serialize>(
        &mut self,
        chat: &str,
        payload: &P,
    ) {
        let Some(frame) = push_frame(payload) else {
            return;
        };
        let members = self.members(chat);
        for tx in self.st.conns_of(&self.app, &members, None) {
            self.later.push((tx, frame.clone()));
        }
    }

    /// Sends the frames kept for after the reply.
    pub(crate) fn flush_later(&mut self) {
        for (tx, frame) in self.later.drain(..) {
            tx.send(Out::Text(frame));
        }
    }

    fn members(&self, chat: &str) -> Vec<String> {
        self.st
            .apps
            .get(&self.app)
            .and_then(|a| a.chats.get(chat))
            .map(|c| c.members.clone())
            .unwrap_or_default()
    }
}

fn push_frame<P: lc_protocol::PushPayload + Serialize>(payload: &P) -> Option<String> {
    match serde_json::value::to_raw_value(payload) {
        Ok(raw) => Some(encode_push(P::NAME, &raw)),
        Err(err) => {
            tracing::warn!(%err, push = P::NAME, "push not encodable");
            None
        }
    }
}
