//! Building blocks of the generated `Deserialize` impls (see `xtask/src/render.rs`) and of
//! the tagged unions ([`Event`](crate::types::Event), [`User`](crate::types::User)).
//!
//! The generated structs that keep unknown fields in `extra` are decoded field by field
//! straight from the input, as `#[derive(Deserialize)]` does, instead of through
//! `#[serde(flatten)]` (which buffers every unknown field into serde's private `Content`
//! tree and cannot hold a `RawValue`). The helpers here keep serde's derive semantics:
//! `duplicate field` and `missing field` errors, and `None` for an absent `Option`.

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};
use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

/// An object key: borrowed from the input when it can be, owned otherwise.
pub(crate) struct Key<'de>(Cow<'de, str>);

impl<'de> Key<'de> {
    /// The key as text.
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }

    /// The key as an owned string (for `extra`).
    pub(crate) fn into_owned(self) -> String {
        self.0.into_owned()
    }

    /// The key, borrowed or owned as it was decoded.
    pub(crate) fn into_cow(self) -> Cow<'de, str> {
        self.0
    }
}

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_identifier(KeyVisitor)
    }
}

/// Decodes the value of the field `name` into its slot; a second occurrence of the field
/// is a `duplicate field` error, as with `#[derive(Deserialize)]`.
pub(crate) fn field<'de, A, T>(
    map: &mut A,
    slot: &mut Option<T>,
    name: &'static str,
) -> Result<(), A::Error>
where
    A: MapAccess<'de>,
    T: Deserialize<'de>,
{
    if slot.is_some() {
        return Err(de::Error::duplicate_field(name));
    }
    *slot = Some(map.next_value()?);
    Ok(())
}

/// Skips the value of a field the struct does not keep (the tag of a union variant).
pub(crate) fn skip<'de, A: MapAccess<'de>>(map: &mut A) -> Result<(), A::Error> {
    map.next_value::<IgnoredAny>().map(|_| ())
}

/// The value of the required field `name`: when it was absent, what its type makes of a
/// missing field (`None` for an `Option`, a `missing field` error otherwise), as with
/// `#[derive(Deserialize)]`.
pub(crate) fn required<'de, T, E>(slot: Option<T>, name: &'static str) -> Result<T, E>
where
    T: Deserialize<'de>,
    E: de::Error,
{
    match slot {
        Some(value) => Ok(value),
        None => T::deserialize(MissingField {
            name,
            error: PhantomData,
        }),
    }
}

/// What serde's derive hands a field's type when the field is absent: `None` to an
/// `Option`, a `missing field` error to anything else.
struct MissingField<E> {
    name: &'static str,
    error: PhantomData<E>,
}

impl<'de, E: de::Error> Deserializer<'de> for MissingField<E> {
    type Error = E;

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, E> {
        Err(E::missing_field(self.name))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        visitor.visit_none()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}
