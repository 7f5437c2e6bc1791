//! Decoding of unions tagged by a `type` field, with a fallback for unknown tags.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// Removes the string tag `field` from `map` and returns it; a non-string tag stays.
pub(crate) fn take_tag(map: &mut Map<String, Value>, field: &str) -> Option<String> {
    match map.get(field) {
        Some(Value::String(_)) => match map.remove(field) {
            Some(Value::String(tag)) => Some(tag),
            _ => None,
        },
        _ => None,
    }
}

/// Decodes the rest of a tagged object into the variant type for `tag`.
pub(crate) fn decode_variant<T: DeserializeOwned, E: serde::de::Error>(
    union: &str,
    tag: &str,
    map: Map<String, Value>,
) -> Result<T, E> {
    serde_json::from_value(Value::Object(map))
        .map_err(|err| E::custom(format!("{union} of type `{tag}`: {err}")))
}
