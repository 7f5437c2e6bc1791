//! The Inbenta REST routes: users, chats, messages, history, media, settings,
//! availability, header authentication and the error shape of every failure.

#![allow(clippy::unwrap_used)]

use crate::common::inbenta as common;

use common::{World, create_chat};
use http::Method;
use lc_sandbox::{NewInbentaAgent, NewInbentaApp};
use serde_json::{Value, json};

#[tokio::test]
async fn post_users_with_the_app_id_alone_returns_the_user_and_a_session() {
    let world = World::basic().await;
    let body = json!({"name": "Bob", "contact": "bob@example.com", "externalId": "ext-1",
                      "extraInfo": {"plan": "gold"}});
    let reply = world
        .rest
        .call(
            Method::POST,
            "users",
            &[("x-hyper-appid", world.app_id())],
            Some(body),
        )
        .await
        .ok();
    assert_eq!(reply["user"]["name"], "Bob");
    assert_eq!(reply["user"]["contact"], "bob@example.com");
    assert_eq!(reply["user"]["externalId"], "ext-1");
    assert_eq!(reply["user"]["extraInfo"]["plan"], "gold");
    assert!(reply["user"]["id"].is_string());
    assert!(reply["session"]["token"].as_str().unwrap().len() >= 16);
}

#[tokio::test]
async fn a_taken_external_id_is_409() {
    let world = World::basic().await;
    let headers = [("x-hyper-appid", world.app_id())];
    let body = json!({"name": "Bob", "externalId": "ext-1"});
    world
        .rest
        .call(Method::POST, "users", &headers, Some(body.clone()))
        .await
        .ok();
    let again = world
        .rest
        .call(Method::POST, "users", &headers, Some(body))
        .await;
    again.error(409);
}

#[tokio::test]
async fn a_user_without_a_name_is_400() {
    let world = World::basic().await;
    let headers = [("x-hyper-appid", world.app_id())];
    let reply = world
        .rest
        .call(
            Method::POST,
            "users",
            &headers,
            Some(json!({"contact": "x"})),
        )
        .await;
    reply.error(400);
}

#[tokio::test]
async fn a_missing_or_unknown_app_id_is_401() {
    let world = World::basic().await;
    let body = Some(json!({"name": "Bob"}));
    world
        .rest
        .call(Method::POST, "users", &[], body.clone())
        .await
        .error(401);
    let unknown = [("x-hyper-appid", "nope")];
    world
        .rest
        .call(Method::POST, "users", &unknown, body)
        .await
        .error(401);
}

#[tokio::test]
async fn bad_credentials_are_401() {
    let world = World::basic().await;
    let app = world.app_id();
    let routes = [
        vec![("x-hyper-appid", app), ("x-hyper-token", "nope")],
        vec![("x-hyper-appid", app), ("x-hyper-secret", "nope")],
        vec![("x-hyper-appid", app), ("x-hyper-key", "nope")],
        vec![("x-hyper-appid", app)],
    ];
    for headers in routes {
        let reply = world
            .rest
            .call(Method::GET, "users?externalId=x", &headers, None)
            .await;
        reply.error(401);
    }
}

#[tokio::test]
async fn the_domain_key_opens_the_starred_routes_only() {
    let world = World::basic().await;
    let headers = [("x-hyper-appid", world.app_id()), ("x-hyper-key", "dk")];
    let settings = world
        .rest
        .call(Method::GET, "settings", &headers, None)
        .await
        .ok();
    assert_eq!(settings["settings"]["queue"]["active"], false);
    let online = world
        .rest
        .call(Method::GET, "agents/online?roomId=1", &headers, None)
        .await;
    online.ok();
    let user = Some(json!({"name": "Bob"}));
    let created = world
        .rest
        .call(Method::POST, "users", &headers, user)
        .await
        .ok();
    let id = created["user"]["id"].as_str().unwrap();
    let read = world
        .rest
        .call(Method::GET, &format!("users/{id}"), &headers, None)
        .await;
    assert_eq!(read.error(403), "The domain key does not allow this route");
}

#[tokio::test]
async fn an_unknown_route_is_404_in_the_error_shape() {
    let world = World::basic().await;
    let headers = world.secret_headers();
    world
        .rest
        .call(Method::GET, "nothing/here", &headers, None)
        .await
        .error(404);
    world
        .rest
        .call(Method::PATCH, "users", &headers, None)
        .await
        .error(404);
}

#[tokio::test]
async fn malformed_json_is_400() {
    let world = World::basic().await;
    let headers = [("x-hyper-appid", world.app_id())];
    let reply = world
        .rest
        .raw(
            Method::POST,
            "users",
            &headers,
            Some("application/json"),
            b"{\"name\":".to_vec(),
        )
        .await;
    reply.error(400);
    let array = world
        .rest
        .raw(
            Method::POST,
            "users",
            &headers,
            Some("application/json"),
            b"[1]".to_vec(),
        )
        .await;
    array.error(400);
}

#[tokio::test]
async fn users_are_read_changed_and_found_by_external_id() {
    let world = World::basic().await;
    let app = world.app_id();
    let body = Some(json!({"name": "Bob", "externalId": "ext-7"}));
    let created = world
        .rest
        .call(Method::POST, "users", &[("x-hyper-appid", app)], body)
        .await
        .ok();
    let id = created["user"]["id"].as_str().unwrap();
    let token = created["session"]["token"].as_str().unwrap();
    let mine = [("x-hyper-appid", app), ("x-hyper-token", token)];
    let path = format!("users/{id}");
    let change = Some(json!({"name": "Robert"}));
    let changed = world
        .rest
        .call(Method::PUT, &path, &mine, change)
        .await
        .ok();
    assert_eq!(changed["user"]["name"], "Robert");
    let read = world.rest.call(Method::GET, &path, &mine, None).await.ok();
    assert_eq!(read["user"]["name"], "Robert");
    let found = world
        .rest
        .call(
            Method::GET,
            "users?externalId=ext-7",
            &world.secret_headers(),
            None,
        )
        .await
        .ok();
    assert_eq!(found["users"][0]["id"], id);
    world
        .rest
        .call(Method::GET, "users/u-none", &mine, None)
        .await
        .error(404);
}

#[tokio::test]
async fn a_session_reads_only_itself_and_the_members_of_its_chats() {
    let world = World::basic().await;
    let app = world.app_id();
    let ann = world
        .sandbox
        .create_inbenta_agent(app, NewInbentaAgent::new("Ann"));
    let _ann_ws = world.socket(ann.token.expose()).await;
    let (bob, bob_token, mut bob_ws) = world.user("Bob").await;
    let (eve, eve_token) = world.rest.new_user(app, "Eve").await;
    let chat = create_chat(&mut bob_ws, &bob).await;
    bob_ws.ok("chats:assign", json!({"chatId": chat})).await;
    let as_bob = [
        ("x-hyper-appid", app),
        ("x-hyper-token", bob_token.as_str()),
    ];
    let as_eve = [
        ("x-hyper-appid", app),
        ("x-hyper-token", eve_token.as_str()),
    ];
    let ids = |reply: Value| -> Vec<String> {
        let mut ids: Vec<String> = reply["users"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["id"].as_str().unwrap().to_owned())
            .collect();
        ids.sort();
        ids
    };

    let seen_by_eve = world.rest.call(Method::GET, "users", &as_eve, None).await;
    assert_eq!(
        ids(seen_by_eve.ok()),
        vec![eve.clone()],
        "a stranger sees only itself"
    );
    let bob_path = format!("users/{bob}");
    let read = world.rest.call(Method::GET, &bob_path, &as_eve, None).await;
    assert_eq!(read.error(404), "User not found");

    let mut expected = vec![bob.clone(), ann.id.clone()];
    expected.sort();
    let seen_by_bob = world.rest.call(Method::GET, "users", &as_bob, None).await;
    assert_eq!(
        ids(seen_by_bob.ok()),
        expected,
        "Bob sees himself and his agent"
    );
    let ann_path = format!("users/{}", ann.id);
    let agent = world.rest.call(Method::GET, &ann_path, &as_bob, None).await;
    assert_eq!(agent.ok()["user"]["name"], "Ann");

    let everyone = world
        .rest
        .call(Method::GET, "users", &world.secret_headers(), None)
        .await;
    assert_eq!(ids(everyone.ok()).len(), 3, "the secret reads every user");
}

#[tokio::test]
async fn availability_counts_free_online_agents_per_room() {
    let world = World::new(NewInbentaApp::new("app-a").rooms([1, 2])).await;
    let ann = world
        .sandbox
        .create_inbenta_agent(world.app_id(), NewInbentaAgent::new("Ann").rooms([1, 2]));
    world
        .sandbox
        .create_inbenta_agent(world.app_id(), NewInbentaAgent::new("Ben").langs(["fr"]));
    let headers = [("x-hyper-appid", world.app_id()), ("x-hyper-key", "dk")];
    let get = |path: &'static str| world.rest.call(Method::GET, path, &headers, None);
    let all = get("agents/available?roomIds=1,2").await.ok();
    assert_eq!(all["agents"], json!({"1": 2, "2": 1}));
    let english = get("agents/available?roomIds=1&langs=en").await.ok();
    assert_eq!(english["agents"], json!({"1": 1}));
    world
        .sandbox
        .set_inbenta_agent_online(world.app_id(), &ann.id, false);
    let room2 = get("agents/online?roomId=2").await.ok();
    assert_eq!(room2["agentsOnline"], false);
    assert_eq!(
        get("agents/online?roomId=1").await.ok()["agentsOnline"],
        true
    );
}

#[tokio::test]
async fn a_server_creates_reads_and_closes_a_chat_over_rest() {
    let world = World::basic().await;
    let (user, _, mut ws) = world.user("Bob").await;
    let headers = world.secret_headers();
    let body = Some(json!({"creator": user, "room": "1", "source": 3, "lang": "en"}));
    let created = world
        .rest
        .call(Method::POST, "chats", &headers, body)
        .await
        .ok();
    let chat = created["chat"]["id"].as_str().unwrap().to_owned();
    let read = world
        .rest
        .call(Method::GET, &format!("chats/{chat}"), &headers, None)
        .await
        .ok();
    assert_eq!(read["chat"]["creator"], user);
    let path = format!("chats/{chat}?userId={user}");
    let closed = world
        .rest
        .call(Method::DELETE, &path, &headers, None)
        .await
        .ok();
    assert_eq!(closed["success"], true);
    let pushed = ws.push("chat:closed").await;
    assert_eq!(pushed["chatId"], chat);
    assert_eq!(pushed["userId"], user);
    world
        .rest
        .call(Method::GET, "chats/c-none", &headers, None)
        .await
        .error(404);
}

#[tokio::test]
async fn messages_posted_over_rest_are_pushed_and_listed() {
    let world = World::basic().await;
    let (user, token, mut ws) = world.user("Bob").await;
    let chat = create_chat(&mut ws, &user).await;
    let mine = [
        ("x-hyper-appid", world.app_id()),
        ("x-hyper-token", token.as_str()),
    ];
    let path = format!("chats/{chat}/messages");
    let body = Some(json!({"chatId": chat, "sender": user, "message": "Hello"}));
    let sent = world.rest.call(Method::POST, &path, &mine, body).await.ok();
    let pushed = ws.push("message:received").await;
    assert_eq!(pushed["message"]["id"], sent["message"]["id"]);
    let listed = world.rest.call(Method::GET, &path, &mine, None).await.ok();
    assert_eq!(listed["messages"][0]["message"], "Hello");
    let read = format!("messages/{}/read", sent["message"]["id"].as_str().unwrap());
    world
        .rest
        .call(Method::PUT, &read, &mine, Some(json!({})))
        .await
        .ok();
    world
        .rest
        .call(Method::PUT, "messages/m-none/read", &mine, None)
        .await
        .error(404);
}

#[tokio::test]
async fn a_non_member_cannot_read_a_chat_over_rest() {
    let world = World::basic().await;
    let (bob, _, mut ws) = world.user("Bob").await;
    let chat = create_chat(&mut ws, &bob).await;
    let (_, eve_token) = world.rest.new_user(world.app_id(), "Eve").await;
    let eve = [
        ("x-hyper-appid", world.app_id()),
        ("x-hyper-token", eve_token.as_str()),
    ];
    let reply = world
        .rest
        .call(Method::GET, &format!("chats/{chat}"), &eve, None)
        .await;
    reply.error(403);
}

#[tokio::test]
async fn history_imported_over_rest_is_read_back() {
    let world = World::basic().await;
    let (user, token, mut ws) = world.user("Bob").await;
    let chat = create_chat(&mut ws, &user).await;
    let mine = [
        ("x-hyper-appid", world.app_id()),
        ("x-hyper-token", token.as_str()),
    ];
    let path = format!("chats/{chat}/history");
    let entries = json!([{"created": 1_700_000_000u64, "type": "text", "message": "Hi bot",
                          "sender": user}]);
    let body = Some(json!({"history": entries}));
    world.rest.call(Method::POST, &path, &mine, body).await.ok();
    ws.ok(
        "messages:send",
        json!({"chatId": chat, "eventId": "1", "message": "Hi agent"}),
    )
    .await;
    let history = world.rest.call(Method::GET, &path, &mine, None).await.ok();
    let history = history["history"].as_array().unwrap().clone();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0], entries[0]);
    assert_eq!(history[1]["message"], "Hi agent");
    assert_eq!(history[1]["sender"], user);
    let bad = Some(json!({"history": [{"type": "text"}]}));
    world
        .rest
        .call(Method::POST, &path, &mine, bad)
        .await
        .error(400);
}

#[tokio::test]
async fn rest_assign_finds_an_agent() {
    let world = World::basic().await;
    let ann = world
        .sandbox
        .create_inbenta_agent(world.app_id(), NewInbentaAgent::new("Ann"));
    let (user, token, mut ws) = world.user("Bob").await;
    let chat = create_chat(&mut ws, &user).await;
    let mine = [
        ("x-hyper-appid", world.app_id()),
        ("x-hyper-token", token.as_str()),
    ];
    let path = format!("chats/{chat}/assign");
    let reply = world.rest.call(Method::GET, &path, &mine, None).await.ok();
    assert_eq!(reply["agent"]["id"], ann.id);
    let joined: Value = ws.push("user:joined").await;
    assert_eq!(joined["user"]["id"], ann.id);
}

#[tokio::test]
async fn settings_report_queue_mode() {
    let world = World::new(NewInbentaApp::new("app-q").queue_mode(true)).await;
    let headers = world.secret_headers();
    let reply = world
        .rest
        .call(Method::GET, "settings", &headers, None)
        .await
        .ok();
    assert_eq!(reply["settings"]["queue"]["active"], true);
}
