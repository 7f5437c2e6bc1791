//! [`ChatHistory`]: a chat's events, loaded page by page from the newest thread back.

use crate::client::CustomerClient;
use crate::connection::CustomerConnection;
use futures_util::Stream;
use lc_protocol::Error;
use lc_protocol::customer;
use lc_protocol::id::{ChatId, PageId};
use lc_protocol::types::{Event, Thread};
use std::sync::Arc;
use tokio::sync::Mutex;

/// Threads per page by default.
const DEFAULT_THREADS_PER_PAGE: u32 = 10;

/// One page of history: older events than the previous page.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryPage {
    /// The events of the page's threads, oldest first.
    pub events: Vec<Event>,
    /// The page's threads (with their events), oldest first.
    pub threads: Vec<Thread>,
    /// Whether the whole history is loaded now (nothing older is left).
    pub done: bool,
}

/// A chat's history (customer-sdk `getChatHistory`): each [`next`](ChatHistory::next) loads
/// the next older page of threads; the page says when everything is loaded.
///
/// Clones share the position. Calls made while a page is loading wait for it and then
/// load the following page: they are queued, never sent twice for the same page.
///
/// ```no_run
/// # async fn demo(client: lc_customer::CustomerClient) -> Result<(), lc_protocol::Error> {
/// let history = client.get_chat_history("PJ0MRSHTDG");
/// loop {
///     let page = history.next().await?;
///     println!("{} older events", page.events.len());
///     if page.done {
///         break;
///     }
/// }
/// # Ok(())
/// # }
/// ```
pub struct ChatHistory<T> {
    client: CustomerClient<T>,
    chat_id: ChatId,
    threads_per_page: u32,
    position: Arc<Mutex<Position>>,
}

impl<T> Clone for ChatHistory<T> {
    fn clone(&self) -> Self {
        Self {
            client: self.client.clone(),
            chat_id: self.chat_id.clone(),
            threads_per_page: self.threads_per_page,
            position: self.position.clone(),
        }
    }
}

impl<T> std::fmt::Debug for ChatHistory<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatHistory")
            .field("chat_id", &self.chat_id)
            .field("threads_per_page", &self.threads_per_page)
            .finish_non_exhaustive()
    }
}

/// Where the history stands.
#[derive(Debug, Default)]
enum Position {
    /// Nothing loaded yet.
    #[default]
    Start,
    /// The cursor of the next (older) page.
    Next(PageId),
    /// Everything loaded.
    Done,
}

impl<T: CustomerConnection> CustomerClient<T> {
    /// customer-sdk `getChatHistory`: the chat's history, loaded on demand from the newest
    /// thread back.
    pub fn get_chat_history(&self, chat_id: impl Into<ChatId>) -> ChatHistory<T> {
        ChatHistory {
            client: self.clone(),
            chat_id: chat_id.into(),
            threads_per_page: DEFAULT_THREADS_PER_PAGE,
            position: Arc::new(Mutex::new(Position::Start)),
        }
    }
}

impl<T: CustomerConnection> ChatHistory<T> {
    /// How many threads each page loads (default 10, at most 100).
    #[must_use]
    pub fn threads_per_page(mut self, threads: u32) -> Self {
        self.threads_per_page = threads.clamp(1, 100);
        self
    }

    /// The chat.
    pub fn chat_id(&self) -> &ChatId {
        &self.chat_id
    }

    /// Loads the next older page; once everything is loaded, an empty page with `done`.
    ///
    /// # Errors
    /// As any call; the position does not move on an error, so calling again retries.
    pub async fn next(&self) -> Result<HistoryPage, Error> {
        let mut position = self.position.lock().await;
        let request = customer::ListThreads::new(self.chat_id.clone());
        let request = match &*position {
            Position::Start => request.limit(self.threads_per_page),
            Position::Next(cursor) => request.page_id(cursor.clone()),
            Position::Done => {
                return Ok(HistoryPage {
                    events: Vec::new(),
                    threads: Vec::new(),
                    done: true,
                });
            }
        };
        let response = self.client.send_typed(&request).await?;
        *position = match response.next_page_id {
            Some(cursor) => Position::Next(cursor),
            None => Position::Done,
        };
        let mut threads = response.threads;
        threads.reverse();
        let events = threads
            .iter()
            .flat_map(|t| t.events.iter().flatten().cloned())
            .collect();
        Ok(HistoryPage {
            events,
            threads,
            done: matches!(*position, Position::Done),
        })
    }

    /// Whether everything is loaded.
    pub async fn is_done(&self) -> bool {
        matches!(*self.position.lock().await, Position::Done)
    }

    /// The pages as a stream, from the current position; it ends after the page that
    /// completes the history, or after an error.
    pub fn into_stream(self) -> impl Stream<Item = Result<HistoryPage, Error>> + Send + 'static {
        futures_util::stream::unfold(Some(self), |history| async move {
            let history = history?;
            match history.next().await {
                Ok(page) if page.done => Some((Ok(page), None)),
                Ok(page) => Some((Ok(page), Some(history))),
                Err(err) => Some((Err(err), None)),
            }
        })
    }
}
