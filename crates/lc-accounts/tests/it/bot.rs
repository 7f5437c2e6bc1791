//! `BotTokens` against the sandbox's Configuration API (`issue_bot_token`).

use crate::common::World;
use lc_accounts::{BotTokens, TokenProvider, needs_reauthorization};
use lc_configuration::ConfigurationClient;
use lc_protocol::id::Token;
use lc_protocol::session::ConfigurationSession;
use lc_sandbox::Sandbox;
use lc_web::WebConfig;
use std::time::Duration;

/// The application that owns the bot.
const CLIENT_ID: &str = "bot-tokens-test-app";

#[tokio::test]
async fn bot_tokens_are_issued_again_ahead_of_expiry() {
    let world = World::with(Sandbox::builder().bot_token_lifetime(Duration::from_secs(2))).await;
    let session = ConfigurationSession::configuration().base_url(world.sandbox.http_url());
    let config =
        ConfigurationClient::connect_web(session, world.agent.token.clone(), WebConfig::default());
    let bot = config
        .create_bot("Echo")
        .owner_client_id(CLIENT_ID)
        .await
        .unwrap();
    let organization = world.sandbox.organization_id();
    let tokens = BotTokens::builder(
        bot.id.as_str(),
        bot.secret.clone(),
        CLIENT_ID,
        &organization,
    )
    .api_url(world.sandbox.http_url())
    .lifetime(Duration::from_secs(2))
    .refresh_margin(Duration::from_secs(1))
    .build();

    // One token for every handle while it is fresh; it works on the Agent Chat API.
    let first = tokens.token().await.unwrap();
    assert_eq!(tokens.clone().token().await.unwrap(), first);
    assert!(world.agent_token_works(first.clone()).await);

    // Within the margin of its expiry, another one, which outlives the first.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let second = tokens.token().await.unwrap();
    assert_ne!(second, first);
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert!(!world.agent_token_works(first).await, "the first expired");

    // A refused token is issued again at once.
    tokens.invalidate(&second).await;
    let third = tokens.token().await.unwrap();
    assert_ne!(third, second);
    assert!(world.agent_token_works(third).await);
    assert!(!format!("{tokens:?}").contains(bot.secret.expose()));

    let wrong = BotTokens::builder(
        bot.id.as_str(),
        Token::new("nope"),
        CLIENT_ID,
        &organization,
    )
    .api_url(world.sandbox.http_url())
    .build();
    let error = wrong.token().await.unwrap_err();
    assert!(needs_reauthorization(&error), "{error}");
}
