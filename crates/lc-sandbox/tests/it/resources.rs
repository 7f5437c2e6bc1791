//! The sandbox under clients that misbehave: it stays up, bounds what they can make it
//! hold, and keeps answering the others.

use crate::common;

use common::{Rtm, World};
use serde_json::json;
use std::time::{Duration, Instant};

/// Waits until `done` holds, up to `bound`.
async fn eventually(bound: Duration, mut done: impl FnMut() -> bool) -> bool {
    let started = Instant::now();
    while started.elapsed() < bound {
        if done() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    done()
}

#[tokio::test]
async fn a_client_that_never_reads_is_cut_and_the_others_are_served() {
    let world = World::new().await;
    let (mut agent, mut customer, chat_id) = world.started_chat().await;
    let connections = world.sandbox.realtime_connection_count();
    assert_eq!(connections, 2);

    // From here on the agent reads nothing; every message is pushed to it (16 KB each).
    // Its socket buffers fill, then the sandbox's queue for it (4 MiB): then it is cut.
    let text = "x".repeat(16 * 1024);
    let mut sent = 0;
    while world.sandbox.realtime_connection_count() == connections {
        assert!(sent < 3_000, "the agent was not cut after {sent} messages");
        let event = json!({"type": "message", "text": text});
        customer
            .ok("send_event", json!({"chat_id": chat_id, "event": event}))
            .await;
        sent += 1;
    }
    assert!(
        sent > 10,
        "cut only once its buffers were full ({sent} messages)"
    );

    // The customer goes on being served, and the cut agent's socket ends.
    let answered = Instant::now();
    customer.ok("list_chats", json!({})).await;
    assert!(answered.elapsed() < Duration::from_secs(2));
    agent.closed().await;
    assert!(
        eventually(Duration::from_secs(5), || world
            .sandbox
            .realtime_connection_count()
            == 1)
        .await,
        "only the customer is left"
    );
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn connections_that_never_log_in_do_not_stall_the_others() {
    let world = World::new().await;
    let mut idle = Vec::new();
    for _ in 0..200 {
        idle.push(Rtm::agent(&world.sandbox, "3.6").await);
    }
    assert_eq!(world.sandbox.realtime_connection_count(), 200);
    let started = Instant::now();
    let mut agent = world.agent_rtm("3.6").await;
    agent.ok("list_routing_statuses", json!({})).await;
    assert!(started.elapsed() < Duration::from_secs(2));
    drop(idle);
    assert!(
        eventually(Duration::from_secs(5), || world
            .sandbox
            .realtime_connection_count()
            == 1)
        .await,
        "the dropped sockets are gone"
    );
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn past_the_connection_cap_new_connections_are_closed_until_one_ends() {
    let builder = lc_sandbox::Sandbox::builder().max_connections(3);
    let world = World::with(builder).await;
    let mut open = Vec::new();
    for _ in 0..3 {
        open.push(Rtm::agent(&world.sandbox, "3.6").await);
    }
    let url = format!("{}/v3.6/agent/rtm/ws", world.sandbox.ws_url());
    let refused = tokio_tungstenite::connect_async(url.as_str()).await;
    assert!(refused.is_err(), "a fourth connection is refused");
    drop(open.pop());
    let mut accepted = None;
    for _ in 0..50 {
        if let Ok((ws, _)) = tokio_tungstenite::connect_async(url.as_str()).await {
            accepted = Some(ws);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        accepted.is_some(),
        "a slot is free again once a connection ends"
    );
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_closed() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let world = World::new().await;
    let mut stream = tokio::net::TcpStream::connect(world.sandbox.local_addr())
        .await
        .unwrap();
    stream
        .write_all(b"POST /v3.6/agent/action/list_chats HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let started = Instant::now();
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut buf)).await;
    assert!(read.is_ok(), "closed within the header read timeout");
    assert!(started.elapsed() >= Duration::from_secs(5), "not before it");
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn an_upload_with_an_endless_part_header_is_refused_and_bounded() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let world = World::new().await;
    let auth = common::web::agent_bearer(&world.agent);
    let stream = tokio::net::TcpStream::connect(world.sandbox.local_addr())
        .await
        .unwrap();
    let (mut read, mut write) = stream.into_split();
    let head = format!(
        "POST /v3.6/agent/action/upload_file HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\n\
         Content-Type: multipart/form-data; boundary=B\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    // 100 MB of one part header that never ends, in chunks of 64 KiB.
    let writer = tokio::spawn(async move {
        write.write_all(head.as_bytes()).await?;
        let first =
            b"--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\nX-Pad: ";
        let mut chunk = format!("{:x}\r\n", first.len()).into_bytes();
        chunk.extend_from_slice(first);
        chunk.extend_from_slice(b"\r\n");
        write.write_all(&chunk).await?;
        let pad = vec![b'a'; 64 * 1024];
        let mut chunk = format!("{:x}\r\n", pad.len()).into_bytes();
        chunk.extend_from_slice(&pad);
        chunk.extend_from_slice(b"\r\n");
        for _ in 0..1_600 {
            write.write_all(&chunk).await?;
        }
        Ok::<_, std::io::Error>(())
    });
    let mut answer = vec![0; 4096];
    let n = tokio::time::timeout(Duration::from_secs(60), read.read(&mut answer))
        .await
        .expect("an answer before the client is done")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer[..n]);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("entity_too_large"), "{answer}");
    writer.abort();

    // The sandbox goes on serving.
    let web = common::web::Web::new(&world.sandbox);
    let reply = web
        .agent("3.6", "list_routing_statuses", &auth, json!({}))
        .await;
    assert_eq!(reply.status, http::StatusCode::OK);
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn an_idle_http_connection_is_closed_after_the_idle_timeout() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let idle = Duration::from_millis(400);
    let world = World::with(lc_sandbox::Sandbox::builder().http_idle_timeout(idle)).await;
    let mut stream = tokio::net::TcpStream::connect(world.sandbox.local_addr())
        .await
        .unwrap();
    stream
        .write_all(b"GET /nothing-here HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0_u8; 4096];
    let read = stream.read(&mut buf).await.unwrap();
    assert!(buf[..read].starts_with(b"HTTP/1.1 404"), "a response first");
    let answered = Instant::now();
    // Kept alive, then closed once idle for the timeout.
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut rest)).await;
    assert!(closed.is_ok(), "closed within the idle timeout");
    assert!(answered.elapsed() >= idle, "not before it");
    world.sandbox.shutdown().await;
}

/// Reads from `read` until `count` responses (status lines) arrived or the peer closed.
async fn read_responses(read: &mut (impl tokio::io::AsyncRead + Unpin), count: usize) -> String {
    use tokio::io::AsyncReadExt;
    let mut text = String::new();
    let mut buf = vec![0; 16 * 1024];
    while text.matches("HTTP/1.1 ").count() < count {
        let n = tokio::time::timeout(Duration::from_secs(10), read.read(&mut buf))
            .await
            .expect("an answer")
            .unwrap_or(0);
        if n == 0 {
            break;
        }
        text.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    text
}

#[tokio::test]
async fn a_request_answered_before_its_body_arrived_keeps_its_connection_for_the_next() {
    use tokio::io::AsyncWriteExt;
    let world = World::new().await;
    let mut stream = tokio::net::TcpStream::connect(world.sandbox.local_addr())
        .await
        .unwrap();
    // No credentials: refused before the body is read.
    let body = format!("{{\"pad\":\"{}\"}}", "a".repeat(48 * 1024));
    let head = format!(
        "POST /v3.6/agent/action/list_chats HTTP/1.1\r\nHost: x\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let (first, second) = body.as_bytes().split_at(body.len() / 2);
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(first).await.unwrap();
    // Long enough for the answer to be written while the rest of the body is on its way.
    tokio::time::sleep(Duration::from_millis(200)).await;
    stream.write_all(second).await.unwrap();
    stream
        .write_all(b"GET /nothing-here HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let answers = read_responses(&mut stream, 2).await;
    let statuses: Vec<&str> = answers
        .match_indices("HTTP/1.1 ")
        .map(|(at, _)| &answers[at + 9..at + 12])
        .collect();
    assert_eq!(statuses, ["401", "404"], "{answers}");
    assert!(!answers.to_ascii_lowercase().contains("connection: close"));
    world.sandbox.shutdown().await;
}

#[tokio::test]
async fn a_body_past_the_drain_limit_is_answered_then_its_connection_closed() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let world = World::new().await;
    let stream = tokio::net::TcpStream::connect(world.sandbox.local_addr())
        .await
        .unwrap();
    let (mut read, mut write) = stream.into_split();
    // 8 MiB announced, sent for as long as the sandbox reads.
    let size = 8 * 1024 * 1024;
    let writer = tokio::spawn(async move {
        let head = format!(
            "POST /v3.6/agent/action/list_chats HTTP/1.1\r\nHost: x\r\n\
             Content-Type: application/json\r\nContent-Length: {size}\r\n\r\n"
        );
        write.write_all(head.as_bytes()).await?;
        let chunk = vec![b' '; 64 * 1024];
        for _ in 0..size / chunk.len() {
            write.write_all(&chunk).await?;
        }
        Ok::<_, std::io::Error>(write)
    });
    let answer = read_responses(&mut read, 1).await;
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("connection: close"),
        "{answer}"
    );
    // And closed after it (the client may see a reset while it still sends).
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(10), read.read_to_end(&mut rest)).await;
    assert!(closed.is_ok(), "closed after the answer");
    writer.abort();
    world.sandbox.shutdown().await;
}
