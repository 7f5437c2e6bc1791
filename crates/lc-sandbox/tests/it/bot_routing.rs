//! Routing of new customer chats to bots (Configuration API bots): accepting bots of the
//! chat's group get chats by priority (`first` before human agents, `last` after,
//! `supervisor` never), up to their `max_chats_count`; offline bots get none.

use crate::common;

use common::World;
use common::config::{bot_token, call, create_bot, oauth_bearer};
use common::web::{Web, agent_bearer};
use lc_sandbox::{NewCustomer, Sandbox};
use serde_json::{Value, json};

/// A world that lets customers have several chats, its Web client and an OAuth bearer.
async fn world() -> (World, Web, String) {
    let world = World::with(Sandbox::builder().multiple_chats_per_customer(true)).await;
    let web = Web::new(&world.sandbox);
    let (auth, _) = oauth_bearer(&world.sandbox, &world.agent);
    (world, web, auth)
}

/// Sets the bot's routing status with an agent token.
async fn set_status(web: &Web, world: &World, bot: &str, status: &str) {
    web.agent(
        "3.6",
        "set_routing_status",
        &agent_bearer(&world.agent),
        json!({"status": status, "agent_id": bot}),
    )
    .await
    .ok();
}

/// A new customer (of `group`, if any) starts a chat; the ids of the agents in it.
async fn new_chat_agents(web: &Web, world: &World, group: Option<u32>) -> Vec<String> {
    let mut spec = NewCustomer::new().name("C");
    if let Some(group) = group {
        spec = spec.group(group);
    }
    let customer = world.sandbox.create_customer(spec);
    let auth = customer.bearer().expose().to_owned();
    let started = web
        .customer(
            "3.6",
            "start_chat",
            &auth,
            json!({"chat": {"thread": {"events": [{"type": "message", "text": "hi"}]}}}),
        )
        .await
        .ok();
    let chat = web
        .customer(
            "3.6",
            "get_chat",
            &auth,
            json!({"chat_id": started["chat_id"]}),
        )
        .await
        .ok();
    agents_of(&chat)
}

fn agents_of(chat: &Value) -> Vec<String> {
    chat["users"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["type"] == "agent")
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn an_accepting_first_priority_bot_gets_new_chats_before_agents() {
    let (world, web, auth) = world().await;
    let _agent = world.agent_rtm("3.6").await;
    let (bot, _) = create_bot(&web, &auth, json!({"name": "B"})).await;

    let while_offline = new_chat_agents(&web, &world, None).await;
    set_status(&web, &world, &bot, "accepting_chats").await;
    let while_accepting = new_chat_agents(&web, &world, None).await;

    assert_eq!(while_offline, ["smith@example.com"]);
    assert_eq!(while_accepting, [bot.as_str()]);
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn a_bot_gets_at_most_max_chats_count_chats() {
    let (world, web, auth) = world().await;
    let _agent = world.agent_rtm("3.6").await;
    let (bot, _) = create_bot(&web, &auth, json!({"name": "B", "max_chats_count": 2})).await;
    set_status(&web, &world, &bot, "accepting_chats").await;

    let first = new_chat_agents(&web, &world, None).await;
    let second = new_chat_agents(&web, &world, None).await;
    let third = new_chat_agents(&web, &world, None).await;

    assert_eq!(first, [bot.as_str()]);
    assert_eq!(second, [bot.as_str()]);
    assert_eq!(third, ["smith@example.com"]);
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn bots_of_a_group_get_its_chats_by_priority() {
    let (world, web, auth) = world().await;
    world.sandbox.create_group(1, "Sales");
    let _agent = world.agent_rtm("3.6").await;
    let (last, _) = create_bot(
        &web,
        &auth,
        json!({"name": "Last", "groups": [{"id": 1, "priority": "last"}, {"id": 0, "priority": "last"}]}),
    )
    .await;
    let (supervisor, _) = create_bot(
        &web,
        &auth,
        json!({"name": "Sup", "default_group_priority": "supervisor"}),
    )
    .await;
    set_status(&web, &world, &last, "accepting_chats").await;
    set_status(&web, &world, &supervisor, "accepting_chats").await;

    // Group 0: the human agent (normal) comes before the `last` bot; the supervisor
    // never gets chats.
    let general = new_chat_agents(&web, &world, None).await;
    assert_eq!(general, ["smith@example.com"]);
    // Group 1: no human agent there, the `last` bot gets it.
    let sales = new_chat_agents(&web, &world, Some(1)).await;
    assert_eq!(sales, [last.as_str()]);
    set_status(&web, &world, &last, "not_accepting_chats").await;
    let nobody = new_chat_agents(&web, &world, Some(1)).await;
    assert!(nobody.is_empty(), "{nobody:?}");
    let bot_groups = call(&web, "3.6", "get_bot", &auth, json!({"id": supervisor}))
        .await
        .ok();
    assert_eq!(bot_groups["default_group_priority"], "supervisor");
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn a_deleted_bot_leaves_its_chats() {
    let (world, web, auth) = world().await;
    let (bot, _) = create_bot(&web, &auth, json!({"name": "B"})).await;
    set_status(&web, &world, &bot, "accepting_chats").await;
    let customer = world.sandbox.create_customer(NewCustomer::new());
    let customer_auth = customer.bearer().expose().to_owned();
    let started = web
        .customer(
            "3.6",
            "start_chat",
            &customer_auth,
            json!({"chat": {"thread": {"events": [{"type": "message", "text": "hi"}]}}}),
        )
        .await
        .ok();
    let mut customer_rtm = common::Rtm::customer(&world.sandbox, "3.6").await;
    customer_rtm
        .ok(
            "login",
            json!({"token": format!("Bearer {}", customer.token.expose())}),
        )
        .await;

    call(&web, "3.6", "delete_bot", &auth, json!({"id": bot}))
        .await
        .ok();

    let removed = customer_rtm.push("user_removed_from_chat").await;
    assert_eq!(removed["payload"]["user_id"], bot.as_str());
    let chat = web
        .customer(
            "3.6",
            "get_chat",
            &customer_auth,
            json!({"chat_id": started["chat_id"]}),
        )
        .await
        .ok();
    assert!(agents_of(&chat).is_empty(), "{chat}");
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn a_waiting_chat_goes_to_a_bot_once_one_of_its_chats_ends() {
    let (world, web, _) = world().await;
    let (auth, client_id) = oauth_bearer(&world.sandbox, &world.agent);
    let (bot, secret) = create_bot(&web, &auth, json!({"name": "B", "max_chats_count": 1})).await;
    let bot_auth = format!(
        "Bearer {}",
        bot_token(&web, &world.sandbox, &bot, &client_id, &secret).await
    );
    set_status(&web, &world, &bot, "accepting_chats").await;
    let first = new_chat_agents(&web, &world, None).await;
    let customer = world.sandbox.create_customer(NewCustomer::new());
    let customer_auth = customer.bearer().expose().to_owned();
    let waiting = web
        .customer(
            "3.6",
            "start_chat",
            &customer_auth,
            json!({"chat": {"thread": {"events": [{"type": "message", "text": "hi"}]}}}),
        )
        .await
        .ok();
    let get_waiting = || {
        web.customer(
            "3.6",
            "get_chat",
            &customer_auth,
            json!({"chat_id": waiting["chat_id"]}),
        )
    };
    assert_eq!(first, [bot.as_str()]);
    assert!(agents_of(&get_waiting().await.ok()).is_empty());
    let chats = web
        .agent("3.6", "list_chats", &bot_auth, json!({}))
        .await
        .ok();
    let bot_chat = chats["chats_summary"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["users"].to_string().contains(&bot))
        .map(|c| c["id"].clone())
        .unwrap_or_else(|| panic!("no chat of the bot: {chats}"));

    web.agent("3.6", "deactivate_chat", &bot_auth, json!({"id": bot_chat}))
        .await
        .ok();

    assert_eq!(agents_of(&get_waiting().await.ok()), [bot.as_str()]);
    world.sandbox.shutdown().await;
}
