//! The data structures of the chat APIs (chats, threads, events, users, ...).
//!
//! Most are generated from `spec/common.toml`; the tagged unions ([`Event`], [`User`])
//! and [`Properties`] are written by hand here.

mod config;
mod event;
mod properties;
mod tagged;
mod user;

pub use crate::generated::common::*;
pub use event::{Event, UnknownEvent};
pub use properties::{Properties, PropertyNames};
pub use user::{UnknownUser, User};

/// Session fields of a customer: an ordered list of one-entry `{key: value}` objects.
pub type SessionFields = Vec<std::collections::BTreeMap<String, String>>;
