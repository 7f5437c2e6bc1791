//! lc-dispatch's tests: the dispatcher in one process, the store contract on memory and
//! on a real redis-server, and dispatchers sharing one store as replicas do.

#![allow(clippy::unwrap_used)]

mod dispatcher;
mod envelope;
mod redis_server;
mod replicas;
mod store;
