//! The integration tests of lc-webhooks, in one test binary.

#![allow(clippy::unwrap_used)]

mod axum_app;
mod receiver;
