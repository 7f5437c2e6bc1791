//! Webhook registrations and the state of license webhooks.

use crate::common::{CLIENT_ID, World, error_type};
use lc_protocol::ErrorType;
use lc_protocol::configuration::{
    WebhookAdditionalData, WebhookChatPresence, WebhookFilters, WebhookType,
};
use lc_protocol::types::UserType;

#[tokio::test]
async fn webhooks_are_registered_listed_and_unregistered() {
    let world = World::new().await;
    let config = &world.config;
    let filters = WebhookFilters {
        author_type: Some(UserType::Customer),
        ..WebhookFilters::default()
    };
    let registered = config
        .register_webhook(
            "incoming_event",
            "s3cr3t",
            "http://127.0.0.1:9/webhooks",
            CLIENT_ID,
            WebhookType::Bot,
        )
        .description("customer messages")
        .filters(filters)
        .additional_data(vec![WebhookAdditionalData::ChatProperties])
        .await
        .unwrap();
    assert!(!registered.id.is_empty());

    let listed = config.list_webhooks(CLIENT_ID).await.unwrap();
    assert_eq!(listed.len(), 1);
    let webhook = &listed[0];
    assert_eq!(webhook.id, registered.id);
    assert_eq!(webhook.action, "incoming_event");
    assert_eq!(webhook.url, "http://127.0.0.1:9/webhooks");
    assert_eq!(webhook.kind, Some(WebhookType::Bot));
    assert_eq!(
        webhook.filters.as_ref().and_then(|f| f.author_type.clone()),
        Some(UserType::Customer)
    );
    assert!(
        !webhook.extra.contains_key("secret_key"),
        "list_webhooks never shows the secret"
    );
    assert!(
        config
            .list_webhooks("another-client")
            .await
            .unwrap()
            .is_empty()
    );

    config
        .unregister_webhook(registered.id.clone(), CLIENT_ID)
        .await
        .unwrap();
    assert!(config.list_webhooks(CLIENT_ID).await.unwrap().is_empty());
    let again = config.unregister_webhook(registered.id, CLIENT_ID).await;
    assert_eq!(error_type(again), ErrorType::NotFound);
}

#[tokio::test]
async fn at_most_three_webhooks_per_action_and_application() {
    let world = World::new().await;
    let register = |client: &'static str| {
        world.config.register_webhook(
            "incoming_chat",
            "s3cr3t",
            "http://127.0.0.1:9/webhooks",
            client,
            WebhookType::License,
        )
    };
    for _ in 0..3 {
        register(CLIENT_ID).await.unwrap();
    }
    assert_eq!(
        error_type(register(CLIENT_ID).await),
        ErrorType::LimitReached
    );
    register("another-client").await.unwrap();
}

#[tokio::test]
async fn registrations_that_cannot_work_are_refused() {
    let world = World::new().await;
    let config = &world.config;
    let register = |action: &'static str| {
        config.register_webhook(
            action,
            "s3cr3t",
            "http://127.0.0.1:9/webhooks",
            CLIENT_ID,
            WebhookType::Bot,
        )
    };
    assert_eq!(
        error_type(register("no_such_action").await),
        ErrorType::Validation
    );
    let author_type_on_a_chat = register("incoming_chat").filters(WebhookFilters {
        author_type: Some(UserType::Agent),
        ..WebhookFilters::default()
    });
    assert_eq!(
        error_type(author_type_on_a_chat.await),
        ErrorType::Validation
    );
    let both_lists = register("incoming_event").filters(WebhookFilters {
        chat_presence: Some(WebhookChatPresence {
            user_ids: Some(lc_protocol::configuration::WebhookUserIds {
                values: Some(vec!["a".into()]),
                exclude_values: Some(vec!["b".into()]),
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..WebhookFilters::default()
    });
    assert_eq!(error_type(both_lists.await), ErrorType::Validation);
    let long_url = config.register_webhook(
        "incoming_event",
        "s3cr3t",
        format!("http://127.0.0.1:9/{}", "x".repeat(500)),
        CLIENT_ID,
        WebhookType::Bot,
    );
    assert_eq!(error_type(long_url.await), ErrorType::Validation);
}

#[tokio::test]
async fn webhook_names_follow_the_api_version() {
    let world = World::new().await;
    let names = world.config.list_webhook_names().await.unwrap();
    let actions: Vec<&str> = names.iter().map(|n| n.action.as_str()).collect();
    assert!(actions.contains(&"incoming_chat"));
    assert!(actions.contains(&"event_deleted"));
    assert!(!actions.contains(&"incoming_customer"));
    assert_eq!(names.len(), 38);
    let incoming_event = names.iter().find(|n| n.action == "incoming_event").unwrap();
    assert!(
        incoming_event
            .filters
            .as_ref()
            .unwrap()
            .iter()
            .any(|f| f == "author_type")
    );

    let older = world
        .config
        .list_webhook_names()
        .version("3.5")
        .await
        .unwrap();
    let actions: Vec<&str> = older.iter().map(|n| n.action.as_str()).collect();
    assert!(actions.contains(&"incoming_customer"));
    assert!(!actions.contains(&"event_deleted"));
    assert!(!actions.contains(&"thread_summary_set"));
}

#[tokio::test]
async fn license_webhooks_are_turned_off_and_on() {
    let world = World::new().await;
    let config = &world.config;
    let state = |c: &'static str| config.get_license_webhooks_state().owner_client_id(c);
    assert!(state(CLIENT_ID).await.unwrap().license_webhooks_enabled);
    config
        .disable_license_webhooks()
        .owner_client_id(CLIENT_ID)
        .await
        .unwrap();
    assert!(!state(CLIENT_ID).await.unwrap().license_webhooks_enabled);
    assert!(
        state("another-client")
            .await
            .unwrap()
            .license_webhooks_enabled
    );
    config
        .enable_license_webhooks()
        .owner_client_id(CLIENT_ID)
        .await
        .unwrap();
    assert!(state(CLIENT_ID).await.unwrap().license_webhooks_enabled);
}
