//! Typed responses decoded while their LiveChat frame is read.
//!
//! A typed call hands the engine a [`ResponseDecoder`] for its response type along with
//! its request. When the response frame names its `request_id` (and says it is a
//! successful response) before its `payload`, as LiveChat's frames do, the engine reads
//! the frame once: the envelope, and the payload straight into the caller's type, without
//! copying the payload into a [`RawValue`] and parsing it again. Any other frame takes
//! the plain path ([`Answer::Raw`]), decoded by the caller as before.

use super::str_value;
use crate::de::Key;
use crate::error::{ApiError, Error, FrameError};
use serde::de::{DeserializeOwned, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use std::any::Any;
use std::marker::PhantomData;

/// The answer to a request: its payload still raw, or already decoded by the
/// request's [`ResponseDecoder`].
#[derive(Debug)]
pub enum Answer {
    /// The payload as the server sent it, for the caller to decode.
    Raw(Box<RawValue>),
    /// The payload decoded during the frame read, in the type the decoder was made for.
    Typed(Box<dyn Any + Send>),
}

/// A response frame read by a [`ResponseDecoder`].
#[derive(Debug)]
pub struct TypedReply {
    /// The request the frame answers.
    pub request_id: String,
    /// The typed payload of a success, or the error of a failure.
    pub result: Result<Answer, ApiError>,
}

/// Decodes a LiveChat response frame with its payload straight into one response type
/// (made by [`ResponseDecoder::of`]): what a typed call gives the engine with its request.
#[derive(Clone, Copy)]
pub struct ResponseDecoder {
    decode: fn(&str) -> Result<Option<TypedReply>, FrameError>,
    payload: fn(&str) -> Result<Answer, serde_json::Error>,
}

impl std::fmt::Debug for ResponseDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ResponseDecoder")
    }
}

impl ResponseDecoder {
    /// The decoder of responses whose payload is a `T`.
    pub fn of<T: DeserializeOwned + Send + 'static>() -> Self {
        Self {
            decode: decode_frame::<T>,
            payload: decode_payload::<T>,
        }
    }

    /// Reads `text`, a response payload alone (the body of a Web API response), straight
    /// into the type ([`Answer::Typed`]), as [`finish`](Self::finish) would read it raw.
    ///
    /// # Errors
    /// serde's error when `text` is not JSON or does not match the type.
    pub fn decode_payload(&self, text: &str) -> Result<Answer, serde_json::Error> {
        (self.payload)(text)
    }

    /// Reads the LiveChat frame `text` in one pass. `Ok(None)` when the frame is not a
    /// plain response (a push, a repeated `payload` or `request_id`, no id, ...): the
    /// caller then decodes it the plain way. A payload that does not match the type is
    /// [`FrameError::Payload`].
    ///
    /// # Errors
    /// A [`FrameError`] naming what was wrong with the frame or its payload.
    pub fn decode(&self, text: &str) -> Result<Option<TypedReply>, FrameError> {
        (self.decode)(text)
    }

    /// The typed response `T` of `answer` (decoded now when it is still raw), naming
    /// `action` on failure. `T` must be the type this decoder was made for.
    ///
    /// # Errors
    /// [`Error::Decode`] when the payload does not match `T`.
    pub fn finish<T: DeserializeOwned + 'static>(
        &self,
        action: &str,
        answer: Answer,
    ) -> Result<T, Error> {
        match answer {
            Answer::Raw(raw) => serde_json::from_str(raw.get()).map_err(|source| Error::Decode {
                action: action.to_owned(),
                source: FrameError::Payload {
                    name: action.to_owned(),
                    source: source.into(),
                },
            }),
            Answer::Typed(typed) => {
                typed
                    .downcast::<T>()
                    .map(|typed| *typed)
                    .map_err(|_| Error::Decode {
                        action: action.to_owned(),
                        source: FrameError::WrongType {
                            field: "payload",
                            expected: "the response type of the call",
                        },
                    })
            }
        }
    }
}

/// The envelope fields read before the payload, and what the payload became.
struct Read<'a, T> {
    action: Option<&'a RawValue>,
    request_id: Option<&'a RawValue>,
    kind: Option<&'a RawValue>,
    success: Option<&'a RawValue>,
    /// The payload decoded as `T` (`None` inside: it was `null`).
    typed: Option<Option<T>>,
    /// The payload kept raw (a failure, or a success not yet known as one).
    raw: Option<&'a RawValue>,
    payloads: usize,
    requests: usize,
}

/// Decodes the payload as `T`; `None` for `null` (which stands for `{}`).
struct PayloadSeed<T>(PhantomData<T>);

impl<'de, T: DeserializeOwned> DeserializeSeed<'de> for PayloadSeed<T> {
    type Value = Option<T>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<T>, D::Error> {
        deserializer.deserialize_option(self)
    }
}

impl<'de, T: DeserializeOwned> Visitor<'de> for PayloadSeed<T> {
    type Value = Option<T>;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a response payload")
    }
    fn visit_none<E: serde::de::Error>(self) -> Result<Option<T>, E> {
        Ok(None)
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<Option<T>, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<T>, D::Error> {
        T::deserialize(deserializer).map(Some)
    }
}

/// The frame's fields, the payload decoded as `T` once the frame said it is a success;
/// `in_payload` is left `true` when the payload failed to decode.
struct Fields<'f, T> {
    in_payload: &'f mut bool,
    ty: PhantomData<T>,
}

impl<'de, T: DeserializeOwned> Visitor<'de> for Fields<'_, T> {
    type Value = Read<'de, T>;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a map")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut read = Read {
            action: None,
            request_id: None,
            kind: None,
            success: None,
            typed: None,
            raw: None,
            payloads: 0,
            requests: 0,
        };
        while let Some(key) = map.next_key::<Key<'de>>()? {
            let slot = match key.as_str() {
                "action" => &mut read.action,
                "request_id" => {
                    read.requests += 1;
                    &mut read.request_id
                }
                "type" => &mut read.kind,
                "success" => &mut read.success,
                "payload" => {
                    read.payloads += 1;
                    let response = read.kind.is_none_or(|kind| kind.get() == "\"response\"");
                    let success = read.success.is_some_and(|s| s.get() == "true");
                    if read.payloads == 1 && read.request_id.is_some() && response && success {
                        *self.in_payload = true;
                        read.typed = Some(map.next_value_seed(PayloadSeed(PhantomData))?);
                        *self.in_payload = false;
                        continue;
                    }
                    &mut read.raw
                }
                _ => {
                    crate::de::skip(&mut map)?;
                    continue;
                }
            };
            *slot = Some(map.next_value()?);
        }
        Ok(read)
    }
}

/// [`ResponseDecoder::decode`] for `T`.
/// `text`, a payload alone, decoded as `T`.
fn decode_payload<T: DeserializeOwned + Send + 'static>(
    text: &str,
) -> Result<Answer, serde_json::Error> {
    let typed: T = serde_json::from_str(text)?;
    Ok(Answer::Typed(Box::new(typed)))
}

fn decode_frame<T: DeserializeOwned + Send + 'static>(
    text: &str,
) -> Result<Option<TypedReply>, FrameError> {
    if !text.trim_start().starts_with('{') {
        return Ok(None);
    }
    let mut in_payload = false;
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let fields = Fields::<T> {
        in_payload: &mut in_payload,
        ty: PhantomData,
    };
    let read = match Deserializer::deserialize_map(&mut deserializer, fields)
        .and_then(|read| deserializer.end().map(|()| read))
    {
        Ok(read) => read,
        Err(source) if in_payload && source.is_data() => {
            // The frame said it answers a request and succeeded, and is well-formed up
            // to where its payload stopped matching the type.
            let name = str_value(first_action(text).as_deref(), "action")
                .ok()
                .flatten()
                .map_or_else(String::new, std::borrow::Cow::into_owned);
            return Err(FrameError::Payload {
                name,
                source: source.into(),
            });
        }
        Err(source) => return Err(FrameError::Json(source.into())),
    };
    let Read {
        action,
        request_id,
        kind,
        success,
        typed,
        raw,
        payloads,
        requests,
    } = read;
    // Anything unusual is left to the plain path, which gives the precise answer.
    if payloads > 1 || requests != 1 || kind.is_some_and(|kind| kind.get() != "\"response\"") {
        return Ok(None);
    }
    let Some(request_id) = super::string_value(request_id, "request_id")? else {
        return Ok(None);
    };
    let name = || {
        str_value(action, "action")
            .ok()
            .flatten()
            .map_or_else(String::new, std::borrow::Cow::into_owned)
    };
    let result = match (typed, success.map(RawValue::get)) {
        (Some(Some(typed)), Some("true")) => Ok(Answer::Typed(Box::new(typed))),
        (Some(None), Some("true")) => serde_json::from_str::<T>("{}")
            .map(|typed| Answer::Typed(Box::new(typed)))
            .map_err(|source| FrameError::Payload {
                name: name(),
                source: source.into(),
            })
            .map(Ok)?,
        (None, Some("false")) => {
            let raw = raw.filter(|raw| raw.get() != "null").map(RawValue::get);
            let body = serde_json::from_str::<crate::error::ErrorBody>(raw.unwrap_or("{}"))
                .map_err(|source| FrameError::Payload {
                    name: name(),
                    source: source.into(),
                })?;
            Err(body.error)
        }
        _ => return Ok(None),
    };
    Ok(Some(TypedReply { request_id, result }))
}

/// The raw `action` of a frame whose payload failed, read again for the error message.
fn first_action(text: &str) -> Option<Box<RawValue>> {
    #[derive(serde::Deserialize)]
    struct Action {
        action: Option<Box<RawValue>>,
    }
    // The frame is read only up to where it is valid JSON; a message is best effort.
    serde_json::from_str::<Action>(text).ok()?.action
}

#[cfg(test)]
mod tests {
    use super::{Answer, ResponseDecoder};
    use crate::error::FrameError;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Page {
        #[serde(default)]
        found: u64,
    }

    fn typed(text: &str) -> Result<Option<Result<Page, String>>, FrameError> {
        let decoder = ResponseDecoder::of::<Page>();
        Ok(decoder.decode(text)?.map(|reply| {
            assert_eq!(reply.request_id, "7");
            match reply.result {
                Ok(Answer::Typed(page)) => Ok(*page.downcast::<Page>().unwrap()),
                Ok(Answer::Raw(raw)) => panic!("raw {raw}"),
                Err(error) => Err(error.message),
            }
        }))
    }

    #[test]
    fn a_payload_alone_is_decoded_into_its_type_as_finish_reads_it() {
        let decoder = ResponseDecoder::of::<Page>();
        let answer = decoder.decode_payload(r#"{"found":4,"x":[1]}"#).unwrap();
        let page: Page = decoder.finish("list", answer).unwrap();
        assert_eq!(page, Page { found: 4 });
        let wrong = decoder.decode_payload(r#"{"found":"four"}"#).unwrap_err();
        assert!(wrong.is_data(), "{wrong}");
        let broken = decoder.decode_payload(r#"{"found":4"#).unwrap_err();
        assert!(broken.is_eof(), "{broken}");
        assert!(decoder.decode_payload(r#"{"found":4} x"#).is_err());
    }

    #[test]
    fn a_response_in_livechat_order_is_decoded_into_its_type() {
        let frame = r#"{"request_id":"7","action":"list","type":"response","success":true,"payload":{"found":3,"x":[1]}}"#;
        assert_eq!(typed(frame).unwrap(), Some(Ok(Page { found: 3 })));
        // `null` stands for `{}`.
        let frame =
            r#"{"request_id":"7","action":"list","type":"response","success":true,"payload":null}"#;
        assert_eq!(typed(frame).unwrap(), Some(Ok(Page { found: 0 })));
        let frame = r#"{"request_id":"7","action":"list","type":"response","success":false,"payload":{"error":{"type":"validation","message":"bad"}}}"#;
        assert_eq!(typed(frame).unwrap(), Some(Err("bad".to_owned())));
    }

    #[test]
    fn a_payload_of_the_wrong_type_is_a_payload_error_naming_the_action() {
        let frame = r#"{"request_id":"7","action":"list","type":"response","success":true,"payload":{"found":"three"}}"#;
        match typed(frame) {
            Err(FrameError::Payload { name, source }) => {
                assert_eq!(name, "list");
                assert!(source.to_string().contains("invalid type"), "{source}");
            }
            other => panic!("{other:?}"),
        }
        // Broken JSON, in the payload too, is a JSON error.
        let frame = r#"{"request_id":"7","action":"list","type":"response","success":true,"payload":{"found":3}"#;
        assert!(matches!(typed(frame), Err(FrameError::Json(_))));
        let frame =
            r#"{"request_id":"7","action":"list","type":"response","success":true,"payload":{"fou"#;
        assert!(matches!(typed(frame), Err(FrameError::Json(_))));
    }

    #[test]
    fn other_frames_are_left_to_the_plain_path() {
        for frame in [
            // The payload before the request id, or before `success`.
            r#"{"payload":{"found":3},"request_id":"7","action":"list","type":"response","success":true}"#,
            r#"{"request_id":"7","action":"list","type":"response","payload":{"found":3},"success":true}"#,
            // A push caused by the request.
            r#"{"request_id":"7","action":"list","type":"push","payload":{"found":3}}"#,
            // Repeated fields.
            r#"{"request_id":"7","type":"response","success":true,"payload":{},"payload":{}}"#,
            r#"{"request_id":"7","type":"response","success":true,"payload":{},"request_id":"8"}"#,
            "[1]",
        ] {
            assert!(matches!(typed(frame), Ok(None)), "{frame}");
        }
    }
}
