//! [`Event`]: everything that can be posted in a thread, tagged by `type`.

use super::properties::Properties;
use super::tagged::{self, Union};
use crate::generated::common::Visibility;
use crate::generated::common::{
    CustomEvent, FileEvent, FilledFormEvent, FormEvent, MessageEvent, RichMessageEvent,
    SystemEvent, SystemMessageEvent,
};
use crate::id::{EventId, UserId};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

/// Applies `$body` to the struct of any known event kind, `$unknown` otherwise.
macro_rules! on_known {
    ($event:expr, $e:ident => $body:expr, $unknown:expr) => {
        match $event {
            Event::Message($e) => $body,
            Event::File($e) => $body,
            Event::Form($e) => $body,
            Event::FilledForm($e) => $body,
            Event::RichMessage($e) => $body,
            Event::Custom($e) => $body,
            Event::SystemMessage($e) => $body,
            Event::System($e) => $body,
            Event::Unknown(_) => $unknown,
        }
    };
}

/// An event of a thread: a message, a file, a form, a rich message, ...
///
/// Serialized with its `type` tag (`"message"`, `"file"`, ...). A `type` this crate
/// does not know decodes to [`Event::Unknown`] with every field kept.
///
/// ```
/// use lc_protocol::types::Event;
///
/// let event: Event = serde_json::from_str(r#"{"type":"message","text":"hi"}"#).unwrap();
/// assert_eq!(event.kind(), "message");
/// assert_eq!(serde_json::to_string(&Event::message("hi")).unwrap(), r#"{"type":"message","text":"hi"}"#);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Event {
    /// A text message.
    Message(MessageEvent),
    /// A file (uploaded with `upload_file`).
    File(FileEvent),
    /// A form to fill in.
    Form(FormEvent),
    /// A filled-in form.
    FilledForm(FilledFormEvent),
    /// A rich message (cards, quick replies, stickers, ...).
    RichMessage(RichMessageEvent),
    /// Arbitrary JSON content.
    Custom(CustomEvent),
    /// A system message (e.g. "chat archived").
    SystemMessage(SystemMessageEvent),
    /// A system event (3.6; response only).
    System(SystemEvent),
    /// An event type this crate does not know.
    #[serde(untagged)]
    Unknown(UnknownEvent),
}

/// An event whose `type` this crate does not know, with every field as received.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnknownEvent {
    /// The `type` tag, when it was a string.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Every other field.
    #[serde(flatten)]
    pub fields: Map<String, Value>,
}

impl Event {
    /// A `message` event with `text`, visible to all.
    pub fn message(text: impl Into<String>) -> Self {
        Event::Message(MessageEvent {
            text: Some(text.into()),
            ..MessageEvent::default()
        })
    }

    /// A `file` event pointing at `url` (e.g. what `upload_file` returned), visible to
    /// all.
    pub fn file(url: impl Into<String>) -> Self {
        Event::File(FileEvent {
            url: Some(url.into()),
            ..FileEvent::default()
        })
    }

    /// The `type` tag of the event.
    pub fn kind(&self) -> &str {
        match self {
            Event::Message(_) => "message",
            Event::File(_) => "file",
            Event::Form(_) => "form",
            Event::FilledForm(_) => "filled_form",
            Event::RichMessage(_) => "rich_message",
            Event::Custom(_) => "custom",
            Event::SystemMessage(_) => "system_message",
            Event::System(_) => "system",
            Event::Unknown(unknown) => unknown.kind.as_deref().unwrap_or(""),
        }
    }

    /// The event id (absent in requests).
    pub fn id(&self) -> Option<&EventId> {
        on_known!(self, e => e.id.as_ref(), None)
    }

    /// The author (absent in requests and for system messages).
    pub fn author_id(&self) -> Option<&UserId> {
        on_known!(self, e => e.author_id.as_ref(), None)
    }

    /// When the server stored the event (absent in requests).
    pub fn created_at(&self) -> Option<&str> {
        on_known!(self, e => e.created_at.as_deref(), None)
    }

    /// Who can see the event (`all` when absent).
    pub fn visibility(&self) -> Option<&Visibility> {
        on_known!(self, e => e.visibility.as_ref(), None)
    }

    /// The client's own id for the event.
    pub fn custom_id(&self) -> Option<&str> {
        on_known!(self, e => e.custom_id.as_deref(), None)
    }

    /// Sets the client's own id for the event (ignored for unknown event types).
    pub fn set_custom_id(&mut self, custom_id: Option<String>) {
        on_known!(self, e => e.custom_id = custom_id, ())
    }

    /// The event's properties.
    pub fn properties(&self) -> Option<&Properties> {
        on_known!(self, e => e.properties.as_ref(), None)
    }

    /// The event's properties, to change them (`None` for unknown event types).
    pub fn properties_mut(&mut self) -> Option<&mut Option<Properties>> {
        on_known!(self, e => Some(&mut e.properties), None)
    }

    /// Sets the fields a server assigns when it stores an event.
    pub fn stamp(&mut self, id: EventId, created_at: String, author_id: Option<UserId>) {
        on_known!(self, e => {
            e.id = Some(id);
            e.created_at = Some(created_at);
            e.author_id = author_id;
        }, ())
    }

    /// Sets who can see the event.
    pub fn set_visibility(&mut self, visibility: Option<Visibility>) {
        on_known!(self, e => e.visibility = visibility, ())
    }

    /// Whether the event was deleted (3.6; only administrators see deleted events).
    pub fn is_deleted(&self) -> bool {
        on_known!(self, e => e.deleted == Some(true), false)
    }

    /// Marks the event deleted (3.6) or not.
    pub fn set_deleted(&mut self, deleted: Option<bool>) {
        on_known!(self, e => e.deleted = deleted, ())
    }

    /// The text of a message or system message.
    pub fn text(&self) -> Option<&str> {
        match self {
            Event::Message(e) => e.text.as_deref(),
            Event::SystemMessage(e) => e.text.as_deref(),
            _ => None,
        }
    }
}

impl<'de> Deserialize<'de> for Event {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        tagged::deserialize(deserializer)
    }
}

impl Union for Event {
    const NAME: &'static str = "event";
    // The variants' structs skip the tag (`tag = "type"` in spec/common.toml).
    const VARIANTS_READ_TAG: bool = false;

    fn is_known(tag: &str) -> bool {
        matches!(
            tag,
            "message"
                | "file"
                | "form"
                | "filled_form"
                | "rich_message"
                | "custom"
                | "system_message"
                | "system"
        )
    }

    fn known<'de, D: Deserializer<'de>>(tag: &str, fields: D) -> Result<Self, D::Error> {
        Ok(match tag {
            "message" => Event::Message(Deserialize::deserialize(fields)?),
            "file" => Event::File(Deserialize::deserialize(fields)?),
            "form" => Event::Form(Deserialize::deserialize(fields)?),
            "filled_form" => Event::FilledForm(Deserialize::deserialize(fields)?),
            "rich_message" => Event::RichMessage(Deserialize::deserialize(fields)?),
            "custom" => Event::Custom(Deserialize::deserialize(fields)?),
            "system_message" => Event::SystemMessage(Deserialize::deserialize(fields)?),
            "system" => Event::System(Deserialize::deserialize(fields)?),
            // Not reached: `is_known` said no, and `unknown` was used.
            other => return Err(serde::de::Error::unknown_variant(other, &[])),
        })
    }

    fn unknown(kind: Option<String>, fields: Map<String, Value>) -> Self {
        Event::Unknown(UnknownEvent { kind, fields })
    }
}
