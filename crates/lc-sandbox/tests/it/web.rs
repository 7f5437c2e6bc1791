//! The Web transport (§2 of the protocol notes): methods and bodies, the organization id,
//! Bearer and Basic credentials, error bodies and statuses, uploads, per-version action
//! sets, lifecycle headers and fault injection over HTTP.

use crate::common;

use common::World;
use common::web::{Web, agent_basic, agent_bearer, customer_bearer};
use http::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// A start_chat payload (customer API) with one message.
fn chat_with(text: &str) -> Value {
    json!({"chat": {"thread": {"events": [{"type": "message", "text": text}]}}})
}

/// A world where the customer has an active chat, and its id.
async fn world_with_chat() -> (World, Web, String) {
    let world = World::new().await;
    let web = Web::new(&world.sandbox);
    let auth = customer_bearer(&world.customer);
    let started = web
        .customer("3.6", "start_chat", &auth, chat_with("hi"))
        .await
        .ok();
    let chat_id = started["chat_id"].as_str().expect("a chat id").to_owned();
    (world, web, chat_id)
}

#[tokio::test]
async fn agent_actions_take_a_json_body_over_post() {
    let (world, web, chat_id) = world_with_chat().await;
    let auth = agent_bearer(&world.agent);
    let chat = web
        .agent("3.6", "get_chat", &auth, json!({"chat_id": chat_id}))
        .await
        .ok();
    assert_eq!(chat["id"], chat_id.as_str());
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn customer_actions_take_a_json_body_over_post() {
    let (world, web, chat_id) = world_with_chat().await;
    let auth = customer_bearer(&world.customer);
    let sent = web
        .customer(
            "3.6",
            "send_event",
            &auth,
            json!({"chat_id": chat_id, "event": {"type": "message", "text": "more"}}),
        )
        .await
        .ok();
    assert!(sent["event_id"].is_string(), "{sent}");
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn post_actions_refuse_get() {
    let world = World::new().await;
    let web = Web::new(&world.sandbox);
    let auth = agent_bearer(&world.agent);
    let reply = web
        .send(
            Method::GET,
            "/v3.6/agent/action/list_chats",
            &[("authorization", &auth)],
            "",
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.error_type(), "validation");
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn get_actions_take_their_parameters_from_the_query_string() {
    let world = World::new().await;
    let web = Web::new(&world.sandbox);
    // A bad parameter in the query is decoded, and refused, as a bad body field would be.
    let path = web.customer_path("3.6", "list_group_properties", "id=not-a-number");
    let reply = web.send(Method::GET, &path, &[], "").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{:?}", reply.body);
    assert_eq!(reply.error_type(), "validation");
    let path = web.customer_path("3.6", "list_group_properties", "id=0");
    web.send(Method::GET, &path, &[], "").await.ok();
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn get_actions_also_read_a_json_body() {
    let world = World::new().await;
    let web = Web::new(&world.sandbox);
    let path = web.customer_path("3.6", "list_group_properties", "");
    let headers = [("content-type", "application/json")];
    let reply = web
        .send(Method::GET, &path, &headers, r#"{"id": "not-a-number"}"#)
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{:?}", reply.body);
    assert_eq!(reply.error_type(), "validation");
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn customer_calls_without_organization_id_are_400_validation() {
    let world = World::new().await;
    let web = Web::new(&world.sandbox);
    let auth = customer_bearer(&world.customer);
    let reply = web
        .post_json("/v3.6/customer/action/start_chat", &auth, &chat_with("hi"))
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.error_type(), "validation");
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn customer_calls_for_another_organization_are_404_license_not_found() {
    let world = World::new().await;
    let web = Web::new(&world.sandbox);
    let auth = customer_bearer(&world.customer);
    let path =
        "/v3.6/customer/action/start_chat?organization_id=8b4f3a1e-0000-4000-8000-000000000000";
    let reply = web.post_json(path, &auth, &chat_with("hi")).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(reply.error_type(), "license_not_found");
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn basic_account_id_and_pat_authenticate_an_agent() {
    let (world, web, chat_id) = world_with_chat().await;
    let auth = agent_basic(&world.agent);
    let chat = web
        .agent("3.6", "get_chat", &auth, json!({"chat_id": chat_id}))
        .await
        .ok();
    assert_eq!(chat["id"], chat_id.as_str());
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn basic_credentials_are_refused_by_the_customer_api() {
    let world = World::new().await;
    let web = Web::new(&world.sandbox);
    let auth = agent_basic(&world.agent);
    let reply = web
        .customer("3.6", "start_chat", &auth, chat_with("hi"))
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.error_type(), "authentication");
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn an_agent_token_is_refused_by_the_customer_api() {
    let world = World::new().await;
    let web = Web::new(&world.sandbox);
    let auth = agent_bearer(&world.agent);
    let reply = web
        .customer("3.6", "start_chat", &auth, chat_with("hi"))
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.error_type(), "authentication");
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn an_unknown_token_is_401_authentication() {
    let world = World::new().await;
    let web = Web::new(&world.sandbox);
    let reply = web
        .agent("3.6", "list_chats", "Bearer dal:nope", json!({}))
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.error_type(), "authentication");
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn a_call_without_authorization_is_401_authentication() {
    let world = World::new().await;
    let web = Web::new(&world.sandbox);
    let reply = web
        .send(
            Method::POST,
            "/v3.6/agent/action/list_chats",
            &[("content-type", "application/json")],
            "{}",
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.error_type(), "authentication");
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn errors_are_error_objects_with_a_type_and_a_message() {
    let world = World::new().await;
    let web = Web::new(&world.sandbox);
    let auth = agent_bearer(&world.agent);
    let reply = web
        .agent("3.6", "get_chat", &auth, json!({"chat_id": "NOSUCHCHAT"}))
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    let body = reply.json();
    assert_eq!(body["error"]["type"], "not_found");
    assert!(body["error"]["message"].is_string(), "{body}");
    assert_eq!(reply.header("content-type"), Some("application/json"));
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn error_types_map_to_their_http_statuses() {
    let world = World::new().await;
    let web = Web::new(&world.sandbox);
    let auth = agent_bearer(&world.agent);
    let expected = [
        ("validation", 400),
        ("authentication", 401),
        ("authorization", 403),
        ("missing_access", 403),
        ("not_found", 404),
        ("already_exists", 409),
        ("entity_too_large", 413),
        ("misdirected_request", 421),
        ("chat_inactive", 422),
        ("limit_reached", 422),
        ("too_many_requests", 429),
        ("internal", 500),
        ("service_unavailable", 503),
        ("request_timeout", 504),
    ];
    for (kind, status) in expected {
        world.sandbox.fail_next("list_chats", kind, 1);
        let reply = web.agent("3.6", "list_chats", &auth, json!({})).await;
        assert_eq!(reply.status.as_u16(), status, "{kind}");
        assert_eq!(reply.error_type(), kind);
    }
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn too_many_requests_carries_retry_after() {
    let world = World::new().await;
    let web = Web::new(&world.sandbox);
    let auth = agent_bearer(&world.agent);
    world
        .sandbox
        .fail_next("list_chats", "too_many_requests", 1);
    let reply = web.agent("3.6", "list_chats", &auth, json!({})).await;
    assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(reply.header("retry-after"), Some("1"));
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn fail_next_fails_that_many_web_calls_then_lets_them_through() {
    let (world, web, chat_id) = world_with_chat().await;
    let auth = agent_bearer(&world.agent);
    world.sandbox.fail_next("get_chat", "internal", 2);
    let payload = json!({"chat_id": chat_id});
    for _ in 0..2 {
        let reply = web.agent("3.6", "get_chat", &auth, payload.clone()).await;
        assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    }
    web.agent("3.6", "get_chat", &auth, payload).await.ok();
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn malformed_json_bodies_are_400_validation() {
    let world = World::new().await;
    let web = Web::new(&world.sandbox);
    let auth = agent_bearer(&world.agent);
    let headers = [
        ("authorization", auth.as_str()),
        ("content-type", "application/json"),
    ];
    let reply = web
        .send(
            Method::POST,
            "/v3.6/agent/action/list_chats",
            &headers,
            "{nope",
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.error_type(), "validation");
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn truncated_json_bodies_are_400_validation() {
    let world = World::new().await;
    let web = Web::new(&world.sandbox);
    let auth = agent_bearer(&world.agent);
    let headers = [
        ("authorization", auth.as_str()),
        ("content-type", "application/json"),
    ];
    let reply = web
        .send(
            Method::POST,
            "/v3.6/agent/action/get_chat",
            &headers,
            r#"{"chat_id": "PJ0MR"#,
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.error_type(), "validation");
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn a_body_that_is_not_an_object_is_400_validation() {
    let world = World::new().await;
    let web = Web::new(&world.sandbox);
    let auth = agent_bearer(&world.agent);
    let reply = web
        .post_json("/v3.6/agent/action/list_chats", &auth, &json!([1, 2]))
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.error_type(), "validation");
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn a_wrongly_typed_field_is_400_validation() {
    let world = World::new().await;
    let web = Web::new(&world.sandbox);
    let auth = agent_bearer(&world.agent);
    let reply = web
        .agent("3.6", "get_chat", &auth, json!({"chat_id": 42}))
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.error_type(), "validation");
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn an_uploaded_file_is_served_back_at_its_url_with_its_content_type() {
    let world = World::new().await;
    let web = Web::new(&world.sandbox);
    let auth = agent_bearer(&world.agent);
    let data = b"\x89PNG\r\n\x1a\nnot really a picture";
    let reply = web
        .upload(
            "/v3.6/agent/action/upload_file",
            &auth,
            "file",
            "cat.png",
            "image/png",
            data,
        )
        .await;
    let url = reply.ok()["url"].as_str().unwrap().to_owned();
    assert!(url.ends_with("/cat.png"), "{url}");
    let file = web.get_url(&url).await;
    assert_eq!(file.status, StatusCode::OK);
    assert_eq!(file.header("content-type"), Some("image/png"));
    assert_eq!(&file.body[..], &data[..]);
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn an_uploaded_file_is_served_as_an_attachment_that_is_not_sniffed() {
    let world = World::new().await;
    let web = Web::new(&world.sandbox);
    let auth = customer_bearer(&world.customer);
    let path = web.customer_path("3.6", "upload_file", "");
    let page = b"<script>alert(document.cookie)</script>";
    let reply = web
        .upload(&path, &auth, "file", "page.html", "text/html", page)
        .await;
    let url = reply.ok()["url"].as_str().unwrap().to_owned();
    let file = web.get_url(&url).await;
    assert_eq!(file.status, StatusCode::OK);
    assert_eq!(file.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(
        file.header("content-disposition"),
        Some("attachment; filename=\"page.html\"")
    );
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn customers_upload_files_too() {
    let world = World::new().await;
    let web = Web::new(&world.sandbox);
    let auth = customer_bearer(&world.customer);
    let path = web.customer_path("3.6", "upload_file", "");
    let reply = web
        .upload(&path, &auth, "file", "notes.txt", "text/plain", b"hello")
        .await;
    let url = reply.ok()["url"].as_str().unwrap().to_owned();
    assert_eq!(&web.get_url(&url).await.body[..], b"hello");
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn an_upload_of_exactly_10_mb_is_accepted() {
    let world = World::new().await;
    let web = Web::new(&world.sandbox);
    let auth = agent_bearer(&world.agent);
    let data = vec![b'x'; 10 * 1024 * 1024];
    let reply = web
        .upload(
            "/v3.6/agent/action/upload_file",
            &auth,
            "file",
            "big.bin",
            "application/octet-stream",
            &data,
        )
        .await;
    reply.ok();
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn an_upload_over_10_mb_is_413_entity_too_large() {
    let world = World::new().await;
    let web = Web::new(&world.sandbox);
    let auth = agent_bearer(&world.agent);
    let data = vec![b'x'; 10 * 1024 * 1024 + 1];
    let reply = web
        .upload(
            "/v3.6/agent/action/upload_file",
            &auth,
            "file",
            "big.bin",
            "application/octet-stream",
            &data,
        )
        .await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(reply.error_type(), "entity_too_large");
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn an_upload_without_a_file_part_is_400_validation() {
    let world = World::new().await;
    let web = Web::new(&world.sandbox);
    let auth = agent_bearer(&world.agent);
    let reply = web
        .upload(
            "/v3.6/agent/action/upload_file",
            &auth,
            "attachment",
            "cat.png",
            "image/png",
            b"data",
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.error_type(), "validation");
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn executables_cannot_be_uploaded() {
    let world = World::new().await;
    let web = Web::new(&world.sandbox);
    let auth = agent_bearer(&world.agent);
    let reply = web
        .upload(
            "/v3.6/agent/action/upload_file",
            &auth,
            "file",
            "setup.exe",
            "application/octet-stream",
            b"MZ",
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.error_type(), "validation");
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn an_upload_that_is_not_multipart_is_400_validation() {
    let world = World::new().await;
    let web = Web::new(&world.sandbox);
    let auth = agent_bearer(&world.agent);
    let reply = web
        .post_json("/v3.6/agent/action/upload_file", &auth, &json!({}))
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.error_type(), "validation");
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn actions_removed_in_a_version_are_refused_in_it() {
    let world = World::new().await;
    let web = Web::new(&world.sandbox);
    let auth = agent_bearer(&world.agent);
    let reply = web.agent("3.6", "list_customers", &auth, json!({})).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.error_type(), "validation");
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn actions_added_in_a_later_version_are_refused_in_earlier_ones() {
    let (world, web, chat_id) = world_with_chat().await;
    let auth = agent_bearer(&world.agent);
    let payload = json!({"chat_id": chat_id, "visibility": "all"});
    let reply = web
        .agent("3.5", "send_thinking_indicator", &auth, payload)
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.error_type(), "validation");
    let message = reply.json()["error"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(message.contains("3.5"), "{message}");
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn rtm_only_actions_are_refused_over_web() {
    let world = World::new().await;
    let web = Web::new(&world.sandbox);
    let auth = agent_bearer(&world.agent);
    let reply = web
        .agent("3.6", "login", &auth, json!({"token": auth}))
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.error_type(), "validation");
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn legacy_version_3_5_answers_with_a_legacy_header() {
    let (world, web, chat_id) = world_with_chat().await;
    let auth = agent_bearer(&world.agent);
    let reply = web
        .agent("3.5", "get_chat", &auth, json!({"chat_id": chat_id}))
        .await;
    reply.ok();
    assert_eq!(reply.header("legacy"), Some("2026-08-07"));
    assert_eq!(reply.header("deprecation"), None);
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn deprecated_versions_answer_with_a_deprecation_header() {
    let world = World::new().await;
    let web = Web::new(&world.sandbox);
    let auth = agent_bearer(&world.agent);
    for version in ["3.3", "3.4"] {
        let reply = web.agent(version, "list_chats", &auth, json!({})).await;
        assert_eq!(reply.header("deprecation"), Some("2026-02-07"), "{version}");
        assert_eq!(reply.header("legacy"), None, "{version}");
    }
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn the_current_version_answers_without_lifecycle_headers() {
    let world = World::new().await;
    let web = Web::new(&world.sandbox);
    let auth = agent_bearer(&world.agent);
    let reply = web.agent("3.6", "list_chats", &auth, json!({})).await;
    assert_eq!(reply.header("legacy"), None);
    assert_eq!(reply.header("deprecation"), None);
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn a_response_delay_slows_web_calls() {
    let world = World::new().await;
    let web = Web::new(&world.sandbox);
    let auth = agent_bearer(&world.agent);
    world.sandbox.set_response_delay(Duration::from_millis(300));
    let started = Instant::now();
    let reply = web.agent("3.6", "list_chats", &auth, json!({})).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_ne!(reply.status, StatusCode::GATEWAY_TIMEOUT);
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn a_delay_past_the_request_timeout_is_504_request_timeout() {
    let builder = lc_sandbox::Sandbox::builder().request_timeout(Duration::from_millis(200));
    let world = World::with(builder).await;
    let web = Web::new(&world.sandbox);
    let auth = customer_bearer(&world.customer);
    world.sandbox.set_response_delay(Duration::from_secs(5));
    let started = Instant::now();
    let reply = web
        .customer("3.6", "start_chat", &auth, chat_with("hi"))
        .await;
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(reply.status, StatusCode::GATEWAY_TIMEOUT);
    assert_eq!(reply.error_type(), "request_timeout");
    world.sandbox.set_response_delay(Duration::ZERO);
    let mut rtm = common::Rtm::customer(&world.sandbox, "3.6").await;
    let login = rtm
        .ok("login", json!({"token": world.customer.bearer().expose()}))
        .await;
    assert_eq!(login["chats"], json!([]), "the action did not run");
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn web_actions_push_to_rtm_connections_without_a_request_id() {
    let (world, web, chat_id) = world_with_chat().await;
    let mut customer = world.customer_rtm("3.6").await;
    let auth = agent_bearer(&world.agent);
    let payload = json!({"chat_id": chat_id, "event": {"type": "message", "text": "from Web"}});
    // Logging in routes the waiting chat to the agent, who may then write in it.
    let _agent = world.agent_rtm("3.6").await;
    web.agent("3.6", "send_event", &auth, payload).await.ok();
    let event = customer.push("incoming_event").await;
    assert_eq!(event["payload"]["event"]["text"], "from Web");
    assert!(event.get("request_id").is_none(), "{event}");
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn unknown_paths_are_404() {
    let world = World::new().await;
    let web = Web::new(&world.sandbox);
    let reply = web
        .send(Method::POST, "/v3.6/nobody/action/list_chats", &[], "{}")
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    let reply = web
        .send(Method::POST, "/v9.9/agent/action/list_chats", &[], "{}")
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    world.sandbox.shutdown().await;
}
