//! Users: creation (`POST /v1/users`), changes and their chats.

use super::config::{self, NewInbentaAgent};
use super::ctx::{Ctx, Who};
use super::error::Fail;
use super::state::{AgentRec, InbState, UserRec};
use lc_protocol::id::Token;
use lc_protocol::inbenta::InbentaUser;
use serde_json::{Map, Value};

/// Fields of a new user (`POST /v1/users`).
#[derive(Debug, serde::Deserialize)]
pub(crate) struct NewUser {
    name: Option<String>,
    contact: Option<String>,
    #[serde(rename = "externalId")]
    external_id: Option<String>,
    #[serde(rename = "extraInfo")]
    extra_info: Option<Map<String, Value>>,
}

/// Creates an end user and its session token: `(user, token)`.
pub(crate) fn create_user(ctx: &mut Ctx<'_>, new: NewUser) -> Result<(InbentaUser, String), Fail> {
    let name = new
        .name
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| Fail::bad_request("`name` is required"))?;
    if let Some(external) = &new.external_id {
        let taken = ctx
            .app()?
            .users
            .values()
            .any(|u| u.profile.external_id.as_deref() == Some(external.as_str()));
        if taken {
            return Err(Fail::conflict("A user with this externalId already exists"));
        }
    }
    let id = ctx.st.mint("u");
    let token = uuid::Uuid::new_v4().simple().to_string();
    let profile = InbentaUser {
        id: id.clone(),
        name: Some(name),
        contact: new.contact,
        external_id: new.external_id,
        extra_info: new.extra_info,
        chats: Some(Vec::new()),
        ..InbentaUser::default()
    };
    let app = ctx.app_mut()?;
    app.users.insert(
        id.clone(),
        UserRec {
            profile: profile.clone(),
            agent: None,
        },
    );
    app.tokens.insert(token.clone(), id);
    Ok((profile, token))
}

/// Changes a user's `name`, `contact`, `nickname` or `extraInfo` (`PUT /v1/users/{id}`).
pub(crate) fn update_user(
    ctx: &mut Ctx<'_>,
    who: &Who,
    id: &str,
    changes: &Map<String, Value>,
) -> Result<InbentaUser, Fail> {
    if matches!(who, Who::User(me) if me != id) {
        return Err(Fail::forbidden("Users may only change themselves"));
    }
    let app = ctx.app_mut()?;
    let user = app
        .users
        .get_mut(id)
        .ok_or_else(|| Fail::not_found("User not found"))?;
    let text = |key: &str| -> Result<Option<String>, Fail> {
        match changes.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(Fail::bad_request(format!("`{key}` must be a string"))),
        }
    };
    let (name, contact, nickname) = (text("name")?, text("contact")?, text("nickname")?);
    let extra = match changes.get("extraInfo") {
        None | Some(Value::Null) => None,
        Some(Value::Object(map)) => Some(map.clone()),
        Some(_) => return Err(Fail::bad_request("`extraInfo` must be an object")),
    };
    let profile = &mut user.profile;
    profile.name = name.or(profile.name.take());
    profile.contact = contact.or(profile.contact.take());
    profile.nickname = nickname.or(profile.nickname.take());
    profile.extra_info = extra.or(profile.extra_info.take());
    Ok(profile.clone())
}

/// The chats of a user, by id.
pub(crate) fn user_chats(ctx: &Ctx<'_>, who: &Who, user: &str) -> Result<Map<String, Value>, Fail> {
    let user = who.acting_as(Some(user), "userId")?;
    let app = ctx.app()?;
    app.user(&user)?;
    let mut chats = Map::new();
    for chat in app.chats.values().filter(|c| c.is_member(&user)) {
        let view = app.chat_view(chat, &["users"]);
        chats.insert(
            chat.id.clone(),
            serde_json::to_value(view).unwrap_or(Value::Null),
        );
    }
    Ok(chats)
}

/// Adds an agent (a user with providerId set) to app `app_id`, which must exist, with a
/// fresh session token.
pub(crate) fn add_agent(
    st: &mut InbState,
    app_id: &str,
    spec: NewInbentaAgent,
    online: bool,
) -> config::InbentaUser {
    let id = st.mint("a");
    let token = uuid::Uuid::new_v4().simple().to_string();
    let profile = InbentaUser {
        id: id.clone(),
        name: Some(spec.name.clone()),
        nickname: Some(spec.name.clone()),
        provider_id: Some(format!("p-{id}")),
        chats: Some(Vec::new()),
        ..InbentaUser::default()
    };
    let agent = AgentRec {
        rooms: spec.rooms,
        langs: spec.langs,
        capacity: spec.capacity,
        behaviour: spec.behaviour,
        online,
    };
    if let Some(app) = st.apps.get_mut(app_id) {
        app.users.insert(
            id.clone(),
            UserRec {
                profile,
                agent: Some(agent),
            },
        );
        app.tokens.insert(token.clone(), id.clone());
        app.agent_order.push(id.clone());
    }
    config::InbentaUser {
        id,
        token: Token::new(token),
    }
}
