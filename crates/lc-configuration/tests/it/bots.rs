//! Bots: create, read, update, delete, secrets and tokens.

use crate::common::{CLIENT_ID, World, client, error_type};
use lc_agent::AgentClient;
use lc_protocol::ErrorType;
use lc_protocol::configuration::BotField;
use lc_protocol::types::{ConfigGroupMembership, ConfigGroupPriority, RoutingStatus};
use lc_web::AgentSession;
use lc_web::WebConfig;

#[tokio::test]
async fn a_bot_is_created_read_updated_and_deleted() {
    let world = World::new().await;
    let config = &world.config;
    let created = config
        .create_bot("Echo")
        .owner_client_id(CLIENT_ID)
        .max_chats_count(3)
        .job_title("Support bot")
        .groups(vec![ConfigGroupMembership::new(
            0,
            ConfigGroupPriority::First,
        )])
        .await
        .unwrap();
    assert_eq!(created.id.as_str().len(), 32);
    assert_eq!(created.secret.expose().len(), 32);

    let bot = config.get_bot(created.id.clone()).await.unwrap();
    assert_eq!(bot.id, created.id);
    assert_eq!(bot.name.as_deref(), Some("Echo"));
    assert_eq!(bot.max_chats_count, Some(3));
    assert_eq!(bot.owner_client_id.as_deref(), Some(CLIENT_ID));
    let groups = bot.groups.unwrap();
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].priority, ConfigGroupPriority::First);

    config
        .update_bot(created.id.clone())
        .name("Echo 2")
        .max_chats_count(5)
        .await
        .unwrap();
    let bots = config
        .list_bots()
        .all(true)
        .fields(vec![BotField::MaxChatsCount])
        .await
        .unwrap();
    let listed = bots.iter().find(|b| b.id == created.id).unwrap();
    assert_eq!(listed.name.as_deref(), Some("Echo 2"));
    assert_eq!(listed.max_chats_count, Some(5));

    config.delete_bot(created.id.clone()).await.unwrap();
    let gone = config.get_bot(created.id.clone()).await;
    assert_eq!(error_type(gone), ErrorType::NotFound);
    let bots = config.list_bots().all(true).await.unwrap();
    assert!(bots.iter().all(|b| b.id != created.id));
}

#[tokio::test]
async fn bad_bot_settings_are_refused() {
    let world = World::new().await;
    let too_many = world
        .config
        .create_bot("Greedy")
        .owner_client_id(CLIENT_ID)
        .max_chats_count(501)
        .await;
    assert_eq!(error_type(too_many), ErrorType::Validation);
    let no_group = world
        .config
        .create_bot("Lost")
        .owner_client_id(CLIENT_ID)
        .groups(vec![ConfigGroupMembership::new(
            77,
            ConfigGroupPriority::Normal,
        )])
        .await;
    assert_eq!(error_type(no_group), ErrorType::GroupNotFound);
    let unknown = world
        .config
        .update_bot("0123456789abcdef0123456789abcdef")
        .name("x")
        .await;
    assert_eq!(error_type(unknown), ErrorType::NotFound);
}

#[tokio::test]
async fn a_personal_access_token_must_name_the_owner_application() {
    let world = World::new().await;
    let pat = world.with_pat();
    let missing = pat.create_bot("Echo").await;
    assert_eq!(error_type(missing), ErrorType::Validation);
    let created = pat
        .create_bot("Echo")
        .owner_client_id(CLIENT_ID)
        .await
        .unwrap();
    let bot = pat.get_bot(created.id).await.unwrap();
    assert_eq!(bot.owner_client_id.as_deref(), Some(CLIENT_ID));
}

#[tokio::test]
async fn a_bot_token_acts_as_the_bot_on_the_agent_web_api() {
    let world = World::new().await;
    let config = &world.config;
    let bot = config
        .create_bot("Echo")
        .owner_client_id(CLIENT_ID)
        .await
        .unwrap();
    let organization = world.sandbox.organization_id();
    let token = config
        .issue_bot_token(
            bot.id.clone(),
            CLIENT_ID,
            bot.secret.clone(),
            organization.as_str(),
        )
        .await
        .unwrap()
        .token;
    assert!(
        !token.expose().contains(':'),
        "a bot token is a JWT, without a region prefix"
    );
    assert_eq!(token.expose().split('.').count(), 3);

    let as_bot = AgentClient::connect_web(
        AgentSession::agent().base_url(world.sandbox.http_url()),
        token.clone(),
        WebConfig::default(),
    );
    as_bot
        .set_routing_status(RoutingStatus::AcceptingChats)
        .await
        .unwrap();
    let statuses = as_bot.list_routing_statuses().await.unwrap();
    let entry = statuses.iter().find(|s| s.agent_id == bot.id).unwrap();
    assert_eq!(entry.status, RoutingStatus::AcceptingChats);

    // A wrong secret gets no token.
    let wrong = config
        .issue_bot_token(
            bot.id.clone(),
            CLIENT_ID,
            "not-the-secret",
            organization.as_str(),
        )
        .await;
    assert_eq!(error_type(wrong), ErrorType::Authentication);
    let other_app = config
        .issue_bot_token(
            bot.id.clone(),
            "another-client",
            bot.secret.clone(),
            organization.as_str(),
        )
        .await;
    assert_eq!(error_type(other_app), ErrorType::Authentication);

    // A new secret: the old one no longer issues tokens, issued tokens keep working.
    let reset = config
        .reset_bot_secret(bot.id.clone())
        .owner_client_id(CLIENT_ID)
        .await
        .unwrap();
    assert_ne!(reset.secret.expose(), bot.secret.expose());
    let old = config
        .issue_bot_token(
            bot.id.clone(),
            CLIENT_ID,
            bot.secret.clone(),
            organization.as_str(),
        )
        .await;
    assert_eq!(error_type(old), ErrorType::Authentication);
    config
        .issue_bot_token(
            bot.id.clone(),
            CLIENT_ID,
            reset.secret,
            organization.as_str(),
        )
        .await
        .unwrap();
    as_bot.list_routing_statuses().await.unwrap();

    // A deleted bot's token stops working.
    config.delete_bot(bot.id.clone()).await.unwrap();
    let refused = as_bot.list_routing_statuses().await;
    assert_eq!(error_type(refused), ErrorType::Authentication);
}

#[tokio::test]
async fn a_bot_token_cannot_manage_other_bots_nor_read_agents() {
    let world = World::new().await;
    let bot = world
        .config
        .create_bot("Echo")
        .owner_client_id(CLIENT_ID)
        .await
        .unwrap();
    let token = world
        .config
        .issue_bot_token(
            bot.id.clone(),
            CLIENT_ID,
            bot.secret,
            world.sandbox.organization_id().as_str(),
        )
        .await
        .unwrap()
        .token;
    let as_bot = client(&world.sandbox, token);
    let agents = as_bot.list_agents().await;
    assert_eq!(error_type(agents), ErrorType::Authorization);
}
