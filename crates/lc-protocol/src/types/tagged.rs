//! Decoding of unions tagged by a `type` field, with a fallback for unknown tags.
//!
//! A union takes its object as raw JSON text ([`RawValue`]), reads the tag from it with
//! [`read_tag`](crate::de::read_tag) (which skips the other fields) and decodes the text
//! again straight into the variant's struct: no `serde_json::Value` tree is built on the
//! way, except for tags this crate does not know.

use crate::de;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use std::borrow::Cow;

/// The object of a tagged union, as raw JSON.
pub(crate) struct TaggedObject {
    raw: Box<RawValue>,
}

impl TaggedObject {
    /// Takes the object as raw JSON (from `serde_json`'s text or `Value` deserializers).
    pub(crate) fn deserialize<'de, D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Self, D::Error> {
        let raw: Box<RawValue> = serde::Deserialize::deserialize(deserializer)?;
        Ok(Self { raw })
    }

    /// The string tag `field`; `None` when it is absent or not a string.
    pub(crate) fn tag<E: serde::de::Error>(
        &self,
        field: &'static str,
    ) -> Result<Option<Cow<'_, str>>, E> {
        de::read_tag(self.raw.get(), field).map_err(|err| E::custom(de::message(&err)))
    }

    /// Decodes the object into the variant type for `tag` (whose struct skips the tag
    /// field or keeps it in a field of its own).
    pub(crate) fn variant<T: DeserializeOwned, E: serde::de::Error>(
        &self,
        union: &str,
        tag: &str,
    ) -> Result<T, E> {
        serde_json::from_str(self.raw.get())
            .map_err(|err| E::custom(format!("{union} of type `{tag}`: {}", de::message(&err))))
    }

    /// Every field of the object, for a tag this crate does not know; `remove` (the
    /// string tag, kept apart by the caller) is left out.
    pub(crate) fn fields<E: serde::de::Error>(
        &self,
        remove: Option<&str>,
    ) -> Result<Map<String, Value>, E> {
        let mut map: Map<String, Value> =
            serde_json::from_str(self.raw.get()).map_err(|err| E::custom(de::message(&err)))?;
        if let Some(field) = remove {
            map.remove(field);
        }
        Ok(map)
    }
}
