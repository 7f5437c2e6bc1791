//! The pushes an action produces, collected while it runs ([`Outbox`], kept in the
//! state); [`crate::push`] fans them out to the connections afterwards.

use crate::principal::{ConnId, Principal};
use lc_protocol::id::{AgentId, ChatId, CustomerId};
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
    /// Every logged-in customer.
    AllCustomers,
    /// This customer (all its connections).
    Customer(CustomerId),
    /// One connection.
    Conn(ConnId),
}

/// One push to fan out.
#[derive(Debug)]
pub(crate) struct PushOut {
    pub(crate) audience: Audience,
    pub(crate) name: &'static str,
    /// The payload for agents (`None`: agents do not get it).
    pub(crate) agent: Option<Box<RawValue>>,
    /// The payload for customers (`None`: customers do not get it).
    pub(crate) customer: Option<Box<RawValue>>,
    /// Who does not get it.
    pub(crate) except: Option<Principal>,
    /// Sent again for something already pushed (a waiting chat's `incoming_chat`, once
    /// routed): webhooks report the first only.
    pub(crate) repeat: bool,
}

/// Pushes produced by the action being handled.
#[derive(Debug, Default)]
pub(crate) struct Outbox {
    items: Vec<PushOut>,
    /// Connections to close once the response and the pushes are out, with the
    /// disconnect push reason to send first (`None`: close without a push).
    closes: Vec<(ConnId, Option<&'static str>)>,
    /// The client id of the application whose request produced these pushes (`None`:
    /// no application, e.g. a personal access token, or the sandbox itself): what
    /// the webhook filter `source_type` looks at.
    pub(crate) source_client_id: Option<String>,
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
            repeat: false,
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
            repeat: false,
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
            repeat: false,
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
            repeat: false,
        });
    }

    /// Excludes `who` from the last push added (e.g. typing indicators go to the others).
    pub(crate) fn except_last(&mut self, who: Principal) {
        if let Some(last) = self.items.last_mut() {
            last.except = Some(who);
        }
    }

    /// Marks the last push added as a [repeat](PushOut::repeat).
    pub(crate) fn repeat_last(&mut self) {
        if let Some(last) = self.items.last_mut() {
            last.repeat = true;
        }
    }

    /// Closes `conn` after the action's response and pushes, pushing the disconnect
    /// push with `reason` first when given (e.g. the requester's own `logout`).
    pub(crate) fn close_after(&mut self, conn: ConnId, reason: Option<&'static str>) {
        self.closes.push((conn, reason));
    }

    /// Takes the pushes queued so far.
    pub(crate) fn take(&mut self) -> Vec<PushOut> {
        std::mem::take(&mut self.items)
    }

    /// Takes the connections queued with [`close_after`](Self::close_after).
    pub(crate) fn take_closes(&mut self) -> Vec<(ConnId, Option<&'static str>)> {
        std::mem::take(&mut self.closes)
    }
}
