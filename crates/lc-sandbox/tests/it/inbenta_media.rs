//! Inbenta media: the multipart upload `POST /v1/media`, its `message:received` push, the
//! download `GET /v1/media/{id}` (headers or query credentials) and the upload errors.

#![allow(clippy::unwrap_used)]

use crate::common::inbenta as common;

use common::{World, create_chat};
use http::Method;
use lc_sandbox::{NewInbentaAgent, NewInbentaApp};
use serde_json::json;

#[tokio::test]
async fn an_uploaded_file_is_pushed_as_a_media_message_and_downloads() {
    let world = World::basic().await;
    let ann = world
        .sandbox
        .create_inbenta_agent(world.app_id(), NewInbentaAgent::new("Ann"));
    let mut ann_ws = world.socket(ann.token.expose()).await;
    let (user, token, mut ws) = world.user("Bob").await;
    let chat = create_chat(&mut ws, &user).await;
    ws.ok("chats:assign", json!({"chatId": chat})).await;
    let mine = [
        ("x-hyper-appid", world.app_id()),
        ("x-hyper-token", token.as_str()),
    ];
    let png: &[u8] = b"\x89PNG\r\n\x1a\nfake image";
    let reply = world
        .rest
        .upload(&mine, &chat, &user, ("cat.png", "image/png", png))
        .await
        .ok();
    let media = &reply["media"];
    assert_eq!(media["name"], "cat.png");
    assert_eq!(media["size"], png.len());
    assert_eq!(media["type"], "image/png");
    assert_eq!(media["senderId"], user);
    let pushed = ann_ws.push("message:received").await;
    assert_eq!(pushed["message"]["type"], "media");
    assert_eq!(pushed["message"]["message"]["url"], media["url"]);
    assert_eq!(pushed["message"]["message"]["type"], "image/png");
    let path = media["url"]
        .as_str()
        .unwrap()
        .trim_start_matches('/')
        .to_owned();
    let agent_headers = [
        ("x-hyper-appid", world.app_id()),
        ("x-hyper-token", ann.token.expose()),
    ];
    let file = world
        .rest
        .call(Method::GET, &path, &agent_headers, None)
        .await;
    assert_eq!(file.status, 200);
    assert_eq!(file.content_type.as_deref(), Some("image/png"));
    assert_eq!(&file.body[..], png);
    let by_query = format!("{path}?appId={}&token={token}", world.app_id());
    let file = world.rest.call(Method::GET, &by_query, &[], None).await;
    assert_eq!(&file.body[..], png);
}

#[tokio::test]
async fn only_members_of_its_chat_download_a_file_by_an_unguessable_id() {
    let world = World::basic().await;
    let (user, token, mut ws) = world.user("Bob").await;
    let chat = create_chat(&mut ws, &user).await;
    let mine = [
        ("x-hyper-appid", world.app_id()),
        ("x-hyper-token", token.as_str()),
    ];
    let file = ("a.txt", "text/plain", &b"private"[..]);
    let first = world.rest.upload(&mine, &chat, &user, file).await.ok();
    let second = world.rest.upload(&mine, &chat, &user, file).await.ok();
    let id = first["media"]["id"].as_str().unwrap();
    let other = second["media"]["id"].as_str().unwrap();
    assert!(id.len() >= 32, "an id with 128 random bits: {id}");
    assert_ne!(id, other);
    let common = id.chars().zip(other.chars()).take_while(|(a, b)| a == b);
    assert!(
        common.count() < 8,
        "ids do not follow each other: {id} {other}"
    );

    let path = format!("media/{id}");
    let (_eve, eve_token) = world.rest.new_user(world.app_id(), "Eve").await;
    let as_eve = [
        ("x-hyper-appid", world.app_id()),
        ("x-hyper-token", eve_token.as_str()),
    ];
    let refused = world.rest.call(Method::GET, &path, &as_eve, None).await;
    assert_eq!(refused.error(403), "Not a member of the chat of this file");
    let by_query = format!("{path}?appId={}&token={eve_token}", world.app_id());
    world
        .rest
        .call(Method::GET, &by_query, &[], None)
        .await
        .error(403);

    let own = world.rest.call(Method::GET, &path, &mine, None).await;
    assert_eq!(own.status, 200);
    assert_eq!(&own.body[..], b"private");
    assert_eq!(own.headers["x-content-type-options"], "nosniff");
    assert_eq!(
        own.headers["content-disposition"],
        "attachment; filename=\"a.txt\""
    );
    let server = world
        .rest
        .call(Method::GET, &path, &world.secret_headers(), None)
        .await;
    assert_eq!(server.status, 200, "the app secret reads every file");
}

#[tokio::test]
async fn a_file_of_a_type_not_allowed_is_403() {
    let world = World::basic().await;
    let (user, token, mut ws) = world.user("Bob").await;
    let chat = create_chat(&mut ws, &user).await;
    let mine = [
        ("x-hyper-appid", world.app_id()),
        ("x-hyper-token", token.as_str()),
    ];
    let reply = world
        .rest
        .upload(
            &mine,
            &chat,
            &user,
            ("run.exe", "application/x-msdownload", b"MZ"),
        )
        .await;
    assert_eq!(reply.error(403), "File type is not allowed");
}

#[tokio::test]
async fn media_errors_have_the_error_shape() {
    let world = World::basic().await;
    let (user, token, mut ws) = world.user("Bob").await;
    let chat = create_chat(&mut ws, &user).await;
    let mine = [
        ("x-hyper-appid", world.app_id()),
        ("x-hyper-token", token.as_str()),
    ];
    let file = ("a.txt", "text/plain", &b"hello"[..]);
    world
        .rest
        .upload(&mine, "c-none", &user, file)
        .await
        .error(404);
    world
        .rest
        .upload(&mine, &chat, "u-other", file)
        .await
        .error(403);
    let not_multipart = world
        .rest
        .raw(
            Method::POST,
            "media",
            &mine,
            Some("application/json"),
            b"{}".to_vec(),
        )
        .await;
    not_multipart.error(400);
    world
        .rest
        .call(Method::GET, "media/f-none", &mine, None)
        .await
        .error(404);
}

#[tokio::test]
async fn an_app_can_allow_other_media_types() {
    let spec = NewInbentaApp::new("app-m").allowed_media_types(["application/zip"]);
    let world = World::new(spec).await;
    let (user, token, mut ws) = world.user("Bob").await;
    let chat = create_chat(&mut ws, &user).await;
    let mine = [
        ("x-hyper-appid", world.app_id()),
        ("x-hyper-token", token.as_str()),
    ];
    let zip = ("a.zip", "application/zip", &b"PK"[..]);
    world.rest.upload(&mine, &chat, &user, zip).await.ok();
    let png = ("a.png", "image/png", &b"x"[..]);
    world.rest.upload(&mine, &chat, &user, png).await.error(403);
}

#[tokio::test]
async fn a_file_sent_to_a_closed_chat_is_400() {
    let world = World::basic().await;
    let (user, token, mut ws) = world.user("Bob").await;
    let chat = create_chat(&mut ws, &user).await;
    ws.ok("chats:close", json!({"chatId": chat, "userId": user}))
        .await;
    let mine = [
        ("x-hyper-appid", world.app_id()),
        ("x-hyper-token", token.as_str()),
    ];
    let file = ("a.txt", "text/plain", &b"hello"[..]);
    world
        .rest
        .upload(&mine, &chat, &user, file)
        .await
        .error(400);
}

#[tokio::test]
async fn a_file_over_10_mb_is_413() {
    let world = World::basic().await;
    let (user, token, mut ws) = world.user("Bob").await;
    let chat = create_chat(&mut ws, &user).await;
    let mine = [
        ("x-hyper-appid", world.app_id()),
        ("x-hyper-token", token.as_str()),
    ];
    let big = vec![b'a'; 10 * 1024 * 1024 + 1];
    let file = ("big.txt", "text/plain", &big[..]);
    world
        .rest
        .upload(&mine, &chat, &user, file)
        .await
        .error(413);
    let small = ("a.txt", "text/plain", &b"ok"[..]);
    world.rest.upload(&mine, &chat, &user, small).await.ok();
}
