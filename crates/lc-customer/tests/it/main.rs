//! The integration tests of lc-customer, in one test binary (one link instead of 5).

#![allow(clippy::unwrap_used)]

mod background;
mod chats;
mod common;
mod lifecycle;
mod methods;
mod reliability;
