//! Pushes: collected while an action runs, fanned out to connections afterwards.

use crate::state::{ConnId, Principal, State};
use lc_protocol::id::{AgentId, ChatId, CustomerId};
use lc_protocol::wire::livechat;
use lc_protocol::{Api, meta};
use serde::Serialize;
use serde_json::value::RawValue;

/// Who should receive a push.
#[derive(Debug, Clone)]
pub(crate) enum Audience {
    /// The chat's users (agents and its customer) and its followers.
    Chat(ChatId),
    /// The chat's agents and followers only.
    ChatAgents(ChatId),
    /// These agents (all their connections).
    Agents(Vec<AgentId>),
    /// Every logged-in agent.
    AllAgents,
    /// This customer (all its connections).
    Customer(CustomerId),
    /// One connection.
    Conn(ConnId),
}

/// One push to fan out.
#[derive(Debug)]
pub(crate) struct PushOut {
    audience: Audience,
    name: &'static str,
    agent: Option<Box<RawValue>>,
    customer: Option<Box<RawValue>>,
    except: Option<Principal>,
}

/// Pushes produced by the action being handled.
#[derive(Debug, Default)]
pub(crate) struct Outbox {
    items: Vec<PushOut>,
}

fn raw<T: Serialize>(payload: &T) -> Option<Box<RawValue>> {
    match serde_json::value::to_raw_value(payload) {
        Ok(raw) => Some(raw),
        Err(err) => {
            tracing::error!(%err, "push payload does not encode");
            None
        }
    }
}

impl Outbox {
    /// A push with the same payload for agents and customers.
    pub(crate) fn both<T: Serialize>(
        &mut self,
        audience: Audience,
        name: &'static str,
        payload: &T,
    ) {
        let raw = raw(payload);
        self.items.push(PushOut {
            audience,
            name,
            agent: raw.clone(),
            customer: raw,
            except: None,
        });
    }

    /// A push with different payloads per API (`None`: that API does not get it).
    pub(crate) fn split<A: Serialize, C: Serialize>(
        &mut self,
        audience: Audience,
        name: &'static str,
        agent: Option<&A>,
        customer: Option<&C>,
    ) {
        let agent = agent.and_then(raw);
        let customer = customer.and_then(raw);
        self.items.push(PushOut {
            audience,
            name,
            agent,
            customer,
            except: None,
        });
    }

    /// A push for agents only.
    pub(crate) fn agents<T: Serialize>(
        &mut self,
        audience: Audience,
        name: &'static str,
        payload: &T,
    ) {
        self.items.push(PushOut {
            audience,
            name,
            agent: raw(payload),
            customer: None,
            except: None,
        });
    }

    /// A push for customers only.
    pub(crate) fn customers<T: Serialize>(
        &mut self,
        audience: Audience,
        name: &'static str,
        payload: &T,
    ) {
        self.items.push(PushOut {
            audience,
            name,
            agent: None,
            customer: raw(payload),
            except: None,
        });
    }

    /// Excludes `who` from the last push added (e.g. typing indicators go to the others).
    pub(crate) fn except_last(&mut self, who: Principal) {
        if let Some(last) = self.items.last_mut() {
            last.except = Some(who);
        }
    }

    fn take(&mut self) -> Vec<PushOut> {
        std::mem::take(&mut self.items)
    }
}

/// Sends every queued push to the connections that should get it. The requester's own
/// connection (`origin`) gets the request id.
pub(crate) fn deliver(state: &mut State, origin: Option<(ConnId, Option<&str>)>) {
    for push in state.outbox.take() {
        for (conn_id, conn) in &state.conns {
            let Some(principal) = &conn.principal else {
                continue;
            };
            if push.except.as_ref() == Some(principal) {
                continue;
            }
            let payload = match conn.api {
                Api::Agent => push.agent.as_ref(),
                Api::Customer => push.customer.as_ref(),
                Api::Inbenta => None,
            };
            let Some(payload) = payload else { continue };
            if !in_audience(state, &push.audience, *conn_id, principal) {
                continue;
            }
            let known = meta::find_push(conn.api, push.name);
            if known.is_some_and(|m| !m.versions.is_none_or(|v| v.contains(conn.version))) {
                continue;
            }
            if !conn.wants(push.name) {
                continue;
            }
            let request_id = match origin {
                Some((origin, request_id)) if origin == *conn_id => request_id,
                _ => None,
            };
            conn.send(livechat::encode_push(
                conn.version,
                request_id,
                push.name,
                payload,
            ));
        }
    }
}

fn in_audience(state: &State, audience: &Audience, conn: ConnId, who: &Principal) -> bool {
    match (audience, who) {
        (Audience::Conn(id), _) => *id == conn,
        (Audience::AllAgents, Principal::Agent(_)) => true,
        (Audience::Agents(ids), Principal::Agent(id)) => ids.contains(id),
        (Audience::Customer(target), Principal::Customer(id)) => target == id,
        (Audience::Chat(chat) | Audience::ChatAgents(chat), Principal::Agent(id)) => state
            .chats
            .get(chat)
            .is_some_and(|c| c.user(who).is_some() || c.followers.contains(id)),
        (Audience::Chat(chat), Principal::Customer(id)) => state
            .chats
            .get(chat)
            .is_some_and(|c| c.customer() == Some(id)),
        _ => false,
    }
}
