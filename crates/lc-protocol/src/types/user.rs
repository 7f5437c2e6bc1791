//! [`User`]: a chat participant, agent or customer, tagged by `type`.

use super::tagged::{self, Union};
use crate::generated::common::{Agent, Customer, UserType};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// A user of a chat: an agent (or bot) or a customer.
///
/// Tagged by `type` (`"agent"` or `"customer"`), which the variant keeps in its `kind`
/// field; a variant built without `kind` is still serialized with its tag. A `type` this
/// crate does not know decodes to [`User::Unknown`] with every field kept.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum User {
    /// An agent or a bot (boxed: a `User` stays small, and a list of users is not a
    /// large allocation that every move copies).
    Agent(Box<Agent>),
    /// A customer (boxed: a [`Customer`] is 2 KB).
    Customer(Box<Customer>),
    /// A user type this crate does not know.
    Unknown(UnknownUser),
}

/// A user whose `type` this crate does not know, with every field as received.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnknownUser {
    /// The `type` tag, when it was a string.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Every other field.
    #[serde(flatten)]
    pub fields: Map<String, Value>,
}

impl User {
    /// The user's id, as a plain string (agents and customers have different id types).
    pub fn id(&self) -> Option<&str> {
        match self {
            User::Agent(agent) => Some(agent.id.as_str()),
            User::Customer(customer) => Some(customer.id.as_str()),
            User::Unknown(unknown) => unknown.fields.get("id")?.as_str(),
        }
    }

    /// The agent, if this user is one.
    pub fn as_agent(&self) -> Option<&Agent> {
        match self {
            User::Agent(agent) => Some(agent),
            _ => None,
        }
    }

    /// The customer, if this user is one.
    pub fn as_customer(&self) -> Option<&Customer> {
        match self {
            User::Customer(customer) => Some(customer),
            _ => None,
        }
    }
}

impl From<Agent> for User {
    fn from(agent: Agent) -> Self {
        User::Agent(Box::new(agent))
    }
}

impl From<Customer> for User {
    fn from(customer: Customer) -> Self {
        User::Customer(Box::new(customer))
    }
}

impl<'de> Deserialize<'de> for User {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        tagged::deserialize(deserializer)
    }
}

impl Union for User {
    const NAME: &'static str = "user";
    // `Agent` and `Customer` keep the tag in their `kind` field.
    const VARIANTS_READ_TAG: bool = true;

    fn is_known(tag: &str) -> bool {
        matches!(tag, "agent" | "customer")
    }

    fn known<'de, D: Deserializer<'de>>(tag: &str, fields: D) -> Result<Self, D::Error> {
        if tag == "agent" {
            Agent::deserialize(fields).map(|agent| User::Agent(Box::new(agent)))
        } else {
            Customer::deserialize(fields).map(|customer| User::Customer(Box::new(customer)))
        }
    }

    fn unknown(kind: Option<String>, fields: Map<String, Value>) -> Self {
        User::Unknown(UnknownUser { kind, fields })
    }
}

/// A struct serialized with a `type` tag in front of its fields.
#[derive(Serialize)]
struct Tagged<'a, T> {
    #[serde(rename = "type")]
    kind: UserType,
    #[serde(flatten)]
    inner: &'a T,
}

impl Serialize for User {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            User::Agent(agent) if agent.kind.is_some() => agent.serialize(serializer),
            User::Agent(agent) => Tagged {
                kind: UserType::Agent,
                inner: agent,
            }
            .serialize(serializer),
            User::Customer(customer) if customer.kind.is_some() => customer.serialize(serializer),
            User::Customer(customer) => Tagged {
                kind: UserType::Customer,
                inner: customer,
            }
            .serialize(serializer),
            User::Unknown(unknown) => unknown.serialize(serializer),
        }
    }
}
