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
    fill(map, slot, name, A::next_value)
}

/// Fills `slot` with what `read` takes from the map's next value; a slot already filled
/// is a `duplicate field` error for `name`.
fn fill<'de, A, T>(
    map: &mut A,
    slot: &mut Option<T>,
    name: &'static str,
    read: impl FnOnce(&mut A) -> Result<T, A::Error>,
) -> Result<(), A::Error>
where
    A: MapAccess<'de>,
{
    if slot.is_some() {
        return Err(de::Error::duplicate_field(name));
    }
    *slot = Some(read(map)?);
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

/// Elements at least this large are boxed while their list is read (see [`List`]).
const LARGE_ELEMENT: usize = 256;

/// A `Vec<T>` as a field of a generated struct decodes it: as serde does for elements
/// smaller than [`LARGE_ELEMENT`]; larger ones are boxed while the list is read and moved
/// into a vector of exactly their number at the end. Growing a vector of large elements
/// one by one reallocates and copies blocks of kilobytes (a page of 25 chat summaries goes
/// through 2, 4, 8 and 16 KB), and on glibc each such allocation first merges every small
/// chunk freed so far (`malloc_consolidate`): one allocation of the final size, late in
/// the decode, costs less than the boxes.
pub(crate) struct List<T>(pub(crate) Vec<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for List<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Elements<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for Elements<T> {
            type Value = List<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a sequence")
            }
            fn visit_seq<S: de::SeqAccess<'de>>(self, mut seq: S) -> Result<List<T>, S::Error> {
                if size_of::<T>() < LARGE_ELEMENT {
                    let mut list = Vec::new();
                    while let Some(element) = seq.next_element()? {
                        list.push(element);
                    }
                    return Ok(List(list));
                }
                let mut boxed: Vec<Box<T>> = Vec::new();
                while let Some(element) = seq.next_element()? {
                    boxed.push(Box::new(element));
                }
                let mut list = Vec::with_capacity(boxed.len());
                list.extend(boxed.into_iter().map(|element| *element));
                Ok(List(list))
            }
        }
        deserializer.deserialize_seq(Elements(PhantomData))
    }
}

/// [`field`] for a required `Vec<T>` field, read as a [`List`].
pub(crate) fn list<'de, A, T>(
    map: &mut A,
    slot: &mut Option<Vec<T>>,
    name: &'static str,
) -> Result<(), A::Error>
where
    A: MapAccess<'de>,
    T: Deserialize<'de>,
{
    fill(map, slot, name, |map| Ok(map.next_value::<List<T>>()?.0))
}

/// [`field`] for an optional `Vec<T>` field (`null` is `None`), read as a [`List`].
pub(crate) fn optional_list<'de, A, T>(
    map: &mut A,
    slot: &mut Option<Option<Vec<T>>>,
    name: &'static str,
) -> Result<(), A::Error>
where
    A: MapAccess<'de>,
    T: Deserialize<'de>,
{
    fill(map, slot, name, |map| {
        Ok(map.next_value::<Option<List<T>>>()?.map(|list| list.0))
    })
}

/// A generated struct that keeps unknown fields in `extra`, decoded field by field from a
/// map ([`fields`], [`boxed`]).
pub(crate) trait Fields: Sized {
    /// What the visitor expects (`struct Name`, as `#[derive(Deserialize)]` says).
    const EXPECTING: &'static str;

    /// Reads the struct's fields from `map`.
    fn visit_fields<'de, A: MapAccess<'de>>(map: A) -> Result<Self, A::Error>;
}

/// The map visitor of a [`Fields`] struct, whose value is `Out` (the struct, or its box).
struct FieldsVisitor<T, Out>(PhantomData<(T, Out)>);

impl<'de, T: Fields> Visitor<'de> for FieldsVisitor<T, T> {
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(T::EXPECTING)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        T::visit_fields(map)
    }
}

impl<'de, T: Fields> Visitor<'de> for FieldsVisitor<T, Box<T>> {
    type Value = Box<T>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(T::EXPECTING)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Box<T>, A::Error> {
        T::visit_fields(map).map(Box::new)
    }
}

/// Decodes a [`Fields`] struct (its `Deserialize` impl).
pub(crate) fn fields<'de, T: Fields, D: Deserializer<'de>>(deserializer: D) -> Result<T, D::Error> {
    deserializer.deserialize_map(FieldsVisitor::<T, T>(PhantomData))
}

/// Decodes a [`Fields`] struct into a box: the struct is built next to its box and moved
/// into it once, where `Box<T>: Deserialize` returns it by value through every layer of
/// the decoder first (a push payload of several hundred bytes copied each time).
pub(crate) fn boxed<'de, T: Fields, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Box<T>, D::Error> {
    deserializer.deserialize_map(FieldsVisitor::<T, Box<T>>(PhantomData))
}

#[cfg(test)]
mod tests {
    use super::{List, boxed};
    use crate::agent::push::IncomingEvent;
    use serde::Deserialize;

    /// An element over `LARGE_ELEMENT` bytes: its lists take the boxed path.
    #[derive(Debug, Deserialize, PartialEq)]
    struct Large {
        id: String,
        pad: [u64; 32],
    }

    /// A small element: its lists take serde's path.
    #[derive(Debug, Deserialize, PartialEq)]
    struct Small {
        id: String,
    }

    fn same<T>(text: &str)
    where
        T: for<'de> Deserialize<'de> + PartialEq + std::fmt::Debug,
    {
        let ours = serde_json::from_str::<List<T>>(text).map(|list| list.0);
        let serde = serde_json::from_str::<Vec<T>>(text);
        match (ours, serde) {
            (Ok(ours), Ok(serde)) => assert_eq!(ours, serde, "{text}"),
            (Err(ours), Err(serde)) => assert_eq!(ours.to_string(), serde.to_string(), "{text}"),
            (ours, serde) => panic!("{text}: {ours:?} but serde {serde:?}"),
        }
    }

    #[test]
    fn lists_decode_as_serde_decodes_a_vec_whatever_the_element_size() {
        assert!(size_of::<Large>() >= super::LARGE_ELEMENT);
        assert!(size_of::<Small>() < super::LARGE_ELEMENT);
        let pad = format!("[{}]", vec!["7"; 32].join(","));
        let large = |n: usize| {
            let items: Vec<String> = (0..n)
                .map(|i| format!(r#"{{"id":"e{i}","pad":{pad}}}"#))
                .collect();
            format!("[{}]", items.join(","))
        };
        for n in [0, 1, 4, 5, 25] {
            let text = large(n);
            same::<Large>(&text);
            assert_eq!(
                serde_json::from_str::<List<Large>>(&text).unwrap().0.len(),
                n
            );
            let items: Vec<String> = (0..n).map(|i| format!(r#"{{"id":"e{i}"}}"#)).collect();
            same::<Small>(&format!("[{}]", items.join(",")));
        }
        // Errors: not a list, a bad element, a cut list.
        for text in ["5", r#"[{"id":5}]"#, r#"[{"id":"a"},"#, "{}"] {
            same::<Large>(text);
            same::<Small>(text);
        }
    }

    #[test]
    fn a_boxed_struct_decodes_as_its_box_does() {
        let text = r#"{"chat_id":"C","thread_id":"T","event":{"id":"E","type":"message","text":"hi"},"new":1}"#;
        let ours = boxed::<IncomingEvent, _>(&mut serde_json::Deserializer::from_str(text));
        let serde = serde_json::from_str::<Box<IncomingEvent>>(text);
        assert_eq!(ours.unwrap(), serde.unwrap());
        for text in [r#"{"chat_id":"C"}"#, "[1]", r#"{"chat_id":5}"#] {
            let ours = boxed::<IncomingEvent, _>(&mut serde_json::Deserializer::from_str(text));
            let serde = serde_json::from_str::<Box<IncomingEvent>>(text);
            assert_eq!(
                ours.unwrap_err().to_string(),
                serde.unwrap_err().to_string(),
                "{text}"
            );
        }
    }
}
