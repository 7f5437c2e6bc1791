//! Webhook delivery end to end: registrations made through the Configuration API
//! (`/v3.6/configuration/action/register_webhook`, with a PAT and `owner_client_id`),
//! actions over the Agent and Customer Web APIs, and a real receiver
//! ([`common::receiver`]) on 127.0.0.1.
//!
//! NOTE: needs the Configuration API routes of the sandbox (`register_webhook`,
//! `create_bot`, `disable_license_webhooks`, `enable_license_webhooks`); enable this file
//! in `main.rs` once they are merged.

use crate::common;

use common::World;
use common::receiver::{Answer, Receiver};
use common::web::{Web, agent_basic, agent_bearer, customer_bearer};
use lc_protocol::agent::AgentPush;
use lc_protocol::types::Permission;
use lc_protocol::webhook::Webhook;
use lc_sandbox::{
    AgentHandle, DeliveryOutcome, NewAgent, NewCustomer, OAuthClient, Sandbox, SandboxBuilder,
};
use serde_json::{Value, json};
use std::time::Duration;

/// How long a test waits for a delivery that should come.
const WAIT: Duration = Duration::from_secs(5);
/// How long a test waits to be sure a delivery does not come.
const QUIET: Duration = Duration::from_millis(500);

/// A sandbox delivering fast: 300 ms per attempt, 50 ms between attempts.
fn fast() -> SandboxBuilder {
    Sandbox::builder()
        .webhook_timeout(Duration::from_millis(300))
        .webhook_retry_delays(vec![Duration::from_millis(50); 3])
}

/// The world of a test: the usual agent and customer, an owner of the license who
/// configures webhooks, a Web client and an application (OAuth client).
struct Scene {
    world: World,
    owner: AgentHandle,
}

impl std::ops::Deref for Scene {
    type Target = World;
    fn deref(&self) -> &World {
        &self.world
    }
}

async fn scene(builder: SandboxBuilder) -> (Scene, Web, OAuthClient) {
    let world = World::with(builder).await;
    let web = Web::new(&world.sandbox);
    let app = world.sandbox.create_oauth_client();
    let owner = world.sandbox.create_agent(
        NewAgent::new("owner@example.com")
            .name("Owner")
            .permission(Permission::Owner),
    );
    (Scene { world, owner }, web, app)
}

/// `POST /v3.6/configuration/action/{action}` with the owner's PAT.
async fn configure(web: &Web, scene: &Scene, action: &str, payload: Value) -> Value {
    let path = format!("/v3.6/configuration/action/{action}");
    web.post_json(&path, &agent_basic(&scene.owner), &payload)
        .await
        .ok()
}

/// Registers a webhook of `app` (`extra` fields merged in); returns its id.
async fn register(
    web: &Web,
    world: &Scene,
    app: &OAuthClient,
    action: &str,
    url: &str,
    extra: Value,
) -> String {
    let mut payload = json!({
        "action": action, "secret_key": "s3cret", "url": url,
        "owner_client_id": app.client_id, "type": "license",
    });
    if let (Some(map), Value::Object(extra)) = (payload.as_object_mut(), extra) {
        map.extend(extra);
    }
    let registered = configure(web, world, "register_webhook", payload).await;
    registered["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id: {registered}"))
        .to_owned()
}

/// A start_chat payload (customer API) with one message and chat `properties`.
fn chat_with(properties: Value) -> Value {
    json!({"chat": {"properties": properties,
                    "thread": {"events": [{"type": "message", "text": "hi"}]}}})
}

/// The customer starts a chat; its id.
async fn start_chat(web: &Web, customer: &str, properties: Value) -> String {
    let started = web
        .customer("3.6", "start_chat", customer, chat_with(properties))
        .await
        .ok();
    started["chat_id"].as_str().unwrap().to_owned()
}

/// The customer writes `text` in the chat.
async fn customer_says(web: &Web, customer: &str, chat_id: &str, text: &str) {
    let event = json!({"chat_id": chat_id, "event": {"type": "message", "text": text}});
    web.customer("3.6", "send_event", customer, event)
        .await
        .ok();
}

#[tokio::test]
async fn an_agent_event_is_delivered_as_incoming_event_with_secret_and_payload() {
    let (world, web, app) = scene(fast()).await;
    let receiver = Receiver::ok().await;
    let id = register(
        &web,
        &world,
        &app,
        "incoming_event",
        &receiver.url(),
        json!({}),
    )
    .await;
    let customer = customer_bearer(&world.customer);
    let chat_id = start_chat(&web, &customer, json!({})).await;
    // Logging in routes the waiting chat to the agent, who may then write in it.
    let _agent = world.agent_rtm("3.6").await;
    let event = json!({"chat_id": chat_id, "event": {"type": "message", "text": "Hello"}});
    web.agent("3.6", "send_event", &agent_bearer(&world.agent), event)
        .await
        .ok();
    let hits = receiver.wait_for(1, WAIT).await;
    assert_eq!(hits.len(), 1, "{hits:?}");
    let hit = &hits[0];
    assert_eq!(hit.method, "POST");
    assert_eq!(hit.path, "/hook");
    assert_eq!(hit.content_type.as_deref(), Some("application/json"));
    let body = &hit.body;
    assert_eq!(body["webhook_id"], id.as_str());
    assert_eq!(body["secret_key"], "s3cret");
    assert_eq!(body["action"], "incoming_event");
    assert_eq!(body["organization_id"], world.sandbox.organization_id());
    assert_eq!(body["payload"]["chat_id"], chat_id.as_str());
    assert_eq!(body["payload"]["event"]["text"], "Hello");
    assert_eq!(
        body["payload"]["event"]["author_id"],
        world.agent.id.as_str()
    );
    assert_eq!(body["additional_data"], json!({}));
    let webhook = Webhook::from_json(&hit.raw).unwrap();
    assert!(webhook.secret_matches("s3cret"));
    assert!(matches!(webhook.payload, AgentPush::IncomingEvent(_)));
    let log = world.sandbox.wait_for_webhook_deliveries(1, WAIT).await;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].outcome, DeliveryOutcome::Delivered { status: 200 });
    assert_eq!(log[0].webhook_id, id);
    assert_eq!(&log[0].body, body);
    world.world.sandbox.shutdown().await;
}

#[tokio::test]
async fn webhooks_fire_with_no_agent_online() {
    let (world, web, app) = scene(fast()).await;
    let receiver = Receiver::ok().await;
    register(
        &web,
        &world,
        &app,
        "incoming_chat",
        &receiver.url(),
        json!({}),
    )
    .await;
    register(
        &web,
        &world,
        &app,
        "incoming_event",
        &receiver.url(),
        json!({}),
    )
    .await;
    let customer = customer_bearer(&world.customer);
    let chat_id = start_chat(&web, &customer, json!({})).await;
    customer_says(&web, &customer, &chat_id, "anyone?").await;
    let hits = receiver.wait_for(2, WAIT).await;
    let mut actions: Vec<&str> = hits
        .iter()
        .filter_map(|h| h.body["action"].as_str())
        .collect();
    actions.sort_unstable();
    assert_eq!(actions, ["incoming_chat", "incoming_event"]);
    world.world.sandbox.shutdown().await;
}

#[tokio::test]
async fn a_500_twice_then_200_gives_three_attempts_with_the_same_body() {
    let (world, web, app) = scene(fast()).await;
    let script = vec![Answer::Status(500), Answer::Status(500)];
    let receiver = Receiver::scripted(script, Answer::Status(200)).await;
    register(
        &web,
        &world,
        &app,
        "incoming_event",
        &receiver.url(),
        json!({}),
    )
    .await;
    let customer = customer_bearer(&world.customer);
    let chat_id = start_chat(&web, &customer, json!({})).await;
    customer_says(&web, &customer, &chat_id, "once").await;
    let log = world.sandbox.wait_for_webhook_deliveries(3, WAIT).await;
    let attempts: Vec<(u32, bool)> = log.iter().map(|d| (d.attempt, d.last)).collect();
    assert_eq!(attempts, [(1, false), (2, false), (3, true)]);
    assert!(log[2].is_delivered());
    assert!(matches!(
        log[0].outcome,
        DeliveryOutcome::Failed {
            status: Some(500),
            ..
        }
    ));
    let hits = receiver.wait_for(3, WAIT).await;
    assert_eq!(hits.len(), 3);
    assert!(hits.iter().all(|h| h.raw == hits[0].raw), "same body");
    tokio::time::sleep(QUIET).await;
    assert_eq!(receiver.hits().len(), 3, "no attempt after the 200");
    world.world.sandbox.shutdown().await;
}

#[tokio::test]
async fn a_receiver_that_never_answers_gets_four_attempts_then_is_given_up() {
    let (world, web, app) = scene(fast()).await;
    let receiver = Receiver::scripted(vec![], Answer::Hang).await;
    register(
        &web,
        &world,
        &app,
        "incoming_event",
        &receiver.url(),
        json!({}),
    )
    .await;
    let customer = customer_bearer(&world.customer);
    let chat_id = start_chat(&web, &customer, json!({})).await;
    customer_says(&web, &customer, &chat_id, "hello?").await;
    let log = world
        .sandbox
        .wait_for_webhook_deliveries(4, Duration::from_secs(10))
        .await;
    assert_eq!(log.len(), 4, "{log:?}");
    assert!(
        log.iter()
            .all(|d| matches!(d.outcome, DeliveryOutcome::Failed { status: None, .. }))
    );
    assert!(log[3].last);
    tokio::time::sleep(QUIET).await;
    assert_eq!(world.sandbox.webhook_deliveries().len(), 4, "given up");
    assert_eq!(receiver.hits().len(), 4);
    world.world.sandbox.shutdown().await;
}

#[tokio::test]
async fn bot_webhooks_wait_for_a_bot_of_the_application_to_be_on() {
    let (world, web, app) = scene(fast()).await;
    let receiver = Receiver::ok().await;
    let bot = configure(
        &web,
        &world,
        "create_bot",
        json!({"name": "Robo", "owner_client_id": app.client_id}),
    )
    .await;
    let bot_id = bot["id"].as_str().unwrap().to_owned();
    let extra = json!({"type": "bot"});
    register(&web, &world, &app, "incoming_event", &receiver.url(), extra).await;
    let customer = customer_bearer(&world.customer);
    let chat_id = start_chat(&web, &customer, json!({})).await;
    customer_says(&web, &customer, &chat_id, "while the bot is offline").await;
    tokio::time::sleep(QUIET).await;
    assert!(receiver.hits().is_empty(), "the bot is offline");
    let status = json!({"status": "accepting_chats", "agent_id": bot_id});
    web.agent(
        "3.6",
        "set_routing_status",
        &agent_bearer(&world.agent),
        status,
    )
    .await
    .ok();
    customer_says(&web, &customer, &chat_id, "while the bot is on").await;
    let hits = receiver.wait_for(1, WAIT).await;
    assert_eq!(hits.len(), 1);
    assert_eq!(
        hits[0].body["payload"]["event"]["text"],
        "while the bot is on"
    );
    world.world.sandbox.shutdown().await;
}

#[tokio::test]
async fn author_type_delivers_customer_and_agent_events_apart() {
    let (world, web, app) = scene(fast()).await;
    let receiver = Receiver::ok().await;
    let url = receiver.url();
    let customers = json!({"filters": {"author_type": "customer"}});
    let agents = json!({"filters": {"author_type": "agent"}});
    let for_customers = register(&web, &world, &app, "incoming_event", &url, customers).await;
    let for_agents = register(&web, &world, &app, "incoming_event", &url, agents).await;
    let customer = customer_bearer(&world.customer);
    let chat_id = start_chat(&web, &customer, json!({})).await;
    customer_says(&web, &customer, &chat_id, "from the customer").await;
    let hits = receiver.wait_for(1, WAIT).await;
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].body["webhook_id"], for_customers.as_str());
    let _agent = world.agent_rtm("3.6").await;
    let event = json!({"chat_id": chat_id, "event": {"type": "message", "text": "from the agent"}});
    web.agent("3.6", "send_event", &agent_bearer(&world.agent), event)
        .await
        .ok();
    let hits = receiver.wait_for(2, WAIT).await;
    assert_eq!(hits.len(), 2);
    assert_eq!(hits[1].body["webhook_id"], for_agents.as_str());
    assert_eq!(hits[1].body["payload"]["event"]["text"], "from the agent");
    world.world.sandbox.shutdown().await;
}

#[tokio::test]
async fn only_my_chats_delivers_the_chats_the_application_started() {
    let (world, web, app) = scene(fast()).await;
    let receiver = Receiver::ok().await;
    let extra = json!({"filters": {"only_my_chats": true}});
    register(&web, &world, &app, "incoming_event", &receiver.url(), extra).await;
    let other = world
        .sandbox
        .create_customer(NewCustomer::new().name("Joe"));
    let (mine, theirs) = (customer_bearer(&world.customer), customer_bearer(&other));
    let source = json!({"source": {"client_id": app.client_id}});
    let my_chat = start_chat(&web, &mine, source).await;
    let their_chat = start_chat(&web, &theirs, json!({})).await;
    customer_says(&web, &theirs, &their_chat, "not yours").await;
    customer_says(&web, &mine, &my_chat, "yours").await;
    receiver.wait_for(1, WAIT).await;
    tokio::time::sleep(QUIET).await;
    let hits = receiver.hits();
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(hits[0].body["payload"]["chat_id"], my_chat.as_str());
    world.world.sandbox.shutdown().await;
}

#[tokio::test]
async fn nothing_is_delivered_while_license_webhooks_are_disabled() {
    let (world, web, app) = scene(fast()).await;
    let receiver = Receiver::ok().await;
    register(
        &web,
        &world,
        &app,
        "incoming_event",
        &receiver.url(),
        json!({}),
    )
    .await;
    let owner = json!({"owner_client_id": app.client_id});
    configure(&web, &world, "disable_license_webhooks", owner.clone()).await;
    let customer = customer_bearer(&world.customer);
    let chat_id = start_chat(&web, &customer, json!({})).await;
    customer_says(&web, &customer, &chat_id, "disabled").await;
    tokio::time::sleep(QUIET).await;
    assert!(receiver.hits().is_empty());
    assert!(world.sandbox.webhook_deliveries().is_empty());
    configure(&web, &world, "enable_license_webhooks", owner).await;
    customer_says(&web, &customer, &chat_id, "enabled").await;
    let hits = receiver.wait_for(1, WAIT).await;
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].body["payload"]["event"]["text"], "enabled");
    world.world.sandbox.shutdown().await;
}
