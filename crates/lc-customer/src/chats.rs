//! Chats: starting, resuming, reading and closing them, the predicted agent, rating,
//! properties and the last-seen timestamp.

use crate::call::Call;
use crate::client::CustomerClient;
use crate::connection::CustomerConnection;
use lc_protocol::customer::{self, ResumeChatInput};
use lc_protocol::id::{ChatId, ThreadId};
use lc_protocol::types::Properties;
use lc_protocol::{Error, ErrorType};
use std::time::SystemTime;
use time::OffsetDateTime;
use time::macros::format_description;

/// The thread property namespace ratings are stored in.
pub(crate) const RATING_NAMESPACE: &str = "rating";

/// A rating of a chat: good or bad, with an optional comment.
///
/// ```
/// use lc_customer::Rating;
///
/// let rating = Rating::good().comment("Agent helped me a lot!");
/// # let _ = rating;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rating {
    /// Good or bad.
    pub score: RatingScore,
    /// What the customer wrote.
    pub comment: Option<String>,
}

/// The value of a [`Rating`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RatingScore {
    /// Stored as score 1.
    Good,
    /// Stored as score 0.
    Bad,
}

impl Rating {
    /// A good rating.
    pub fn good() -> Self {
        Self {
            score: RatingScore::Good,
            comment: None,
        }
    }

    /// A bad rating.
    pub fn bad() -> Self {
        Self {
            score: RatingScore::Bad,
            comment: None,
        }
    }

    /// With a comment.
    #[must_use]
    pub fn comment(mut self, comment: impl Into<String>) -> Self {
        self.comment = Some(comment.into());
        self
    }

    /// The thread properties that store it: `rating.score` (1 or 0) and
    /// `rating.comment`.
    pub fn properties(&self) -> Properties {
        let score = match self.score {
            RatingScore::Good => 1,
            RatingScore::Bad => 0,
        };
        let properties = Properties::new().with(RATING_NAMESPACE, "score", score);
        match &self.comment {
            Some(comment) => properties.with(RATING_NAMESPACE, "comment", comment.clone()),
            None => properties,
        }
    }
}

impl<T: CustomerConnection> CustomerClient<T> {
    /// `start_chat`: starts a chat with an active thread (initial events, properties,
    /// access set on the call). By default a customer has one chat: use
    /// [`resume_chat`](Self::resume_chat) when it already has one.
    /// (JS: customer-sdk `startChat`.)
    pub fn start_chat(&self) -> Call<'_, T, customer::StartChat> {
        self.call(customer::StartChat::new())
    }

    /// `resume_chat`: opens a new thread in one of the customer's inactive chats.
    pub fn resume_chat(&self, chat_id: impl Into<ChatId>) -> Call<'_, T, customer::ResumeChat> {
        let chat = ResumeChatInput {
            id: chat_id.into(),
            ..ResumeChatInput::default()
        };
        self.call(customer::ResumeChat::new(chat))
    }

    /// `get_chat`: a chat with one thread (the latest unless `thread_id` is set).
    pub fn get_chat(&self, chat_id: impl Into<ChatId>) -> Call<'_, T, customer::GetChat> {
        self.call(customer::GetChat::new(chat_id))
    }

    /// customer-sdk `closeThread`: deactivates the chat, closing its active thread.
    pub fn close_thread(
        &self,
        chat_id: impl Into<ChatId>,
    ) -> Call<'_, T, customer::DeactivateChat> {
        self.call(customer::DeactivateChat::new(chat_id))
    }

    /// `get_predicted_agent`: the agent the customer would chat with now.
    /// (JS: customer-sdk `getPredictedAgent`.)
    pub fn get_predicted_agent(&self) -> Call<'_, T, customer::GetPredictedAgent> {
        self.call(customer::GetPredictedAgent::new())
    }

    /// customer-sdk `rateChat`: stores the rating as the `rating` properties (`score` 1 for
    /// good, 0 for bad, and `comment`) of the chat's last thread.
    ///
    /// # Errors
    /// `not_found` when the chat has no thread; otherwise as any call.
    pub async fn rate_chat(&self, chat_id: impl Into<ChatId>, rating: Rating) -> Result<(), Error> {
        let chat_id = chat_id.into();
        let chat = self.get_chat(chat_id.clone()).await?;
        let Some(thread) = chat.thread else {
            return Err(Error::Api {
                action: "rate_chat".to_owned(),
                error: lc_protocol::ApiError::with_message(
                    ErrorType::NotFound,
                    "The chat has no thread to rate",
                ),
                http_status: None,
            });
        };
        self.update_chat_thread_properties(chat_id, thread.id, rating.properties())
            .await?;
        Ok(())
    }

    /// `update_chat_properties`: sets chat properties (merged per namespace and name).
    /// (JS: customer-sdk `updateChatProperties`.)
    pub fn update_chat_properties(
        &self,
        chat_id: impl Into<ChatId>,
        properties: Properties,
    ) -> Call<'_, T, customer::UpdateChatProperties> {
        self.call(customer::UpdateChatProperties::new(chat_id, properties))
    }

    /// customer-sdk `updateChatThreadProperties`: sets thread properties.
    pub fn update_chat_thread_properties(
        &self,
        chat_id: impl Into<ChatId>,
        thread_id: impl Into<ThreadId>,
        properties: Properties,
    ) -> Call<'_, T, customer::UpdateThreadProperties> {
        self.call(customer::UpdateThreadProperties::new(
            chat_id, thread_id, properties,
        ))
    }

    /// customer-sdk `updateLastSeenTimestamp`: marks the chat's events up to `timestamp`
    /// (default: now) as seen, and returns the timestamp used.
    ///
    /// # Errors
    /// As any call; [`Error::InvalidInput`] for a time that cannot be written as a date.
    pub async fn update_last_seen_timestamp(
        &self,
        chat_id: impl Into<ChatId>,
        timestamp: Option<SystemTime>,
    ) -> Result<SystemTime, Error> {
        let timestamp = timestamp.unwrap_or_else(SystemTime::now);
        let seen_up_to = rfc3339(timestamp)?;
        self.call(customer::MarkEventsAsSeen::new(chat_id, seen_up_to))
            .await?;
        Ok(timestamp)
    }
}

/// `at` as the API writes dates: RFC 3339 in UTC with microseconds.
pub(crate) fn rfc3339(at: SystemTime) -> Result<String, Error> {
    OffsetDateTime::from(at)
        .format(format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z"
        ))
        .map_err(|err| Error::InvalidInput(format!("cannot write {at:?} as a date: {err}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn ratings_become_thread_properties() {
        let good = Rating::good().comment("thanks").properties();
        assert_eq!(good.get("rating", "score"), Some(&serde_json::json!(1)));
        assert_eq!(
            good.get("rating", "comment"),
            Some(&serde_json::json!("thanks"))
        );
        let bad = Rating::bad().properties();
        assert_eq!(bad.get("rating", "score"), Some(&serde_json::json!(0)));
        assert_eq!(bad.get("rating", "comment"), None);
    }

    #[test]
    fn timestamps_are_written_in_utc_with_microseconds() {
        let at = SystemTime::UNIX_EPOCH + Duration::from_millis(1_500_646_701_447);
        assert_eq!(rfc3339(at).unwrap(), "2017-07-21T14:18:21.447000Z");
    }
}
