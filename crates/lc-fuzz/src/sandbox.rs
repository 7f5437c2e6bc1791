//! The sandbox's request handlers, in process (no sockets): RTM frames through the
//! dispatch, Web actions (JSON bodies, query strings, multipart uploads), Inbenta REST
//! and realtime messages. Every answer is checked for its documented shape.

use crate::generate::{Gen, Ids};
use crate::mutate::{mutate_bytes, mutate_text, mutate_value};
use crate::rng::Rng;
use crate::spec::Spec;
use bytes::Bytes;
use http::{Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use lc_protocol::{Api, ApiVersion, HttpMethod, meta};
use lc_sandbox::fuzzing::{InbentaSocket, RtmConnection};
use lc_sandbox::{NewAgent, NewCustomer, NewInbentaAgent, NewInbentaApp, Sandbox};
use serde_json::{Value, json};
use std::time::Duration;

/// How long one in-process HTTP request may take (answers are immediate; only an
/// Inbenta `assign` long-polls).
/// Rooms of the Inbenta app, and some that are not.
const ROOMS: [&str; 3] = ["1", "2", ""];

const HTTP_TIMEOUT: Duration = Duration::from_secs(5);

/// One RTM connection and how to log it in again.
struct Slot {
    api: Api,
    version: ApiVersion,
    login: Option<String>,
    conn: RtmConnection,
}

/// A sandbox with agents, customers, a chat and an Inbenta app, and the connections
/// the inputs go through.
pub struct World {
    sandbox: Sandbox,
    ids: Ids,
    agent_tokens: Vec<String>,
    customer_tokens: Vec<String>,
    slots: Vec<Slot>,
    inbenta_tokens: Vec<String>,
    sockets: Vec<InbentaSocket>,
}

/// Counters of what the inputs reached.
#[derive(Debug, Default, Clone)]
pub struct Reached {
    /// Successful answers.
    pub ok: u64,
    /// Error answers of the documented shape.
    pub errors: u64,
}

impl World {
    /// Starts a sandbox and fills it.
    pub async fn new() -> Result<Self, String> {
        let sandbox = Sandbox::builder()
            .organization_id("fuzz-org")
            .start()
            .await
            .map_err(|e| e.to_string())?;
        sandbox.create_group(1, "Sales");
        let a1 = sandbox.create_agent(NewAgent::new("ann@example.com").name("Ann").groups([0, 1]));
        let a2 = sandbox.create_agent(NewAgent::new("bob@example.com").name("Bob"));
        let customers: Vec<_> = (0..3)
            .map(|i| {
                sandbox.create_customer(
                    NewCustomer::new()
                        .name(format!("C{i}"))
                        .email("c@example.com"),
                )
            })
            .collect();
        let bearer = |t: &lc_protocol::id::Token| format!("Bearer {}", t.expose());
        let agent_tokens = vec![bearer(&a1.token), bearer(&a2.token)];
        let customer_tokens: Vec<String> = customers.iter().map(|c| bearer(&c.token)).collect();
        let mut ids = Ids {
            agents: vec![a1.id.to_string(), a2.id.to_string()],
            customers: customers.iter().map(|c| c.id.to_string()).collect(),
            tokens: agent_tokens
                .iter()
                .chain(&customer_tokens)
                .cloned()
                .collect(),
            groups: vec![0, 1],
            organization: "fuzz-org".into(),
            ..Ids::default()
        };
        let app = sandbox.create_inbenta_app(
            NewInbentaApp::new("fuzz-app")
                .secret("s3cret")
                .domain_key("dk"),
        );
        let ann = sandbox.create_inbenta_agent(&app.app_id, NewInbentaAgent::new("Ann"));
        let mut world = Self {
            sandbox,
            ids: Ids::default(),
            agent_tokens,
            customer_tokens,
            slots: Vec::new(),
            inbenta_tokens: vec![ann.token.expose().to_owned()],
            sockets: Vec::new(),
        };
        let login = |token: &str| {
            json!({ "action": "login", "request_id": "login", "payload": { "token": token } })
                .to_string()
        };
        let plan = [
            (
                Api::Agent,
                ApiVersion::V3_6,
                Some(login(&world.agent_tokens[0])),
            ),
            (
                Api::Agent,
                ApiVersion::V3_4,
                Some(login(&world.agent_tokens[1])),
            ),
            (
                Api::Customer,
                ApiVersion::V3_6,
                Some(login(&world.customer_tokens[0])),
            ),
            (
                Api::Customer,
                ApiVersion::V3_3,
                Some(login(&world.customer_tokens[1])),
            ),
            (Api::Agent, ApiVersion::V3_5, None),
        ];
        for (api, version, login) in plan {
            let conn = world.sandbox.rtm_in_process(api, version);
            world.slots.push(Slot {
                api,
                version,
                login,
                conn,
            });
            let slot = world.slots.len() - 1;
            world.relogin(slot);
        }
        world.rtm(0, &json!({ "action": "set_routing_status", "request_id": "r", "payload": { "status": "accepting_chats" } }));
        // A chat started by a customer, answered by the agent.
        let started = world.rtm(2, &json!({ "action": "start_chat", "request_id": "s",
            "payload": { "chat": { "thread": { "events": [ { "type": "message", "text": "hello" } ] } } } }));
        if let Some(payload) = started {
            collect_ids(&payload, &mut ids);
        }
        if let Some(chat) = ids.chats.first().cloned() {
            let sent = world.rtm(0, &json!({ "action": "send_event", "request_id": "e",
                "payload": { "chat_id": chat, "event": { "type": "message", "text": "hi there" } } }));
            if let Some(payload) = sent {
                collect_ids(&payload, &mut ids);
            }
        }
        // Inbenta: an end user with a chat and a message.
        let user = world
            .http(
                Method::POST,
                "/v1/users",
                &[("x-hyper-appid", "fuzz-app")],
                json!({ "name": "Eve" }).to_string().into(),
            )
            .await?;
        let token = user.1["session"]["token"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        ids.inbenta_users = vec![
            ann.id.clone(),
            user.1["user"]["id"].as_str().unwrap_or_default().to_owned(),
        ];
        world.inbenta_tokens.push(token.clone());
        let chat = world
            .http(
                Method::POST,
                "/v1/chats",
                &[("x-hyper-appid", "fuzz-app"), ("x-hyper-token", &token)],
                json!({ "room": "1" }).to_string().into(),
            )
            .await?;
        let chat_id = chat.1["chat"]["id"].as_str().unwrap_or_default().to_owned();
        let message = world
            .http(
                Method::POST,
                &format!("/v1/chats/{chat_id}/messages"),
                &[("x-hyper-appid", "fuzz-app"), ("x-hyper-token", &token)],
                json!({ "message": "hi" }).to_string().into(),
            )
            .await?;
        ids.inbenta_chats = vec![chat_id];
        ids.inbenta_messages = vec![
            message.1["message"]["id"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        ];
        for token in world.inbenta_tokens.clone() {
            if let Some(socket) = world.sandbox.inbenta_socket_in_process("fuzz-app", &token) {
                world.sockets.push(socket);
            }
        }
        world.ids = ids;
        world.drain();
        Ok(world)
    }

    /// The ids generated payloads use.
    pub fn ids(&self) -> &Ids {
        &self.ids
    }

    /// Stops the sandbox.
    pub async fn shutdown(self) {
        let Self {
            sandbox,
            slots,
            sockets,
            ..
        } = self;
        drop(slots);
        drop(sockets);
        sandbox.shutdown().await;
    }

    /// Sends `frame` on slot `slot`, returning the payload of a successful response.
    fn rtm(&mut self, slot: usize, frame: &Value) -> Option<Value> {
        let conn = &mut self.slots[slot].conn;
        conn.send(&frame.to_string());
        let (frames, _) = conn.written();
        frames
            .iter()
            .filter_map(|f| serde_json::from_str::<Value>(f).ok())
            .find(|f| f["type"] == "response" && f["success"] == true)
            .map(|f| f["payload"].clone())
    }

    /// Opens slot `slot` again if the sandbox dropped it, and logs it in.
    fn relogin(&mut self, slot: usize) {
        let s = &mut self.slots[slot];
        if !s.conn.registered() {
            s.conn = self.sandbox.rtm_in_process(s.api, s.version);
        }
        if let Some(login) = s.login.clone() {
            s.conn.send(&login);
            let _ = s.conn.written();
        }
    }

    /// Empties every connection's queue (pushes to the others).
    fn drain(&mut self) {
        for slot in &mut self.slots {
            let _ = slot.conn.written();
        }
        for socket in &mut self.sockets {
            let _ = socket.written();
        }
    }

    /// One in-process HTTP request: its status and JSON body (`Null` when not JSON).
    async fn http(
        &self,
        method: Method,
        uri: &str,
        headers: &[(&str, &str)],
        body: Bytes,
    ) -> Result<(StatusCode, Value, Bytes), String> {
        let mut builder = Request::builder().method(method).uri(uri);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let request = builder
            .body(Full::new(body))
            .map_err(|e| format!("bad request built: {e}"))?;
        let response = tokio::time::timeout(HTTP_TIMEOUT, self.sandbox.serve_in_process(request))
            .await
            .map_err(|_| format!("no answer within {HTTP_TIMEOUT:?}"))?;
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        let json = serde_json::from_slice(&body).unwrap_or(Value::Null);
        Ok((status, json, body))
    }
}

/// Chat, thread and event ids found in a response payload.
fn collect_ids(payload: &Value, ids: &mut Ids) {
    if let Some(chat) = payload["chat_id"].as_str() {
        ids.chats.push(chat.to_owned());
    }
    if let Some(thread) = payload["thread_id"].as_str() {
        ids.threads.push(thread.to_owned());
    }
    if let Some(events) = payload["event_ids"].as_array() {
        ids.events
            .extend(events.iter().filter_map(Value::as_str).map(str::to_owned));
    }
    if let Some(event) = payload["event_id"].as_str() {
        ids.events.push(event.to_owned());
    }
}

/// The sandbox target: one world, replaced every so often so that its state stays small.
pub struct SandboxTarget<'s> {
    spec: &'s Spec,
    /// What the inputs reached.
    pub reached: Reached,
}

impl<'s> SandboxTarget<'s> {
    /// A target over `spec`.
    pub fn new(spec: &'s Spec) -> Self {
        Self {
            spec,
            reached: Reached::default(),
        }
    }

    /// Runs one input against `world`; `input` receives it first.
    ///
    /// # Errors
    /// A failed check, described.
    pub async fn run_one(
        &mut self,
        world: &mut World,
        rng: &mut Rng,
        input: &mut String,
    ) -> Result<(), String> {
        let g = Gen::new(self.spec, world.ids.clone());
        let result = match rng.below(100) {
            0..=54 => self.rtm(world, &g, rng, input),
            55..=79 => self.web(world, &g, rng, input).await,
            80..=83 => self.upload(world, &g, rng, input).await,
            84..=91 => self.inbenta_rest(world, &g, rng, input).await,
            _ => self.inbenta_socket(world, &g, rng, input),
        };
        world.drain();
        result
    }

    /// An RTM frame on one of the world's connections.
    fn rtm(
        &mut self,
        world: &mut World,
        g: &Gen<'_>,
        rng: &mut Rng,
        input: &mut String,
    ) -> Result<(), String> {
        let slot = rng.below(world.slots.len());
        let api = world.slots[slot].api;
        let frame = rtm_frame(g, rng, api);
        let text = maybe_mutate(g, rng, frame);
        *input = format!(
            "RTM {api} {} slot {slot}: {text}",
            world.slots[slot].version
        );
        let conn = &mut world.slots[slot].conn;
        conn.send(&text);
        let (frames, _) = conn.written();
        let registered = conn.registered();
        let check = check_rtm_answer(&text, &frames);
        for frame in &frames {
            if let Ok(v) = serde_json::from_str::<Value>(frame) {
                if v["success"] == true {
                    world.ids.learn(&v["payload"]);
                }
            }
        }
        if !registered {
            world.relogin(slot);
        }
        match check {
            Ok(true) => self.reached.ok += 1,
            Ok(false) => self.reached.errors += 1,
            Err(_) if !registered => {}
            Err(e) => return Err(e),
        }
        if rng.one_in(50) {
            world.relogin(slot);
        }
        Ok(())
    }

    /// A Web action: a JSON body, or a query string for the GET actions.
    async fn web(
        &mut self,
        world: &mut World,
        g: &Gen<'_>,
        rng: &mut Rng,
        input: &mut String,
    ) -> Result<(), String> {
        let api = [Api::Agent, Api::Customer, Api::Configuration][rng.below(3)];
        let actions = g.spec.actions_of(api);
        let action = rng.pick(&actions).ok_or("no actions")?;
        // An unknown action name (never empty: `/action/` is no action route).
        let name = if rng.one_in(30) {
            g.word(rng) + "x"
        } else {
            action.name.clone()
        };
        let version = ["3.3", "3.4", "3.5", "3.6"][rng.below(4)];
        let payload = g.object(rng, &action.fields, 0);
        let get = meta::find_action(api, &name).and_then(|m| m.web) == Some(HttpMethod::Get)
            && rng.chance(70);
        let mut query = String::new();
        if api == Api::Customer && !rng.one_in(20) {
            query.push_str(if version == "3.3" && rng.chance(50) {
                "license_id=104130623"
            } else {
                "organization_id=fuzz-org"
            });
        }
        let body: Bytes = if get {
            let mut payload = payload;
            if rng.chance(40) {
                mutate_value(g, rng, &mut payload);
            }
            if let Value::Object(map) = &payload {
                for (key, value) in map {
                    let value = match value {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    if !query.is_empty() {
                        query.push('&');
                    }
                    query.push_str(&format!("{}={}", encode(key), encode(&value)));
                }
            }
            if rng.chance(20) {
                query = mutate_text(rng, &query).replace(['#', ' '], "%20");
            }
            Bytes::new()
        } else {
            let text = maybe_mutate(g, rng, payload);
            let mut bytes = text.into_bytes();
            if rng.one_in(10) {
                mutate_bytes(rng, &mut bytes);
            }
            Bytes::from(bytes)
        };
        let uri = format!(
            "/v{version}/{}/action/{}?{}",
            api.as_str(),
            encode(&name),
            query
        );
        let auth = self.authorization(world, api, rng);
        let mut headers = vec![];
        if let Some(auth) = &auth {
            headers.push(("authorization", auth.as_str()));
        }
        let method = if get { Method::GET } else { Method::POST };
        *input = format!(
            "{method} {uri} auth={auth:?}\n{}",
            String::from_utf8_lossy(&body)
        );
        let Ok(_) = uri.parse::<http::Uri>() else {
            return Ok(());
        };
        let (status, json, raw) = world.http(method, &uri, &headers, body).await?;
        if status.is_success() {
            world.ids.learn(&json);
        }
        self.check_web(status, &json, &raw)
    }

    /// `upload_file` with a multipart body, well formed or not.
    async fn upload(
        &mut self,
        world: &mut World,
        g: &Gen<'_>,
        rng: &mut Rng,
        input: &mut String,
    ) -> Result<(), String> {
        let boundary = if rng.one_in(10) {
            g.word(rng)
        } else {
            "XyZfuzzBoundary".to_owned()
        };
        let (name, filename) = match rng.below(4) {
            0 => ("file", "photo.png".to_owned()),
            1 => ("file", g.word(rng)),
            2 => (["files", "", "FILE"][rng.below(3)], "a.txt".to_owned()),
            _ => ("file", "setup.exe".to_owned()),
        };
        let content = "x".repeat(rng.below(2000));
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\nContent-Type: image/png\r\n\r\n{content}\r\n--{boundary}--\r\n"
        )
        .into_bytes();
        if rng.chance(50) {
            mutate_bytes(rng, &mut body);
        }
        let inbenta = rng.chance(30);
        let content_type = if rng.one_in(10) {
            "multipart/form-data".to_owned()
        } else {
            format!("multipart/form-data; boundary={boundary}")
        };
        *input = format!(
            "upload inbenta={inbenta} {content_type}\n{}",
            String::from_utf8_lossy(&body)
        );
        if inbenta {
            let chat = world.ids.inbenta_chats.first().cloned().unwrap_or_default();
            let mut full = format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"chatId\"\r\n\r\n{chat}\r\n"
            )
            .into_bytes();
            full.extend_from_slice(&body);
            let token = world.inbenta_tokens.last().cloned().unwrap_or_default();
            let headers = [
                ("x-hyper-appid", "fuzz-app"),
                ("x-hyper-token", token.as_str()),
                ("content-type", content_type.as_str()),
            ];
            if http::HeaderValue::from_str(&content_type).is_err() {
                return Ok(());
            }
            let (status, json, raw) = world
                .http(Method::POST, "/v1/media", &headers, full.into())
                .await?;
            return self.check_inbenta(status, &json, &raw);
        }
        let (api, token) = if rng.chance(50) {
            (Api::Agent, world.agent_tokens[0].clone())
        } else {
            (Api::Customer, world.customer_tokens[0].clone())
        };
        let uri = format!(
            "/v3.6/{}/action/upload_file?organization_id=fuzz-org",
            api.as_str()
        );
        if http::HeaderValue::from_str(&content_type).is_err() {
            return Ok(());
        }
        let headers = [
            ("authorization", token.as_str()),
            ("content-type", content_type.as_str()),
        ];
        let (status, json, raw) = world
            .http(Method::POST, &uri, &headers, body.into())
            .await?;
        self.check_web(status, &json, &raw)
    }

    /// An Inbenta REST route with a generated body.
    async fn inbenta_rest(
        &mut self,
        world: &mut World,
        g: &Gen<'_>,
        rng: &mut Rng,
        input: &mut String,
    ) -> Result<(), String> {
        let chat = g.value(rng, "String", "chatId", 0);
        let chat = chat.as_str().unwrap_or_default();
        let message = world
            .ids
            .inbenta_messages
            .first()
            .cloned()
            .unwrap_or_default();
        let user = g.value(rng, "String", "userId", 0);
        let user = user.as_str().unwrap_or_default();
        let routes: [(Method, String, Value); 14] = [
            (Method::GET, "/v1/agents/available".into(), json!({})),
            (Method::GET, "/v1/agents/online?roomId=1".into(), json!({})),
            (Method::GET, "/v1/settings".into(), json!({})),
            (
                Method::POST,
                "/v1/users".into(),
                json!({ "name": g.word(rng), "contact": "a@b.c", "externalId": g.word(rng), "extraInfo": g.any(rng, 0) }),
            ),
            (
                Method::GET,
                format!("/v1/users/{}", encode(user)),
                json!({}),
            ),
            (
                Method::PUT,
                format!("/v1/users/{}", encode(user)),
                json!({ "name": g.word(rng), "status": g.word(rng) }),
            ),
            (
                Method::POST,
                "/v1/chats".into(),
                json!({ "room": ROOMS[rng.below(3)], "lang": "en", "source": 3 }),
            ),
            (
                Method::GET,
                format!("/v1/chats/{}", encode(chat)),
                json!({}),
            ),
            (
                Method::DELETE,
                format!("/v1/chats/{}?userId={}", encode(chat), encode(user)),
                json!({}),
            ),
            (
                Method::PUT,
                format!("/v1/chats/{}/leave", encode(chat)),
                json!({ "userId": user }),
            ),
            (
                Method::POST,
                format!("/v1/chats/{}/messages", encode(chat)),
                json!({ "message": g.word(rng), "sender": user }),
            ),
            (
                Method::GET,
                format!("/v1/chats/{}/history", encode(chat)),
                json!({}),
            ),
            (
                Method::POST,
                format!("/v1/chats/{}/history", encode(chat)),
                json!({ "history": [ { "message": "m", "sender": user, "type": "text", "created": 1 } ] }),
            ),
            (
                Method::PUT,
                format!("/v1/messages/{}/read", encode(&message)),
                json!({ "userId": user }),
            ),
        ];
        let (method, uri, body) = routes[rng.below(routes.len())].clone();
        let uri = if rng.one_in(40) {
            format!("/v1/chats/{}/assign?maxAttempts=1&interval=0", encode(chat))
        } else {
            uri
        };
        let text = maybe_mutate(g, rng, body);
        let token = world.inbenta_tokens[rng.below(world.inbenta_tokens.len())].clone();
        let credential = match rng.below(6) {
            0 => ("x-hyper-secret", "s3cret".to_owned()),
            1 => ("x-hyper-key", "dk".to_owned()),
            2 => ("x-hyper-token", g.word(rng)),
            _ => ("x-hyper-token", token),
        };
        *input = format!("{method} {uri} {credential:?}\n{text}");
        if http::HeaderValue::from_str(&credential.1).is_err() || uri.parse::<http::Uri>().is_err()
        {
            return Ok(());
        }
        let headers = [
            ("x-hyper-appid", "fuzz-app"),
            (credential.0, credential.1.as_str()),
        ];
        let (status, json, raw) = world.http(method, &uri, &headers, text.into()).await?;
        self.check_inbenta(status, &json, &raw)
    }

    /// A message on an Inbenta realtime socket.
    fn inbenta_socket(
        &mut self,
        world: &mut World,
        g: &Gen<'_>,
        rng: &mut Rng,
        input: &mut String,
    ) -> Result<(), String> {
        let actions = g.spec.actions_of(Api::Inbenta);
        let action = rng.pick(&actions).ok_or("no inbenta actions")?;
        let name = if rng.one_in(30) {
            g.word(rng)
        } else {
            action.name.clone()
        };
        let mut data = g.object(rng, &action.fields, 0);
        if name == "chats:assign" {
            data["interval"] = json!(0);
            data["maxAttempts"] = json!(1);
        }
        let frame = json!({ "id": format!("e{}", rng.below(1000)), "name": name, "data": data });
        let text = maybe_mutate(g, rng, frame);
        let which = rng.below(world.sockets.len().max(1));
        *input = format!("Inbenta socket {which}: {text}");
        let Some(socket) = world.sockets.get_mut(which) else {
            return Ok(());
        };
        socket.send(&text);
        let frames = socket.written();
        let replies: Vec<Value> = frames
            .iter()
            .filter_map(|f| serde_json::from_str::<Value>(f).ok())
            .filter(|f| f.get("id").is_some())
            .collect();
        match lc_protocol::wire::inbenta::decode_request(&text) {
            Ok(request) => {
                if request.name == "chats:assign" && replies.is_empty() {
                    return Ok(());
                }
                let [reply] = replies.as_slice() else {
                    return Err(format!(
                        "{} replies to one request: {frames:?}",
                        replies.len()
                    ));
                };
                if reply["id"] != request.id.as_str() {
                    return Err(format!("the reply names another id: {reply}"));
                }
                if reply.get("data").is_some() {
                    self.reached.ok += 1;
                    return Ok(());
                }
                check_inbenta_error(&reply["error"], None)?;
                self.reached.errors += 1;
            }
            Err(_) => {
                let id = serde_json::from_str::<Value>(&text)
                    .ok()
                    .and_then(|v| v.get("id").and_then(Value::as_str).map(str::to_owned));
                match (id, replies.as_slice()) {
                    (None, []) => {}
                    (Some(id), [reply]) if reply["id"] == id.as_str() => {
                        check_inbenta_error(&reply["error"], Some(400))?;
                        self.reached.errors += 1;
                    }
                    (id, _) => {
                        return Err(format!(
                            "a malformed frame (id {id:?}) got {} replies: {frames:?}",
                            replies.len()
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    /// An `Authorization` header for `api`: mostly a valid one.
    fn authorization(&self, world: &World, api: Api, rng: &mut Rng) -> Option<String> {
        match rng.below(12) {
            0 => None,
            1 => Some("Bearer nope".into()),
            2 => Some("Basic !!!".into()),
            3 => Some(world.customer_tokens[0].clone()),
            _ => Some(match api {
                Api::Customer => {
                    world.customer_tokens[rng.below(world.customer_tokens.len())].clone()
                }
                _ => world.agent_tokens[rng.below(world.agent_tokens.len())].clone(),
            }),
        }
    }

    /// A Web answer: JSON on success, `{"error": {"type", "message"}}` otherwise.
    fn check_web(&mut self, status: StatusCode, json: &Value, raw: &[u8]) -> Result<(), String> {
        if status.is_success() {
            if json.is_null() {
                return Err(format!(
                    "a {status} answer is not JSON: {}",
                    String::from_utf8_lossy(raw)
                ));
            }
            self.reached.ok += 1;
            return Ok(());
        }
        let error = &json["error"];
        if !error["type"].is_string() || !error["message"].is_string() {
            return Err(format!(
                "a {status} answer is not an error object: {}",
                String::from_utf8_lossy(raw)
            ));
        }
        self.reached.errors += 1;
        Ok(())
    }

    /// An Inbenta REST answer: JSON on success, `{"error": {"code", "message"}}` with the
    /// status as code otherwise.
    fn check_inbenta(
        &mut self,
        status: StatusCode,
        json: &Value,
        raw: &[u8],
    ) -> Result<(), String> {
        if status.is_success() {
            if json.is_null() {
                return Err(format!(
                    "a {status} answer is not JSON: {}",
                    String::from_utf8_lossy(raw)
                ));
            }
            self.reached.ok += 1;
            return Ok(());
        }
        check_inbenta_error(&json["error"], Some(status.as_u16()))
            .map_err(|e| format!("{e}: {}", String::from_utf8_lossy(raw)))?;
        self.reached.errors += 1;
        Ok(())
    }
}

/// A request frame for one action of `api` (sometimes an unknown one, another version,
/// a bot author).
pub(crate) fn rtm_frame(g: &Gen<'_>, rng: &mut Rng, api: Api) -> Value {
    let actions = g.spec.actions_of(if rng.one_in(20) {
        Api::Configuration
    } else {
        api
    });
    let action = rng.pick(&actions);
    let name = match action {
        Some(a) if !rng.one_in(30) => a.name.clone(),
        _ => g.word(rng),
    };
    let payload = action.map_or(json!({}), |a| g.object(rng, &a.fields, 0));
    let mut frame = json!({ "action": name, "payload": payload });
    if !rng.one_in(10) {
        frame["request_id"] = json!(format!("r{}", rng.below(1000)));
    }
    if rng.one_in(8) {
        frame["version"] = json!(["3.3", "3.4", "3.5", "3.6", "3.7", "x"][rng.below(6)]);
    }
    if rng.one_in(20) {
        frame["author_id"] = json!("ann@example.com");
    }
    frame
}

/// Checks the answer to one RTM frame: exactly one response, with the request's id and
/// action, a failure carrying `{"error": {"type", "message"}}`; a frame that is not a
/// request gets a `validation` failure. `Ok(success)`.
pub(crate) fn check_rtm_answer(text: &str, frames: &[String]) -> Result<bool, String> {
    let responses: Vec<Value> = frames
        .iter()
        .filter_map(|f| serde_json::from_str::<Value>(f).ok())
        .filter(|f| f["type"] == "response")
        .collect();
    let [response] = responses.as_slice() else {
        return Err(format!(
            "{} responses to one frame: {frames:?}",
            responses.len()
        ));
    };
    let request = lc_protocol::wire::livechat::decode_request(text);
    match &request {
        Ok(request) => {
            let expected = request
                .request_id
                .as_deref()
                .map_or(Value::Null, Value::from);
            if response.get("request_id").cloned().unwrap_or(Value::Null) != expected {
                return Err(format!("the response names another request: {response}"));
            }
            if response["action"] != request.action.as_str() {
                return Err(format!("the response names another action: {response}"));
            }
        }
        Err(_)
            if response["success"] != false
                || response["payload"]["error"]["type"] != "validation" =>
        {
            return Err(format!(
                "a malformed frame was not refused with `validation`: {response}"
            ));
        }
        Err(_) => {}
    }
    if response["success"] == true {
        return Ok(true);
    }
    let error = &response["payload"]["error"];
    if response["success"] != false || !error["type"].is_string() || !error["message"].is_string() {
        return Err(format!("a failure without an error object: {response}"));
    }
    Ok(false)
}

fn check_inbenta_error(error: &Value, status: Option<u16>) -> Result<(), String> {
    let code = error["code"].as_u64();
    if code.is_none() || !error["message"].is_string() {
        return Err(format!("not an Inbenta error object: {error}"));
    }
    if let (Some(status), Some(code)) = (status, code) {
        if u64::from(status) != code {
            return Err(format!("error code {code} under HTTP status {status}"));
        }
    }
    Ok(())
}

/// `value` as text, mutated one time in two.
pub(crate) fn maybe_mutate(g: &Gen<'_>, rng: &mut Rng, mut value: Value) -> String {
    match rng.below(6) {
        0..=2 => value.to_string(),
        3 | 4 => {
            mutate_value(g, rng, &mut value);
            value.to_string()
        }
        _ => mutate_text(rng, &value.to_string()),
    }
}

/// Percent-encodes a query or path component.
fn encode(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const PING: &str = r#"{"action":"ping","request_id":"1","payload":{}}"#;

    #[test]
    fn an_answer_of_the_documented_shape_passes() {
        let ok =
            r#"{"request_id":"1","action":"ping","type":"response","success":true,"payload":{}}"#;
        assert_eq!(check_rtm_answer(PING, &[ok.to_owned()]), Ok(true));
        let failed = r#"{"request_id":"1","action":"ping","type":"response","success":false,"payload":{"error":{"type":"validation","message":"m"}}}"#;
        assert_eq!(check_rtm_answer(PING, &[failed.to_owned()]), Ok(false));
    }

    #[test]
    fn silence_a_second_response_or_a_bare_failure_fail() {
        let ok =
            r#"{"request_id":"1","action":"ping","type":"response","success":true,"payload":{}}"#;
        assert!(check_rtm_answer(PING, &[]).is_err());
        assert!(check_rtm_answer(PING, &[ok.to_owned(), ok.to_owned()]).is_err());
        let bare =
            r#"{"request_id":"1","action":"ping","type":"response","success":false,"payload":{}}"#;
        assert!(check_rtm_answer(PING, &[bare.to_owned()]).is_err());
        let other =
            r#"{"request_id":"2","action":"ping","type":"response","success":true,"payload":{}}"#;
        assert!(check_rtm_answer(PING, &[other.to_owned()]).is_err());
    }

    #[test]
    fn a_malformed_frame_must_be_refused_with_validation() {
        let refused = r#"{"action":"","type":"response","success":false,"payload":{"error":{"type":"validation","message":"m"}}}"#;
        assert_eq!(check_rtm_answer("{", &[refused.to_owned()]), Ok(false));
        let internal = r#"{"action":"","type":"response","success":false,"payload":{"error":{"type":"internal","message":"m"}}}"#;
        assert!(check_rtm_answer("{", &[internal.to_owned()]).is_err());
    }
}
