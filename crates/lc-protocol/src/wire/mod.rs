//! Wire codecs: how requests, replies and pushes are framed on a WebSocket.
//!
//! Two dialects share one shape, [`Dialect`], so that one engine serves both:
//! [`livechat`] (the LiveChat RTM envelopes) and [`inbenta`] (our documented framing of
//! the Inbenta realtime channel, see `docs/inbenta-wire.md`). Decoding never panics:
//! a malformed frame is a [`FrameError`] that names what was wrong.

pub mod inbenta;
pub mod livechat;
pub mod typed;

use crate::error::{ApiError, FrameError};
use crate::push::PushSet;
use serde::Deserialize;
use serde_json::value::RawValue;

/// A frame a client receives, decoded.
#[derive(Debug)]
pub enum Incoming<P> {
    /// The answer to a request.
    Reply(Reply),
    /// A push (an event the server sends on its own).
    Push(PushFrame<P>),
}

/// The answer to one request.
#[derive(Debug)]
pub struct Reply {
    /// The id the client gave the request (absent if the server dropped it).
    pub request_id: Option<String>,
    /// The action answered, when the dialect says it.
    pub action: Option<String>,
    /// The payload of a success, or the error object of a failure.
    pub result: Result<Box<RawValue>, ApiError>,
}

/// A decoded push with its envelope.
#[derive(Debug)]
pub struct PushFrame<P> {
    /// The request that caused it, on the requester's own connection only.
    pub request_id: Option<String>,
    /// The API version of the push (LiveChat only).
    pub version: Option<String>,
    /// The typed push.
    pub push: P,
}

/// How requests are framed and incoming frames decoded, for one API dialect.
pub trait Dialect: Send + Sync + 'static {
    /// The pushes of the API.
    type Push: PushSet;

    /// Frames one request.
    fn encode_request(&self, request_id: &str, action: &str, payload: &RawValue) -> String;

    /// Frames one request sent as another author (the LiveChat Agent Chat API's
    /// `author_id`, 3.5 and older); dialects without authors frame it as
    /// [`encode_request`](Dialect::encode_request) does.
    fn encode_request_as(
        &self,
        request_id: &str,
        action: &str,
        payload: &RawValue,
        author_id: Option<&str>,
    ) -> String {
        let _ = author_id;
        self.encode_request(request_id, action, payload)
    }

    /// Decodes a frame from the server.
    ///
    /// # Errors
    /// A [`FrameError`] naming what was wrong.
    fn decode(&self, text: &str) -> Result<Incoming<Self::Push>, FrameError>;
}

/// An object's top-level fields, borrowed as raw JSON, for precise envelope errors.
#[derive(Deserialize)]
struct Fields<'a>(#[serde(borrow)] std::collections::BTreeMap<&'a str, &'a RawValue>);

/// Parses `text` as a JSON object of raw fields.
fn fields(text: &str) -> Result<std::collections::BTreeMap<&str, &RawValue>, FrameError> {
    if !text.trim_start().starts_with('{') {
        return match serde_json::from_str::<serde::de::IgnoredAny>(text) {
            Err(err) => Err(FrameError::Json(err.into())),
            Ok(_) => Err(FrameError::NotAnObject),
        };
    }
    serde_json::from_str::<Fields<'_>>(text)
        .map(|f| f.0)
        .map_err(|err| FrameError::Json(err.into()))
}

/// The string field `name` (a raw value), if present and not `null`.
fn string_value(raw: Option<&RawValue>, name: &'static str) -> Result<Option<String>, FrameError> {
    str_value(raw, name).map(|text| text.map(std::borrow::Cow::into_owned))
}

/// The string field `name` (a raw value), if present and not `null`: borrowed from the
/// frame unless it has escapes.
fn str_value<'a>(
    raw: Option<&'a RawValue>,
    name: &'static str,
) -> Result<Option<std::borrow::Cow<'a, str>>, FrameError> {
    let Some(raw) = raw else { return Ok(None) };
    let text = raw.get();
    if text == "null" {
        return Ok(None);
    }
    // A raw value is valid JSON: a string without a backslash is its text in quotes.
    if let Some(inner) = text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        if !inner.contains('\\') {
            return Ok(Some(std::borrow::Cow::Borrowed(inner)));
        }
    }
    serde_json::from_str::<String>(text)
        .map(|text| Some(std::borrow::Cow::Owned(text)))
        .map_err(|_| FrameError::WrongType {
            field: name,
            expected: "a string",
        })
}

/// The string field `name`, if present.
fn string_field(
    fields: &std::collections::BTreeMap<&str, &RawValue>,
    name: &'static str,
) -> Result<Option<String>, FrameError> {
    string_value(fields.get(name).copied(), name)
}

/// The payload field `name` as an owned raw value; absent or `null` becomes `{}`.
fn payload_field(
    fields: &std::collections::BTreeMap<&str, &RawValue>,
    name: &str,
) -> Box<RawValue> {
    match fields.get(name) {
        Some(raw) if raw.get() != "null" => (*raw).to_owned(),
        _ => empty_object(),
    }
}

/// `{}` as a raw value.
pub fn empty_object() -> Box<RawValue> {
    RawValue::from_string("{}".to_owned()).unwrap_or_else(|_| unreachable!("`{{}}` is valid JSON"))
}

#[cfg(test)]
mod tests {
    use super::str_value;
    use serde_json::value::RawValue;
    use std::borrow::Cow;

    fn raw(text: &str) -> &RawValue {
        serde_json::from_str(text).expect("valid JSON")
    }

    #[test]
    fn envelope_strings_are_borrowed_unless_escaped() {
        let plain = str_value(Some(raw(r#""incoming_event""#)), "action").unwrap();
        assert!(matches!(plain, Some(Cow::Borrowed("incoming_event"))));
        let escaped = str_value(Some(raw(r#""a\"b\u0041""#)), "action").unwrap();
        assert!(matches!(escaped, Some(Cow::Owned(ref text)) if text == "a\"bA"));
        assert!(str_value(Some(raw("null")), "action").unwrap().is_none());
        assert!(str_value(None, "action").unwrap().is_none());
        for wrong in ["5", "{}", r#"["x"]"#, "true"] {
            assert!(str_value(Some(raw(wrong)), "action").is_err(), "{wrong}");
        }
    }
}
