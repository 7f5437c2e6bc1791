//! Customer scenarios: each sends customer methods with the client under test and
//! asserts the effect on the profile, the agent's RTM pushes or the customer.

use super::{CustomerChat, World, next_disconnection, next_push};
use lc_agent::AgentClient;
use lc_protocol::agent::AgentPush;
use lc_protocol::{Error, PushSet, Transport};

/// `get_customer` returns Jane's profile.
pub(crate) async fn get_customer_returns_the_profile<T: Transport>(w: &World<T>) {
    let customer = w.client.get_customer(w.customer.id.clone()).await.unwrap();
    assert_eq!(customer.name.as_deref(), Some("Jane"));
}

/// `update_customer` renames Jane, as the agent reads over RTM.
pub(crate) async fn update_customer_changes_the_profile<T: Transport>(w: &World<T>) {
    w.client
        .update_customer(w.customer.id.clone())
        .name("Jane Doe")
        .await
        .unwrap();
    let customer = w.rtm.get_customer(w.customer.id.clone()).await.unwrap();
    assert_eq!(customer.name.as_deref(), Some("Jane Doe"));
}

/// `create_customer` (3.5) creates a customer that `list_customers` lists by name.
pub(crate) async fn create_customer_and_list_customers<T: Transport>(w: &World<T>) {
    let created = w.client.create_customer().name("Walk-in").await.unwrap();
    let listed = w.client.list_customers().await.unwrap();
    let found = listed
        .customers
        .iter()
        .find(|c| c.id == created.customer_id);
    assert_eq!(found.unwrap().name.as_deref(), Some("Walk-in"));
}

/// `list_customers`, gone in 3.6, is refused by a 3.6 `client` before sending.
pub(crate) async fn list_customers_is_refused_on_3_6<T: Transport>(client: &AgentClient<T>) {
    let err = client.list_customers().await.unwrap_err();
    assert!(matches!(err, Error::Unsupported { .. }), "{err:?}");
}

/// `ban_customer` disconnects the customer of `chat` for being blocked.
pub(crate) async fn ban_customer_disconnects_the_customer<T: Transport>(
    w: &World<T>,
    chat: &CustomerChat,
) {
    let mut events = chat.pushes();
    w.client
        .ban_customer(w.customer.id.clone(), 1)
        .await
        .unwrap();
    let reason = next_disconnection(&mut events).await;
    assert_eq!(reason, "customer_temporarily_blocked");
}

/// `follow_customer` (3.3) sends `incoming_customer` to the agent's RTM connection.
pub(crate) async fn follow_customer_pushes_incoming_customer<T: Transport>(w: &World<T>) {
    let mut pushes = w.rtm.events();
    w.client
        .follow_customer(w.customer.id.clone())
        .await
        .unwrap();
    next_push(&mut pushes, "incoming_customer", |p| {
        p.name() == "incoming_customer"
    })
    .await;
}

/// `unfollow_customer` (3.3) after `follow_customer` sends `customer_unfollowed` to
/// the agent's RTM connection.
pub(crate) async fn unfollow_customer_pushes_customer_unfollowed<T: Transport>(w: &World<T>) {
    let mut pushes = w.rtm.events();
    w.client
        .follow_customer(w.customer.id.clone())
        .await
        .unwrap();
    w.client
        .unfollow_customer(w.customer.id.clone())
        .await
        .unwrap();
    next_push(&mut pushes, "customer_unfollowed", |p| {
        matches!(p, AgentPush::CustomerUnfollowed(_))
    })
    .await;
}

/// `follow_customer` (3.3) of an unknown customer is an API error.
pub(crate) async fn follow_customer_of_an_unknown_customer_fails<T: Transport>(w: &World<T>) {
    let err = w
        .client
        .follow_customer("no-such-customer")
        .await
        .unwrap_err();
    assert!(err.api_error().is_some(), "{err:?}");
}
