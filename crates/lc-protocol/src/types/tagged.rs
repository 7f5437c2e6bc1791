//! Decoding of unions tagged by a `type` field, with a fallback for unknown tags.
//!
//! One pass over the object, whatever the deserializer: the fields met before the tag
//! are kept aside ([`Aside`]: strings borrowed from the input when they can be, other
//! values as [`Value`]s); once the tag names a known variant, the variant's own
//! `Deserialize` reads those first and then the rest of the object straight from the
//! input ([`Resume`]). No tree of the whole object is built, except for tags this crate
//! does not know, whose fields are kept as received.

use crate::de::Key;
use serde::de::value::{
    BorrowedStrDeserializer, MapAccessDeserializer, SeqAccessDeserializer, StringDeserializer,
};
use serde::de::{self, Deserialize, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

/// A union of structs tagged by `type`.
pub(crate) trait Union: Sized {
    /// What the union is called in errors (`event`, `user`).
    const NAME: &'static str;

    /// Whether the variants' structs read the tag (into a field of their own); when not,
    /// they are not handed it (their generated decoders skip it anyway).
    const VARIANTS_READ_TAG: bool;

    /// Whether `tag` names a variant this crate knows.
    fn is_known(tag: &str) -> bool;

    /// Decodes the known variant `tag` from the object's fields (the tag among them when
    /// [`VARIANTS_READ_TAG`](Union::VARIANTS_READ_TAG)).
    fn known<'de, D: Deserializer<'de>>(tag: &str, fields: D) -> Result<Self, D::Error>;

    /// The fallback for an unknown (or absent, or non-string) tag, with every other field.
    fn unknown(tag: Option<String>, fields: Map<String, Value>) -> Self;
}

/// Decodes the union `U` in one pass (see the module doc).
pub(crate) fn deserialize<'de, U: Union, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<U, D::Error> {
    deserializer.deserialize_map(UnionVisitor(PhantomData))
}

const TAG: &str = "type";

struct UnionVisitor<U>(PhantomData<U>);

impl<'de, U: Union> Visitor<'de> for UnionVisitor<U> {
    type Value = U;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<U, A::Error> {
        let mut before = Before::default();
        while let Some(key) = map.next_key::<Key<'de>>()? {
            let value: Aside<'de> = map.next_value()?;
            let tag = match value {
                Aside::Str(tag) if key.as_str() == TAG => tag,
                value => {
                    before.push((key, value));
                    continue;
                }
            };
            if U::is_known(&tag) {
                if U::VARIANTS_READ_TAG {
                    before.push((key, Aside::Str(tag.clone())));
                }
                let Before { inline, len, spill } = &mut before;
                let fields = Resume {
                    inline: inline[..*len].iter_mut(),
                    spill: spill.drain(..),
                    value: None,
                    rest: map,
                };
                return U::known(&tag, fields).map_err(|err| {
                    de::Error::custom(format!(
                        "{} of type `{tag}`: {}",
                        U::NAME,
                        without_position(&err.to_string())
                    ))
                });
            }
            let mut fields = collect(before);
            fields.remove(TAG);
            while let Some(key) = map.next_key::<Key<'de>>()? {
                let value = map.next_value()?;
                fields.insert(key.into_owned(), value);
            }
            return Ok(U::unknown(Some(tag.into_owned()), fields));
        }
        Ok(U::unknown(None, collect(before)))
    }
}

/// How many fields read before the tag are kept in place (more go to a vector).
const INLINE: usize = 4;

/// The fields read before the tag: the first [`INLINE`] in place, in the visitor's frame
/// (an event's tag usually follows `id`, `custom_id` and `created_at`: no allocation),
/// any more in a vector. [`Resume`] borrows them, so they are never moved.
#[derive(Default)]
struct Before<'de> {
    inline: [Option<(Key<'de>, Aside<'de>)>; INLINE],
    len: usize,
    spill: Vec<(Key<'de>, Aside<'de>)>,
}

impl<'de> Before<'de> {
    /// Keeps a field read before the tag. (`inline`: it is called from the union's visitor,
    /// which is instantiated in the crates that decode, where a plain function of this
    /// crate would not be inlined.)
    #[inline]
    fn push(&mut self, field: (Key<'de>, Aside<'de>)) {
        match self.inline.get_mut(self.len) {
            Some(slot) => {
                *slot = Some(field);
                self.len += 1;
            }
            None => self.spill.push(field),
        }
    }
}

/// The fields kept aside, as a map (of a repeated field, the last one counts).
fn collect(fields: Before<'_>) -> Map<String, Value> {
    let Before { inline, spill, .. } = fields;
    inline
        .into_iter()
        .flatten()
        .chain(spill)
        .map(|(key, value)| (key.into_owned(), value.into_value()))
        .collect()
}

/// A field value read before the tag: a string as it was read (borrowed from the input
/// unless it had escapes: no allocation, and the variant's field decodes it straight),
/// anything else as a [`Value`].
enum Aside<'de> {
    Str(Cow<'de, str>),
    Other(Value),
}

impl Aside<'_> {
    fn into_value(self) -> Value {
        match self {
            Aside::Str(text) => Value::String(text.into_owned()),
            Aside::Other(value) => value,
        }
    }
}

impl<'de> Deserialize<'de> for Aside<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(AsideVisitor)
    }
}

/// What `Value`'s own visitor accepts, strings kept as text.
struct AsideVisitor;

impl<'de> Visitor<'de> for AsideVisitor {
    type Value = Aside<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any valid JSON value")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Aside<'de>, E> {
        Ok(Aside::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Aside<'de>, E> {
        Ok(Aside::Str(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Aside<'de>, E> {
        Ok(Aside::Str(Cow::Owned(v)))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Aside<'de>, E> {
        Ok(Aside::Other(Value::Bool(v)))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Aside<'de>, E> {
        Ok(Aside::Other(Value::from(v)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Aside<'de>, E> {
        Ok(Aside::Other(Value::from(v)))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Aside<'de>, E> {
        Value::deserialize(de::value::I128Deserializer::<E>::new(v)).map(Aside::Other)
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Aside<'de>, E> {
        Value::deserialize(de::value::U128Deserializer::<E>::new(v)).map(Aside::Other)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Aside<'de>, E> {
        Ok(Aside::Other(Value::from(v)))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Aside<'de>, E> {
        Ok(Aside::Other(Value::Null))
    }
    fn visit_none<E: de::Error>(self) -> Result<Aside<'de>, E> {
        Ok(Aside::Other(Value::Null))
    }
    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Aside<'de>, D::Error> {
        Aside::deserialize(deserializer)
    }
    fn visit_seq<S: SeqAccess<'de>>(self, seq: S) -> Result<Aside<'de>, S::Error> {
        Value::deserialize(SeqAccessDeserializer::new(seq)).map(Aside::Other)
    }
    fn visit_map<M: MapAccess<'de>>(self, map: M) -> Result<Aside<'de>, M::Error> {
        Value::deserialize(MapAccessDeserializer::new(map)).map(Aside::Other)
    }
}

/// A string kept aside, handed to the variant's field as a `Value::String` would be
/// (`Some` for an `Option`, the variant of a string enum, the inside of a newtype).
struct StrValue<'de, E> {
    text: Cow<'de, str>,
    error: PhantomData<E>,
}

impl<'de, E: de::Error> Deserializer<'de> for StrValue<'de, E> {
    type Error = E;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        match self.text {
            Cow::Borrowed(text) => visitor.visit_borrowed_str(text),
            Cow::Owned(text) => visitor.visit_string(text),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, E> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, E> {
        match self.text {
            Cow::Borrowed(text) => visitor.visit_enum(BorrowedStrDeserializer::new(text)),
            Cow::Owned(text) => visitor.visit_enum(StringDeserializer::new(text)),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple
        tuple_struct map struct identifier ignored_any
    }
}

/// An error message without the ` at line L column C` that `serde_json` adds: the outer
/// error gets its own position.
fn without_position(message: &str) -> &str {
    let Some((head, tail)) = message.rsplit_once(" at line ") else {
        return message;
    };
    let mut parts = tail.split(" column ");
    let digits = |part: Option<&str>| {
        part.is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    };
    if digits(parts.next()) && digits(parts.next()) && parts.next().is_none() {
        head
    } else {
        message
    }
}

/// The fields of a tagged object for its variant: those read before the tag, then the
/// rest of the object, still in the input.
struct Resume<'b, 'de, A> {
    /// The fields of [`Before`] kept in place, taken as they are handed out.
    inline: std::slice::IterMut<'b, Option<(Key<'de>, Aside<'de>)>>,
    /// Then those of its vector.
    spill: std::vec::Drain<'b, (Key<'de>, Aside<'de>)>,
    /// The value of the field of `before` whose key was just handed out.
    value: Option<Aside<'de>>,
    rest: A,
}

impl<'de, A: MapAccess<'de>> Deserializer<'de> for Resume<'_, 'de, A> {
    type Error = A::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, A::Error> {
        visitor.visit_map(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Resume<'_, 'de, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        let field = match self.inline.next() {
            Some(slot) => slot.take(),
            None => self.spill.next(),
        };
        let Some((key, value)) = field else {
            return self.rest.next_key_seed(seed);
        };
        self.value = Some(value);
        match key.into_cow() {
            Cow::Borrowed(key) => seed.deserialize(BorrowedStrDeserializer::new(key)),
            Cow::Owned(key) => seed.deserialize(StringDeserializer::new(key)),
        }
        .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        match self.value.take() {
            Some(Aside::Str(text)) => seed.deserialize(StrValue {
                text,
                error: PhantomData,
            }),
            Some(Aside::Other(value)) => seed
                .deserialize(value)
                .map_err(|err| de::Error::custom(err.to_string())),
            None => self.rest.next_value_seed(seed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::without_position;

    #[test]
    fn positions_are_cut_from_messages() {
        assert_eq!(
            without_position("invalid type: integer `5`, expected a string at line 1 column 27"),
            "invalid type: integer `5`, expected a string"
        );
        assert_eq!(
            without_position("missing field `text`"),
            "missing field `text`"
        );
        assert_eq!(without_position("seen at line x"), "seen at line x");
    }
}
