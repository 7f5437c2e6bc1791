//! Pushes the real service sends on its own: a revoked token's disconnect, group
//! statuses following the agents' routing statuses, a customer leaving, the system
//! messages of users added to and removed from a chat.

use crate::common;

use common::{Rtm, World};
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn a_revoked_token_closes_its_connections_with_access_token_revoked() {
    let world = World::new().await;
    let mut agent = world.agent_rtm("3.6").await;
    let mut customer = world.customer_rtm("3.6").await;
    // Another token of the same agent: its connection stays.
    let other = world.sandbox.mint_token_for_agent(&world.agent.id).unwrap();
    let mut kept = Rtm::agent(&world.sandbox, "3.6").await;
    kept.ok("login", json!({"token": format!("Bearer {}", other.expose())}))
        .await;

    world.sandbox.revoke_token(&world.agent.token);
    let frames = agent.closed().await;
    let last = frames.last().expect("a disconnect push");
    assert_eq!(last["action"], "agent_disconnected");
    assert_eq!(last["payload"]["reason"], "access_token_revoked");
    kept.ok("list_chats", json!({})).await;

    world.sandbox.revoke_token(&world.customer.bearer());
    let frames = customer.closed().await;
    let last = frames.last().expect("a disconnect push");
    assert_eq!(last["action"], "customer_disconnected");
    assert_eq!(last["payload"]["reason"], "access_token_revoked");

    // The revoked token no longer logs in.
    let mut again = Rtm::agent(&world.sandbox, "3.6").await;
    let error = again
        .fails("login", json!({"token": world.agent.bearer().expose()}))
        .await;
    assert_eq!(error, "authentication");
    world.sandbox.shutdown().await;
}
