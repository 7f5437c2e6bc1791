//! Dispatches LiveChat events to your async handlers: the events of one chat strictly
//! in order, different chats at once up to a limit, each event once, with retries,
//! bounded queues and a graceful shutdown — in one process, or across replicas of a
//! bot that share a Redis server.
//!
//! The JS SDKs leave this to you; the shape is that of teloxide's dispatcher (one chat
//! in order, chats in parallel) and its dialogue storage (in memory or Redis).
//!
//! - [`Dispatcher`]: takes [`Envelope`]s (a chat id, a deduplication key, an event)
//!   from any source — webhooks ([`Envelope::from_webhook`]), RTM pushes
//!   ([`Envelope::from_push`]), Inbenta chat pushes ([`Envelope::from_inbenta`]) — and
//!   calls the handler with a [`Context`].
//! - [`Store`]: what replicas share — seen keys with a time to live, a lease per chat
//!   (one process handles a chat at a time; it expires when the process dies, and
//!   another takes over), the chat's state. [`MemoryStore`] for one process;
//!   `RedisStore` (feature `redis`) for replicas.
//!
//! ```
//! use lc_dispatch::{Context, Dispatcher, Envelope, MemoryStore, Outcome};
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let dispatcher = Dispatcher::builder(MemoryStore::new()).build(|cx: Context, text: String| async move {
//!     let count: u32 = cx.state().await?.unwrap_or(0);
//!     cx.set_state(&(count + 1)).await?;
//!     Ok(())
//! });
//! for (key, text) in [("e1", "hi"), ("e2", "there"), ("e1", "hi")] {
//!     dispatcher.submit(Envelope::new("chat-1", key, text.to_owned())).await.unwrap();
//! }
//! dispatcher.shutdown().await;
//! # });
//! ```
//!
//! Guarantees, limits and how to run replicas: `docs/scaling.md` in the repository.

mod context;
mod dispatcher;
mod envelope;
mod handler;
mod outcome;
mod retry;
mod shared;
mod store;
mod worker;

pub use context::Context;
pub use dispatcher::{Dispatcher, DispatcherBuilder};
pub use envelope::{Envelope, push_key};
pub use handler::{Handler, Problem};
pub use outcome::{HandlerError, Outcome, RejectReason, Rejected, Ticket};
pub use retry::RetryPolicy;
#[cfg(feature = "redis")]
pub use store::RedisStore;
pub use store::{Lease, MemoryStore, Store, StoreError};
