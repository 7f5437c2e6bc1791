//! A slice of the inputs over real sockets against a running sandbox: RTM frames over
//! one WebSocket (reconnected when the sandbox closes it) and Web bodies over HTTP, then
//! a well-formed request that must still succeed.

use crate::generate::{Gen, Ids};
use crate::harness::{Config, Failure, PANICS, guarded, input_rng, last_panic};
use crate::sandbox::{check_rtm_answer, maybe_mutate, rtm_frame};
use crate::spec::Spec;
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use lc_protocol::Api;
use lc_sandbox::{NewAgent, NewCustomer, Sandbox};
use serde_json::{Value, json};
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How long one answer may take.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);

/// Runs the slice; the number of inputs sent.
///
/// # Errors
/// The first failure: a panic, a missing or malformed answer, or a sandbox that no
/// longer answers a well-formed request.
pub fn run(config: &Config, spec: &Spec) -> Result<u64, Failure> {
    let fail = |index: u64, input: String, problem: String| Failure {
        part: "sockets".into(),
        seed: config.seed,
        index,
        input,
        problem,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| fail(0, String::new(), e.to_string()))?;
    let before = PANICS.load(Ordering::SeqCst);
    let sent = runtime.block_on(async {
        let sandbox = Sandbox::builder()
            .organization_id("fuzz-org")
            .start()
            .await
            .map_err(|e| fail(0, String::new(), e.to_string()))?;
        let agent = sandbox.create_agent(NewAgent::new("ann@example.com").groups([0]));
        let customer = sandbox.create_customer(NewCustomer::new().name("Jane"));
        let token = format!("Bearer {}", agent.token.expose());
        let ids = Ids {
            agents: vec![agent.id.to_string()],
            customers: vec![customer.id.to_string()],
            tokens: vec![token.clone()],
            groups: vec![0],
            organization: "fuzz-org".into(),
            ..Ids::default()
        };
        let g = Gen::new(spec, ids);
        let url = format!("{}/v3.6/agent/rtm/ws", sandbox.ws_url());
        let mut socket = connect(&url, &token)
            .await
            .map_err(|e| fail(0, String::new(), e))?;
        let mut input = String::new();
        for index in 0..config.socket_frames {
            let mut rng = input_rng(config.seed, 3, index);
            let frame = rtm_frame(&g, &mut rng, Api::Agent);
            let text = maybe_mutate(&g, &mut rng, frame);
            input.clone_from(&text);
            let answer = exchange(&mut socket, &text).await;
            let result = guarded(
                "sockets",
                config.seed,
                index,
                &mut input,
                |_| match &answer {
                    Ok(Some(frames)) => check_rtm_answer(&text, frames).map(|_| ()),
                    // The sandbox closed the connection (a logout): reconnect below.
                    Ok(None) => Ok(()),
                    Err(e) => Err(e.clone()),
                },
            );
            result?;
            if !matches!(answer, Ok(Some(_))) {
                socket = connect(&url, &token)
                    .await
                    .map_err(|e| fail(index, text, e))?;
            }
        }
        let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
        for index in 0..config.socket_http {
            let mut rng = input_rng(config.seed, 4, index);
            let frame = rtm_frame(&g, &mut rng, Api::Agent);
            // Never empty: `/action/` is no action route.
            let action = frame["action"]
                .as_str()
                .filter(|a| !a.is_empty())
                .unwrap_or("x")
                .to_owned();
            let body = maybe_mutate(&g, &mut rng, frame["payload"].clone());
            let uri = format!(
                "{}/v3.6/agent/action/{}",
                sandbox.http_url(),
                encode(&action)
            );
            input = format!("POST {uri}\n{body}");
            // The sandbox may answer before it read the body (past the largest Web body,
            // 1 MiB: 413; an action the version lacks, bad credentials: at once); it then
            // reads and discards up to 1 MiB more, and past that closes the connection:
            // the client may see it reset while still sending, and such a connection
            // must not go back to the pool for the next input.
            let unread = body.len() > EARLY_ANSWER_BODY;
            let answer = post(&client, &uri, &token, body, unread).await;
            guarded("sockets", config.seed, index, &mut input, |_| {
                let (status, json) = match answer {
                    Err(problem) if unread && problem.starts_with("request failed") => {
                        return Ok(());
                    }
                    answer => answer?,
                };
                if status.is_success()
                    || (json["error"]["type"].is_string() && json["error"]["message"].is_string())
                {
                    Ok(())
                } else {
                    Err(format!("a {status} answer without an error object: {json}"))
                }
            })?;
        }
        // Still answering well-formed requests, over a new connection and over HTTP.
        let mut fresh = connect(&url, &token)
            .await
            .map_err(|e| fail(0, "login".into(), e))?;
        let ping = json!({ "action": "ping", "request_id": "final", "payload": {} }).to_string();
        match exchange(&mut fresh, &ping).await {
            Ok(Some(frames)) if check_rtm_answer(&ping, &frames) == Ok(true) => {}
            other => {
                return Err(fail(
                    0,
                    ping,
                    format!("the sandbox no longer answers a ping: {other:?}"),
                ));
            }
        }
        let uri = format!("{}/v3.6/agent/action/list_chats", sandbox.http_url());
        match post(&client, &uri, &token, "{}".into(), false).await {
            Ok((status, json)) if status.is_success() && json["chats_summary"].is_array() => {}
            other => {
                return Err(fail(
                    0,
                    uri,
                    format!("the sandbox no longer answers list_chats: {other:?}"),
                ));
            }
        }
        sandbox.shutdown().await;
        Ok(config.socket_frames + config.socket_http)
    })?;
    if PANICS.load(Ordering::SeqCst) != before {
        return Err(fail(
            0,
            String::new(),
            format!("panic in the server: {}", last_panic()),
        ));
    }
    Ok(sent)
}

/// Connects and logs in.
async fn connect(url: &str, token: &str) -> Result<Socket, String> {
    let (mut socket, _) = tokio_tungstenite::connect_async(url)
        .await
        .map_err(|e| format!("could not connect: {e}"))?;
    let login = json!({ "action": "login", "request_id": "login", "payload": { "token": token } })
        .to_string();
    match exchange(&mut socket, &login).await? {
        Some(frames) if check_rtm_answer(&login, &frames) == Ok(true) => Ok(socket),
        other => Err(format!("login failed: {other:?}")),
    }
}

/// The largest RTM message, and Web body, the sandbox reads.
const MAX_RTM_MESSAGE: usize = 1 << 20;

/// A Web body past this size may still be on its way when the sandbox, having answered
/// early and discarded as much of it as it reads, closes the connection.
const EARLY_ANSWER_BODY: usize = 1 << 20;

/// Sends `text` and reads until a response arrives: the frames read, or `None` when
/// the sandbox closed the connection first.
async fn exchange(socket: &mut Socket, text: &str) -> Result<Option<Vec<String>>, String> {
    // Past the sandbox's largest RTM message (1 MiB) the sandbox closes the connection
    // (close code 1009), possibly while the frame is still being sent.
    let oversized = text.len() > MAX_RTM_MESSAGE;
    match socket.send(Message::text(text)).await {
        Ok(()) => {}
        Err(_) if oversized => return Ok(None),
        Err(e) => return Err(format!("send failed: {e}")),
    }
    let mut frames = Vec::new();
    loop {
        let next = tokio::time::timeout(ANSWER_TIMEOUT, socket.next())
            .await
            .map_err(|_| format!("no response within {ANSWER_TIMEOUT:?}"))?;
        match next {
            Some(Ok(Message::Text(frame))) => {
                let response = serde_json::from_str::<Value>(frame.as_str())
                    .is_ok_and(|v| v["type"] == "response");
                frames.push(frame.as_str().to_owned());
                if response {
                    return Ok(Some(frames));
                }
            }
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return Ok(None),
            Some(Ok(_)) => {}
        }
    }
}

/// POSTs `body` with the agent's token: the status and the JSON answer.
async fn post(
    client: &Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>,
    uri: &str,
    token: &str,
    body: String,
    last_on_connection: bool,
) -> Result<(http::StatusCode, Value), String> {
    let mut request = http::Request::post(uri)
        .header("authorization", token)
        .header("content-type", "application/json");
    if last_on_connection {
        // The sandbox may answer this body without reading it and then close the
        // connection: it must not go back to the pool for the next input.
        request = request.header("connection", "close");
    }
    let request = request
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| e.to_string())?;
    let response = tokio::time::timeout(ANSWER_TIMEOUT, client.request(request))
        .await
        .map_err(|_| format!("no answer within {ANSWER_TIMEOUT:?}"))?
        .map_err(|e| format!("request failed: {e}"))?;
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    let json = serde_json::from_slice(&body).map_err(|e| {
        format!(
            "a {status} answer is not JSON ({e}): {}",
            String::from_utf8_lossy(&body)
        )
    })?;
    Ok((status, json))
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
