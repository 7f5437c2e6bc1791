//! The LiveChat RTM envelopes (Agent and Customer Chat APIs): requests, responses, pushes.
//!
//! ```text
//! request   {"version"?, "request_id"?, "action", "payload"?, "author_id"?}
//! response  {"request_id", "action", "type": "response", "success", "payload"}
//! push      {"version", "request_id"?, "action", "type": "push", "payload"}
//! ```
//!
//! ```
//! use lc_protocol::wire::livechat::{ServerFrame, decode_server_frame};
//!
//! let frame = decode_server_frame(
//!     r#"{"request_id":"1","action":"ping","type":"response","success":true,"payload":{}}"#,
//! ).unwrap();
//! assert!(matches!(frame, ServerFrame::Response(r) if r.success));
//! ```

use super::{
    Dialect, Incoming, PushFrame, Reply, fields, payload_field, str_value, string_field,
    string_value,
};
use crate::de::Key;
use crate::error::{ApiError, ErrorBody, FrameError};
use crate::push::PushSet;
use crate::version::ApiVersion;
use serde::Serialize;
use serde::de::{DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::marker::PhantomData;

/// A request as a server receives it.
#[derive(Debug, Clone)]
pub struct RequestFrame {
    /// The version asked for this one request (must not be below the connection's).
    pub version: Option<String>,
    /// The client's opaque request id, echoed in the response.
    pub request_id: Option<String>,
    /// The action.
    pub action: String,
    /// The payload (`{}` when absent).
    pub payload: Box<RawValue>,
    /// (3.5, agent) act as this bot.
    pub author_id: Option<String>,
}

/// A response, as a client receives it.
#[derive(Debug, Clone)]
pub struct ResponseFrame {
    /// The request id.
    pub request_id: Option<String>,
    /// The action answered.
    pub action: String,
    /// Whether the action succeeded.
    pub success: bool,
    /// The response payload, or `{"error": {...}}` on failure.
    pub payload: Box<RawValue>,
}

impl ResponseFrame {
    /// The payload on success, the API error on failure.
    ///
    /// # Errors
    /// [`FrameError::Payload`] when a failure does not carry an error object.
    pub fn into_result(self) -> Result<Result<Box<RawValue>, ApiError>, FrameError> {
        if self.success {
            return Ok(Ok(self.payload));
        }
        serde_json::from_str::<ErrorBody>(self.payload.get())
            .map(|body| Err(body.error))
            .map_err(|source| FrameError::Payload {
                name: self.action,
                source: source.into(),
            })
    }
}

/// A push with its payload still raw, as a client receives it.
#[derive(Debug, Clone)]
pub struct RawPushFrame {
    /// The version of the push.
    pub version: Option<String>,
    /// The request that caused it, on the requester's connection only.
    pub request_id: Option<String>,
    /// The push name.
    pub action: String,
    /// The payload.
    pub payload: Box<RawValue>,
}

/// A frame a client receives.
#[derive(Debug, Clone)]
pub enum ServerFrame {
    /// A response to a request.
    Response(ResponseFrame),
    /// A push.
    Push(RawPushFrame),
}

/// Decodes a frame sent by a server.
///
/// # Errors
/// A [`FrameError`] naming what was wrong (not JSON, not an object, no `action`, ...).
pub fn decode_server_frame(text: &str) -> Result<ServerFrame, FrameError> {
    Ok(match server_frame(text)? {
        Frame::Response(response) => ServerFrame::Response(response.into_owned()),
        Frame::Push(push) => ServerFrame::Push(RawPushFrame {
            version: push.version,
            request_id: push.request_id,
            action: push.action.into_owned(),
            payload: push
                .payload
                .map_or_else(super::empty_object, ToOwned::to_owned),
        }),
    })
}

/// A server frame with its payload borrowed from the text (`None`: absent or `null`,
/// which stands for `{}`).
enum Frame<'a> {
    Response(Borrowed<'a>),
    Push(Borrowed<'a>),
}

/// The fields of a server frame, the payload still raw and borrowed.
struct Borrowed<'a> {
    version: Option<String>,
    request_id: Option<String>,
    action: Cow<'a, str>,
    success: bool,
    payload: Option<&'a RawValue>,
}

impl Borrowed<'_> {
    /// The response with an owned payload.
    fn into_owned(self) -> ResponseFrame {
        ResponseFrame {
            request_id: self.request_id,
            action: self.action.into_owned(),
            success: self.success,
            payload: self
                .payload
                .map_or_else(super::empty_object, ToOwned::to_owned),
        }
    }
}

/// Reads the envelope of a server frame in one pass, the payload left in the text.
fn server_frame(text: &str) -> Result<Frame<'_>, FrameError> {
    envelope::<Never>(text, &mut None)?.frame()
}

/// The envelope fields of a server frame, borrowed raw (of a repeated field the last
/// one counts).
struct Envelope<'a> {
    action: Option<&'a RawValue>,
    request_id: Option<&'a RawValue>,
    kind: Option<&'a RawValue>,
    success: Option<&'a RawValue>,
    payload: Option<&'a RawValue>,
    version: Option<&'a RawValue>,
    /// How many `payload` fields the frame has.
    payloads: usize,
}

/// No push set: the envelope is read without decoding a push on the way.
enum Never {}

/// Whether the envelope decodes the push on the way, and how.
trait InlinePush: Sized {
    /// Decodes the payload of the push `name` into `slot` (left as it is for a `null`
    /// payload, which stands for `{}`) and says `true`, or says `false` (the value not
    /// read) when this does not decode pushes.
    fn decode_inline<'de, A: MapAccess<'de>>(
        name: Cow<'de, str>,
        map: &mut A,
        slot: &mut Option<(Cow<'de, str>, Self)>,
    ) -> Result<bool, A::Error>;
}

impl InlinePush for Never {
    fn decode_inline<'de, A: MapAccess<'de>>(
        _: Cow<'de, str>,
        _: &mut A,
        _: &mut Option<(Cow<'de, str>, Self)>,
    ) -> Result<bool, A::Error> {
        Ok(false)
    }
}

/// A push set decodes its push from the frame in one pass.
struct Inline<P>(P);

impl<P: PushSet> InlinePush for Inline<P> {
    fn decode_inline<'de, A: MapAccess<'de>>(
        name: Cow<'de, str>,
        map: &mut A,
        slot: &mut Option<(Cow<'de, str>, Self)>,
    ) -> Result<bool, A::Error> {
        let seed = PayloadSeed::<P> {
            name: &name,
            push: PhantomData,
        };
        if let Some(push) = map.next_value_seed(seed)? {
            *slot = Some((name, Inline(push)));
        }
        Ok(true)
    }
}

/// The payload of the push `name`, decoded by its push set; `None` when it is `null`
/// (then the frame is decoded as the plain path does, with `{}`).
struct PayloadSeed<'n, P> {
    name: &'n str,
    push: PhantomData<P>,
}

impl<'de, P: PushSet> DeserializeSeed<'de> for PayloadSeed<'_, P> {
    type Value = Option<P>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<P>, D::Error> {
        deserializer.deserialize_option(self)
    }
}

impl<'de, P: PushSet> Visitor<'de> for PayloadSeed<'_, P> {
    type Value = Option<P>;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a push payload")
    }
    fn visit_none<E: serde::de::Error>(self) -> Result<Option<P>, E> {
        Ok(None)
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<Option<P>, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<P>, D::Error> {
        P::deserialize_payload(self.name, deserializer).map(Some)
    }
}

/// Reads the envelope of `text`; once `action` and `"type": "push"` were read, a payload
/// that follows is decoded by `P` on the way (when `P` decodes pushes) into `push`, with
/// the push name as read then. (`push` is the caller's: a push set can be large, and is
/// moved around the less.)
fn envelope<'a, P: InlinePush>(
    text: &'a str,
    push: &mut Option<(Cow<'a, str>, P)>,
) -> Result<Envelope<'a>, FrameError> {
    struct Fields<'p, 'de, P>(&'p mut Option<(Cow<'de, str>, P)>);
    impl<'de, P: InlinePush> Visitor<'de> for Fields<'_, 'de, P> {
        type Value = Envelope<'de>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a map")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut envelope = Envelope {
                action: None,
                request_id: None,
                kind: None,
                success: None,
                payload: None,
                version: None,
                payloads: 0,
            };
            while let Some(key) = map.next_key::<Key<'de>>()? {
                let slot = match key.as_str() {
                    "action" => &mut envelope.action,
                    "request_id" => &mut envelope.request_id,
                    "type" => &mut envelope.kind,
                    "success" => &mut envelope.success,
                    "version" => &mut envelope.version,
                    "payload" => {
                        envelope.payloads += 1;
                        let name = match (envelope.action, envelope.kind) {
                            (Some(action), Some(kind)) if kind.get() == "\"push\"" => {
                                // Borrowed unless escaped.
                                str_value(Some(action), "action").ok().flatten()
                            }
                            _ => None,
                        };
                        if let Some(name) = name {
                            if P::decode_inline(name, &mut map, self.0)? {
                                envelope.payload = None;
                                continue;
                            }
                        }
                        &mut envelope.payload
                    }
                    _ => {
                        crate::de::skip(&mut map)?;
                        continue;
                    }
                };
                *slot = Some(map.next_value()?);
            }
            Ok(envelope)
        }
    }
    if !text.trim_start().starts_with('{') {
        return match serde_json::from_str::<serde::de::IgnoredAny>(text) {
            Err(err) => Err(FrameError::Json(err.into())),
            Ok(_) => Err(FrameError::NotAnObject),
        };
    }
    let mut deserializer = serde_json::Deserializer::from_str(text);
    Deserializer::deserialize_map(&mut deserializer, Fields(push))
        .and_then(|envelope| deserializer.end().map(|()| envelope))
        .map_err(|err| FrameError::Json(err.into()))
}

impl<'a> Envelope<'a> {
    /// The frame the fields make, checked as [`decode_server_frame`] does.
    fn frame(self) -> Result<Frame<'a>, FrameError> {
        let Envelope {
            action,
            request_id,
            kind,
            success,
            payload,
            version,
            ..
        } = self;
        let action = str_value(action, "action")?.ok_or(FrameError::MissingField("action"))?;
        let request_id = string_value(request_id, "request_id")?;
        let kind = str_value(kind, "type")?;
        let success = match success {
            None => None,
            Some(raw) => Some(serde_json::from_str::<bool>(raw.get()).map_err(|_| {
                FrameError::WrongType {
                    field: "success",
                    expected: "a boolean",
                }
            })?),
        };
        let payload = payload.filter(|raw| raw.get() != "null");
        let frame = |version, success| Borrowed {
            version,
            request_id,
            action,
            success,
            payload,
        };
        match (kind.as_deref(), success) {
            (Some("response"), Some(success)) | (None, Some(success)) => {
                Ok(Frame::Response(frame(None, success)))
            }
            (Some("response"), None) => Err(FrameError::MissingField("success")),
            (Some("push"), _) => {
                let version = string_value(version, "version")?;
                Ok(Frame::Push(frame(version, false)))
            }
            (Some(other), _) => Err(FrameError::UnknownType(other.to_owned())),
            (None, None) => Err(FrameError::MissingField("type")),
        }
    }
}

/// Decodes a request sent by a client (for servers such as lc-sandbox).
///
/// Any whitespace is accepted (the Python client pretty-prints its frames).
///
/// # Errors
/// A [`FrameError`] naming what was wrong.
pub fn decode_request(text: &str) -> Result<RequestFrame, FrameError> {
    let fields = fields(text)?;
    let action = string_field(&fields, "action")?.ok_or(FrameError::MissingField("action"))?;
    if let Some(raw) = fields.get("payload") {
        let first = raw.get().trim_start().as_bytes().first().copied();
        if !matches!(first, Some(b'{') | Some(b'n')) {
            return Err(FrameError::WrongType {
                field: "payload",
                expected: "an object",
            });
        }
    }
    Ok(RequestFrame {
        version: string_field(&fields, "version")?,
        request_id: string_field(&fields, "request_id")?,
        action,
        payload: payload_field(&fields, "payload"),
        author_id: string_field(&fields, "author_id")?,
    })
}

#[derive(Serialize)]
struct RequestOut<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<&'a str>,
    request_id: &'a str,
    action: &'a str,
    payload: &'a RawValue,
    #[serde(skip_serializing_if = "Option::is_none")]
    author_id: Option<&'a str>,
}

#[derive(Serialize)]
struct ResponseOut<'a, P: Serialize> {
    #[serde(skip_serializing_if = "Option::is_none")]
    request_id: Option<&'a str>,
    action: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    success: bool,
    payload: P,
}

#[derive(Serialize)]
struct PushOut<'a> {
    version: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    request_id: Option<&'a str>,
    action: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    payload: &'a RawValue,
}

/// Frames a request; `version` overrides the connection's version for this request.
pub fn encode_request(
    request_id: &str,
    action: &str,
    payload: &RawValue,
    version: Option<ApiVersion>,
) -> String {
    encode_request_as(request_id, action, payload, version, None)
}

/// Frames a request sent as the bot `author_id` with an agent's token (Agent Chat API
/// 3.5 and older: a top-level `author_id`).
pub fn encode_request_as(
    request_id: &str,
    action: &str,
    payload: &RawValue,
    version: Option<ApiVersion>,
    author_id: Option<&str>,
) -> String {
    let room = payload.get().len() + request_id.len() + action.len();
    to_text(
        &RequestOut {
            version: version.map(ApiVersion::as_str),
            request_id,
            action,
            payload,
            author_id,
        },
        room,
    )
}

/// Frames a success response.
pub fn encode_success(request_id: Option<&str>, action: &str, payload: &RawValue) -> String {
    let room = payload.get().len() + request_id.map_or(0, str::len) + action.len();
    to_text(
        &ResponseOut {
            request_id,
            action,
            kind: "response",
            success: true,
            payload,
        },
        room,
    )
}

/// Frames a failure response carrying `error`.
pub fn encode_failure(request_id: Option<&str>, action: &str, error: &ApiError) -> String {
    let payload = ErrorBody {
        error: error.clone(),
    };
    to_text(
        &ResponseOut {
            request_id,
            action,
            kind: "response",
            success: false,
            payload,
        },
        0,
    )
}

/// Frames a push.
pub fn encode_push(
    version: ApiVersion,
    request_id: Option<&str>,
    action: &str,
    payload: &RawValue,
) -> String {
    let room = payload.get().len() + request_id.map_or(0, str::len) + action.len();
    to_text(
        &PushOut {
            version: version.as_str(),
            request_id,
            action,
            kind: "push",
            payload,
        },
        room,
    )
}

/// The envelope's own keys and punctuation, beside the room its values take.
const ENVELOPE_ROOM: usize = 96;

/// `value` as JSON text, written into a buffer sized for `room` bytes of values plus the
/// envelope, so that a long payload is copied once rather than through every doubling
/// of a small buffer.
fn to_text<T: Serialize>(value: &T, room: usize) -> String {
    let mut text = Vec::with_capacity(room + ENVELOPE_ROOM);
    // The envelopes hold only strings, booleans and already-valid raw JSON.
    serde_json::to_writer(&mut text, value)
        .unwrap_or_else(|err| unreachable!("envelope encoding failed: {err}"));
    String::from_utf8(text).unwrap_or_else(|err| unreachable!("serde_json writes UTF-8: {err}"))
}

/// The LiveChat dialect, with the push set `P` of one API
/// ([`AgentPush`](crate::agent::AgentPush) or [`CustomerPush`](crate::customer::CustomerPush)).
pub struct LiveChat<P> {
    version: Option<ApiVersion>,
    pushes: PhantomData<fn() -> P>,
}

impl<P> LiveChat<P> {
    /// The dialect; requests carry no `version` (the connection's version applies).
    pub fn new() -> Self {
        Self {
            version: None,
            pushes: PhantomData,
        }
    }

    /// The dialect, stamping `version` on every request.
    pub fn with_version(version: ApiVersion) -> Self {
        Self {
            version: Some(version),
            pushes: PhantomData,
        }
    }
}

impl<P> Default for LiveChat<P> {
    fn default() -> Self {
        Self::new()
    }
}

impl<P> std::fmt::Debug for LiveChat<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveChat")
            .field("version", &self.version)
            .finish()
    }
}

impl<P: PushSet> Dialect for LiveChat<P> {
    type Push = P;

    fn encode_request(&self, request_id: &str, action: &str, payload: &RawValue) -> String {
        encode_request(request_id, action, payload, self.version)
    }

    fn encode_request_as(
        &self,
        request_id: &str,
        action: &str,
        payload: &RawValue,
        author_id: Option<&str>,
    ) -> String {
        encode_request_as(request_id, action, payload, self.version, author_id)
    }

    fn decode(&self, text: &str) -> Result<Incoming<P>, FrameError> {
        // One pass: the push decoded while the envelope is read. Anything unusual (a
        // payload that does not decode, a field repeated after it) is decoded again the
        // plain way below, which gives the precise error.
        let mut push: Option<(Cow<'_, str>, Inline<P>)> = None;
        if let Ok(envelope) = envelope(text, &mut push) {
            let payloads = envelope.payloads;
            // (The push is moved once: a push set can be large.)
            match envelope.frame() {
                Ok(Frame::Push(frame))
                    if payloads == 1
                        && push.as_ref().is_some_and(|(name, _)| *name == frame.action) =>
                {
                    if let Some((_, Inline(push))) = push {
                        return Ok(Incoming::Push(PushFrame {
                            push,
                            request_id: frame.request_id,
                            version: frame.version,
                        }));
                    }
                }
                // Nothing decoded on the way: the envelope is the plain one.
                frame if push.is_none() => return self.incoming(frame?),
                _ => {}
            }
        }
        self.incoming(server_frame(text)?)
    }
}

impl<P: PushSet> LiveChat<P> {
    /// The frame as it comes to a client, its push decoded from the text.
    fn incoming(&self, frame: Frame<'_>) -> Result<Incoming<P>, FrameError> {
        match frame {
            Frame::Response(Borrowed {
                request_id,
                action,
                success,
                payload,
                ..
            }) => {
                // As `ResponseFrame::into_result`, without the copies.
                let result = if success {
                    Ok(payload.map_or_else(super::empty_object, ToOwned::to_owned))
                } else {
                    match serde_json::from_str::<ErrorBody>(payload.map_or("{}", RawValue::get)) {
                        Ok(body) => Err(body.error),
                        Err(source) => {
                            return Err(FrameError::Payload {
                                name: action.into_owned(),
                                source: source.into(),
                            });
                        }
                    }
                };
                Ok(Incoming::Reply(Reply {
                    request_id,
                    action: Some(action.into_owned()),
                    result,
                }))
            }
            // The payload is decoded from the frame's text, not copied.
            Frame::Push(push) => Ok(Incoming::Push(PushFrame {
                push: P::decode(&push.action, push.payload.map_or("{}", RawValue::get))?,
                request_id: push.request_id,
                version: push.version,
            })),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::AgentPush;

    const PUSH: &str = r#"{"version":"3.6","action":"incoming_event","type":"push","payload":{"chat_id":"C","thread_id":"T","event":{"id":"E","type":"message","text":"hi"}}}"#;

    #[test]
    fn a_push_is_decoded_while_the_envelope_is_read() {
        let mut push = None;
        let envelope = envelope::<Inline<AgentPush>>(PUSH, &mut push).expect("the frame decodes");
        assert!(matches!(
            push,
            Some((ref name, Inline(AgentPush::IncomingEvent(_)))) if name == "incoming_event"
        ));
        assert!(envelope.payload.is_none());
    }

    #[test]
    fn a_push_whose_payload_does_not_match_gets_the_plain_error() {
        let text = PUSH.replace(r#""text":"hi""#, r#""text":5"#);
        let err = LiveChat::<AgentPush>::new().decode(&text).unwrap_err();
        assert!(
            matches!(&err, FrameError::Payload { name, .. } if name == "incoming_event"),
            "{err:?}"
        );
        assert!(err.to_string().contains("event of type `message`"), "{err}");
    }

    #[test]
    fn a_null_payload_stands_for_an_empty_object() {
        let dialect = LiveChat::<AgentPush>::new();
        let text = r#"{"version":"3.6","action":"brand_new_push","type":"push","payload":null}"#;
        let Ok(Incoming::Push(frame)) = dialect.decode(text) else {
            panic!("a push");
        };
        assert!(matches!(
            frame.push,
            AgentPush::Unknown { ref payload, .. } if *payload == serde_json::json!({})
        ));
        let text = PUSH.replace(r#""payload":{"#, r#""payload":null,"x":{"#);
        assert!(matches!(
            dialect.decode(&text),
            Err(FrameError::Payload { .. })
        ));
    }

    #[test]
    fn a_field_repeated_after_the_payload_counts_as_in_the_plain_decode() {
        let text = PUSH.replace(
            "}}}",
            r#"}},"action":"chat_unfollowed","payload":{"chat_id":"C"}}"#,
        );
        let Ok(Incoming::Push(frame)) = LiveChat::<AgentPush>::new().decode(&text) else {
            panic!("a push");
        };
        assert!(matches!(frame.push, AgentPush::ChatUnfollowed(_)));
    }
}
