//! The integration tests of lc-rtm, in one test binary (one link instead of 3).

#![allow(clippy::unwrap_used)]

mod common;
mod engine;
mod faults;
mod keepalive;
