//! The integration tests of lc-configuration, in one test binary: every action of the
//! client against lc-sandbox over real sockets.

#![allow(clippy::unwrap_used)]

mod bots;
mod common;
mod reads;
mod webhooks;
