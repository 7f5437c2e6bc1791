//! The integration tests of lc-accounts, in one test binary: the providers against the
//! sandbox's accounts service over real sockets (bot tokens against a small local
//! server, since the sandbox has no Configuration API).

#![allow(clippy::unwrap_used)]

mod agent;
mod bot;
mod common;
mod customer;
mod raw;
