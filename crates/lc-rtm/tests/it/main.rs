//! The integration tests of lc-rtm, in one test binary (one link instead of 3).

#![allow(clippy::unwrap_used)]

mod author;
mod common;
mod engine;
mod faults;
mod keepalive;
mod typed;
