//! Members coming and going, end to end against lc-sandbox: an agent leaves with
//! `Chat::leave` (`ChatEvent::UserLeft` on the user's side) and a supervisor intervenes
//! (`ChatEvent::ChatIntervened` on both sides).

#![allow(clippy::unwrap_used)]

use crate::common;

use common::{Assigned, id_of, next_event};
use lc_inbenta::{Chat, ChatEvent, ChatOptions};
use lc_sandbox::NewInbentaAgent;
use serde_json::json;

/// The sorted ids of a chat's users, as its handle knows them.
fn user_ids(chat: &Chat) -> Vec<String> {
    let mut ids: Vec<String> = chat.users().into_iter().map(|u| u.id).collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn an_agent_who_leaves_reaches_the_users_chat_as_user_left() {
    let a = Assigned::new("app-leave").await;
    let (bob_id, ann_id) = (id_of(&a.bob), id_of(&a.ann));
    let mut bob_events = a.chat.events();
    assert!(a.chat.has_other_users());

    a.ann_chat.leave().await.unwrap();
    assert!(
        !user_ids(&a.ann_chat).contains(&ann_id),
        "Ann's handle forgets her"
    );

    let left = next_event(&mut bob_events, "user:left", |e| match e {
        ChatEvent::UserLeft(left) => Some(left),
        _ => None,
    })
    .await;
    assert_eq!(left.chat_id.as_deref(), Some(a.chat.id()));
    assert_eq!(left.user_id.as_deref(), Some(ann_id.as_str()));
    assert_eq!(left.user.and_then(|u| u.name).as_deref(), Some("Ann"));
    assert_eq!(
        user_ids(&a.chat),
        [bob_id],
        "Bob's handle follows the event"
    );
    assert!(!a.chat.has_other_users());

    // Ann is no longer a member: leaving again is refused with Inbenta's code.
    let again = a.ann_chat.leave().await.unwrap_err();
    let code = again.api_error().and_then(|e| e.data.clone());
    assert_eq!(code, Some(json!({"code": 403})), "{again:?}");
    a.world.shutdown().await;
}

#[tokio::test]
async fn a_supervisors_intervention_reaches_both_sides_as_chat_intervened() {
    let a = Assigned::new("app-intervene").await;
    let (bob_id, ann_id) = (id_of(&a.bob), id_of(&a.ann));
    let mut bob_events = a.chat.events();
    let mut ann_events = a.ann_chat.events();

    let sue = a
        .world
        .sandbox
        .intervene_inbenta_chat(
            &a.world.app.app_id,
            a.chat.id(),
            NewInbentaAgent::new("Sue"),
        )
        .expect("an open chat");

    for events in [&mut bob_events, &mut ann_events] {
        let intervened = next_event(events, "chat:intervened", |e| match e {
            ChatEvent::ChatIntervened(i) => Some(i),
            _ => None,
        })
        .await;
        assert_eq!(intervened.interventor.id, sue.id);
        assert_eq!(intervened.interventor.name.as_deref(), Some("Sue"));
        assert_eq!(intervened.chat.map(|c| c.id).as_deref(), Some(a.chat.id()));
        let replaced: Vec<String> = intervened
            .intervened_users
            .unwrap_or_default()
            .into_iter()
            .map(|u| u.id)
            .collect();
        assert_eq!(replaced, std::slice::from_ref(&ann_id));
    }
    let mut expected = vec![bob_id, sue.id.clone()];
    expected.sort();
    assert_eq!(user_ids(&a.chat), expected, "Bob's handle: Ann out, Sue in");

    // Sue logs in with the token the sandbox made and talks to Bob.
    let sue_client = a.world.client.login(&sue.id, sue.token).await.unwrap();
    let sue_chat = Chat::init(&sue_client, ChatOptions::load(a.chat.id()))
        .await
        .unwrap();
    let sent = sue_chat.send_message("A supervisor here").await.unwrap();
    let got = next_event(&mut bob_events, "Sue's message", |e| match e {
        ChatEvent::MessageReceived(m) if m.message.id == sent.message.id => Some(m),
        _ => None,
    })
    .await;
    assert_eq!(got.message.sender, Some(json!(sue.id)));
    a.world.shutdown().await;
}
