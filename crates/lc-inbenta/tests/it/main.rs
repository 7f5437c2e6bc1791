//! The integration tests of lc-inbenta, in one test binary (one link instead of 7).

#![allow(clippy::unwrap_used)]

mod chaos;
mod chat;
mod client;
mod common;
mod members;
mod queue;
mod reconnect;
mod reliability;
