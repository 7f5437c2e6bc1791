//! Every agent RTM method end to end against a real lc-sandbox over real sockets, each
//! with its effect visible (to the agent itself, a second agent or the customer). The
//! behaviours Web shares are the scenarios of `common`; RTM-only methods (login,
//! away status, sessions, customer subscriptions, pushes and `on`) are tested here.

#![allow(clippy::unwrap_used)]

use crate::common;

use common::{RtmWorld, WAIT, chats, customers, events, status};
use lc_protocol::agent::push::{IncomingChat, IncomingEvent, IncomingMulticast};
use lc_protocol::customer::SendEvent;
use lc_protocol::types::Event;
use lc_protocol::types::RoutingStatus;
use lc_protocol::{ApiVersion, Error, Transport};
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

// ---- chats ------------------------------------------------------------------------

#[tokio::test]
async fn list_chats_lists_a_chat_started_by_the_customer() {
    let (w, chat) = RtmWorld::with_chat().await;
    chats::list_chats_lists_the_chat(&w, &chat).await;
    w.shutdown().await;
}

#[tokio::test]
async fn list_threads_returns_the_threads_of_a_chat() {
    let (w, chat) = RtmWorld::with_chat().await;
    chats::list_threads_returns_the_thread(&w, &chat).await;
    w.shutdown().await;
}

#[tokio::test]
async fn get_chat_returns_the_chat_with_its_thread_and_users() {
    let (w, chat) = RtmWorld::with_chat().await;
    chats::get_chat_returns_the_chat(&w, &chat).await;
    w.shutdown().await;
}

#[tokio::test]
async fn start_chat_creates_a_chat_the_agent_can_read() {
    let w = RtmWorld::new().await;
    chats::start_chat_creates_a_chat(&w).await;
    w.shutdown().await;
}

#[tokio::test]
async fn deactivate_chat_closes_the_thread() {
    let (w, chat) = RtmWorld::with_chat().await;
    chats::deactivate_chat_closes_the_thread(&w, &chat).await;
    w.shutdown().await;
}

#[tokio::test]
async fn list_archives_lists_a_deactivated_chat() {
    let (w, chat) = RtmWorld::with_chat().await;
    chats::deactivate_chat_closes_the_thread(&w, &chat).await;
    chats::list_archives_lists_the_chat(&w, &chat).await;
    w.shutdown().await;
}

#[tokio::test]
async fn resume_chat_opens_a_new_active_thread() {
    let (w, chat) = RtmWorld::with_chat().await;
    chats::deactivate_chat_closes_the_thread(&w, &chat).await;
    chats::resume_chat_opens_a_new_thread(&w, &chat).await;
    w.shutdown().await;
}

#[tokio::test]
async fn transfer_chat_moves_the_chat_to_another_agent() {
    let (w, chat) = RtmWorld::with_chat().await;
    let other = w.other_agent().await;
    chats::transfer_chat_moves_the_chat_to(&w, &chat, &other).await;
    w.shutdown().await;
}

#[tokio::test]
async fn add_user_to_chat_makes_the_agent_a_chat_user() {
    let (w, chat) = RtmWorld::with_chat().await;
    let other = w.other_agent().await;
    chats::add_user_to_chat_adds_the_agent(&w, &chat, &other.handle.id).await;
    w.shutdown().await;
}

#[tokio::test]
async fn remove_user_from_chat_takes_the_agent_out() {
    let (w, chat) = RtmWorld::with_chat().await;
    let other = w.other_agent().await;
    chats::add_user_to_chat_adds_the_agent(&w, &chat, &other.handle.id).await;
    chats::remove_user_from_chat_removes_the_agent(&w, &chat, &other.handle.id).await;
    w.shutdown().await;
}

#[tokio::test]
async fn follow_chat_and_unfollow_chat_change_is_followed() {
    let (w, chat) = RtmWorld::with_chat().await;
    let other = w.other_agent().await;
    chats::follow_chat_and_unfollow_chat(&other, &chat).await;
    w.shutdown().await;
}

#[tokio::test]
async fn list_agents_for_transfer_lists_the_other_agent() {
    let (w, chat) = RtmWorld::with_chat().await;
    let other = w.other_agent().await;
    chats::list_agents_for_transfer_lists(&w, &chat, &other.handle.id).await;
    w.shutdown().await;
}

#[tokio::test]
async fn tag_thread_shows_in_get_chat() {
    let (w, chat) = RtmWorld::with_chat().await;
    chats::tag_thread_shows_in_get_chat(&w, &chat).await;
    w.shutdown().await;
}

#[tokio::test]
async fn untag_thread_removes_the_tag() {
    let (w, chat) = RtmWorld::with_chat().await;
    chats::tag_thread_shows_in_get_chat(&w, &chat).await;
    chats::untag_thread_removes_the_tag(&w, &chat).await;
    w.shutdown().await;
}

#[tokio::test]
async fn grant_chat_access_and_revoke_chat_access_change_access_on_3_3() {
    let w = RtmWorld::of(ApiVersion::V3_3).await;
    let started = w.client.start_chat().await.unwrap();
    chats::grant_and_revoke_chat_access(&w, &started.chat_id).await;
    w.shutdown().await;
}

// ---- events and properties ----------------------------------------------------------

#[tokio::test]
async fn send_event_arrives_as_incoming_event_at_the_customer() {
    let (w, chat) = RtmWorld::with_chat().await;
    events::send_event_reaches_the_customer(&w, &chat).await;
    w.shutdown().await;
}

#[tokio::test]
async fn send_typing_indicator_reaches_the_customer() {
    let (w, chat) = RtmWorld::with_chat().await;
    events::send_typing_indicator_reaches_the_customer(&w, &chat).await;
    w.shutdown().await;
}

#[tokio::test]
async fn mark_events_as_seen_reaches_the_customer() {
    let (w, chat) = RtmWorld::with_chat().await;
    events::mark_events_as_seen_reaches_the_customer(&w, &chat).await;
    w.shutdown().await;
}

#[tokio::test]
async fn send_rich_message_postback_reaches_the_chat() {
    let (w, chat) = RtmWorld::with_chat().await;
    events::send_rich_message_postback_reaches_the_customer(&w, &chat).await;
    w.shutdown().await;
}

#[tokio::test]
async fn chat_properties_update_and_delete_show_in_get_chat() {
    let (w, chat) = RtmWorld::with_chat().await;
    events::chat_properties_update_and_delete(&w, &chat).await;
    w.shutdown().await;
}

#[tokio::test]
async fn thread_properties_update_and_delete_show_in_get_chat() {
    let (w, chat) = RtmWorld::with_chat().await;
    events::thread_properties_update_and_delete(&w, &chat).await;
    w.shutdown().await;
}

#[tokio::test]
async fn event_properties_update_and_delete_show_in_get_chat() {
    let (w, chat) = RtmWorld::with_chat().await;
    events::event_properties_update_and_delete(&w, &chat).await;
    w.shutdown().await;
}

#[tokio::test]
async fn send_event_preview_reaches_the_customer() {
    let (w, chat) = RtmWorld::with_chat().await;
    events::send_event_preview_reaches_the_customer(&w, &chat).await;
    w.shutdown().await;
}

#[tokio::test]
async fn send_thinking_indicator_reaches_the_customer() {
    let (w, chat) = RtmWorld::with_chat().await;
    events::send_thinking_indicator_reaches_the_customer(&w, &chat).await;
    w.shutdown().await;
}

#[tokio::test]
async fn request_thread_summary_sets_the_summary() {
    let (w, chat) = RtmWorld::with_chat().await;
    events::request_thread_summary_sets_the_summary(&w, &chat).await;
    w.shutdown().await;
}

// ---- customers --------------------------------------------------------------------

#[tokio::test]
async fn get_customer_returns_the_profile() {
    let w = RtmWorld::new().await;
    customers::get_customer_returns_the_profile(&w).await;
    w.shutdown().await;
}

#[tokio::test]
async fn update_customer_changes_the_profile() {
    let w = RtmWorld::new().await;
    customers::update_customer_changes_the_profile(&w).await;
    w.shutdown().await;
}

#[tokio::test]
async fn ban_customer_disconnects_the_customer() {
    let (w, chat) = RtmWorld::with_chat().await;
    customers::ban_customer_disconnects_the_customer(&w, &chat).await;
    w.shutdown().await;
}

#[tokio::test]
async fn create_customer_and_list_customers_work_on_3_5() {
    let w = RtmWorld::of(ApiVersion::V3_5).await;
    customers::create_customer_and_list_customers(&w).await;
    w.shutdown().await;
}

#[tokio::test]
async fn follow_customer_sends_incoming_customer_on_3_3() {
    let w = RtmWorld::of(ApiVersion::V3_3).await;
    customers::follow_customer_pushes_incoming_customer(&w).await;
    w.shutdown().await;
}

#[tokio::test]
async fn unfollow_customer_sends_customer_unfollowed_on_3_3() {
    let w = RtmWorld::of(ApiVersion::V3_3).await;
    customers::unfollow_customer_pushes_customer_unfollowed(&w).await;
    w.shutdown().await;
}

#[tokio::test]
async fn subscribe_customers_and_unsubscribe_customers_round_trip() {
    let w = RtmWorld::new().await;
    let subscription = w.client.subscribe_customers().await.unwrap();
    assert!(!subscription.subscription_id.is_empty());
    w.client
        .unsubscribe_customers(subscription.subscription_id)
        .await
        .unwrap();
    w.shutdown().await;
}

#[tokio::test]
async fn a_3_6_method_is_refused_on_a_3_5_connection_before_sending() {
    let w = RtmWorld::of(ApiVersion::V3_5).await;
    let err = w.client.send_thinking_indicator("NOPE").await.unwrap_err();
    assert!(matches!(err, Error::Unsupported { .. }), "{err:?}");
    w.shutdown().await;
}

#[tokio::test]
async fn a_3_5_method_is_refused_on_a_3_6_connection_before_sending() {
    let w = RtmWorld::new().await;
    customers::list_customers_is_refused_on_3_6(&w.client).await;
    w.shutdown().await;
}

// ---- status -----------------------------------------------------------------------

#[tokio::test]
async fn set_routing_status_shows_in_list_routing_statuses() {
    let w = RtmWorld::new().await;
    status::set_routing_status_shows_in_list_routing_statuses(&w).await;
    w.shutdown().await;
}

#[tokio::test]
async fn set_away_status_stops_accepting_chats() {
    let w = RtmWorld::new().await;
    w.client.set_away_status(true).await.unwrap();
    assert_eq!(
        w.my_routing_status().await,
        RoutingStatus::NotAcceptingChats
    );
    w.shutdown().await;
}

#[tokio::test]
async fn multicast_reaches_another_agent() {
    let w = RtmWorld::new().await;
    let other = w.other_agent().await;
    status::multicast_reaches_another_agent(&w, &other).await;
    w.shutdown().await;
}

#[tokio::test]
async fn change_push_notifications_works_on_3_4() {
    let w = RtmWorld::of(ApiVersion::V3_4).await;
    w.client
        .change_push_notifications(
            "firebase-token",
            lc_protocol::agent::PushNotificationsPlatform::Ios,
            true,
        )
        .await
        .unwrap();
    w.shutdown().await;
}

#[tokio::test]
async fn login_sends_the_login_action_with_the_given_token() {
    let w = RtmWorld::new().await;
    let response = w.client.login(w.agent.bearer()).await.unwrap();
    let profile = serde_json::to_value(&response).unwrap();
    assert_eq!(profile["my_profile"]["id"], json!(w.agent.id));
    w.shutdown().await;
}

#[tokio::test]
async fn logout_ends_the_connection() {
    let w = RtmWorld::new().await;
    status::logout_ends_the_rtm_connection(&w).await;
    w.shutdown().await;
}

#[tokio::test]
async fn update_session_accepts_a_fresh_token() {
    let w = RtmWorld::new().await;
    w.client.update_session(w.agent.bearer()).await.unwrap();
    w.client.list_chats().await.unwrap();
    w.shutdown().await;
}

#[tokio::test]
async fn call_raw_is_the_raw_escape_hatch() {
    let (w, chat) = RtmWorld::with_chat().await;
    status::call_raw_is_the_raw_escape_hatch(&w, &chat).await;
    w.shutdown().await;
}

// ---- pushes -----------------------------------------------------------------------

#[tokio::test]
async fn on_calls_the_handler_for_its_push() {
    let w = RtmWorld::new().await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let _subscription = w.client.on::<IncomingChat>(move |push| {
        let _ = tx.send(push.chat.id.clone());
    });
    let chat = w.customer_chat().await;
    let got = tokio::time::timeout(WAIT, rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got, chat.chat_id);
    w.shutdown().await;
}

#[tokio::test]
async fn on_ignores_other_pushes() {
    let w = RtmWorld::new().await;
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let _subscription = w.client.on::<IncomingMulticast>(move |_| {
        counter.fetch_add(1, Ordering::SeqCst);
    });
    let _chat = w.customer_chat().await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(calls.load(Ordering::SeqCst), 0);
    w.shutdown().await;
}

#[tokio::test]
async fn turning_the_subscription_off_stops_calls() {
    let w = RtmWorld::new().await;
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let dropped = w.client.on::<IncomingChat>(move |_| {
        counter.fetch_add(1, Ordering::SeqCst);
    });
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let _kept = w.client.on::<IncomingChat>(move |_| {
        let _ = tx.send(());
    });
    assert!(!dropped.is_finished());
    dropped.off();
    let _chat = w.customer_chat().await;
    tokio::time::timeout(WAIT, rx.recv())
        .await
        .unwrap()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(calls.load(Ordering::SeqCst), 0);
    w.shutdown().await;
}

#[tokio::test]
async fn once_calls_the_handler_for_the_next_push_only() {
    let (w, chat) = RtmWorld::with_chat().await;
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let once = w.client.once::<IncomingEvent>(move |_| {
        counter.fetch_add(1, Ordering::SeqCst);
    });
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let _every = w.client.on::<IncomingEvent>(move |push| {
        let _ = tx.send(push.event.text().unwrap_or_default().to_owned());
    });
    for text in ["first", "second"] {
        let send = SendEvent::new(chat.chat_id.clone(), Event::message(text));
        chat.customer.call(&send).await.unwrap();
    }
    for text in ["first", "second"] {
        let got = tokio::time::timeout(WAIT, rx.recv()).await.unwrap();
        assert_eq!(got.as_deref(), Some(text));
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert!(once.is_finished());
    w.shutdown().await;
}
