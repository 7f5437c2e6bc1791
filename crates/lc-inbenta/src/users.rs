//! Creating end users: [`NewUser`] in, [`UserSession`] out.

use lc_protocol::id::Token;
use lc_protocol::inbenta::InbentaUser;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The body of `POST /v1/users`: an end user to create.
///
/// ```
/// use lc_inbenta::NewUser;
///
/// let user = NewUser::new("Bob").contact("bob@example.com").external_id("crm-42");
/// assert_eq!(
///     serde_json::to_value(&user).unwrap(),
///     serde_json::json!({"name": "Bob", "contact": "bob@example.com", "externalId": "crm-42"})
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewUser {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    contact: Option<String>,
    #[serde(rename = "externalId", skip_serializing_if = "Option::is_none")]
    external_id: Option<String>,
    #[serde(rename = "extraInfo", skip_serializing_if = "Option::is_none")]
    extra_info: Option<Map<String, Value>>,
}

impl NewUser {
    /// A user named `name`.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            contact: None,
            external_id: None,
            extra_info: None,
        }
    }

    /// How to reach the user, usually an e-mail address.
    #[must_use]
    pub fn contact(mut self, contact: impl Into<String>) -> Self {
        self.contact = Some(contact.into());
        self
    }

    /// Your own id of the user; unique per app (a second user with it gets 409).
    #[must_use]
    pub fn external_id(mut self, id: impl Into<String>) -> Self {
        self.external_id = Some(id.into());
        self
    }

    /// Free-form data attached to the user.
    #[must_use]
    pub fn extra_info(mut self, info: Map<String, Value>) -> Self {
        self.extra_info = Some(info);
        self
    }
}

/// A created user and its session token (`{user, session: {token}}`), to log in with.
/// The token is redacted in `Debug` output.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(from = "Created")]
pub struct UserSession {
    /// The user, with its id.
    pub user: InbentaUser,
    /// The session token that opens the realtime channel and signs REST calls.
    pub token: Token,
}

#[derive(Deserialize)]
struct Created {
    user: InbentaUser,
    session: SessionBody,
}

#[derive(Deserialize)]
struct SessionBody {
    token: Token,
}

impl From<Created> for UserSession {
    fn from(created: Created) -> Self {
        Self {
            user: created.user,
            token: created.session.token,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rest_answer_decodes_and_the_token_stays_hidden() {
        let session: UserSession = serde_json::from_str(
            r#"{"user":{"id":"u1","name":"Bob"},"session":{"token":"t-secret"}}"#,
        )
        .unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(session.user.id, "u1");
        assert_eq!(session.token.expose(), "t-secret");
        assert!(!format!("{session:?}").contains("t-secret"));
    }
}
