//! Pushes: the typed sets of every API and the traits that tie payloads to them.

use crate::error::FrameError;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

/// The pushes of one API as one enum (e.g. [`crate::agent::AgentPush`]), decoded by
/// name with an `Unknown` fallback.
pub trait PushSet: Sized + Send + 'static {
    /// Decodes the JSON `payload` of the push `name`.
    ///
    /// # Errors
    /// [`FrameError::Payload`] when a known push's payload does not match its type;
    /// an unknown name is not an error (it gives the `Unknown` variant).
    fn decode(name: &str, payload: &str) -> Result<Self, FrameError>;

    /// Decodes the payload of the push `name` from `payload`, a deserializer at the
    /// payload inside a whole frame, so that a frame is decoded in one pass. Errors are
    /// the deserializer's; [`decode`](PushSet::decode) gives the precise
    /// [`FrameError`] (the LiveChat dialect falls back to it when this fails).
    ///
    /// The default takes the payload as raw JSON and calls `decode`.
    ///
    /// # Errors
    /// When the payload does not match the push's type.
    fn deserialize_payload<'de, D: Deserializer<'de>>(
        name: &str,
        payload: D,
    ) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(payload)?;
        Self::decode(name, raw.get()).map_err(serde::de::Error::custom)
    }

    /// The wire name of the push.
    fn name(&self) -> &str;

    /// The payload as JSON (for servers and proxies).
    ///
    /// # Errors
    /// When a payload holds something serde cannot encode (never for decoded pushes).
    fn encode_payload(&self) -> Result<Box<RawValue>, serde_json::Error>;
}

/// A payload type of one push, tied to its push set; lets a client offer typed
/// subscriptions such as `on::<IncomingChat>()`.
pub trait PushPayload: Sized {
    /// The wire name of the push.
    const NAME: &'static str;
    /// The push set it belongs to.
    type Set: PushSet;
    /// Wraps the payload into its push set.
    fn into_push(self) -> Self::Set;
    /// The payload, if `push` is this push.
    fn from_push(push: &Self::Set) -> Option<&Self>;
}

/// Decodes the payload of `name`, naming it on failure.
///
/// # Errors
/// [`FrameError::Payload`].
pub fn decode_payload<T: DeserializeOwned>(name: &str, payload: &str) -> Result<T, FrameError> {
    serde_json::from_str(payload).map_err(|source| FrameError::Payload {
        name: name.to_owned(),
        source: source.into(),
    })
}
