//! What the client tells its user: every customer push, typed, and the connection's
//! lifecycle ([`Connected`], [`Disconnected`], [`Reconnecting`], [`Stopped`]).

use lc_protocol::customer::{CustomerPush, LoginChat, LoginResponse};
use lc_protocol::id::GroupId;
use lc_protocol::types::{Customer, Greeting};
use lc_protocol::{PushPayload, PushSet};
use serde::Serialize;
use serde_json::Value;
use std::time::Duration;

/// One item of the client's event stream.
#[derive(Debug, Clone)]
#[non_exhaustive]
#[allow(clippy::large_enum_variant)] // as `CustomerPush`: boxing would cost every match
pub enum CustomerEvent {
    /// Logged in (again, after a reconnection).
    Connected(Connected),
    /// The connection was lost or closed by the server.
    Disconnected(Disconnected),
    /// A new connection will be attempted.
    Reconnecting(Reconnecting),
    /// The connection ended for good (disconnect, destroy, or a fatal server reason).
    Stopped(Stopped),
    /// A push from the server.
    Push(CustomerPush),
    /// A push the client missed while it was disconnected (or fell behind), rebuilt
    /// from the chats once connected again: each missed event once, in order, before
    /// newer pushes of its chat.
    Recovered(CustomerPush),
    /// This subscriber fell behind and missed this many items.
    Missed(u64),
}

impl CustomerEvent {
    /// The event's name: the push name (`incoming_event`, ...) or `connected`,
    /// `disconnected`, `reconnecting`, `stopped`, `missed`.
    pub fn name(&self) -> &str {
        match self {
            CustomerEvent::Connected(_) => Connected::NAME,
            CustomerEvent::Disconnected(_) => Disconnected::NAME,
            CustomerEvent::Reconnecting(_) => Reconnecting::NAME,
            CustomerEvent::Stopped(_) => Stopped::NAME,
            CustomerEvent::Push(push) | CustomerEvent::Recovered(push) => push.name(),
            CustomerEvent::Missed(_) => "missed",
        }
    }

    /// The event's data as JSON (a push's payload as the server sent it).
    pub fn data(&self) -> Value {
        let encoded = match self {
            CustomerEvent::Connected(e) => serde_json::to_value(e),
            CustomerEvent::Disconnected(e) => serde_json::to_value(e),
            CustomerEvent::Reconnecting(e) => serde_json::to_value(e),
            CustomerEvent::Stopped(e) => serde_json::to_value(e),
            CustomerEvent::Push(push) | CustomerEvent::Recovered(push) => push
                .encode_payload()
                .and_then(|raw| serde_json::from_str(raw.get())),
            CustomerEvent::Missed(count) => Ok(serde_json::json!({ "count": count })),
        };
        encoded.unwrap_or(Value::Null)
    }
}

/// Whether the customer's group has an agent to chat with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Availability {
    /// The group is online: a chat started now reaches an agent (maybe after a queue).
    Online,
    /// Nobody is available: a chat started now waits (or leaves a ticket).
    Offline,
}

/// Logged in: the customer, the group's availability, and what the login answered.
#[derive(Debug, Clone, Serialize)]
pub struct Connected {
    /// The customer, with statistics.
    pub customer: Customer,
    /// Whether the customer's group is online.
    pub availability: Availability,
    /// The greeting on display, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub greeting: Option<Greeting>,
    /// The customer's chats.
    pub chats: Vec<LoginChat>,
    /// Whether one of them has an active thread.
    pub has_active_thread: bool,
}

impl Connected {
    /// The event for a login response; `group` is the configured group, if any (else the
    /// group the server put the customer in).
    pub(crate) fn from_login(login: LoginResponse, group: Option<GroupId>) -> Self {
        let config = login.priv_dynamic_config.as_ref();
        let group = group
            .map(|g| u64::from(g.0))
            .or_else(|| {
                config?
                    .pointer("/customer_groups/monitoring/id")
                    .and_then(Value::as_u64)
            })
            .unwrap_or(0);
        let online = config
            .and_then(|c| c.get("online_groups_ids"))
            .and_then(Value::as_array)
            .is_some_and(|ids| ids.iter().filter_map(Value::as_u64).any(|id| id == group));
        Self {
            customer: login.customer,
            availability: if online {
                Availability::Online
            } else {
                Availability::Offline
            },
            greeting: login.greeting,
            chats: login.chats,
            has_active_thread: login.has_active_thread,
        }
    }
}

/// The connection was lost or closed by the server.
#[derive(Debug, Clone, Serialize)]
pub struct Disconnected {
    /// Why: the server's reason (e.g. `connection_timeout`) or what failed.
    pub reason: String,
}

/// A new connection will be attempted after `delay`.
#[derive(Debug, Clone, Serialize)]
pub struct Reconnecting {
    /// The attempt number, from 1.
    pub attempt: u32,
    /// The wait before it.
    #[serde(serialize_with = "millis")]
    pub delay: Duration,
}

/// The connection ended for good.
#[derive(Debug, Clone, Serialize)]
pub struct Stopped {
    /// Why.
    pub reason: String,
}

fn millis<S: serde::Serializer>(delay: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(u64::try_from(delay.as_millis()).unwrap_or(u64::MAX))
}

/// Something [`on`](crate::CustomerClient::on) and [`once`](crate::CustomerClient::once)
/// can listen to: the payload type of any customer push (e.g.
/// [`IncomingEvent`](lc_protocol::customer::push::IncomingEvent)) or a lifecycle event
/// ([`Connected`], [`Disconnected`], [`Reconnecting`], [`Stopped`]).
pub trait EventKind: Send + Sync + 'static {
    /// The event's name, as in [`CustomerEvent::name`].
    const NAME: &'static str;

    /// This kind's data, if `event` is of this kind.
    fn from_event(event: &CustomerEvent) -> Option<&Self>;
}

impl<P> EventKind for P
where
    P: PushPayload<Set = CustomerPush> + Send + Sync + 'static,
{
    const NAME: &'static str = P::NAME;

    fn from_event(event: &CustomerEvent) -> Option<&Self> {
        match event {
            CustomerEvent::Push(push) | CustomerEvent::Recovered(push) => P::from_push(push),
            _ => None,
        }
    }
}

macro_rules! lifecycle_kind {
    ($ty:ident, $name:literal) => {
        impl EventKind for $ty {
            const NAME: &'static str = $name;

            fn from_event(event: &CustomerEvent) -> Option<&Self> {
                match event {
                    CustomerEvent::$ty(data) => Some(data),
                    _ => None,
                }
            }
        }
    };
}

lifecycle_kind!(Connected, "connected");
lifecycle_kind!(Disconnected, "disconnected");
lifecycle_kind!(Reconnecting, "reconnecting");
lifecycle_kind!(Stopped, "stopped");

#[cfg(test)]
mod tests {
    use super::*;
    use lc_protocol::customer::push::IncomingEvent;
    use serde_json::json;

    fn login(online: &[u64], monitoring: u64) -> LoginResponse {
        serde_json::from_value(json!({
            "customer": {"id": "c1", "type": "customer"},
            "has_active_thread": false,
            "chats": [],
            "__priv_dynamic_config": {
                "online_groups_ids": online,
                "customer_groups": {"monitoring": {"id": monitoring}}
            }
        }))
        .unwrap_or_default()
    }

    #[test]
    fn availability_follows_the_customers_group() {
        let online = |l, g| Connected::from_login(l, g).availability;
        assert_eq!(online(login(&[0, 3], 0), None), Availability::Online);
        assert_eq!(online(login(&[3], 0), None), Availability::Offline);
        assert_eq!(
            online(login(&[3], 0), Some(GroupId(3))),
            Availability::Online
        );
        assert_eq!(online(login(&[0], 3), None), Availability::Offline);
        assert_eq!(
            online(LoginResponse::default(), None),
            Availability::Offline
        );
    }

    #[test]
    fn events_have_names_and_data() {
        let push: CustomerPush = PushSet::decode(
            "incoming_event",
            r#"{"chat_id":"C","thread_id":"T","event":{"type":"message","text":"hi"}}"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let event = CustomerEvent::Push(push);
        assert_eq!(event.name(), "incoming_event");
        assert_eq!(event.data()["event"]["text"], "hi");
        assert!(IncomingEvent::from_event(&event).is_some());
        assert!(Connected::from_event(&event).is_none());
        let stopped = CustomerEvent::Stopped(Stopped { reason: "x".into() });
        assert_eq!(
            (stopped.name(), stopped.data()),
            ("stopped", json!({"reason": "x"}))
        );
        let delay = CustomerEvent::Reconnecting(Reconnecting {
            attempt: 1,
            delay: Duration::from_millis(250),
        });
        assert_eq!(delay.data(), json!({"attempt": 1, "delay": 250}));
    }
}
