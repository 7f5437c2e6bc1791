//! Summaries with customer-sdk's offset/limit pagination: the customer's chats, a chat's
//! threads; and threads by id.

use crate::client::CustomerClient;
use crate::connection::CustomerConnection;
use crate::pages::{Page, Pagination, page_size, window};
use futures_util::future::try_join_all;
use lc_protocol::Error;
use lc_protocol::customer;
use lc_protocol::id::{ChatId, ThreadId};
use lc_protocol::types::{Access, CustomerChatSummary, Event, Properties, Thread, User};
use std::collections::BTreeMap;

/// Largest page of `list_chats`.
const CHATS_PAGE_MAX: u32 = 25;
/// Largest page of `list_threads`.
const THREADS_PAGE_MAX: u32 = 100;

/// The customer's chats, one window of them (see
/// [`get_chats_summary`](CustomerClient::get_chats_summary)).
#[derive(Debug, Clone, PartialEq)]
pub struct ChatsSummary {
    /// The chats of the window, newest first (by their last thread).
    pub chats_summary: Vec<ChatSummary>,
    /// How many chats the customer has (the server's estimate).
    pub total_chats: u64,
}

/// One chat, as customer-sdk's chat summary shapes it.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatSummary {
    /// The chat.
    pub id: ChatId,
    /// Whether it has an active thread.
    pub active: bool,
    /// Its users (agents and the customer).
    pub users: Vec<User>,
    /// The latest event, of any type.
    pub last_event: Option<Event>,
    /// The latest event of each type, by type.
    pub last_events_per_type: BTreeMap<String, Event>,
    /// Up to when each user has seen the chat's events (RFC 3339), by user id.
    pub last_seen_timestamps: BTreeMap<String, Option<String>>,
    /// The last thread.
    pub last_thread: Option<ThreadId>,
    /// The chat's properties.
    pub properties: Option<Properties>,
    /// Who can access the chat.
    pub access: Option<Access>,
}

impl From<CustomerChatSummary> for ChatSummary {
    fn from(summary: CustomerChatSummary) -> Self {
        let last_events_per_type: BTreeMap<String, Event> = summary
            .last_event_per_type
            .unwrap_or_default()
            .into_iter()
            .filter(|(_, entry)| entry.event.created_at().is_some())
            .map(|(kind, entry)| (kind, entry.event))
            .collect();
        let last_event = last_events_per_type
            .values()
            .max_by(|a, b| a.created_at().cmp(&b.created_at()))
            .cloned();
        let last_seen_timestamps = summary
            .users
            .iter()
            .filter_map(|user| {
                let seen = match user {
                    User::Agent(agent) => agent.events_seen_up_to.clone(),
                    User::Customer(customer) => customer.events_seen_up_to.clone(),
                    _ => None,
                };
                Some((user.id()?.to_owned(), seen))
            })
            .collect();
        Self {
            id: summary.id,
            active: summary.active.unwrap_or(false),
            users: summary.users,
            last_event,
            last_events_per_type,
            last_seen_timestamps,
            last_thread: summary.last_thread_id,
            properties: summary.properties,
            access: summary.access,
        }
    }
}

/// A chat's threads, one window of them (see
/// [`get_chat_threads_summary`](CustomerClient::get_chat_threads_summary)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadsSummary {
    /// The threads of the window, newest first.
    pub threads_summary: Vec<ThreadSummary>,
    /// How many threads the chat has (the server's estimate).
    pub total_threads: u64,
}

/// One thread of a chat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadSummary {
    /// The thread.
    pub id: ThreadId,
    /// Its place in the chat: 1 for the first thread, `total_threads` for the last.
    pub order: u64,
    /// How many events the customer can see in it.
    pub total_events: u64,
    /// Whether it is the chat's active thread.
    pub active: bool,
    /// When it was created (RFC 3339).
    pub created_at: String,
}

impl<T: CustomerConnection> CustomerClient<T> {
    /// customer-sdk `getChatsSummary`: a window of the customer's chats, newest first,
    /// `offset` 0 and `limit` 10 (at most 25) by default, read with the API's page
    /// cursors (remembered, so reading on costs one request per window).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a limit outside 1..=25; otherwise as any call.
    pub async fn get_chats_summary(&self, page: Pagination) -> Result<ChatsSummary, Error> {
        self.check()?;
        let limit = page.limit_or(10, CHATS_PAGE_MAX, "get_chats_summary")?;
        let size = page_size(page.offset, limit, CHATS_PAGE_MAX);
        let fetch = |cursor| async move {
            let request = match cursor {
                Some(cursor) => customer::ListChats::new().page_id(cursor),
                None => customer::ListChats::new().limit(size),
            };
            let response = self.send_typed(&request).await?;
            Ok(Page {
                items: response.chats_summary,
                total: response.total_chats,
                next: response.next_page_id,
            })
        };
        let shared = &self.inner.shared;
        let (chats, total_chats) =
            window(&shared.cursors, "chats", page.offset, limit, size, fetch).await?;
        Ok(ChatsSummary {
            chats_summary: chats.into_iter().map(ChatSummary::from).collect(),
            total_chats,
        })
    }

    /// customer-sdk `getChatThreadsSummary`: a window of a chat's threads, newest first,
    /// `offset` 0 and `limit` 25 (at most 1000) by default.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a limit outside 1..=1000; otherwise as any call.
    pub async fn get_chat_threads_summary(
        &self,
        chat_id: impl Into<ChatId>,
        page: Pagination,
    ) -> Result<ThreadsSummary, Error> {
        self.check()?;
        let chat_id = chat_id.into();
        let limit = page.limit_or(25, 1000, "get_chat_threads_summary")?;
        let size = page_size(page.offset, limit, THREADS_PAGE_MAX);
        let fetch = |cursor| {
            let chat_id = chat_id.clone();
            async move {
                let request = customer::ListThreads::new(chat_id);
                let request = match cursor {
                    Some(cursor) => request.page_id(cursor),
                    None => request.limit(size),
                };
                let response = self.send_typed(&request).await?;
                Ok(Page {
                    items: response.threads,
                    total: response.found_threads,
                    next: response.next_page_id,
                })
            }
        };
        let list = format!("threads:{chat_id}");
        let shared = &self.inner.shared;
        let (threads, total) =
            window(&shared.cursors, &list, page.offset, limit, size, fetch).await?;
        let threads_summary = threads
            .into_iter()
            .enumerate()
            .map(|(i, thread)| ThreadSummary {
                order: total.saturating_sub(u64::from(page.offset) + i as u64),
                total_events: thread.events.as_ref().map_or(0, Vec::len) as u64,
                id: thread.id,
                active: thread.active,
                created_at: thread.created_at,
            })
            .collect();
        Ok(ThreadsSummary {
            threads_summary,
            total_threads: total,
        })
    }

    /// customer-sdk `getChatThreads`: the given threads of a chat, with their events, in
    /// the order asked (one `get_chat` each, sent together).
    ///
    /// # Errors
    /// The first failure (e.g. `not_found` for a thread of another chat).
    pub async fn get_chat_threads(
        &self,
        chat_id: impl Into<ChatId>,
        thread_ids: impl IntoIterator<Item = impl Into<ThreadId>>,
    ) -> Result<Vec<Thread>, Error> {
        self.check()?;
        let chat_id = chat_id.into();
        let reads = thread_ids.into_iter().map(|thread_id| {
            let request = customer::GetChat::new(chat_id.clone()).thread_id(thread_id);
            async move {
                let chat = self.send_typed(&request).await?;
                chat.thread.ok_or_else(|| Error::Decode {
                    action: "get_chat".to_owned(),
                    source: lc_protocol::FrameError::MissingField("thread"),
                })
            }
        });
        try_join_all(reads).await
    }
}
