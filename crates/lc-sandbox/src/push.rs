//! Pushes: collected while an action runs, fanned out to connections afterwards.

use crate::state::{ConnId, ConnRec, Principal, State};
use lc_protocol::id::{AgentId, ChatId, CustomerId};
use lc_protocol::wire::livechat;
use lc_protocol::{Api, ApiVersion, meta};
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
    /// Connections to close once the response and the pushes are out, with the
    /// disconnect push reason to send first (`None`: close without a push).
    closes: Vec<(ConnId, Option<&'static str>)>,
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

    /// Closes `conn` after the action's response and pushes, pushing the disconnect
    /// push with `reason` first when given (e.g. the requester's own `logout`).
    pub(crate) fn close_after(&mut self, conn: ConnId, reason: Option<&'static str>) {
        self.closes.push((conn, reason));
    }

    fn take(&mut self) -> Vec<PushOut> {
        std::mem::take(&mut self.items)
    }
}

/// Closes the connections queued with [`Outbox::close_after`].
fn close_queued(state: &mut State) {
    for (conn, reason) in std::mem::take(&mut state.outbox.closes) {
        match reason {
            Some(reason) => crate::state::close_conn(state, conn, reason),
            None => {
                if let Some(c) = state.conns.get(&conn) {
                    let _ = c.tx.send(crate::state::Outgoing::Close);
                }
            }
        }
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
            if !in_audience(state, &push.audience, push.name, *conn_id, principal) {
                continue;
            }
            let Some(version) = delivery_version(conn, push.name) else {
                continue;
            };
            let request_id = match origin {
                Some((origin, request_id)) if origin == *conn_id => request_id,
                _ => None,
            };
            conn.send(livechat::encode_push(
                version, request_id, push.name, payload,
            ));
        }
    }
    close_queued(state);
}

/// The version in which `conn` receives the push `name`, or `None` when it does not
/// receive it (§1.8, §8 item 13):
///
/// - without a login `pushes` subscription: every push that exists in the connection's
///   version, in that version;
/// - with one (`{"3.6": ["incoming_chat"], "3.5": ["all"]}`): the push is delivered when
///   some listed version names it (or `"all"`) and has it. It is delivered once, labelled
///   with the connection's version when that version's list covers it, else with the
///   oldest other listed version that does. [I] The payload is the same whatever the
///   label (the sandbox renders one payload per API); versions it does not serve (`"3.7"`)
///   are ignored.
fn delivery_version(conn: &ConnRec, name: &str) -> Option<ApiVersion> {
    let has = |version: ApiVersion| {
        meta::find_push(conn.api, name)
            .is_none_or(|m| m.versions.is_none_or(|range| range.contains(version)))
    };
    let Some(subscriptions) = &conn.pushes else {
        return has(conn.version).then_some(conn.version);
    };
    let mut listed: Vec<ApiVersion> = subscriptions
        .iter()
        .filter(|(_, names)| names.iter().any(|n| n == "all" || n == name))
        .filter_map(|(version, _)| version.parse().ok())
        .collect();
    listed.sort_by_key(|v| (*v != conn.version, *v));
    listed.into_iter().find(|v| has(*v))
}

/// The chat pushes that agents who unfollowed a chat still receive: its "key changes".
pub(crate) const KEY_PUSHES: &[&str] = &["chat_transferred", "chat_deactivated"];

fn in_audience(
    state: &State,
    audience: &Audience,
    name: &str,
    conn: ConnId,
    who: &Principal,
) -> bool {
    match (audience, who) {
        (Audience::Conn(id), _) => *id == conn,
        (Audience::AllAgents, Principal::Agent(_)) => true,
        (Audience::Agents(ids), Principal::Agent(id)) => ids.contains(id),
        (Audience::Customer(target), Principal::Customer(id)) => target == id,
        (Audience::Chat(chat) | Audience::ChatAgents(chat), Principal::Agent(id)) => {
            state.chats.get(chat).is_some_and(|c| {
                c.user(who).is_some()
                    || c.followers.contains(id)
                    || (c.unfollowers.contains(id) && KEY_PUSHES.contains(&name))
            })
        }
        (Audience::Chat(chat), Principal::Customer(id)) => state
            .chats
            .get(chat)
            .is_some_and(|c| c.customer() == Some(id)),
        _ => false,
    }
}
