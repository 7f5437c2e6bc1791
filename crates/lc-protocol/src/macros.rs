//! Declarative helpers shared by hand-written and generated code.

/// Declares a string enum whose unknown wire values decode to `Unknown(String)`.
///
/// The enum gets `as_str`, `Display`, `From<&str>`, `From<String>`, serde support
/// (as a JSON string) and a `KNOWN` list of its known variants.
#[macro_export]
#[doc(hidden)]
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $wire:literal $(| $alias:literal)*, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        $vis enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// A value this version of the crate does not know, kept as received.
            Unknown(::std::string::String),
        }

        impl $name {
            /// Every variant this version knows (without `Unknown`).
            pub const KNOWN: &'static [$name] = &[$($name::$variant),*];

            /// The value as it is spelled on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $wire, )*
                    $name::Unknown(other) => other,
                }
            }

            /// Whether this is a value the crate does not know.
            pub fn is_unknown(&self) -> bool {
                matches!(self, $name::Unknown(_))
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::convert::From<&str> for $name {
            fn from(value: &str) -> Self {
                match value {
                    $( $wire $(| $alias)* => $name::$variant, )*
                    other => $name::Unknown(other.to_owned()),
                }
            }
        }

        impl ::std::convert::From<::std::string::String> for $name {
            fn from(value: ::std::string::String) -> Self {
                match value.as_str() {
                    $( $wire $(| $alias)* => $name::$variant, )*
                    _ => $name::Unknown(value),
                }
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        // As a `String` would be decoded (same errors), without allocating for a known
        // value.
        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                struct Wire;
                impl<'de> ::serde::de::Visitor<'de> for Wire {
                    type Value = $name;
                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str("a string")
                    }
                    fn visit_str<E: ::serde::de::Error>(self, value: &str) -> ::std::result::Result<$name, E> {
                        Ok($name::from(value))
                    }
                    fn visit_string<E: ::serde::de::Error>(self, value: ::std::string::String) -> ::std::result::Result<$name, E> {
                        Ok($name::from(value))
                    }
                    fn visit_bytes<E: ::serde::de::Error>(self, value: &[u8]) -> ::std::result::Result<$name, E> {
                        match ::std::str::from_utf8(value) {
                            Ok(text) => Ok($name::from(text)),
                            Err(_) => Err(E::invalid_value(::serde::de::Unexpected::Bytes(value), &self)),
                        }
                    }
                }
                deserializer.deserialize_string(Wire)
            }
        }
    };
}
