//! [`Handler`]: the user's async function, and [`Problem`], what is reported when
//! something goes wrong.

use crate::context::Context;
use crate::outcome::HandlerError;
use crate::store::StoreError;
use futures_util::future::BoxFuture;
use std::future::Future;

/// What a [`Dispatcher`](crate::Dispatcher) calls for each event: any
/// `Fn(Context, E) -> impl Future<Output = Result<(), HandlerError>>`.
///
/// ```
/// use lc_dispatch::{Context, Handler, HandlerError};
/// async fn echo(cx: Context, text: String) -> Result<(), HandlerError> {
///     println!("{}: {text}", cx.chat());
///     Ok(())
/// }
/// fn takes(_: impl Handler<String>) {}
/// takes(echo);
/// ```
pub trait Handler<E>: Send + Sync + 'static {
    /// Handles one event of `cx.chat()`.
    fn call(&self, cx: Context, event: E) -> BoxFuture<'static, Result<(), HandlerError>>;
}

impl<E, F, Fut> Handler<E> for F
where
    F: Fn(Context, E) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), HandlerError>> + Send + 'static,
{
    fn call(&self, cx: Context, event: E) -> BoxFuture<'static, Result<(), HandlerError>> {
        Box::pin(self(cx, event))
    }
}

/// Something that went wrong, given to the
/// [`on_problem`](crate::DispatcherBuilder::on_problem) callback (by default, logged
/// with `tracing`). Other chats go on regardless.
///
/// ```
/// use lc_dispatch::Problem;
/// let report = |problem: &Problem<'_>| {
///     if let Problem::HandlerFailed { chat, attempt, will_retry, .. } = problem {
///         eprintln!("chat {chat}: run {attempt} failed, retried: {will_retry}");
///     }
/// };
/// # drop(report);
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Problem<'a> {
    /// A handler returned an error (or panicked).
    HandlerFailed {
        /// The chat.
        chat: &'a str,
        /// The event's key.
        key: &'a str,
        /// The run that failed.
        attempt: u32,
        /// Whether the retry policy runs it again.
        will_retry: bool,
        /// The error.
        error: &'a HandlerError,
    },
    /// The store failed.
    Store {
        /// The chat.
        chat: &'a str,
        /// The error.
        error: &'a StoreError,
    },
    /// The chat's lease could not be renewed while a handler ran.
    LeaseLost {
        /// The chat.
        chat: &'a str,
    },
}

/// Logs a problem with `tracing` (the default report).
pub(crate) fn log(problem: &Problem<'_>) {
    match problem {
        Problem::HandlerFailed {
            chat,
            key,
            attempt,
            will_retry,
            error,
        } => tracing::warn!(chat, key, attempt, will_retry, %error, "handler failed"),
        Problem::Store { chat, error } => tracing::warn!(chat, %error, "dispatch store failed"),
        Problem::LeaseLost { chat } => tracing::warn!(chat, "chat lease lost while handling"),
    }
}
