//! The Configuration API over Web: bots (create, update, delete, list, get, reset the
//! secret), the `owner_client_id` rule, credentials, availability per version, and the
//! group and agent reads.

use crate::common;

use common::World;
use common::config::{call, call_anonymous, create_bot, is_hex32, oauth_bearer};
use common::web::{Web, agent_basic, agent_bearer, customer_bearer};
use http::{Method, StatusCode};
use lc_sandbox::NewAgent;
use serde_json::json;

#[tokio::test]
async fn create_bot_with_an_oauth_token_belongs_to_the_tokens_client() {
    let world = World::new().await;
    let web = Web::new(&world.sandbox);
    let (auth, client_id) = oauth_bearer(&world.sandbox, &world.agent);
    let mut rtm = world.agent_rtm("3.6").await;

    let (id, secret) = create_bot(&web, &auth, json!({"name": "Helper"})).await;

    assert!(is_hex32(&id), "{id}");
    assert!(is_hex32(&secret), "{secret}");
    assert_ne!(id, secret);
    let bot = call(&web, "3.6", "get_bot", &auth, json!({"id": id}))
        .await
        .ok();
    assert_eq!(bot["owner_client_id"], client_id.as_str());
    assert_eq!(bot["name"], "Helper");
    assert_eq!(bot["max_chats_count"], 6);
    assert_eq!(bot["type"], "chatbot");
    let pushed = rtm.push("bot_created").await;
    assert_eq!(pushed["payload"]["id"], id.as_str());
    assert_eq!(pushed["payload"]["owner_client_id"], client_id.as_str());
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn owner_client_id_is_required_with_a_pat_and_a_token_of_no_application() {
    let world = World::new().await;
    let web = Web::new(&world.sandbox);

    let with_pat = call(
        &web,
        "3.6",
        "create_bot",
        &agent_basic(&world.agent),
        json!({"name": "B"}),
    )
    .await;
    assert_eq!(with_pat.status, StatusCode::BAD_REQUEST);
    assert_eq!(with_pat.error_type(), "validation");
    let sandbox_token = call(
        &web,
        "3.6",
        "create_bot",
        &agent_bearer(&world.agent),
        json!({"name": "B"}),
    )
    .await;
    assert_eq!(sandbox_token.error_type(), "validation");
    assert!(
        sandbox_token.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("owner_client_id")
    );

    let (id, _) = create_bot(
        &web,
        &agent_basic(&world.agent),
        json!({"name": "B", "owner_client_id": "app-1"}),
    )
    .await;
    let bot = call(
        &web,
        "3.6",
        "get_bot",
        &agent_basic(&world.agent),
        json!({"id": id}),
    )
    .await
    .ok();
    assert_eq!(bot["owner_client_id"], "app-1");
    // Bots created with a PAT are the "my" bots of PAT callers.
    let listed = call(
        &web,
        "3.6",
        "list_bots",
        &agent_basic(&world.agent),
        json!({}),
    )
    .await
    .ok();
    assert_eq!(listed[0]["id"], id.as_str(), "{listed}");
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn owner_client_id_overrides_the_tokens_client() {
    let world = World::new().await;
    let web = Web::new(&world.sandbox);
    let (auth, _) = oauth_bearer(&world.sandbox, &world.agent);

    let (id, _) = create_bot(
        &web,
        &auth,
        json!({"name": "B", "owner_client_id": "other-app"}),
    )
    .await;

    let bot = call(&web, "3.6", "get_bot", &auth, json!({"id": id}))
        .await
        .ok();
    assert_eq!(bot["owner_client_id"], "other-app");
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn create_bot_validates_its_fields() {
    let world = World::new().await;
    let web = Web::new(&world.sandbox);
    let (auth, _) = oauth_bearer(&world.sandbox, &world.agent);
    let cases = [
        (json!({}), "validation"),
        (json!({"name": ""}), "validation"),
        (json!({"name": "B", "max_chats_count": 501}), "validation"),
        (
            json!({"name": "B", "groups": [{"id": 7, "priority": "first"}]}),
            "group_not_found",
        ),
        (json!({"name": "B", "groups": [{"id": 0}]}), "validation"),
        (
            json!({"name": "B", "groups": [{"priority": "first"}]}),
            "validation",
        ),
    ];
    for (request, expected) in cases {
        let reply = call(&web, "3.6", "create_bot", &auth, request.clone()).await;
        assert_eq!(reply.error_type(), expected, "{request}");
    }
    let ok = call(
        &web,
        "3.6",
        "create_bot",
        &auth,
        json!({"name": "B", "max_chats_count": 500}),
    )
    .await;
    ok.ok();
    let typed_in_35 = call(
        &web,
        "3.5",
        "create_bot",
        &auth,
        json!({"name": "B", "type": "ai_agent"}),
    )
    .await;
    assert_eq!(typed_in_35.error_type(), "validation");
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn get_bot_spells_the_avatar_per_version() {
    let world = World::new().await;
    let web = Web::new(&world.sandbox);
    let (auth, _) = oauth_bearer(&world.sandbox, &world.agent);
    let (id, _) = create_bot(
        &web,
        &auth,
        json!({"name": "B", "avatar": "https://example.com/a.png", "type": "ai_agent",
               "groups": [{"id": 0, "priority": "last"}], "default_group_priority": "normal"}),
    )
    .await;

    let v36 = call(&web, "3.6", "get_bot", &auth, json!({"id": id}))
        .await
        .ok();
    let v35 = call(&web, "3.5", "get_bot", &auth, json!({"id": id}))
        .await
        .ok();

    assert_eq!(v36["avatar_path"], "https://example.com/a.png");
    assert!(v36.get("avatar").is_none(), "{v36}");
    assert_eq!(v36["type"], "ai_agent");
    assert_eq!(v36["default_group_priority"], "normal");
    assert_eq!(v36["groups"], json!([{"id": 0, "priority": "last"}]));
    assert_eq!(v35["avatar"], "https://example.com/a.png");
    assert!(v35.get("avatar_path").is_none(), "{v35}");
    assert!(v35.get("type").is_none(), "{v35}");
    let unknown = call(&web, "3.6", "get_bot", &auth, json!({"id": "f".repeat(32)})).await;
    assert_eq!(unknown.error_type(), "not_found");
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn list_bots_lists_the_requesters_bots_with_the_fields_asked() {
    let world = World::new().await;
    let web = Web::new(&world.sandbox);
    let (mine, _) = oauth_bearer(&world.sandbox, &world.agent);
    let (theirs, _) = oauth_bearer(&world.sandbox, &world.agent);
    let (my_bot, _) = create_bot(
        &web,
        &mine,
        json!({"name": "Mine", "max_chats_count": 3, "job_title": "Helper"}),
    )
    .await;
    let (their_bot, _) = create_bot(&web, &theirs, json!({"name": "Theirs"})).await;

    let listed = call(&web, "3.6", "list_bots", &mine, json!({})).await.ok();
    let with_fields = call(
        &web,
        "3.6",
        "list_bots",
        &mine,
        json!({"fields": ["max_chats_count", "job_title"]}),
    )
    .await
    .ok();
    let all = call(&web, "3.6", "list_bots", &mine, json!({"all": true}))
        .await
        .ok();

    let items = listed.as_array().unwrap();
    assert_eq!(items.len(), 1, "{listed}");
    assert_eq!(items[0]["id"], my_bot.as_str());
    assert_eq!(items[0]["name"], "Mine");
    assert!(items[0].get("max_chats_count").is_none(), "{listed}");
    assert!(items[0].get("owner_client_id").is_none(), "{listed}");
    assert_eq!(with_fields[0]["max_chats_count"], 3);
    assert_eq!(with_fields[0]["job_title"], "Helper");
    let ids: Vec<_> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(ids.contains(&my_bot) && ids.contains(&their_bot), "{all}");
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn update_bot_changes_the_fields_given_and_pushes_them() {
    let world = World::new().await;
    let web = Web::new(&world.sandbox);
    let (auth, _) = oauth_bearer(&world.sandbox, &world.agent);
    let (id, _) = create_bot(&web, &auth, json!({"name": "Old", "job_title": "J"})).await;
    let mut rtm = world.agent_rtm("3.6").await;

    call(
        &web,
        "3.6",
        "update_bot",
        &auth,
        json!({"id": id, "name": "New", "max_chats_count": 2}),
    )
    .await
    .ok();

    let pushed = rtm.push("bot_updated").await;
    assert_eq!(pushed["payload"]["id"], id.as_str());
    assert_eq!(pushed["payload"]["name"], "New");
    let bot = call(&web, "3.6", "get_bot", &auth, json!({"id": id}))
        .await
        .ok();
    assert_eq!(bot["name"], "New");
    assert_eq!(bot["max_chats_count"], 2);
    assert_eq!(bot["job_title"], "J");
    let too_many = call(
        &web,
        "3.6",
        "update_bot",
        &auth,
        json!({"id": id, "max_chats_count": 1000}),
    )
    .await;
    assert_eq!(too_many.error_type(), "validation");
    let unknown = call(
        &web,
        "3.6",
        "update_bot",
        &auth,
        json!({"id": "0".repeat(32), "name": "X"}),
    )
    .await;
    assert_eq!(unknown.error_type(), "not_found");
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn delete_bot_removes_it_and_pushes_bot_deleted() {
    let world = World::new().await;
    let web = Web::new(&world.sandbox);
    let (auth, _) = oauth_bearer(&world.sandbox, &world.agent);
    let (id, _) = create_bot(&web, &auth, json!({"name": "B"})).await;
    let mut rtm = world.agent_rtm("3.6").await;

    call(&web, "3.6", "delete_bot", &auth, json!({"id": id}))
        .await
        .ok();

    let pushed = rtm.push("bot_deleted").await;
    assert_eq!(pushed["payload"]["id"], id.as_str());
    let gone = call(&web, "3.6", "get_bot", &auth, json!({"id": id})).await;
    assert_eq!(gone.error_type(), "not_found");
    let statuses = rtm.ok("list_routing_statuses", json!({})).await;
    assert!(
        !statuses.to_string().contains(&id),
        "deleted bot still listed: {statuses}"
    );
    let again = call(&web, "3.6", "delete_bot", &auth, json!({"id": id})).await;
    assert_eq!(again.error_type(), "not_found");
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn reset_bot_secret_gives_a_new_secret_for_the_owner_only() {
    let world = World::new().await;
    let web = Web::new(&world.sandbox);
    let (auth, _) = oauth_bearer(&world.sandbox, &world.agent);
    let (id, secret) = create_bot(&web, &auth, json!({"name": "B"})).await;

    let reset = call(&web, "3.6", "reset_bot_secret", &auth, json!({"id": id}))
        .await
        .ok();
    let new_secret = reset["secret"].as_str().unwrap();
    assert!(is_hex32(new_secret));
    assert_ne!(new_secret, secret);
    let pat_without_owner = call(
        &web,
        "3.6",
        "reset_bot_secret",
        &agent_basic(&world.agent),
        json!({"id": id}),
    )
    .await;
    assert_eq!(pat_without_owner.error_type(), "validation");
    let wrong_owner = call(
        &web,
        "3.6",
        "reset_bot_secret",
        &agent_basic(&world.agent),
        json!({"id": id, "owner_client_id": "someone-else"}),
    )
    .await;
    assert_eq!(wrong_owner.error_type(), "not_found");
    let in_34 = call(&web, "3.4", "reset_bot_secret", &auth, json!({"id": id})).await;
    assert_eq!(in_34.error_type(), "validation");
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn credentials_actions_and_transport_are_checked() {
    let world = World::new().await;
    let web = Web::new(&world.sandbox);
    let auth = agent_bearer(&world.agent);

    let customer = call(
        &web,
        "3.6",
        "list_groups",
        &customer_bearer(&world.customer),
        json!({}),
    )
    .await;
    assert_eq!(customer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(customer.error_type(), "authentication");
    let anonymous = call_anonymous(&web, "3.6", "list_groups", json!({})).await;
    assert_eq!(anonymous.error_type(), "authentication");
    let bad_token = call(&web, "3.6", "list_groups", "Bearer nope", json!({})).await;
    assert_eq!(bad_token.error_type(), "authentication");
    let unknown = call(&web, "3.6", "create_something", &auth, json!({})).await;
    assert_eq!(unknown.error_type(), "validation");
    // Q24: the singular spelling of the methods table is not an action.
    let singular = call(&web, "3.6", "enable_license_webhook", &auth, json!({})).await;
    assert_eq!(singular.error_type(), "validation");
    let too_old = call(&web, "3.4", "issue_bot_token", &auth, json!({})).await;
    assert_eq!(too_old.error_type(), "validation");
    let get = web
        .send(
            Method::GET,
            "/v3.6/configuration/action/list_groups",
            &[("authorization", auth.as_str())],
            bytes::Bytes::new(),
        )
        .await;
    assert_eq!(get.error_type(), "validation");
    let rtm = web
        .send(
            Method::GET,
            "/v3.6/configuration/rtm/ws",
            &[],
            bytes::Bytes::new(),
        )
        .await;
    assert_eq!(rtm.status, StatusCode::NOT_FOUND);
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn groups_list_their_agents_and_bots_with_priorities_and_status() {
    let world = World::new().await;
    world.sandbox.create_group(1, "Sales");
    world
        .sandbox
        .create_agent(NewAgent::new("sales@example.com").groups([1]));
    let web = Web::new(&world.sandbox);
    let (auth, _) = oauth_bearer(&world.sandbox, &world.agent);
    let (bot, _) = create_bot(
        &web,
        &auth,
        json!({"name": "B", "groups": [{"id": 1, "priority": "first"}]}),
    )
    .await;

    let groups = call(
        &web,
        "3.6",
        "list_groups",
        &auth,
        json!({"fields": ["agent_priorities", "routing_status"]}),
    )
    .await
    .ok();
    let plain = call(&web, "3.6", "get_group", &auth, json!({"id": 1}))
        .await
        .ok();

    let sales = &groups.as_array().unwrap()[1];
    assert_eq!(sales["id"], 1);
    assert_eq!(sales["name"], "Sales");
    assert_eq!(sales["agent_priorities"]["sales@example.com"], "normal");
    assert_eq!(sales["agent_priorities"][&bot], "first");
    assert_eq!(sales["routing_status"], "offline");
    assert!(plain.get("agent_priorities").is_none(), "{plain}");
    assert_eq!(plain["language_code"], "en");
    let unknown = call(&web, "3.6", "get_group", &auth, json!({"id": 9})).await;
    assert_eq!(unknown.error_type(), "group_not_found");
    for action in ["list_groups", "list_agents", "list_bots"] {
        let asked = json!({"fields": ["no_such_field"]});
        let refused = call(&web, "3.6", action, &auth, asked).await;
        assert_eq!(refused.error_type(), "validation", "{action}");
    }
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn agents_reads_leave_bots_out() {
    let world = World::new().await;
    world
        .sandbox
        .create_agent(NewAgent::new("sales@example.com").groups([1]));
    let web = Web::new(&world.sandbox);
    let (auth, _) = oauth_bearer(&world.sandbox, &world.agent);
    let (bot, _) = create_bot(&web, &auth, json!({"name": "B"})).await;
    let _rtm = world.agent_rtm("3.6").await;

    let all = call(&web, "3.6", "list_agents", &auth, json!({}))
        .await
        .ok();
    let sales = call(
        &web,
        "3.6",
        "list_agents",
        &auth,
        json!({"filters": {"group_ids": [1]}, "fields": ["groups"]}),
    )
    .await
    .ok();
    let smith = call(
        &web,
        "3.6",
        "get_agent",
        &auth,
        json!({"id": "smith@example.com"}),
    )
    .await
    .ok();

    let ids: Vec<_> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["sales@example.com", "smith@example.com"]);
    assert_eq!(sales.as_array().unwrap().len(), 1);
    assert_eq!(sales[0]["groups"], json!([{"id": 1, "priority": "normal"}]));
    assert_eq!(smith["login_status"], "accepting chats");
    assert_eq!(smith["account_id"], world.agent.account_id.as_str());
    let as_bot = call(&web, "3.6", "get_agent", &auth, json!({"id": bot})).await;
    assert_eq!(as_bot.error_type(), "not_found");
    world.sandbox.shutdown().await;
}
