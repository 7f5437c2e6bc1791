//! Our framing of the Inbenta Agent Chat realtime channel (see `docs/inbenta-wire.md`).
//!
//! Inbenta does not publish its realtime framing; the event names and field names are
//! Inbenta's, the envelope is ours:
//!
//! ```text
//! request  {"id": "<client-minted event id>", "name": "<event>", "data": {...}}
//! reply    {"id": "<same id>", "data": {...}}  or  {"id": "<same id>", "error": {"code", "message"}}
//! push     {"name": "<event>", "data": {...}}
//! ```

use super::{Dialect, Incoming, PushFrame, Reply, fields, payload_field, string_field};
use crate::error::{ApiError, ErrorType, FrameError};
use crate::push::PushSet;
use serde::{Deserialize, Serialize};
use serde_json::json;
use serde_json::value::RawValue;
use std::marker::PhantomData;

/// Inbenta's error object, `{"code": <int>, "message": "..."}` (REST bodies and our replies).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InbentaError {
    /// An HTTP-like status code (e.g. 403 "File type is not allowed").
    pub code: u16,
    /// What went wrong.
    #[serde(default)]
    pub message: String,
}

impl InbentaError {
    /// The same error as a LiveChat-style [`ApiError`], so that every API reports
    /// failures one way; the code is kept in `data.code`.
    pub fn to_api_error(&self) -> ApiError {
        let kind = match self.code {
            400 | 422 => ErrorType::Validation,
            401 => ErrorType::Authentication,
            403 => ErrorType::Authorization,
            404 => ErrorType::NotFound,
            409 => ErrorType::AlreadyExists,
            413 => ErrorType::EntityTooLarge,
            429 => ErrorType::TooManyRequests,
            503 => ErrorType::ServiceUnavailable,
            500..=599 => ErrorType::Internal,
            other => ErrorType::Unknown(format!("inbenta_{other}")),
        };
        ApiError::with_message(kind, self.message.clone()).data(json!({ "code": self.code }))
    }
}

/// `{"error": {...}}`, the Inbenta error body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InbentaErrorBody {
    /// The error.
    pub error: InbentaError,
}

/// A request as a server receives it.
#[derive(Debug, Clone)]
pub struct RequestFrame {
    /// The client-minted event id, echoed in the reply.
    pub id: String,
    /// The event name, e.g. `chats:assign`.
    pub name: String,
    /// The event data (`{}` when absent).
    pub data: Box<RawValue>,
}

/// Decodes a request sent by a client (for servers such as lc-sandbox).
///
/// # Errors
/// A [`FrameError`] naming what was wrong.
pub fn decode_request(text: &str) -> Result<RequestFrame, FrameError> {
    let fields = fields(text)?;
    let id = string_field(&fields, "id")?.ok_or(FrameError::MissingField("id"))?;
    let name = string_field(&fields, "name")?.ok_or(FrameError::MissingField("name"))?;
    Ok(RequestFrame {
        id,
        name,
        data: payload_field(&fields, "data"),
    })
}

#[derive(Serialize)]
struct RequestOut<'a> {
    id: &'a str,
    name: &'a str,
    data: &'a RawValue,
}

#[derive(Serialize)]
struct ReplyOut<'a> {
    id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<&'a RawValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a InbentaError>,
}

#[derive(Serialize)]
struct PushOut<'a> {
    name: &'a str,
    data: &'a RawValue,
}

/// Frames a request.
pub fn encode_request(id: &str, name: &str, data: &RawValue) -> String {
    to_text(&RequestOut { id, name, data })
}

/// Frames a successful reply.
pub fn encode_reply(id: &str, data: &RawValue) -> String {
    to_text(&ReplyOut {
        id,
        data: Some(data),
        error: None,
    })
}

/// Frames a failed reply.
pub fn encode_error(id: &str, error: &InbentaError) -> String {
    to_text(&ReplyOut {
        id,
        data: None,
        error: Some(error),
    })
}

/// Frames a push.
pub fn encode_push(name: &str, data: &RawValue) -> String {
    to_text(&PushOut { name, data })
}

fn to_text<T: Serialize>(value: &T) -> String {
    // The envelopes hold only strings, integers and already-valid raw JSON.
    serde_json::to_string(value)
        .unwrap_or_else(|err| unreachable!("envelope encoding failed: {err}"))
}

/// The Inbenta dialect, with the push set `P` ([`InbentaPush`](crate::inbenta::InbentaPush)).
pub struct Inbenta<P> {
    pushes: PhantomData<fn() -> P>,
}

impl<P> Inbenta<P> {
    /// The dialect.
    pub fn new() -> Self {
        Self {
            pushes: PhantomData,
        }
    }
}

impl<P> Default for Inbenta<P> {
    fn default() -> Self {
        Self::new()
    }
}

impl<P> std::fmt::Debug for Inbenta<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Inbenta")
    }
}

impl<P: PushSet> Dialect for Inbenta<P> {
    type Push = P;

    fn encode_request(&self, request_id: &str, action: &str, payload: &RawValue) -> String {
        encode_request(request_id, action, payload)
    }

    fn decode(&self, text: &str) -> Result<Incoming<P>, FrameError> {
        let fields = fields(text)?;
        let name = string_field(&fields, "name")?;
        match string_field(&fields, "id")? {
            Some(id) => {
                let result = match fields.get("error") {
                    Some(raw) => Err(serde_json::from_str::<InbentaError>(raw.get())
                        .map_err(|source| FrameError::Payload {
                            name: "error".to_owned(),
                            source: source.into(),
                        })?
                        .to_api_error()),
                    None => Ok(payload_field(&fields, "data")),
                };
                Ok(Incoming::Reply(Reply {
                    request_id: Some(id),
                    action: name,
                    result,
                }))
            }
            None => {
                let name = name.ok_or(FrameError::MissingField("name"))?;
                let data = payload_field(&fields, "data");
                Ok(Incoming::Push(PushFrame {
                    push: P::decode(&name, data.get())?,
                    request_id: None,
                    version: None,
                }))
            }
        }
    }
}
