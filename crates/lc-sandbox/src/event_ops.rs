//! Event-level operations shared by the Agent and Customer APIs: looking up threads and
//! events, properties, rich message postbacks, seen marks and indicator pushes. The
//! actions built on them that both APIs serve alike are in [`crate::event_actions`].

use crate::chat_ops::visible_chat_mut;
use crate::clock;
use crate::handler::{err, invalid, not_found};
use crate::outbox::Audience;
use crate::state::{ChatRec, ChatUserRec, Principal, State, ThreadRec};
use crate::views;
use lc_protocol::Api;
use lc_protocol::error::{ApiError, ErrorType};
use lc_protocol::id::{ChatId, EventId, ThreadId, UserId};
use lc_protocol::types::{Event, Postback, Properties, PropertyNames};
use serde_json::{Value, json};

/// The thread `thread_id` of a chat `who` may see; `not_found` for a missing chat or
/// thread.
pub(crate) fn thread_mut<'s>(
    state: &'s mut State,
    who: &Principal,
    chat_id: &ChatId,
    thread_id: &ThreadId,
) -> Result<&'s mut ThreadRec, ApiError> {
    visible_chat_mut(state, who, chat_id)?
        .thread_mut(thread_id)
        .ok_or_else(|| not_found(format_args!("Thread `{thread_id}`")))
}

/// The event `event_id` of a thread, if `who` may see it (customers never see `agents`
/// or deleted events); `not_found` for a missing chat, thread or event.
pub(crate) fn event_mut<'s>(
    state: &'s mut State,
    who: &Principal,
    chat_id: &ChatId,
    thread_id: &ThreadId,
    event_id: &EventId,
) -> Result<&'s mut Event, ApiError> {
    let api = who.api();
    thread_mut(state, who, chat_id, thread_id)?
        .events
        .iter_mut()
        .find(|e| e.id() == Some(event_id) && views::visible_to(e, api))
        .ok_or_else(|| not_found(format_args!("Event `{event_id}`")))
}

/// The id of the chat's active thread; `chat_inactive` without one.
pub(crate) fn active_thread_id(chat: &ChatRec) -> Result<ThreadId, ApiError> {
    chat.active_thread()
        .map(|t| t.id.clone())
        .ok_or_else(|| err(ErrorType::ChatInactive, "Chat is inactive"))
}

/// The requester as a user of the chat; `authorization` when it is not one ([I]: the
/// error the sandbox uses for "the requester must be in the chat").
pub(crate) fn chat_user_mut<'c>(
    chat: &'c mut ChatRec,
    who: &Principal,
) -> Result<&'c mut ChatUserRec, ApiError> {
    chat.user_mut(who).ok_or_else(|| {
        err(
            ErrorType::Authorization,
            "The requester is not a user of the chat",
        )
    })
}

/// What a property action applies to.
#[derive(Debug, Clone)]
pub(crate) enum Level {
    Chat,
    Thread(ThreadId),
    Event(ThreadId, EventId),
}

/// A chat, thread or event whose properties change.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub(crate) chat_id: ChatId,
    pub(crate) level: Level,
}

impl Target {
    /// The chat itself.
    pub(crate) fn chat(chat_id: ChatId) -> Self {
        Self {
            chat_id,
            level: Level::Chat,
        }
    }

    /// A thread of the chat.
    pub(crate) fn thread(chat_id: ChatId, thread_id: ThreadId) -> Self {
        Self {
            chat_id,
            level: Level::Thread(thread_id),
        }
    }

    /// An event of a thread of the chat.
    pub(crate) fn event(chat_id: ChatId, thread_id: ThreadId, event_id: EventId) -> Self {
        Self {
            chat_id,
            level: Level::Event(thread_id, event_id),
        }
    }

    /// The push announcing an update (`updated`) or a deletion of properties here.
    fn push_name(&self, updated: bool) -> &'static str {
        match (&self.level, updated) {
            (Level::Chat, true) => "chat_properties_updated",
            (Level::Chat, false) => "chat_properties_deleted",
            (Level::Thread(_), true) => "thread_properties_updated",
            (Level::Thread(_), false) => "thread_properties_deleted",
            (Level::Event(..), true) => "event_properties_updated",
            (Level::Event(..), false) => "event_properties_deleted",
        }
    }

    /// The push payload: the ids of the target and the changed `properties`.
    fn payload(&self, properties: Value) -> Value {
        let mut payload = json!({"chat_id": self.chat_id, "properties": properties});
        if let Level::Thread(thread_id) | Level::Event(thread_id, _) = &self.level {
            payload["thread_id"] = json!(thread_id);
        }
        if let Level::Event(_, event_id) = &self.level {
            payload["event_id"] = json!(event_id);
        }
        payload
    }
}

/// The properties of `target` and whether customers may see them (not for `agents`
/// events).
fn properties_mut<'s>(
    state: &'s mut State,
    who: &Principal,
    target: &Target,
) -> Result<(&'s mut Properties, bool), ApiError> {
    let chat_id = &target.chat_id;
    match &target.level {
        Level::Chat => Ok((&mut visible_chat_mut(state, who, chat_id)?.properties, true)),
        Level::Thread(thread_id) => Ok((
            &mut thread_mut(state, who, chat_id, thread_id)?.properties,
            true,
        )),
        Level::Event(thread_id, event_id) => {
            let event = event_mut(state, who, chat_id, thread_id, event_id)?;
            let public = views::visible_to(event, Api::Customer);
            let slot = event
                .properties_mut()
                .ok_or_else(|| not_found(format_args!("Event `{event_id}`")))?;
            Ok((slot.get_or_insert_with(Properties::new), public))
        }
    }
}

/// Queues a property push for the chat (customers get it only when `public`).
fn push_properties(state: &mut State, target: &Target, updated: bool, delta: Value, public: bool) {
    let payload = target.payload(delta);
    state.outbox.split(
        Audience::Chat(target.chat_id.clone()),
        target.push_name(updated),
        Some(&payload),
        public.then_some(&payload),
    );
}

/// Merges `update` into the properties of `target` (per namespace and name, §8 item
/// 15) and queues `*_properties_updated` carrying only `update`.
pub(crate) fn update_properties(
    state: &mut State,
    who: &Principal,
    target: &Target,
    update: &Properties,
) -> Result<(), ApiError> {
    let (properties, public) = properties_mut(state, who, target)?;
    properties.merge(update);
    if !update.is_empty() {
        push_properties(state, target, true, json!(update), public);
    }
    Ok(())
}

/// Removes `names` from the properties of `target` and queues `*_properties_deleted`
/// carrying the names that were there ([I] names that were not set are ignored; nothing
/// is pushed when nothing changed).
pub(crate) fn delete_properties(
    state: &mut State,
    who: &Principal,
    target: &Target,
    names: &PropertyNames,
) -> Result<(), ApiError> {
    let (properties, public) = properties_mut(state, who, target)?;
    let removed = present_names(properties, names);
    properties.remove(&removed);
    if !removed.0.is_empty() {
        push_properties(state, target, false, json!(removed), public);
    }
    Ok(())
}

/// The names of `names` that `properties` has.
fn present_names(properties: &Properties, names: &PropertyNames) -> PropertyNames {
    let mut present = PropertyNames::new();
    for (namespace, list) in &names.0 {
        for name in list {
            if properties.get(namespace, name).is_some() {
                present = present.with(namespace, name);
            }
        }
    }
    present
}

/// A rich message postback: toggles the requester in the `user_ids` of the button whose
/// `postback_id` is `postback.id`, and queues `incoming_rich_message_postback` when the
/// thread is active (§8 item 17). [I] An event that is not a rich message is a
/// `validation` error, a missing button `not_found`.
pub(crate) fn rich_message_postback(
    state: &mut State,
    who: &Principal,
    chat_id: &ChatId,
    thread_id: &ThreadId,
    event_id: &EventId,
    postback: Postback,
) -> Result<(), ApiError> {
    let user_id = who.user_id();
    let event = event_mut(state, who, chat_id, thread_id, event_id)?;
    let public = views::visible_to(event, Api::Customer);
    toggle_button(event, &postback.id, &user_id, postback.toggled)?;
    let active = thread_mut(state, who, chat_id, thread_id)?.active;
    if active {
        let payload = json!({
            "user_id": user_id,
            "chat_id": chat_id,
            "thread_id": thread_id,
            "event_id": event_id,
            "postback": postback,
        });
        state.outbox.split(
            Audience::Chat(chat_id.clone()),
            "incoming_rich_message_postback",
            Some(&payload),
            public.then_some(&payload),
        );
    }
    Ok(())
}

/// Adds (`on`) or removes `user` in the `user_ids` of the rich message button
/// `postback_id`.
fn toggle_button(
    event: &mut Event,
    postback_id: &str,
    user: &UserId,
    on: bool,
) -> Result<(), ApiError> {
    let Event::RichMessage(rich) = event else {
        return Err(invalid("The event is not a rich message"));
    };
    let button = rich
        .elements
        .iter_mut()
        .flatten()
        .flat_map(|element| element.buttons.iter_mut().flatten())
        .find(|button| button.postback_id.as_deref() == Some(postback_id))
        .ok_or_else(|| not_found(format_args!("Button with postback id `{postback_id}`")))?;
    let ids = button.user_ids.get_or_insert_with(Vec::new);
    ids.retain(|id| id != user);
    if on {
        ids.push(user.clone());
    }
    Ok(())
}

/// Moves the requester's `events_seen_up_to` in the chat to `seen_up_to` and queues
/// `events_marked_as_seen` for the chat (§8 item 19). [I] It never moves backwards: an
/// earlier date changes nothing and pushes nothing. The requester must be a chat user.
pub(crate) fn mark_events_as_seen(
    state: &mut State,
    who: &Principal,
    chat_id: &ChatId,
    seen_up_to: &str,
) -> Result<(), ApiError> {
    let at = clock::parse(seen_up_to)
        .ok_or_else(|| invalid("`seen_up_to` must be an RFC 3339 date-time"))?;
    let user = chat_user_mut(visible_chat_mut(state, who, chat_id)?, who)?;
    let current = user.events_seen_up_to.as_deref().and_then(clock::parse);
    if current.is_some_and(|current| current >= at) {
        return Ok(());
    }
    let stamp = clock::format(at);
    user.events_seen_up_to = Some(stamp.clone());
    let payload = json!({"user_id": who.user_id(), "chat_id": chat_id, "seen_up_to": stamp});
    state.outbox.both(
        Audience::Chat(chat_id.clone()),
        "events_marked_as_seen",
        &payload,
    );
    Ok(())
}

/// Queues an indicator push for the chat's users except the requester (§8 item 12);
/// customers get `customer` (`None`: agents only).
pub(crate) fn push_to_others(
    state: &mut State,
    who: &Principal,
    chat_id: &ChatId,
    name: &'static str,
    agent: &Value,
    customer: Option<&Value>,
) {
    state
        .outbox
        .split(Audience::Chat(chat_id.clone()), name, Some(agent), customer);
    state.outbox.except_last(who.clone());
}
