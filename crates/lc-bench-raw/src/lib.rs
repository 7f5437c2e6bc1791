//! The baselines of the livechat-rs benchmarks, in one place: a raw tokio-tungstenite RTM
//! client ([`rtm`]), a raw hyper Web client ([`web`]), the harness of the client-CPU
//! benches ([`cpu`]) and that of the request benches ([`paired`]).
//!
//! Used by `lc-bench` (process-level figures) and by the request and CPU benches of
//! `lc-rtm` and `lc-web`. It depends on none of them, so that it can be their
//! dev-dependency. Each client is built with the same socket options, buffer sizes and
//! pool settings as the SDK engine it is compared with, so that only the protocol work
//! differs; the caller passes the settings that come from the SDK's own configuration.

pub mod cpu;
pub mod paired;
pub mod rtm;
pub mod web;
