//! Events and properties: sending events, postbacks, typing, seen markers; chat, thread
//! and event properties.

use crate::{AgentClient, Call, SendOnce};
use lc_protocol::Transport;
use lc_protocol::agent;
use lc_protocol::id::{ChatId, EventId, ThreadId};
use lc_protocol::types::{Event, Postback, Properties, PropertyNames};

impl<T: Transport> AgentClient<T> {
    /// `send_event`: sends an event (e.g. [`Event::message`]) to a chat; the agent joins
    /// the chat as not present if needed.
    /// (JS: lc-sdk-js `sendEvent`.)
    ///
    /// The event is stored exactly once however the connection behaves: it carries a
    /// `custom_id` (made by the client unless you set one), and when the outcome is
    /// ambiguous (connection lost, timeout, server error) the client looks the event up
    /// once connected again and returns it if stored, or sends it again if not. An error
    /// says for certain that nothing was stored, unless it is [`Error::Unresolved`](lc_protocol::Error::Unresolved)
    /// (see [`SendOnce`]).
    ///
    /// ```no_run
    /// use lc_protocol::types::Event;
    ///
    /// # async fn demo(client: lc_agent::AgentClient<lc_rtm::RtmClient<lc_rtm::AgentSession>>)
    /// # -> Result<(), lc_protocol::Error> {
    /// let sent = client
    ///     .send_event("PJ0MRSHTDG", Event::message("Your order ships today."))
    ///     .attach_to_last_thread(true)
    ///     .await?;
    /// println!("stored once as {}", sent.event_id);
    /// # Ok(())
    /// # }
    /// ```
    pub fn send_event(
        &self,
        chat_id: impl Into<ChatId>,
        event: impl Into<Event>,
    ) -> SendOnce<'_, T, agent::SendEvent> {
        SendOnce::new(&self.transport, agent::SendEvent::new(chat_id, event))
            .options(self.call_options())
    }

    /// `send_event_preview` (API 3.6): shows an event to the customer before it is sent.
    pub fn send_event_preview(
        &self,
        chat_id: impl Into<ChatId>,
        event: impl Into<Event>,
    ) -> Call<'_, T, agent::SendEventPreview> {
        self.call(agent::SendEventPreview::new(chat_id, event))
    }

    /// `send_rich_message_postback`: reports a click on a rich message button.
    /// (JS: lc-sdk-js `sendRichMessagePostback`.)
    pub fn send_rich_message_postback(
        &self,
        chat_id: impl Into<ChatId>,
        thread_id: impl Into<ThreadId>,
        event_id: impl Into<EventId>,
        postback: Postback,
    ) -> Call<'_, T, agent::SendRichMessagePostback> {
        self.call(agent::SendRichMessagePostback::new(
            chat_id, thread_id, event_id, postback,
        ))
    }

    /// `send_typing_indicator`: tells the chat that the agent is typing or stopped
    /// (`visibility` set on the call).
    /// (JS: lc-sdk-js `sendTypingIndicator`.)
    pub fn send_typing_indicator(
        &self,
        chat_id: impl Into<ChatId>,
        is_typing: bool,
    ) -> Call<'_, T, agent::SendTypingIndicator> {
        self.call(agent::SendTypingIndicator::new(chat_id, is_typing))
    }

    /// `send_thinking_indicator` (API 3.6): tells the customer that a bot is thinking.
    pub fn send_thinking_indicator(
        &self,
        chat_id: impl Into<ChatId>,
    ) -> Call<'_, T, agent::SendThinkingIndicator> {
        self.call(agent::SendThinkingIndicator::new(chat_id))
    }

    /// `mark_events_as_seen`: marks the chat's events up to a date (RFC 3339) as seen.
    /// (JS: lc-sdk-js `markEventsAsSeen`.)
    pub fn mark_events_as_seen(
        &self,
        chat_id: impl Into<ChatId>,
        seen_up_to: impl Into<String>,
    ) -> Call<'_, T, agent::MarkEventsAsSeen> {
        self.call(agent::MarkEventsAsSeen::new(chat_id, seen_up_to))
    }

    /// `update_chat_properties`: sets chat properties.
    /// (JS: lc-sdk-js `updateChatProperties`.)
    pub fn update_chat_properties(
        &self,
        id: impl Into<ChatId>,
        properties: Properties,
    ) -> Call<'_, T, agent::UpdateChatProperties> {
        self.call(agent::UpdateChatProperties::new(id, properties))
    }

    /// `delete_chat_properties`: removes chat properties.
    /// (JS: lc-sdk-js `deleteChatProperties`.)
    pub fn delete_chat_properties(
        &self,
        id: impl Into<ChatId>,
        properties: PropertyNames,
    ) -> Call<'_, T, agent::DeleteChatProperties> {
        self.call(agent::DeleteChatProperties::new(id, properties))
    }

    /// `update_thread_properties`: sets thread properties.
    /// (JS: lc-sdk-js `updateThreadProperties`.)
    pub fn update_thread_properties(
        &self,
        chat_id: impl Into<ChatId>,
        thread_id: impl Into<ThreadId>,
        properties: Properties,
    ) -> Call<'_, T, agent::UpdateThreadProperties> {
        self.call(agent::UpdateThreadProperties::new(
            chat_id, thread_id, properties,
        ))
    }

    /// `delete_thread_properties`: removes thread properties.
    /// (JS: lc-sdk-js `deleteThreadProperties`.)
    pub fn delete_thread_properties(
        &self,
        chat_id: impl Into<ChatId>,
        thread_id: impl Into<ThreadId>,
        properties: PropertyNames,
    ) -> Call<'_, T, agent::DeleteThreadProperties> {
        self.call(agent::DeleteThreadProperties::new(
            chat_id, thread_id, properties,
        ))
    }

    /// `update_event_properties`: sets event properties.
    /// (JS: lc-sdk-js `updateEventProperties`.)
    pub fn update_event_properties(
        &self,
        chat_id: impl Into<ChatId>,
        thread_id: impl Into<ThreadId>,
        event_id: impl Into<EventId>,
        properties: Properties,
    ) -> Call<'_, T, agent::UpdateEventProperties> {
        self.call(agent::UpdateEventProperties::new(
            chat_id, thread_id, event_id, properties,
        ))
    }

    /// `delete_event_properties`: removes event properties.
    /// (JS: lc-sdk-js `deleteEventProperties`.)
    pub fn delete_event_properties(
        &self,
        chat_id: impl Into<ChatId>,
        thread_id: impl Into<ThreadId>,
        event_id: impl Into<EventId>,
        properties: PropertyNames,
    ) -> Call<'_, T, agent::DeleteEventProperties> {
        self.call(agent::DeleteEventProperties::new(
            chat_id, thread_id, event_id, properties,
        ))
    }
}
