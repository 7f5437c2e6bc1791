//! The HTTP engine against a real lc-sandbox over 127.0.0.1: URLs, credentials, errors,
//! retries, timeouts, token refresh, regions, lifecycle headers and uploads.
#![allow(clippy::unwrap_used)]

mod common;

use common::{RecordingTokens, SlowReader, agent_client, capture_logs, start};
use lc_protocol::agent::{ListChats, ListRoutingStatuses};
use lc_protocol::customer::GetDynamicConfiguration;
use lc_protocol::error::ErrorType;
use lc_protocol::id::Token;
use lc_protocol::{ApiVersion, Error, FrameError, Transport};
use lc_sandbox::NewCustomer;
use lc_web::{
    AgentSession, CustomerSession, HttpRequest, RetryPolicy, Tls, Upload, WebClient, WebConfig,
};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

#[tokio::test]
async fn agent_calls_use_bearer_tokens_and_typed_responses() {
    let (sandbox, agent) = start().await;
    let client = agent_client(&sandbox, agent.token.clone(), WebConfig::default());
    let chats = client.call(&ListChats::new()).await.unwrap();
    assert_eq!(chats.found_chats, 0);
    let statuses = client.call(&ListRoutingStatuses::new()).await.unwrap();
    assert!(
        statuses
            .iter()
            .any(|s| s.agent_id.as_str() == agent.id.as_str())
    );
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_call_with_its_own_timeout_times_out_while_the_default_waits() {
    let (sandbox, agent) = start().await;
    let config = WebConfig::default().retry(RetryPolicy::none());
    let client = agent_client(&sandbox, agent.token.clone(), config);
    sandbox.set_action_delay("list_routing_statuses", Duration::from_millis(400));
    let short = lc_protocol::Call::new(&client, ListRoutingStatuses::new())
        .timeout(Duration::from_millis(100))
        .await
        .unwrap_err();
    assert!(
        matches!(&short, Error::Timeout { after, .. } if *after == Duration::from_millis(100)),
        "{short:?}"
    );
    lc_protocol::Call::new(&client, ListRoutingStatuses::new())
        .await
        .unwrap();
    sandbox.shutdown().await;
}

#[tokio::test]
async fn personal_access_tokens_go_as_basic_credentials() {
    let (sandbox, agent) = start().await;
    let basic = Token::basic(&agent.account_id, agent.pat.expose());
    let client = agent_client(&sandbox, basic, WebConfig::default());
    client.call(&ListChats::new()).await.unwrap();
    let wrong = Token::basic(&agent.account_id, "not-the-pat");
    let client = agent_client(&sandbox, wrong, WebConfig::default());
    let err = client.call(&ListChats::new()).await.unwrap_err();
    assert_eq!(err.api_error().unwrap().kind, ErrorType::Authentication);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn customer_get_actions_send_their_payload_and_organization_in_the_query() {
    let (sandbox, _) = start().await;
    let customer = sandbox.create_customer(NewCustomer::new());
    let session = CustomerSession::customer(sandbox.organization_id()).base_url(sandbox.http_url());
    let client = WebClient::new(session, customer.token, WebConfig::default());
    sandbox.create_group(7, "Sales");
    let request = GetDynamicConfiguration::new()
        .group_id(7)
        .url("https://shop.example/a?b=c&d=e f");
    let configuration = client.call(&request).await.unwrap();
    assert_eq!(configuration.livechat.unwrap().group_id.0, 7);
    let organization = configuration.organization_id.unwrap();
    assert_eq!(organization.as_str(), sandbox.organization_id());
    // An unknown group proves the query is read, not defaulted.
    let err = client
        .call(&GetDynamicConfiguration::new().group_id(99))
        .await
        .unwrap_err();
    assert_eq!(err.api_error().unwrap().kind, ErrorType::GroupNotFound);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn api_errors_are_typed_with_their_http_status() {
    let (sandbox, agent) = start().await;
    let client = agent_client(&sandbox, agent.token.clone(), WebConfig::default());
    let err = client
        .call(&lc_protocol::agent::GetChat::new("NO_SUCH_CHAT"))
        .await
        .unwrap_err();
    let Error::Api {
        error, http_status, ..
    } = err
    else {
        panic!("{err:?}")
    };
    assert_eq!(error.kind, ErrorType::NotFound);
    assert_eq!(http_status, Some(404));
    sandbox.shutdown().await;
}

#[tokio::test]
async fn too_many_requests_is_retried_after_retry_after() {
    let (sandbox, agent) = start().await;
    let client = agent_client(&sandbox, agent.token.clone(), WebConfig::default());
    sandbox.fail_next("list_chats", "too_many_requests", 2);
    let started = Instant::now();
    client.call(&ListChats::new()).await.unwrap();
    // The sandbox sends `Retry-After: 1` with every 429: two waits of at least 1 s.
    assert!(started.elapsed() >= Duration::from_secs(2));
    sandbox.shutdown().await;
}

#[tokio::test]
async fn the_retry_budget_ends_with_the_last_error() {
    let (sandbox, agent) = start().await;
    let policy = RetryPolicy::default().max_attempts(2);
    let client = agent_client(
        &sandbox,
        agent.token.clone(),
        WebConfig::default().retry(policy),
    );
    sandbox.fail_next("list_chats", "service_unavailable", 3);
    let err = client.call(&ListChats::new()).await.unwrap_err();
    let Error::Api {
        error, http_status, ..
    } = err
    else {
        panic!("{err:?}")
    };
    assert_eq!(error.kind, ErrorType::ServiceUnavailable);
    assert_eq!(http_status, Some(503));
    // One failure is left armed: two were used by the two attempts.
    client.call(&ListChats::new()).await.unwrap();
    sandbox.shutdown().await;
}

#[tokio::test]
async fn unsafe_requests_are_retried_on_503_but_not_on_500() {
    let (sandbox, agent) = start().await;
    // `create_customer` (3.5) creates something each time it runs.
    let v35 = |config| {
        let session = AgentSession::agent()
            .base_url(sandbox.http_url())
            .version(ApiVersion::V3_5);
        WebClient::new(session, agent.token.clone(), config)
    };
    let client = v35(WebConfig::default());
    let request = lc_protocol::agent::CreateCustomer::new();
    sandbox.fail_next("create_customer", "service_unavailable", 1);
    client.call(&request).await.unwrap();
    sandbox.fail_next("create_customer", "internal", 1);
    let err = client.call(&request).await.unwrap_err();
    assert_eq!(err.api_error().unwrap().kind, ErrorType::Internal);
    // Opting in repeats it.
    let policy = RetryPolicy::default().retry_unsafe(true);
    let client = v35(WebConfig::default().retry(policy));
    sandbox.fail_next("create_customer", "internal", 1);
    client.call(&request).await.unwrap();
    sandbox.shutdown().await;
}

#[tokio::test]
async fn malformed_and_truncated_bodies_are_decode_errors() {
    let (sandbox, agent) = start().await;
    let client = agent_client(&sandbox, agent.token.clone(), WebConfig::default());
    sandbox.respond_raw_next("list_chats", 200, r#"{"chats_summary":[{"id":"#);
    let err = client.call(&ListChats::new()).await.unwrap_err();
    assert!(
        matches!(
            &err,
            Error::Decode {
                source: FrameError::Body { status: 200, .. },
                ..
            }
        ),
        "{err:?}"
    );
    sandbox.respond_raw_next("list_chats", 400, "<html>Bad gateway</html>");
    let err = client.call(&ListChats::new()).await.unwrap_err();
    assert!(
        matches!(
            &err,
            Error::Decode {
                source: FrameError::Body { status: 400, .. },
                ..
            }
        ),
        "{err:?}"
    );
    // JSON of the wrong shape: the payload does not match the response type.
    sandbox.respond_raw_next("list_chats", 200, r#"{"chats_summary": 7}"#);
    let err = client.call(&ListChats::new()).await.unwrap_err();
    assert!(
        matches!(
            &err,
            Error::Decode {
                source: FrameError::Payload { .. },
                ..
            }
        ),
        "{err:?}"
    );
    // Both wrong in shape and cut: still a body that is not JSON, though the typed
    // read meets the wrong shape first.
    sandbox.respond_raw_next("list_chats", 200, r#"{"chats_summary": 7, "found_chats": "#);
    let err = client.call(&ListChats::new()).await.unwrap_err();
    assert!(
        matches!(
            &err,
            Error::Decode {
                source: FrameError::Body { status: 200, .. },
                ..
            }
        ),
        "{err:?}"
    );
    // The untyped call sees the same bodies the same way.
    sandbox.respond_raw_next("list_chats", 200, r#"{"chats_summary": 7, "found_chats": "#);
    let err = client
        .call_raw("list_chats", serde_json::json!({}))
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            Error::Decode {
                source: FrameError::Body { status: 200, .. },
                ..
            }
        ),
        "{err:?}"
    );
    // Nothing is left broken.
    client.call(&ListChats::new()).await.unwrap();
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_gateway_page_on_a_safe_request_is_retried() {
    let (sandbox, agent) = start().await;
    let client = agent_client(&sandbox, agent.token.clone(), WebConfig::default());
    sandbox.respond_raw_next("list_chats", 502, "<html>Bad gateway</html>");
    client.call(&ListChats::new()).await.unwrap();
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_slow_server_times_out() {
    let (sandbox, agent) = start().await;
    let config = WebConfig::default()
        .timeout(Duration::from_millis(200))
        .retry(RetryPolicy::none());
    let client = agent_client(&sandbox, agent.token.clone(), config);
    sandbox.set_action_delay("list_chats", Duration::from_secs(2));
    let err = client.call(&ListChats::new()).await.unwrap_err();
    assert!(
        matches!(&err, Error::Timeout { action, .. } if action == "list_chats"),
        "{err:?}"
    );
    sandbox.shutdown().await;
}

#[tokio::test]
async fn an_expired_token_is_refreshed_by_the_provider() {
    let (sandbox, agent) = start().await;
    let fresh = sandbox.mint_token_for_agent(&agent.id).unwrap();
    sandbox.revoke_token(&agent.token);
    let tokens = RecordingTokens::new([agent.token.clone(), fresh]);
    let client = agent_client(&sandbox, tokens.clone(), WebConfig::default());
    client.call(&ListChats::new()).await.unwrap();
    assert_eq!(tokens.asked(), 2);
    assert_eq!(tokens.invalidated(), 1);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_misdirected_request_switches_region_once() {
    let (sandbox, agent) = start().await;
    // Sandbox tokens are `dal:` tokens; the server wants `fra`.
    sandbox.require_region(Some("fra"));
    let client = agent_client(&sandbox, agent.token.clone(), WebConfig::default());
    client.call(&ListChats::new()).await.unwrap();
    // The client stays in the new region.
    sandbox.fail_next_with(
        "list_chats",
        lc_protocol::ApiError::new(ErrorType::MisdirectedRequest),
        1,
    );
    let err = client.call(&ListChats::new()).await.unwrap_err();
    assert_eq!(err.api_error().unwrap().kind, ErrorType::MisdirectedRequest);
    client.call(&ListChats::new()).await.unwrap();
    sandbox.shutdown().await;
}

#[tokio::test]
async fn lifecycle_headers_are_logged_once_per_action() {
    let (sandbox, agent) = start().await;
    let session = AgentSession::agent()
        .base_url(sandbox.http_url())
        .version(ApiVersion::V3_5);
    let client = WebClient::new(session, agent.token.clone(), WebConfig::default());
    let logs = capture_logs();
    let _guard = logs.install();
    for _ in 0..3 {
        client.call(&ListChats::new()).await.unwrap();
    }
    client.call(&ListRoutingStatuses::new()).await.unwrap();
    let text = logs.text();
    assert_eq!(text.matches("API version is legacy").count(), 2, "{text}");
    assert!(text.contains("2026-08-07"));
    assert!(!text.contains(agent.token.expose()));
    sandbox.shutdown().await;
}

#[tokio::test]
async fn uploads_report_progress_and_the_file_is_served_back() {
    let (sandbox, agent) = start().await;
    let client = agent_client(&sandbox, agent.token.clone(), WebConfig::default());
    let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let upload =
        Upload::bytes("photo.png", data.clone()).on_progress(move |p| sink.lock().unwrap().push(p));
    let uploaded = client.upload_file(upload).await.unwrap();
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.first(), Some(&0.0));
    assert_eq!(seen.last(), Some(&1.0));
    assert!(seen.windows(2).all(|w| w[0] <= w[1]));
    let back = client
        .engine()
        .send(HttpRequest::new(http::Method::GET, uploaded.url))
        .await
        .unwrap();
    assert_eq!(back.status, 200);
    assert_eq!(&back.body[..], &data[..]);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn uploads_read_files_from_disk() {
    let (sandbox, agent) = start().await;
    let client = agent_client(&sandbox, agent.token.clone(), WebConfig::default());
    let path = std::env::temp_dir().join(format!("lc-web-{}.txt", std::process::id()));
    tokio::fs::write(&path, b"from disk").await.unwrap();
    let upload = Upload::path(&path).await.unwrap();
    let uploaded = client.upload_file(upload).await.unwrap();
    tokio::fs::remove_file(&path).await.unwrap();
    assert!(
        uploaded
            .url
            .ends_with(&format!("lc-web-{}.txt", std::process::id()))
    );
    assert_eq!(sandbox.uploaded_file_count(), 1);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn files_over_ten_megabytes_are_refused_before_sending() {
    let (sandbox, agent) = start().await;
    let client = agent_client(&sandbox, agent.token.clone(), WebConfig::default());
    let big = Upload::reader("big.bin", 10 * 1024 * 1024 + 1, tokio::io::empty());
    let err = client.upload_file(big).await.unwrap_err();
    assert!(matches!(err, Error::InvalidInput(_)), "{err:?}");
    assert_eq!(sandbox.uploaded_file_count(), 0);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_cancelled_upload_leaves_nothing_behind() {
    let (sandbox, agent) = start().await;
    let client = agent_client(&sandbox, agent.token.clone(), WebConfig::default());
    let cancel = CancellationToken::new();
    let (reader, first_chunk_read) = SlowReader::new(1024 * 1024);
    let upload = Upload::reader("slow.bin", 1024 * 1024, reader).cancel_on(cancel.clone());
    let canceller = tokio::spawn(async move {
        first_chunk_read.notified().await;
        cancel.cancel();
    });
    let err = client.upload_file(upload).await.unwrap_err();
    assert!(
        matches!(&err, Error::Cancelled { action } if action == "upload_file"),
        "{err:?}"
    );
    canceller.await.unwrap();
    // The server saw the connection end mid-body; it stored nothing, and still works.
    let ok = client
        .upload_file(Upload::bytes("after.txt", "ok"))
        .await
        .unwrap();
    assert!(ok.url.ends_with("after.txt"));
    assert_eq!(sandbox.uploaded_file_count(), 1);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn unreachable_servers_fail_with_a_transport_error_after_retries() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let policy = RetryPolicy::default().max_attempts(2);
    let session = AgentSession::agent().base_url(format!("http://{addr}"));
    let config = WebConfig::default().retry(policy);
    let client = WebClient::new(session, Token::new("dal:x"), config);
    let err = client.call(&ListChats::new()).await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
}

#[tokio::test]
async fn tls_is_verified_and_negotiates_http2() {
    let cert = lc_sandbox::SelfSigned::localhost().unwrap();
    let sandbox = lc_sandbox::Sandbox::builder()
        .tls_pem(cert.cert_pem.clone(), cert.key_pem.clone())
        .start()
        .await
        .unwrap();
    let agent = sandbox.create_agent(lc_sandbox::NewAgent::new("tls@example.com"));
    assert!(sandbox.http_url().starts_with("https://"));
    // The default roots do not trust a self-signed certificate.
    let client = agent_client(
        &sandbox,
        agent.token.clone(),
        WebConfig::default().retry(RetryPolicy::none()),
    );
    let err = client.call(&ListChats::new()).await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    // Trusting it explicitly works, over HTTP/2.
    let tls = Tls::default()
        .add_root_pem(cert.cert_pem.as_bytes())
        .unwrap();
    let config = WebConfig::default().tls(tls);
    let client = agent_client(&sandbox, agent.token.clone(), config);
    client.call(&ListChats::new()).await.unwrap();
    let url = format!("{}/v3.6/agent/action/list_chats", sandbox.http_url());
    let request = HttpRequest::new(http::Method::POST, url)
        .header("authorization", agent.bearer().expose())
        .unwrap()
        .json(&serde_json::json!({}))
        .unwrap();
    let response = client.engine().send(request.clone()).await.unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(response.version, http::Version::HTTP_2);
    // Without HTTP/2 offered, the same server is spoken to over HTTP/1.1.
    let tls = Tls::default()
        .add_root_pem(cert.cert_pem.as_bytes())
        .unwrap();
    let config = WebConfig::default().tls(tls).http2(false);
    let client = agent_client(&sandbox, agent.token.clone(), config);
    client.call(&ListChats::new()).await.unwrap();
    let response = client.engine().send(request).await.unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(response.version, http::Version::HTTP_11);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn an_upload_with_an_expired_token_is_sent_again_with_a_fresh_one() {
    let (sandbox, agent) = start().await;
    let fresh = sandbox.mint_token_for_agent(&agent.id).unwrap();
    sandbox.revoke_token(&agent.token);
    let tokens = RecordingTokens::new([agent.token.clone(), fresh]);
    let client = agent_client(&sandbox, tokens.clone(), WebConfig::default());
    let uploaded = client
        .upload_file(Upload::bytes("again.txt", "twice"))
        .await
        .unwrap();
    assert!(uploaded.url.ends_with("again.txt"));
    assert_eq!((tokens.asked(), tokens.invalidated()), (2, 1));
    assert_eq!(sandbox.uploaded_file_count(), 1);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn requests_name_the_crate_the_region_and_the_credentials_on_the_wire() {
    let (addr, server) = record_heads(1);
    let session = AgentSession::agent()
        .base_url(format!("http://{addr}"))
        .version(ApiVersion::V3_5)
        .author_id("bot-7");
    let client = WebClient::new(session, Token::new("fra:secret"), WebConfig::default());
    client
        .call_raw("list_routing_statuses", serde_json::json!({}))
        .await
        .unwrap();
    let head = server.await.unwrap().remove(0);
    assert!(
        head.starts_with("post /v3.5/agent/action/list_routing_statuses "),
        "{head}"
    );
    let version = env!("CARGO_PKG_VERSION");
    assert!(
        head.contains(&format!("user-agent: livechat-rs/{version} (lc-web)")),
        "{head}"
    );
    assert!(head.contains("authorization: bearer fra:secret"), "{head}");
    assert!(head.contains("x-region: fra"), "{head}");
    assert!(head.contains("x-author-id: bot-7"), "{head}");
    assert!(head.contains("content-type: application/json"), "{head}");
    // `{}`, its length said once.
    assert_eq!(head.matches("content-length:").count(), 1, "{head}");
    assert!(head.contains("content-length: 2\r\n"), "{head}");
}

/// A bare HTTP/1.1 server answering `{}` to `count` requests, one per connection: the
/// request heads it read, lowercased.
fn record_heads(count: usize) -> (std::net::SocketAddr, tokio::task::JoinHandle<Vec<String>>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    let listener = tokio::net::TcpListener::from_std(listener).unwrap();
    let server = tokio::spawn(async move {
        let mut heads = Vec::new();
        for _ in 0..count {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut head = Vec::new();
            let mut buf = [0u8; 4096];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = socket.read(&mut buf).await.unwrap();
                assert!(n > 0, "the client closed before sending a whole head");
                head.extend_from_slice(&buf[..n]);
            }
            let reply = "HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 2\r\n\r\n{}";
            socket.write_all(reply.as_bytes()).await.unwrap();
            heads.push(String::from_utf8_lossy(&head).to_lowercase());
        }
        heads
    });
    (addr, server)
}

#[tokio::test]
async fn the_engine_sends_the_length_of_the_body_it_sends() {
    let (addr, server) = record_heads(2);
    let engine = lc_web::HttpEngine::new(WebConfig::default().retry(RetryPolicy::none()));
    // A length set by the caller that does not match the body is replaced by the body's.
    let post = HttpRequest::new(http::Method::POST, format!("http://{addr}/a"))
        .header("content-length", "99")
        .unwrap()
        .json(&serde_json::json!({"k": 1}))
        .unwrap();
    assert_eq!(engine.send(post).await.unwrap().status, 200);
    // No body: a length of 0, as before.
    let get = HttpRequest::new(http::Method::GET, format!("http://{addr}/b"));
    assert_eq!(engine.send(get).await.unwrap().status, 200);
    let heads = server.await.unwrap();
    assert_eq!(
        heads[0].matches("content-length:").count(),
        1,
        "{}",
        heads[0]
    );
    assert!(heads[0].contains("content-length: 7\r\n"), "{}", heads[0]);
    assert!(heads[1].starts_with("get /b "), "{}", heads[1]);
    assert!(heads[1].contains("content-length: 0\r\n"), "{}", heads[1]);
}

/// Never gives a token.
struct Hanging;

#[async_trait::async_trait]
impl lc_protocol::auth::TokenProvider for Hanging {
    async fn token(&self) -> Result<Token, Error> {
        std::future::pending().await
    }
}

#[tokio::test]
async fn a_token_provider_that_hangs_fails_the_call_with_a_token_error() {
    let (sandbox, _) = start().await;
    let config = WebConfig::default().token_timeout(Duration::from_millis(200));
    let client = agent_client(&sandbox, Hanging, config);
    let started = Instant::now();
    let request = ListChats::new();
    let call = tokio::time::timeout(Duration::from_secs(5), client.call(&request));
    let err = call.await.expect("the call must end").unwrap_err();
    assert!(
        matches!(
            err,
            Error::Transport {
                failure: lc_protocol::TransportFailure::Token,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(2));
    sandbox.shutdown().await;
}

#[tokio::test]
async fn plaintext_urls_to_other_hosts_are_warned_about_once_per_client() {
    let logs = capture_logs();
    let _guard = logs.install();
    let config = WebConfig::default()
        .connect_timeout(Duration::from_millis(100))
        .retry(RetryPolicy::none());
    // TEST-NET-1: never reachable.
    let at = |url: &str| AgentSession::agent().base_url(url);
    let remote = WebClient::new(
        at("http://192.0.2.1:9"),
        Token::new("dal:secret"),
        config.clone(),
    );
    for _ in 0..2 {
        let _ = remote.call(&ListChats::new()).await;
    }
    let local = WebClient::new(
        at("http://localhost:9"),
        Token::new("dal:secret"),
        config.clone(),
    );
    let _ = local.call(&ListChats::new()).await;
    let tls = WebClient::new(at("https://192.0.2.1:9"), Token::new("dal:secret"), config);
    drop(tls);
    let text = logs.text();
    let warnings = text
        .lines()
        .filter(|l| l.contains("WARN") && l.contains("plaintext"));
    assert_eq!(warnings.count(), 1, "{text}");
    assert!(text.contains("192.0.2.1"), "{text}");
    assert!(!text.contains("secret"), "{text}");
}
