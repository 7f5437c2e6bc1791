//! The event actions both APIs serve alike: property updates and deletions, rich message
//! postbacks and seen marks. Their request types differ per API (`agent::…`,
//! `customer::…`), their handling does not: [`handle`] serves them for the API whose
//! request types [`EventRequests`] names, so that `agent_api::events` and
//! `customer_api::events` only add their own actions.

use crate::event_ops::{self, Target};
use crate::handler::{Ctx, Reply, run};
use lc_protocol::error::ApiError;
use lc_protocol::id::{ChatId, EventId, ThreadId};
use lc_protocol::types::{Postback, Properties, PropertyNames};
use lc_protocol::{Empty, agent, customer};
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

/// The request types of one API for the actions of this module.
pub(crate) trait EventRequests {
    type UpdateChat: PropertyChange<Change = Properties> + DeserializeOwned;
    type DeleteChat: PropertyChange<Change = PropertyNames> + DeserializeOwned;
    type UpdateThread: PropertyChange<Change = Properties> + DeserializeOwned;
    type DeleteThread: PropertyChange<Change = PropertyNames> + DeserializeOwned;
    type UpdateEvent: PropertyChange<Change = Properties> + DeserializeOwned;
    type DeleteEvent: PropertyChange<Change = PropertyNames> + DeserializeOwned;
    type Postback: PostbackRequest + DeserializeOwned;
    type Seen: SeenRequest + DeserializeOwned;
}

/// The Agent API's request types.
#[derive(Debug)]
pub(crate) enum AgentEvents {}

/// The Customer API's request types.
#[derive(Debug)]
pub(crate) enum CustomerEvents {}

macro_rules! event_requests {
    ($($api:ty => $module:ident),+) => {$(
        impl EventRequests for $api {
            type UpdateChat = $module::UpdateChatProperties;
            type DeleteChat = $module::DeleteChatProperties;
            type UpdateThread = $module::UpdateThreadProperties;
            type DeleteThread = $module::DeleteThreadProperties;
            type UpdateEvent = $module::UpdateEventProperties;
            type DeleteEvent = $module::DeleteEventProperties;
            type Postback = $module::SendRichMessagePostback;
            type Seen = $module::MarkEventsAsSeen;
        }

        impl PostbackRequest for $module::SendRichMessagePostback {
            fn into_parts(self) -> (ChatId, ThreadId, EventId, Postback) {
                (self.chat_id, self.thread_id, self.event_id, self.postback)
            }
        }

        impl SeenRequest for $module::MarkEventsAsSeen {
            fn into_parts(self) -> (ChatId, String) {
                (self.chat_id, self.seen_up_to)
            }
        }
    )+};
}

event_requests!(AgentEvents => agent, CustomerEvents => customer);

/// Handles the actions of this module for the API `A`; `None` for other actions.
pub(crate) fn handle<A: EventRequests>(
    ctx: &mut Ctx<'_>,
    action: &str,
    payload: &RawValue,
) -> Option<Reply> {
    Some(match action {
        "send_rich_message_postback" => run(ctx, payload, postback_handler::<A::Postback>),
        "update_chat_properties" => run(ctx, payload, update_handler::<A::UpdateChat>),
        "delete_chat_properties" => run(ctx, payload, delete_handler::<A::DeleteChat>),
        "update_thread_properties" => run(ctx, payload, update_handler::<A::UpdateThread>),
        "delete_thread_properties" => run(ctx, payload, delete_handler::<A::DeleteThread>),
        "update_event_properties" => run(ctx, payload, update_handler::<A::UpdateEvent>),
        "delete_event_properties" => run(ctx, payload, delete_handler::<A::DeleteEvent>),
        "mark_events_as_seen" => run(ctx, payload, seen_handler::<A::Seen>),
        _ => return None,
    })
}

/// A `send_rich_message_postback` request.
pub(crate) trait PostbackRequest {
    /// The chat, thread and event of the rich message, and the postback.
    fn into_parts(self) -> (ChatId, ThreadId, EventId, Postback);
}

/// A `mark_events_as_seen` request.
pub(crate) trait SeenRequest {
    /// The chat and the `seen_up_to` date.
    fn into_parts(self) -> (ChatId, String);
}

/// `send_rich_message_postback`: toggles the requester on the button.
fn postback_handler<R: PostbackRequest>(ctx: &mut Ctx<'_>, request: R) -> Result<Empty, ApiError> {
    let (chat_id, thread_id, event_id, postback) = request.into_parts();
    let who = ctx.who.clone();
    event_ops::rich_message_postback(ctx.state, &who, &chat_id, &thread_id, &event_id, postback)?;
    Ok(Empty {})
}

/// `mark_events_as_seen`.
fn seen_handler<R: SeenRequest>(ctx: &mut Ctx<'_>, request: R) -> Result<Empty, ApiError> {
    let (chat_id, seen_up_to) = request.into_parts();
    let who = ctx.who.clone();
    event_ops::mark_events_as_seen(ctx.state, &who, &chat_id, &seen_up_to)?;
    Ok(Empty {})
}

/// A request that changes the properties of one target: the `update_*_properties` and
/// `delete_*_properties` actions of both APIs.
pub(crate) trait PropertyChange {
    /// What it carries: [`Properties`] to merge or [`PropertyNames`] to delete.
    type Change;
    /// The target and the change.
    fn into_parts(self) -> (Target, Self::Change);
}

macro_rules! property_change {
    ($change:ty => chat: $($chat:ty),+; thread: $($thread:ty),+; event: $($event:ty),+) => {
        $(impl PropertyChange for $chat {
            type Change = $change;
            fn into_parts(self) -> (Target, $change) {
                (Target::chat(self.id), self.properties)
            }
        })+
        $(impl PropertyChange for $thread {
            type Change = $change;
            fn into_parts(self) -> (Target, $change) {
                (Target::thread(self.chat_id, self.thread_id), self.properties)
            }
        })+
        $(impl PropertyChange for $event {
            type Change = $change;
            fn into_parts(self) -> (Target, $change) {
                (Target::event(self.chat_id, self.thread_id, self.event_id), self.properties)
            }
        })+
    };
}

property_change!(Properties =>
    chat: agent::UpdateChatProperties, customer::UpdateChatProperties;
    thread: agent::UpdateThreadProperties, customer::UpdateThreadProperties;
    event: agent::UpdateEventProperties, customer::UpdateEventProperties);
property_change!(PropertyNames =>
    chat: agent::DeleteChatProperties, customer::DeleteChatProperties;
    thread: agent::DeleteThreadProperties, customer::DeleteThreadProperties;
    event: agent::DeleteEventProperties, customer::DeleteEventProperties);

/// The handler of every `update_*_properties` action.
fn update_handler<R: PropertyChange<Change = Properties>>(
    ctx: &mut Ctx<'_>,
    request: R,
) -> Result<Empty, ApiError> {
    let (target, update) = request.into_parts();
    let who = ctx.who.clone();
    event_ops::update_properties(ctx.state, &who, &target, &update)?;
    Ok(Empty {})
}

/// The handler of every `delete_*_properties` action.
fn delete_handler<R: PropertyChange<Change = PropertyNames>>(
    ctx: &mut Ctx<'_>,
    request: R,
) -> Result<Empty, ApiError> {
    let (target, names) = request.into_parts();
    let who = ctx.who.clone();
    event_ops::delete_properties(ctx.state, &who, &target, &names)?;
    Ok(Empty {})
}
