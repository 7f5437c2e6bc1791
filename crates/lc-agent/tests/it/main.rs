//! The integration tests of lc-agent, in one test binary (one link instead of 3).

#![allow(clippy::unwrap_used)]

mod author;
mod common;
mod reliability;
mod rtm;
mod web;
