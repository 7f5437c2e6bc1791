//! Typed identifiers, so that a chat id cannot be passed where a thread id is expected.
//!
//! String ids are opaque: the crate never parses them. [`GroupId`] is an integer, as on
//! the wire.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! string_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps a wire value.
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }

            /// The id as sent on the wire.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Unwraps the id into its string.
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self(value.to_owned())
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                Self(value)
            }
        }

        impl From<&$name> for $name {
            fn from(value: &$name) -> Self {
                value.clone()
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
    };
}

string_id!(
    /// A chat: a long-lived conversation made of threads (e.g. `PJ0MRSHTDG`).
    ChatId
);
string_id!(
    /// A thread: one "session" of a chat (e.g. `K600PKZON8`).
    ThreadId
);
string_id!(
    /// An event in a thread (often `<thread_id>_<n>`; treat as opaque).
    EventId
);
string_id!(
    /// An agent or bot (an agent's id is its login e-mail; a bot's, 32 hex digits).
    AgentId
);
string_id!(
    /// A customer (a UUID).
    CustomerId
);
string_id!(
    /// Any user: an agent, a bot or a customer.
    UserId
);
string_id!(
    /// An organization (a UUID); the Customer API requires it.
    OrganizationId
);
string_id!(
    /// A license (a numeric string such as `"104130623"`).
    LicenseId
);
string_id!(
    /// An opaque pagination cursor, bound to the filters of the first request.
    PageId
);

impl From<AgentId> for UserId {
    fn from(value: AgentId) -> Self {
        Self(value.0)
    }
}

impl From<CustomerId> for UserId {
    fn from(value: CustomerId) -> Self {
        Self(value.0)
    }
}

impl From<&AgentId> for UserId {
    fn from(value: &AgentId) -> Self {
        Self(value.0.clone())
    }
}

impl From<&CustomerId> for UserId {
    fn from(value: &CustomerId) -> Self {
        Self(value.0.clone())
    }
}

/// A user id compares with the agent or customer id it stands for.
///
/// ```
/// use lc_protocol::id::{AgentId, CustomerId, UserId};
///
/// let author = UserId::new("a1b2");
/// assert!(author == CustomerId::new("a1b2"));
/// assert!(author != AgentId::new("smith@example.com"));
/// ```
impl PartialEq<AgentId> for UserId {
    fn eq(&self, other: &AgentId) -> bool {
        self.0 == other.0
    }
}

impl PartialEq<CustomerId> for UserId {
    fn eq(&self, other: &CustomerId) -> bool {
        self.0 == other.0
    }
}

/// A group of agents. Group `0` is the default group, visible to all agents.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct GroupId(pub u32);

impl GroupId {
    /// The default group, to which every agent has access.
    pub const DEFAULT: GroupId = GroupId(0);
}

impl fmt::Debug for GroupId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GroupId({})", self.0)
    }
}

impl fmt::Display for GroupId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl From<u32> for GroupId {
    fn from(value: u32) -> Self {
        Self(value)
    }
}

/// A secret: an access token as sent in `login` (`"Bearer dal:..."`) or a PAT.
///
/// Its `Debug` output never shows the value, so that tokens do not leak into logs.
///
/// ```
/// use lc_protocol::id::Token;
///
/// let token = Token::new("Bearer dal:secret");
/// assert_eq!(format!("{token:?}"), "Token(<redacted>)");
/// assert_eq!(token.expose(), "Bearer dal:secret");
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Token(String);

impl Token {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The `Basic` credential of a personal access token: `Basic base64(account_id:pat)`.
    ///
    /// ```
    /// use lc_protocol::id::Token;
    ///
    /// assert_eq!(Token::basic("a@b.c", "pat").expose(), "Basic YUBiLmM6cGF0");
    /// ```
    pub fn basic(account_id: &str, pat: &str) -> Self {
        use base64::Engine as _;
        let encoded =
            base64::engine::general_purpose::STANDARD.encode(format!("{account_id}:{pat}"));
        Self(format!("Basic {encoded}"))
    }

    /// The secret itself, for the few places that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

impl From<&str> for Token {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

impl From<String> for Token {
    fn from(value: String) -> Self {
        Self(value)
    }
}
