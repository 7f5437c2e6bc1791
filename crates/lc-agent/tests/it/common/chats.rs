//! Chat scenarios: each sends chat methods with the client under test and asserts their
//! visible effect.

use super::{CustomerChat, OtherAgent, World, next_push, user_ids};
use lc_protocol::Transport;
use lc_protocol::agent::{ChatAccessChange, TransferChatTarget};
use lc_protocol::customer::CustomerPush;
use lc_protocol::id::{AgentId, ChatId, GroupId};
use lc_protocol::types::{TransferTargetType, UserType, Visibility};
use serde_json::json;

/// `list_chats` lists the customer's chat.
pub(crate) async fn list_chats_lists_the_chat<T: Transport>(w: &World<T>, chat: &CustomerChat) {
    let chats = w.client.list_chats().limit(5).await.unwrap();
    assert!(chats.chats_summary.iter().any(|c| c.id == chat.chat_id));
}

/// `list_threads` returns the chat's thread first.
pub(crate) async fn list_threads_returns_the_thread<T: Transport>(
    w: &World<T>,
    chat: &CustomerChat,
) {
    let threads = w
        .client
        .list_threads(chat.chat_id.clone())
        .limit(5)
        .await
        .unwrap();
    assert_eq!(threads.threads[0].id, chat.thread_id);
}

/// `get_chat` returns the chat with its thread and the agent among its users.
pub(crate) async fn get_chat_returns_the_chat<T: Transport>(w: &World<T>, chat: &CustomerChat) {
    let got = w.client.get_chat(chat.chat_id.clone()).await.unwrap();
    assert_eq!(got.id, chat.chat_id);
    assert_eq!(got.thread.as_ref().unwrap().id, chat.thread_id);
    assert!(user_ids(&got).contains(&w.agent.id.to_string()));
}

/// `start_chat` creates a chat the agent reads over RTM.
pub(crate) async fn start_chat_creates_a_chat<T: Transport>(w: &World<T>) {
    let started = w.client.start_chat().await.unwrap();
    let chat = w.rtm.get_chat(started.chat_id).await.unwrap();
    assert_eq!(chat.thread.unwrap().id, started.thread_id);
}

/// `deactivate_chat` closes the thread; the customer hears of it.
pub(crate) async fn deactivate_chat_closes_the_thread<T: Transport>(
    w: &World<T>,
    chat: &CustomerChat,
) {
    let mut pushes = chat.pushes();
    w.client
        .deactivate_chat(chat.chat_id.clone())
        .await
        .unwrap();
    next_push(&mut pushes, "chat_deactivated", |p| {
        matches!(p, CustomerPush::ChatDeactivated(_))
    })
    .await;
    let got = w.client.get_chat(chat.chat_id.clone()).await.unwrap();
    assert!(!got.thread.unwrap().active);
}

/// `list_archives` lists the (deactivated) chat.
pub(crate) async fn list_archives_lists_the_chat<T: Transport>(w: &World<T>, chat: &CustomerChat) {
    let archives = w.client.list_archives().await.unwrap();
    assert!(archives.chats.iter().any(|c| c.id == chat.chat_id));
}

/// `resume_chat` on the (deactivated) chat opens a new, active thread.
pub(crate) async fn resume_chat_opens_a_new_thread<T: Transport>(
    w: &World<T>,
    chat: &CustomerChat,
) {
    let resumed = w.client.resume_chat(chat.chat_id.clone()).await.unwrap();
    assert_ne!(resumed.thread_id, chat.thread_id);
    let got = w.client.get_chat(chat.chat_id.clone()).await.unwrap();
    let thread = got.thread.unwrap();
    assert_eq!(thread.id, resumed.thread_id);
    assert!(thread.active);
}

/// `list_agents_for_transfer` lists the other agent.
pub(crate) async fn list_agents_for_transfer_lists<T: Transport>(
    w: &World<T>,
    chat: &CustomerChat,
    other: &AgentId,
) {
    let agents = w
        .client
        .list_agents_for_transfer(chat.chat_id.clone())
        .await
        .unwrap();
    assert!(agents.iter().any(|a| &a.agent_id == other));
}

/// `transfer_chat` moves the chat to the other agent, who reads it over RTM.
pub(crate) async fn transfer_chat_moves_the_chat_to<T: Transport>(
    w: &World<T>,
    chat: &CustomerChat,
    other: &OtherAgent<T>,
) {
    let target = TransferChatTarget {
        kind: TransferTargetType::Agent,
        ids: vec![json!(other.handle.id)],
    };
    w.client
        .transfer_chat(chat.chat_id.clone())
        .target(target)
        .await
        .unwrap();
    let got = other.rtm.get_chat(chat.chat_id.clone()).await.unwrap();
    assert!(user_ids(&got).contains(&other.handle.id.to_string()));
}

/// `add_user_to_chat` makes the other agent a user of the chat.
pub(crate) async fn add_user_to_chat_adds_the_agent<T: Transport>(
    w: &World<T>,
    chat: &CustomerChat,
    other: &AgentId,
) {
    w.client
        .add_user_to_chat(
            chat.chat_id.clone(),
            other.clone(),
            UserType::Agent,
            Visibility::All,
        )
        .await
        .unwrap();
    let got = w.client.get_chat(chat.chat_id.clone()).await.unwrap();
    assert!(user_ids(&got).contains(&other.to_string()));
}

/// `remove_user_from_chat` takes the other agent out of the chat.
pub(crate) async fn remove_user_from_chat_removes_the_agent<T: Transport>(
    w: &World<T>,
    chat: &CustomerChat,
    other: &AgentId,
) {
    w.client
        .remove_user_from_chat(chat.chat_id.clone(), other.clone())
        .await
        .unwrap();
    let got = w.client.get_chat(chat.chat_id.clone()).await.unwrap();
    assert!(!user_ids(&got).contains(&other.to_string()));
}

/// The other agent's `follow_chat` and `unfollow_chat` turn `is_followed` on and off,
/// as it reads over RTM.
pub(crate) async fn follow_chat_and_unfollow_chat<T: Transport>(
    other: &OtherAgent<T>,
    chat: &CustomerChat,
) {
    other
        .client
        .follow_chat(chat.chat_id.clone())
        .await
        .unwrap();
    let got = other.rtm.get_chat(chat.chat_id.clone()).await.unwrap();
    assert!(got.is_followed);
    other
        .client
        .unfollow_chat(chat.chat_id.clone())
        .await
        .unwrap();
    let got = other.rtm.get_chat(chat.chat_id.clone()).await.unwrap();
    assert!(!got.is_followed);
}

/// `tag_thread` adds the tag `vip`, which `get_chat` shows.
pub(crate) async fn tag_thread_shows_in_get_chat<T: Transport>(w: &World<T>, chat: &CustomerChat) {
    w.client
        .tag_thread(chat.chat_id.clone(), chat.thread_id.clone(), "vip")
        .await
        .unwrap();
    let got = w.client.get_chat(chat.chat_id.clone()).await.unwrap();
    assert_eq!(got.thread.unwrap().tags, Some(vec!["vip".to_owned()]));
}

/// `untag_thread` removes the tag `vip` again.
pub(crate) async fn untag_thread_removes_the_tag<T: Transport>(w: &World<T>, chat: &CustomerChat) {
    w.client
        .untag_thread(chat.chat_id.clone(), chat.thread_id.clone(), "vip")
        .await
        .unwrap();
    let got = w.client.get_chat(chat.chat_id.clone()).await.unwrap();
    assert!(got.thread.unwrap().tags.unwrap_or_default().is_empty());
}

/// `grant_chat_access` and `revoke_chat_access` (3.3) add and remove group 7 in the
/// chat's access.
pub(crate) async fn grant_and_revoke_chat_access<T: Transport>(w: &World<T>, chat_id: &ChatId) {
    w.sandbox.create_group(7, "Sales");
    let group = || ChatAccessChange {
        kind: TransferTargetType::Group,
        id: json!(7),
    };
    let groups = async || {
        let got = w.client.get_chat(chat_id.clone()).await.unwrap();
        got.access.unwrap().group_ids
    };
    w.client
        .grant_chat_access(chat_id.clone(), group())
        .await
        .unwrap();
    assert!(groups().await.contains(&GroupId(7)));
    w.client
        .revoke_chat_access(chat_id.clone(), group())
        .await
        .unwrap();
    assert!(!groups().await.contains(&GroupId(7)));
}
