//! The tests of the livechat crate, in one binary.

mod js_counterparts;
