//! [`Store`]: what a [`Dispatcher`](crate::Dispatcher) shares with the other copies of a
//! bot — seen event keys, per-chat leases and per-chat state — and its implementations.

mod contract;
mod memory;
#[cfg(feature = "redis")]
mod redis;

pub use contract::{Lease, Store, StoreError};
pub use memory::MemoryStore;
#[cfg(feature = "redis")]
pub use redis::RedisStore;
