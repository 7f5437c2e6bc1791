//! A network failure, end to end: the sandbox drops every realtime socket, the clients
//! reconnect by themselves (the token travels in the upgrade headers again), requests
//! work, and the chat's event stream goes on with what comes after.

#![allow(clippy::unwrap_used)]

use crate::common;

use common::{Assigned, id_of, next_event, next_where, within};
use lc_inbenta::{ChatEvent, EventStream, InbentaEvent, Method, UserClient};
use lc_rtm::RtmEvent;
use serde_json::json;

/// Waits for `events` to report the connection lost, then back.
async fn lost_and_back(events: &mut EventStream<InbentaEvent>, who: &str) {
    next_where(events, &format!("{who}'s disconnection"), |e| {
        matches!(e, RtmEvent::Disconnected { .. }).then_some(())
    })
    .await;
    next_where(events, &format!("{who}'s reconnection"), |e| match e {
        RtmEvent::Connected => Some(()),
        RtmEvent::Stopped { reason } => panic!("{who} stopped: {reason}"),
        _ => None,
    })
    .await;
}

/// A request that proves the server serves `client`'s new socket.
async fn served(client: &UserClient) -> Vec<String> {
    let chats = within("users:chats", client.user_chats()).await.unwrap();
    chats.into_keys().collect()
}

#[tokio::test]
async fn after_a_dropped_connection_the_client_reconnects_and_the_chat_goes_on() {
    let a = Assigned::new("app-reconnect").await;
    let mut bob_connection = a.bob.events();
    let mut ann_connection = a.ann.events();
    let mut bob_events = a.chat.events();

    a.world.sandbox.drop_connections();
    lost_and_back(&mut bob_connection, "Bob").await;
    lost_and_back(&mut ann_connection, "Ann").await;

    // Requests made after the drop succeed, over realtime and REST.
    assert_eq!(served(&a.bob).await, [a.chat.id().to_owned()]);
    assert_eq!(served(&a.ann).await, [a.chat.id().to_owned()]);
    let path = format!("chats/{}", a.chat.id());
    let rest = within(
        "GET chats/{id}",
        a.bob.api_request(Method::GET, &path, None),
    )
    .await;
    assert_eq!(rest.unwrap()["chat"]["id"], a.chat.id());

    // What the agent sends now reaches the user's chat stream.
    let sent = within(
        "Ann's send",
        a.ann_chat.send_message("Still here after the drop"),
    )
    .await
    .unwrap();
    let got = next_event(&mut bob_events, "the message after the drop", |e| match e {
        ChatEvent::MessageReceived(m) if m.message.id == sent.message.id => Some(m),
        _ => None,
    })
    .await;
    assert_eq!(
        got.message.message,
        Some(json!("Still here after the drop"))
    );
    assert_eq!(got.message.sender, Some(json!(id_of(&a.ann))));
    a.world.shutdown().await;
}
