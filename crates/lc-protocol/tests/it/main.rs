//! The integration tests of lc-protocol, in one test binary (one link instead of 2).

#![allow(clippy::unwrap_used)]

mod codec;
mod decode;
mod fixtures;
mod support;
mod webhook_samples;
