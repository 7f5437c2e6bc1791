//! Status scenarios (routing status, multicast, logout) and the raw `send`.

use super::{CustomerChat, OtherAgent, RtmAgent, World, next_event, next_push};
use lc_protocol::Transport;
use lc_protocol::agent::{AgentPush, MulticastAgents, MulticastRecipients};
use lc_protocol::types::RoutingStatus;
use lc_rtm::RtmEvent;
use serde_json::json;

/// `set_routing_status` shows in `list_routing_statuses`.
pub(crate) async fn set_routing_status_shows_in_list_routing_statuses<T: Transport>(w: &World<T>) {
    w.client
        .set_routing_status(RoutingStatus::NotAcceptingChats)
        .await
        .unwrap();
    assert_eq!(
        w.my_routing_status().await,
        RoutingStatus::NotAcceptingChats
    );
}

/// `multicast` to the other agent by id reaches its RTM connection.
pub(crate) async fn multicast_reaches_another_agent<T: Transport>(
    w: &World<T>,
    other: &OtherAgent<T>,
) {
    let recipients = MulticastRecipients {
        agents: Some(MulticastAgents {
            ids: Some(vec![other.handle.id.clone()]),
            ..MulticastAgents::default()
        }),
        ..MulticastRecipients::default()
    };
    multicast_reaches(w, recipients, &other.rtm).await;
}

/// `multicast` to all agents reaches the agent's own RTM connection.
pub(crate) async fn multicast_to_all_agents_reaches_the_agent<T: Transport>(w: &World<T>) {
    let recipients = MulticastRecipients {
        agents: Some(MulticastAgents {
            all: Some(true),
            ..MulticastAgents::default()
        }),
        ..MulticastRecipients::default()
    };
    multicast_reaches(w, recipients, &w.rtm).await;
}

/// `multicast` to `recipients` arrives at `listener` with its content.
async fn multicast_reaches<T: Transport>(
    w: &World<T>,
    recipients: MulticastRecipients,
    listener: &RtmAgent,
) {
    let mut pushes = listener.events();
    w.client
        .multicast(recipients, json!({"hello": "team"}))
        .await
        .unwrap();
    next_push(
        &mut pushes,
        "incoming_multicast",
        |p| matches!(p, AgentPush::IncomingMulticast(m) if m.content == json!({"hello": "team"})),
    )
    .await;
}

/// `logout` ends the agent's RTM connection.
pub(crate) async fn logout_ends_the_rtm_connection<T: Transport>(w: &World<T>) {
    let mut events = w.rtm.events();
    w.client.logout().await.unwrap();
    next_event(&mut events, "disconnected", |e| {
        matches!(e, RtmEvent::Disconnected { .. } | RtmEvent::Stopped { .. })
    })
    .await;
}

/// `call_raw` sends any action by name: `list_routing_statuses` and `get_chat` answer as
/// JSON; an unknown action is an API error.
pub(crate) async fn call_raw_is_the_raw_escape_hatch<T: Transport>(
    w: &World<T>,
    chat: &CustomerChat,
) {
    let statuses = w
        .client
        .call_raw("list_routing_statuses", json!({}))
        .await
        .unwrap();
    let listed = statuses.as_array().unwrap();
    assert!(listed.iter().any(|s| s["agent_id"] == json!(w.agent.id)));
    let got = w
        .client
        .call_raw("get_chat", json!({"chat_id": chat.chat_id}))
        .await
        .unwrap();
    assert_eq!(got["id"], chat.chat_id.as_str());
    let err = w
        .client
        .call_raw("no_such_action", json!({}))
        .await
        .unwrap_err();
    assert!(err.api_error().is_some(), "{err:?}");
}
