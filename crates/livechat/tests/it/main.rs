//! The tests of the livechat crate, in one binary.

#![allow(clippy::unwrap_used)]

mod js_counterparts;
