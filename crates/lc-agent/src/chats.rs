//! Chats and threads: listing, starting, resuming, transferring, users, follows, tags.

use crate::{AgentClient, Call};
use lc_protocol::Transport;
use lc_protocol::agent::{self, ChatAccessChange, ResumeChatChat};
use lc_protocol::id::{ChatId, ThreadId, UserId};
use lc_protocol::types::{UserType, Visibility};

impl<T: Transport> AgentClient<T> {
    /// `list_chats`: summaries of the chats the agent has access to (`filters`, `limit`,
    /// `sort_order`, `page_id` set on the call).
    /// (JS: lc-sdk-js `listChats`.)
    pub fn list_chats(&self) -> Call<'_, T, agent::ListChats> {
        self.call(agent::ListChats::new())
    }

    /// `list_threads`: the threads of a chat, newest first.
    /// (JS: lc-sdk-js `listThreads`.)
    pub fn list_threads(&self, chat_id: impl Into<ChatId>) -> Call<'_, T, agent::ListThreads> {
        self.call(agent::ListThreads::new(chat_id))
    }

    /// `get_chat`: a chat with one thread (the latest unless `thread_id` is set).
    /// (JS: lc-sdk-js `getChat`.)
    pub fn get_chat(&self, chat_id: impl Into<ChatId>) -> Call<'_, T, agent::GetChat> {
        self.call(agent::GetChat::new(chat_id))
    }

    /// `list_archives`: archived (chat, thread) pairs, with filters.
    /// (JS: lc-sdk-js `listArchives`.)
    pub fn list_archives(&self) -> Call<'_, T, agent::ListArchives> {
        self.call(agent::ListArchives::new())
    }

    /// `start_chat`: creates a chat with a new thread (initial data through
    /// set on the call).
    /// (JS: lc-sdk-js `startChat`.)
    pub fn start_chat(&self) -> Call<'_, T, agent::StartChat> {
        self.call(agent::StartChat::new())
    }

    /// `resume_chat`: opens a new thread in an inactive chat; the new thread's initial
    /// data goes in the request's `chat` field.
    /// (JS: lc-sdk-js `resumeChat`.)
    pub fn resume_chat(&self, chat_id: impl Into<ChatId>) -> Call<'_, T, agent::ResumeChat> {
        let chat = ResumeChatChat {
            id: chat_id.into(),
            ..ResumeChatChat::default()
        };
        self.call(agent::ResumeChat::new(chat))
    }

    /// `deactivate_chat`: closes the active thread of a chat.
    /// (JS: lc-sdk-js `deactivateChat`.)
    pub fn deactivate_chat(&self, id: impl Into<ChatId>) -> Call<'_, T, agent::DeactivateChat> {
        self.call(agent::DeactivateChat::new(id))
    }

    /// `follow_chat`: the agent receives the chat's pushes without joining it.
    /// (JS: lc-sdk-js `followChat`.)
    pub fn follow_chat(&self, id: impl Into<ChatId>) -> Call<'_, T, agent::FollowChat> {
        self.call(agent::FollowChat::new(id))
    }

    /// `unfollow_chat`: stops following a chat (chat users cannot unfollow).
    /// (JS: lc-sdk-js `unfollowChat`.)
    pub fn unfollow_chat(&self, id: impl Into<ChatId>) -> Call<'_, T, agent::UnfollowChat> {
        self.call(agent::UnfollowChat::new(id))
    }

    /// `transfer_chat`: transfers a chat to agents or groups (`target` and flags through
    /// set on the call); without a target, within its current group.
    /// (JS: lc-sdk-js `transferChat`.)
    pub fn transfer_chat(&self, id: impl Into<ChatId>) -> Call<'_, T, agent::TransferChat> {
        self.call(agent::TransferChat::new(id))
    }

    /// `add_user_to_chat`: adds an agent or the customer to a chat, visible to `all` or
    /// to `agents` only.
    /// (JS: lc-sdk-js `addUserToChat`.)
    pub fn add_user_to_chat(
        &self,
        chat_id: impl Into<ChatId>,
        user_id: impl Into<UserId>,
        user_type: UserType,
        visibility: Visibility,
    ) -> Call<'_, T, agent::AddUserToChat> {
        self.call(agent::AddUserToChat::new(chat_id, user_id, user_type).visibility(visibility))
    }

    /// `remove_user_from_chat`: removes an agent from a chat (customers cannot be
    /// removed; like lc-sdk-js, the user type sent is `agent`).
    /// (JS: lc-sdk-js `removeUserFromChat`.)
    pub fn remove_user_from_chat(
        &self,
        chat_id: impl Into<ChatId>,
        user_id: impl Into<UserId>,
    ) -> Call<'_, T, agent::RemoveUserFromChat> {
        self.call(agent::RemoveUserFromChat::new(
            chat_id,
            user_id,
            UserType::Agent,
        ))
    }

    /// `list_agents_for_transfer`: agents a chat may be transferred to, with their load.
    /// (JS: lc-sdk-js `listAgentsForTransfer`.)
    pub fn list_agents_for_transfer(
        &self,
        chat_id: impl Into<ChatId>,
    ) -> Call<'_, T, agent::ListAgentsForTransfer> {
        self.call(agent::ListAgentsForTransfer::new(chat_id))
    }

    /// `tag_thread`: adds a tag to a thread.
    /// (JS: lc-sdk-js `tagThread`.)
    pub fn tag_thread(
        &self,
        chat_id: impl Into<ChatId>,
        thread_id: impl Into<ThreadId>,
        tag: impl Into<String>,
    ) -> Call<'_, T, agent::TagThread> {
        self.call(agent::TagThread::new(chat_id, thread_id, tag))
    }

    /// `untag_thread`: removes a tag from a thread.
    /// (JS: lc-sdk-js `untagThread`.)
    pub fn untag_thread(
        &self,
        chat_id: impl Into<ChatId>,
        thread_id: impl Into<ThreadId>,
        tag: impl Into<String>,
    ) -> Call<'_, T, agent::UntagThread> {
        self.call(agent::UntagThread::new(chat_id, thread_id, tag))
    }

    /// `grant_chat_access` (API 3.3 only): gives a group or an agent access to a chat.
    /// (JS: lc-sdk-js `grantChatAccess`.)
    pub fn grant_chat_access(
        &self,
        id: impl Into<ChatId>,
        access: ChatAccessChange,
    ) -> Call<'_, T, agent::GrantChatAccess> {
        self.call(agent::GrantChatAccess::new(id, access))
    }

    /// `revoke_chat_access` (API 3.3 only): takes a group's or an agent's access away.
    /// (JS: lc-sdk-js `revokeChatAccess`.)
    pub fn revoke_chat_access(
        &self,
        id: impl Into<ChatId>,
        access: ChatAccessChange,
    ) -> Call<'_, T, agent::RevokeChatAccess> {
        self.call(agent::RevokeChatAccess::new(id, access))
    }

    /// `request_thread_summary` (API 3.6): asks for an AI summary of a thread.
    pub fn request_thread_summary(
        &self,
        chat_id: impl Into<ChatId>,
        thread_id: impl Into<ThreadId>,
    ) -> Call<'_, T, agent::RequestThreadSummary> {
        self.call(agent::RequestThreadSummary::new(chat_id, thread_id))
    }
}
