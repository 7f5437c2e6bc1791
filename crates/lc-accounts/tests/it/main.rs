//! The integration tests of lc-accounts, in one test binary: the providers against the
//! sandbox's accounts service and Configuration API over real sockets.

#![allow(clippy::unwrap_used)]

mod agent;
mod bot;
mod common;
mod customer;
mod raw;
