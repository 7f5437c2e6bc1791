//! Every agent Web method (lc-sdk-js `agent/web`) end to end against a real lc-sandbox
//! over HTTP, each with its effect visible to the agent, another agent or the customer.
//! An RTM connection of the same agent accepts the chats the customer starts. The
//! behaviours RTM shares are the scenarios of `common`; Web-only ones are tested here.

#![allow(clippy::unwrap_used)]

use crate::common;

use common::{WebWorld, chats, customers, events, next_push, status, web_agent};
use lc_protocol::agent::ChatAccessChange;
use lc_protocol::customer::CustomerPush;
use lc_protocol::types::{Event, TransferTargetType};
use lc_protocol::{ApiVersion, Error};
use lc_web::Upload;
use serde_json::json;

// ---- chats ----------------------------------------------------------------------------

#[tokio::test]
async fn list_chats_list_threads_and_get_chat_read_the_customer_chat() {
    let (w, chat) = WebWorld::with_chat().await;
    chats::list_chats_lists_the_chat(&w, &chat).await;
    chats::list_threads_returns_the_thread(&w, &chat).await;
    chats::get_chat_returns_the_chat(&w, &chat).await;
    w.shutdown().await;
}

#[tokio::test]
async fn start_chat_creates_a_chat_the_agent_can_read() {
    let w = WebWorld::new().await;
    chats::start_chat_creates_a_chat(&w).await;
    w.shutdown().await;
}

#[tokio::test]
async fn deactivate_chat_archives_it_and_resume_chat_opens_a_new_thread() {
    let (w, chat) = WebWorld::with_chat().await;
    chats::deactivate_chat_closes_the_thread(&w, &chat).await;
    chats::list_archives_lists_the_chat(&w, &chat).await;
    chats::resume_chat_opens_a_new_thread(&w, &chat).await;
    w.shutdown().await;
}

#[tokio::test]
async fn transfer_chat_moves_the_chat_to_an_agent_listed_for_transfer() {
    let (w, chat) = WebWorld::with_chat().await;
    let other = w.other_agent().await;
    chats::list_agents_for_transfer_lists(&w, &chat, &other.handle.id).await;
    chats::transfer_chat_moves_the_chat_to(&w, &chat, &other).await;
    w.shutdown().await;
}

#[tokio::test]
async fn add_user_to_chat_and_remove_user_from_chat_change_the_users() {
    let (w, chat) = WebWorld::with_chat().await;
    let other = w.create_other_agent();
    chats::add_user_to_chat_adds_the_agent(&w, &chat, &other.id).await;
    chats::remove_user_from_chat_removes_the_agent(&w, &chat, &other.id).await;
    w.shutdown().await;
}

#[tokio::test]
async fn follow_chat_and_unfollow_chat_change_is_followed() {
    let (w, chat) = WebWorld::with_chat().await;
    let other = w.other_agent().await;
    chats::follow_chat_and_unfollow_chat(&other, &chat).await;
    w.shutdown().await;
}

#[tokio::test]
async fn tag_thread_and_untag_thread_show_in_get_chat() {
    let (w, chat) = WebWorld::with_chat().await;
    chats::tag_thread_shows_in_get_chat(&w, &chat).await;
    chats::untag_thread_removes_the_tag(&w, &chat).await;
    w.shutdown().await;
}

#[tokio::test]
async fn grant_and_revoke_chat_access_change_the_chat_access_in_3_3() {
    let w = WebWorld::of(ApiVersion::V3_3).await;
    let chat = w.customer_chat().await;
    chats::grant_and_revoke_chat_access(&w, &chat.chat_id).await;
    w.shutdown().await;
}

#[tokio::test]
async fn methods_missing_from_the_version_fail_before_sending() {
    let w = WebWorld::new().await;
    let access = ChatAccessChange {
        kind: TransferTargetType::Group,
        id: json!(0),
    };
    let err = w.client.grant_chat_access("ANY", access).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Unsupported {
                action: "grant_chat_access",
                ..
            }
        ),
        "{err:?}"
    );
    w.shutdown().await;
}

// ---- events and properties --------------------------------------------------------------

#[tokio::test]
async fn send_event_arrives_at_the_customer() {
    let (w, chat) = WebWorld::with_chat().await;
    events::send_event_reaches_the_customer(&w, &chat).await;
    w.shutdown().await;
}

#[tokio::test]
async fn send_typing_indicator_and_mark_events_as_seen_reach_the_customer() {
    let (w, chat) = WebWorld::with_chat().await;
    events::send_typing_indicator_reaches_the_customer(&w, &chat).await;
    events::mark_events_as_seen_reaches_the_customer(&w, &chat).await;
    w.shutdown().await;
}

#[tokio::test]
async fn send_rich_message_postback_reaches_the_customer() {
    let (w, chat) = WebWorld::with_chat().await;
    events::send_rich_message_postback_reaches_the_customer(&w, &chat).await;
    w.shutdown().await;
}

#[tokio::test]
async fn send_event_preview_reaches_the_customer() {
    let (w, chat) = WebWorld::with_chat().await;
    events::send_event_preview_reaches_the_customer(&w, &chat).await;
    w.shutdown().await;
}

#[tokio::test]
async fn send_thinking_indicator_reaches_the_customer() {
    let (w, chat) = WebWorld::with_chat().await;
    events::send_thinking_indicator_reaches_the_customer(&w, &chat).await;
    w.shutdown().await;
}

#[tokio::test]
async fn request_thread_summary_sets_the_summary() {
    let (w, chat) = WebWorld::with_chat().await;
    events::request_thread_summary_sets_the_summary(&w, &chat).await;
    w.shutdown().await;
}

#[tokio::test]
async fn chat_and_thread_properties_update_and_delete() {
    let (w, chat) = WebWorld::with_chat().await;
    events::chat_properties_update_and_delete(&w, &chat).await;
    events::thread_properties_update_and_delete(&w, &chat).await;
    w.shutdown().await;
}

#[tokio::test]
async fn event_properties_update_and_delete() {
    let (w, chat) = WebWorld::with_chat().await;
    events::event_properties_update_and_delete(&w, &chat).await;
    w.shutdown().await;
}

#[tokio::test]
async fn upload_file_gives_a_url_to_send_as_a_file_event() {
    let (w, chat) = WebWorld::with_chat().await;
    let mut pushes = chat.pushes();
    let progress = std::sync::Arc::new(std::sync::Mutex::new(0.0f64));
    let sink = progress.clone();
    let upload = Upload::bytes("receipt.pdf", vec![9u8; 70_000])
        .on_progress(move |p| *sink.lock().unwrap() = p);
    let uploaded = w.client.upload_file(upload).await.unwrap();
    assert_eq!(*progress.lock().unwrap(), 1.0);
    w.client
        .send_event(chat.chat_id.clone(), Event::file(uploaded.url.clone()))
        .await
        .unwrap();
    let push = next_push(
        &mut pushes,
        "incoming_event (file)",
        |p| matches!(p, CustomerPush::IncomingEvent(e) if e.event.kind() == "file"),
    )
    .await;
    let CustomerPush::IncomingEvent(push) = push else {
        unreachable!()
    };
    let Event::File(file) = push.event else {
        unreachable!()
    };
    assert_eq!(file.url.as_deref(), Some(uploaded.url.as_str()));
    w.shutdown().await;
}

// ---- customers ------------------------------------------------------------------------

#[tokio::test]
async fn get_customer_and_update_customer() {
    let w = WebWorld::new().await;
    customers::get_customer_returns_the_profile(&w).await;
    customers::update_customer_changes_the_profile(&w).await;
    w.shutdown().await;
}

#[tokio::test]
async fn create_customer_and_list_customers_in_3_5() {
    let w = WebWorld::of(ApiVersion::V3_5).await;
    customers::create_customer_and_list_customers(&w).await;
    let on_3_6 = web_agent(&w.sandbox, &w.agent, ApiVersion::V3_6);
    customers::list_customers_is_refused_on_3_6(&on_3_6).await;
    w.shutdown().await;
}

#[tokio::test]
async fn ban_customer_disconnects_the_customer() {
    let (w, chat) = WebWorld::with_chat().await;
    customers::ban_customer_disconnects_the_customer(&w, &chat).await;
    w.shutdown().await;
}

#[tokio::test]
async fn follow_customer_and_unfollow_customer_in_3_3() {
    let w = WebWorld::of(ApiVersion::V3_3).await;
    let _chat = w.customer_chat().await;
    customers::follow_customer_pushes_incoming_customer(&w).await;
    customers::unfollow_customer_pushes_customer_unfollowed(&w).await;
    customers::follow_customer_of_an_unknown_customer_fails(&w).await;
    w.shutdown().await;
}

// ---- status ---------------------------------------------------------------------------

#[tokio::test]
async fn set_routing_status_shows_in_list_routing_statuses() {
    let w = WebWorld::new().await;
    status::set_routing_status_shows_in_list_routing_statuses(&w).await;
    w.shutdown().await;
}

#[tokio::test]
async fn multicast_reaches_the_agents() {
    let w = WebWorld::new().await;
    status::multicast_to_all_agents_reaches_the_agent(&w).await;
    w.shutdown().await;
}

#[tokio::test]
async fn logout_ends_the_rtm_connection() {
    let w = WebWorld::new().await;
    status::logout_ends_the_rtm_connection(&w).await;
    w.shutdown().await;
}

#[tokio::test]
async fn call_raw_is_the_raw_escape_hatch() {
    let (w, chat) = WebWorld::with_chat().await;
    status::call_raw_is_the_raw_escape_hatch(&w, &chat).await;
    w.shutdown().await;
}
