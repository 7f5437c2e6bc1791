//! The Customer Chat API over real sockets: chats and threads (listing, resuming, the
//! one-chat default), what a customer may see, its profile and pages, configuration and
//! group statuses, agent predictions, welcome messages, URL previews and greetings.

use crate::common;

use bytes::Bytes;
use common::web::{Reply, Web, customer_bearer};
use common::{Rtm, World};
use http::Method;
use lc_protocol::customer::GetFormType;
use lc_sandbox::{AgentHandle, CustomerHandle, NewAgent, NewCustomer, Sandbox};
use serde_json::{Value, json};
use std::time::Duration;

/// How long a test waits to be sure a push does not come.
const QUIET: Duration = Duration::from_millis(300);

/// A JSON string as `String`.
fn text(value: &Value) -> String {
    value
        .as_str()
        .unwrap_or_else(|| panic!("not a string: {value}"))
        .to_owned()
}

/// An RTM connection of `customer`, logged in with `extra` login fields.
async fn customer_login(
    sandbox: &Sandbox,
    customer: &CustomerHandle,
    version: &str,
    extra: Value,
) -> (Rtm, Value) {
    let mut rtm = Rtm::customer(sandbox, version).await;
    let mut payload = json!({"token": customer.bearer().expose()});
    if let (Some(target), Value::Object(fields)) = (payload.as_object_mut(), extra) {
        target.extend(fields);
    }
    let response = rtm.ok("login", payload).await;
    (rtm, response)
}

/// An RTM connection of `agent`, logged in (it accepts chats).
async fn agent_login(sandbox: &Sandbox, agent: &AgentHandle) -> Rtm {
    let mut rtm = Rtm::agent(sandbox, "3.6").await;
    rtm.ok("login", json!({"token": agent.bearer().expose()}))
        .await;
    rtm
}

/// Starts a chat saying `hi`; returns `(chat_id, thread_id)`.
async fn start(customer: &mut Rtm) -> (String, String) {
    let started = customer
        .ok(
            "start_chat",
            json!({"chat": {"thread": {"events": [{"type": "message", "text": "hi"}]}}}),
        )
        .await;
    (text(&started["chat_id"]), text(&started["thread_id"]))
}

/// Closes the chat's thread and opens a new one with `events`; returns the thread id.
async fn new_thread(customer: &mut Rtm, chat_id: &str, events: Value) -> String {
    customer.ok("deactivate_chat", json!({"id": chat_id})).await;
    let resumed = customer
        .ok(
            "resume_chat",
            json!({"chat": {"id": chat_id, "thread": {"events": events}}}),
        )
        .await;
    text(&resumed["thread_id"])
}

/// A chat between the world's customer and agent: the agent got `incoming_chat`.
async fn chatting() -> (World, Rtm, Rtm, String) {
    let world = World::new().await;
    let mut agent = world.agent_rtm("3.6").await;
    let mut customer = world.customer_rtm("3.6").await;
    let (chat_id, _) = start(&mut customer).await;
    agent.push("incoming_chat").await;
    (world, agent, customer, chat_id)
}

/// The agent sends an `agents`-only message, then a message for everyone.
async fn whisper_then_say(agent: &mut Rtm, chat_id: &str) {
    let whisper = json!({"type": "message", "text": "secret", "visibility": "agents"});
    agent
        .ok("send_event", json!({"chat_id": chat_id, "event": whisper}))
        .await;
    let public = json!({"type": "message", "text": "public"});
    agent
        .ok("send_event", json!({"chat_id": chat_id, "event": public}))
        .await;
}

/// The texts of the events of a thread.
fn texts(thread: &Value) -> Vec<String> {
    thread["events"]
        .as_array()
        .unwrap_or_else(|| panic!("no events: {thread}"))
        .iter()
        .filter_map(|e| e["text"].as_str().map(str::to_owned))
        .collect()
}

/// A `GET` of a customer action with `query`, with `auth` when given.
async fn get(web: &Web, version: &str, action: &str, query: &str, auth: Option<&str>) -> Reply {
    let path = web.customer_path(version, action, query);
    let headers: Vec<(&str, &str)> = auth.map(|a| ("authorization", a)).into_iter().collect();
    web.send(Method::GET, &path, &headers, Bytes::new()).await
}

// ---------------------------------------------------------------------------------------
// list_chats

#[tokio::test]
async fn list_chats_returns_only_the_customers_own_chats() {
    let world = World::new().await;
    let other = world.sandbox.create_customer(NewCustomer::new());
    let (mut theirs, _) = customer_login(&world.sandbox, &other, "3.6", json!({})).await;
    start(&mut theirs).await;
    let mut mine = world.customer_rtm("3.6").await;
    let (chat_id, _) = start(&mut mine).await;
    let listed = mine.ok("list_chats", json!({})).await;
    assert_eq!(listed["total_chats"], 1);
    assert_eq!(listed["chats_summary"][0]["id"], chat_id.as_str());
}

#[tokio::test]
async fn list_chats_pages_newest_first_with_cursors() {
    let world = World::with(Sandbox::builder().multiple_chats_per_customer(true)).await;
    let mut customer = world.customer_rtm("3.6").await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(start(&mut customer).await.0);
    }
    let first = customer.ok("list_chats", json!({"limit": 2})).await;
    assert_eq!(first["total_chats"], 3);
    assert_eq!(first["chats_summary"][0]["id"], ids[2].as_str());
    assert_eq!(first["chats_summary"][1]["id"], ids[1].as_str());
    let next = first["next_page_id"].clone();
    let second = customer.ok("list_chats", json!({"page_id": next})).await;
    assert_eq!(second["chats_summary"].as_array().unwrap().len(), 1);
    assert_eq!(second["chats_summary"][0]["id"], ids[0].as_str());
    assert!(second.get("next_page_id").is_none(), "{second}");
    assert!(second["previous_page_id"].is_string(), "{second}");
}

#[tokio::test]
async fn list_chats_sort_order_asc_lists_oldest_first() {
    let world = World::with(Sandbox::builder().multiple_chats_per_customer(true)).await;
    let mut customer = world.customer_rtm("3.6").await;
    let oldest = start(&mut customer).await.0;
    start(&mut customer).await;
    let listed = customer
        .ok("list_chats", json!({"sort_order": "asc"}))
        .await;
    assert_eq!(listed["chats_summary"][0]["id"], oldest.as_str());
}

#[tokio::test]
async fn list_chats_rejects_a_limit_above_25() {
    let world = World::new().await;
    let mut customer = world.customer_rtm("3.6").await;
    let error = customer.fails("list_chats", json!({"limit": 26})).await;
    assert_eq!(error, "validation");
}

#[tokio::test]
async fn list_chats_rejects_sort_order_with_page_id() {
    let world = World::with(Sandbox::builder().multiple_chats_per_customer(true)).await;
    let mut customer = world.customer_rtm("3.6").await;
    start(&mut customer).await;
    start(&mut customer).await;
    let first = customer.ok("list_chats", json!({"limit": 1})).await;
    let payload = json!({"page_id": first["next_page_id"], "sort_order": "asc"});
    assert_eq!(customer.fails("list_chats", payload).await, "validation");
}

#[tokio::test]
async fn list_chats_summary_hides_agents_only_events() {
    let (_world, mut agent, mut customer, chat_id) = chatting().await;
    let whisper = json!({"type": "message", "text": "secret", "visibility": "agents"});
    agent
        .ok("send_event", json!({"chat_id": chat_id, "event": whisper}))
        .await;
    let listed = customer.ok("list_chats", json!({})).await;
    let last = &listed["chats_summary"][0]["last_event_per_type"]["message"]["event"];
    assert_eq!(last["text"], "hi", "{listed}");
}

// ---------------------------------------------------------------------------------------
// list_threads

#[tokio::test]
async fn list_threads_pages_three_threads_by_default() {
    let world = World::new().await;
    let mut customer = world.customer_rtm("3.6").await;
    let (chat_id, first) = start(&mut customer).await;
    let mut threads = vec![first];
    for _ in 0..3 {
        threads.push(new_thread(&mut customer, &chat_id, json!([])).await);
    }
    let page = customer
        .ok("list_threads", json!({"chat_id": chat_id}))
        .await;
    assert_eq!(page["found_threads"], 4);
    let ids: Vec<String> = page["threads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| text(&t["id"]))
        .collect();
    assert_eq!(
        ids,
        vec![threads[3].clone(), threads[2].clone(), threads[1].clone()]
    );
    let rest = customer
        .ok(
            "list_threads",
            json!({"chat_id": chat_id, "page_id": page["next_page_id"]}),
        )
        .await;
    assert_eq!(rest["threads"][0]["id"], threads[0].as_str());
}

#[tokio::test]
async fn list_threads_page_id_of_another_chat_fails() {
    let world = World::with(Sandbox::builder().multiple_chats_per_customer(true)).await;
    let mut customer = world.customer_rtm("3.6").await;
    let (chat_id, _) = start(&mut customer).await;
    for _ in 0..3 {
        new_thread(&mut customer, &chat_id, json!([])).await;
    }
    let (other_chat, _) = start(&mut customer).await;
    let page = customer
        .ok("list_threads", json!({"chat_id": chat_id}))
        .await;
    let payload = json!({"chat_id": other_chat, "page_id": page["next_page_id"]});
    assert_eq!(customer.fails("list_threads", payload).await, "validation");
}

#[tokio::test]
async fn list_threads_min_events_count_returns_the_latest_threads_reaching_it() {
    let world = World::new().await;
    let mut customer = world.customer_rtm("3.6").await;
    let (chat_id, _) = start(&mut customer).await;
    let two = json!([{"type": "message", "text": "a"}, {"type": "message", "text": "b"}]);
    let middle = new_thread(&mut customer, &chat_id, two.clone()).await;
    let last = new_thread(&mut customer, &chat_id, two).await;
    // The last thread holds 2 messages, the middle one 2 and the closing system message.
    let listed = customer
        .ok(
            "list_threads",
            json!({"chat_id": chat_id, "min_events_count": 3}),
        )
        .await;
    let ids: Vec<String> = listed["threads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| text(&t["id"]))
        .collect();
    assert_eq!(ids, vec![last, middle]);
    assert!(listed.get("next_page_id").is_none(), "{listed}");
}

#[tokio::test]
async fn list_threads_rejects_min_events_count_with_limit() {
    let world = World::new().await;
    let mut customer = world.customer_rtm("3.6").await;
    let (chat_id, _) = start(&mut customer).await;
    let payload = json!({"chat_id": chat_id, "min_events_count": 2, "limit": 5});
    assert_eq!(customer.fails("list_threads", payload).await, "validation");
}

#[tokio::test]
async fn list_threads_of_another_customers_chat_is_not_found() {
    let world = World::new().await;
    let mut customer = world.customer_rtm("3.6").await;
    let (chat_id, _) = start(&mut customer).await;
    let other = world.sandbox.create_customer(NewCustomer::new());
    let (mut intruder, _) = customer_login(&world.sandbox, &other, "3.6", json!({})).await;
    let error = intruder
        .fails("list_threads", json!({"chat_id": chat_id}))
        .await;
    assert_eq!(error, "not_found");
}

#[tokio::test]
async fn list_threads_never_returns_agents_only_events() {
    let (_world, mut agent, mut customer, chat_id) = chatting().await;
    whisper_then_say(&mut agent, &chat_id).await;
    let listed = customer
        .ok("list_threads", json!({"chat_id": chat_id}))
        .await;
    assert_eq!(texts(&listed["threads"][0]), vec!["hi", "public"]);
}

// ---------------------------------------------------------------------------------------
// What a customer sees

#[tokio::test]
async fn get_chat_never_returns_agents_only_events() {
    let (_world, mut agent, mut customer, chat_id) = chatting().await;
    whisper_then_say(&mut agent, &chat_id).await;
    let chat = customer.ok("get_chat", json!({"chat_id": chat_id})).await;
    assert_eq!(texts(&chat["thread"]), vec!["hi", "public"]);
    assert!(
        chat["thread"]["events"][1].get("visibility").is_none(),
        "{chat}"
    );
}

#[tokio::test]
async fn agents_only_events_are_never_pushed_to_the_customer() {
    let (_world, mut agent, mut customer, chat_id) = chatting().await;
    whisper_then_say(&mut agent, &chat_id).await;
    let pushed = customer.push("incoming_event").await;
    assert_eq!(pushed["payload"]["event"]["text"], "public");
    customer.no_push("incoming_event", QUIET).await;
}

#[tokio::test]
async fn get_chat_hides_users_added_with_agents_visibility() {
    let (world, mut agent, mut customer, chat_id) = chatting().await;
    let helper = world
        .sandbox
        .create_agent(NewAgent::new("helper@example.com"));
    let payload = json!({
        "chat_id": chat_id,
        "user_id": helper.id.as_str(),
        "user_type": "agent",
        "visibility": "agents",
        "ignore_requester_presence": true,
    });
    agent.ok("add_user_to_chat", payload).await;
    let chat = customer.ok("get_chat", json!({"chat_id": chat_id})).await;
    let users: Vec<String> = chat["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| text(&u["id"]))
        .collect();
    assert!(!users.contains(&helper.id.as_str().to_owned()), "{chat}");
    assert!(
        users.contains(&world.agent.id.as_str().to_owned()),
        "{chat}"
    );
}

// ---------------------------------------------------------------------------------------
// start_chat, resume_chat

#[tokio::test]
async fn start_chat_twice_fails_by_default() {
    let world = World::new().await;
    let mut customer = world.customer_rtm("3.6").await;
    start(&mut customer).await;
    assert_eq!(customer.fails("start_chat", json!({})).await, "validation");
}

#[tokio::test]
async fn start_chat_twice_works_when_several_chats_are_allowed() {
    let world = World::with(Sandbox::builder().multiple_chats_per_customer(true)).await;
    let mut customer = world.customer_rtm("3.6").await;
    let (first, _) = start(&mut customer).await;
    let (second, _) = start(&mut customer).await;
    assert_ne!(first, second);
}

#[tokio::test]
async fn a_failed_start_chat_leaves_no_chat() {
    let world = World::new().await;
    let mut customer = world.customer_rtm("3.6").await;
    let system = json!({"chat": {"thread": {"events": [{"type": "no_such_type", "text": "x"}]}}});
    assert_eq!(customer.fails("start_chat", system).await, "validation");
    let listed = customer.ok("list_chats", json!({})).await;
    assert_eq!(listed["total_chats"], 0);
    start(&mut customer).await;
}

#[tokio::test]
async fn resume_chat_opens_a_new_active_thread() {
    let world = World::new().await;
    let mut customer = world.customer_rtm("3.6").await;
    let (chat_id, first) = start(&mut customer).await;
    let second = new_thread(
        &mut customer,
        &chat_id,
        json!([{"type": "message", "text": "again"}]),
    )
    .await;
    assert_ne!(first, second);
    let chat = customer.ok("get_chat", json!({"chat_id": chat_id})).await;
    assert_eq!(chat["thread"]["id"], second.as_str());
    assert_eq!(chat["thread"]["active"], true);
    assert_eq!(texts(&chat["thread"]), vec!["again"]);
}

#[tokio::test]
async fn resume_chat_routes_the_chat_and_pushes_incoming_chat() {
    let (_world, mut agent, mut customer, chat_id) = chatting().await;
    customer.ok("deactivate_chat", json!({"id": chat_id})).await;
    let resumed = customer
        .ok("resume_chat", json!({"chat": {"id": chat_id}}))
        .await;
    let pushed = agent
        .push_where("incoming_chat", |p| {
            p["payload"]["chat"]["id"] == chat_id.as_str()
        })
        .await;
    assert_eq!(
        pushed["payload"]["chat"]["thread"]["id"],
        resumed["thread_id"]
    );
    let own = customer.push("incoming_chat").await;
    assert_eq!(own["payload"]["chat"]["id"], chat_id.as_str());
}

#[tokio::test]
async fn resume_chat_of_an_active_chat_fails() {
    let world = World::new().await;
    let mut customer = world.customer_rtm("3.6").await;
    let (chat_id, _) = start(&mut customer).await;
    let error = customer
        .fails("resume_chat", json!({"chat": {"id": chat_id}}))
        .await;
    assert_eq!(error, "validation");
}

#[tokio::test]
async fn resume_chat_of_another_customers_chat_is_not_found() {
    let world = World::new().await;
    let mut customer = world.customer_rtm("3.6").await;
    let (chat_id, _) = start(&mut customer).await;
    customer.ok("deactivate_chat", json!({"id": chat_id})).await;
    let other = world.sandbox.create_customer(NewCustomer::new());
    let (mut intruder, _) = customer_login(&world.sandbox, &other, "3.6", json!({})).await;
    let error = intruder
        .fails("resume_chat", json!({"chat": {"id": chat_id}}))
        .await;
    assert_eq!(error, "not_found");
}

#[tokio::test]
async fn resume_chat_merges_properties() {
    let world = World::new().await;
    let mut customer = world.customer_rtm("3.6").await;
    let (chat_id, _) = start(&mut customer).await;
    customer.ok("deactivate_chat", json!({"id": chat_id})).await;
    let payload = json!({"chat": {"id": chat_id, "properties": {"shop": {"cart": 3}}}});
    customer.ok("resume_chat", payload).await;
    let chat = customer.ok("get_chat", json!({"chat_id": chat_id})).await;
    assert_eq!(chat["properties"]["shop"]["cart"], 3);
}

// ---------------------------------------------------------------------------------------
// login, profile, pages

#[tokio::test]
async fn login_customer_page_counts_a_visit_and_a_page_view() {
    let world = World::new().await;
    let page = json!({"customer_page": {"url": "https://shop.example.com/", "title": "Shop"}});
    let (_rtm, response) = customer_login(&world.sandbox, &world.customer, "3.6", page).await;
    let statistics = &response["customer"]["statistics"];
    assert_eq!(statistics["visits_count"], 1, "{response}");
    assert_eq!(statistics["page_views_count"], 1, "{response}");
}

#[tokio::test]
async fn login_referrer_and_page_show_in_the_agents_view_of_the_visit() {
    let world = World::new().await;
    let fields = json!({
        "customer_page": {"url": "https://shop.example.com/cart", "title": "Cart"},
        "referrer": "https://search.example.com/",
        "is_mobile": true,
        "application": {"name": "widget", "version": "1.0", "channel_type": "web"},
    });
    customer_login(&world.sandbox, &world.customer, "3.6", fields).await;
    let mut agent = world.agent_rtm("3.6").await;
    let seen = agent
        .ok("get_customer", json!({"id": world.customer.id.as_str()}))
        .await;
    assert_eq!(
        seen["visit"]["referrer"], "https://search.example.com/",
        "{seen}"
    );
    assert_eq!(
        seen["visit"]["last_pages"][0]["url"],
        "https://shop.example.com/cart"
    );
}

#[tokio::test]
async fn login_rejects_is_mobile_of_the_wrong_type() {
    let world = World::new().await;
    let mut rtm = Rtm::customer(&world.sandbox, "3.6").await;
    let payload = json!({"token": world.customer.bearer().expose(), "is_mobile": "yes"});
    assert_eq!(rtm.fails("login", payload).await, "validation");
}

#[tokio::test]
async fn login_customer_fields_update_the_profile() {
    let world = World::new().await;
    let fields = json!({"customer": {"name": "Janet", "email": "janet@example.com"}});
    let (mut rtm, response) = customer_login(&world.sandbox, &world.customer, "3.6", fields).await;
    assert_eq!(response["customer"]["name"], "Janet");
    let profile = rtm.ok("get_customer", json!({})).await;
    assert_eq!(profile["email"], "janet@example.com");
}

#[tokio::test]
async fn update_customer_changes_what_get_customer_returns() {
    let world = World::new().await;
    let mut customer = world.customer_rtm("3.6").await;
    customer
        .ok(
            "update_customer",
            json!({"name": "Janet", "avatar": "https://a.example/j.png"}),
        )
        .await;
    let profile = customer.ok("get_customer", json!({})).await;
    assert_eq!(profile["name"], "Janet");
    assert_eq!(profile["avatar"], "https://a.example/j.png");
    assert_eq!(profile["type"], "customer");
}

#[tokio::test]
async fn update_customer_pushes_customer_updated_to_the_customer_and_its_chat_agents() {
    let (world, mut agent, mut customer, _chat_id) = chatting().await;
    customer
        .ok("update_customer", json!({"email": "new@example.com"}))
        .await;
    let own = customer.push("customer_updated").await;
    assert_eq!(own["payload"]["email"], "new@example.com");
    let theirs = agent.push("customer_updated").await;
    assert_eq!(theirs["payload"]["id"], world.customer.id.as_str());
    assert_eq!(theirs["payload"]["email"], "new@example.com");
}

#[tokio::test]
async fn update_customer_without_a_change_pushes_nothing() {
    let world = World::new().await;
    let mut customer = world.customer_rtm("3.6").await;
    customer
        .ok("update_customer", json!({"name": "Jane"}))
        .await;
    customer.no_push("customer_updated", QUIET).await;
}

#[tokio::test]
async fn update_customer_without_fields_fails() {
    let world = World::new().await;
    let mut customer = world.customer_rtm("3.6").await;
    assert_eq!(
        customer.fails("update_customer", json!({})).await,
        "validation"
    );
}

#[tokio::test]
async fn update_customer_address_is_rejected_before_3_6() {
    let world = World::new().await;
    let mut customer = world.customer_rtm("3.5").await;
    let payload = json!({"address": {"city": "Wroclaw"}});
    assert_eq!(
        customer.fails("update_customer", payload).await,
        "validation"
    );
}

#[tokio::test]
async fn update_customer_address_shows_in_get_customer_in_3_6_only() {
    let world = World::new().await;
    let mut customer = world.customer_rtm("3.6").await;
    customer
        .ok("update_customer", json!({"address": {"city": "Wroclaw"}}))
        .await;
    let profile = customer.ok("get_customer", json!({})).await;
    assert_eq!(profile["address"]["city"], "Wroclaw");
    let mut old = world.customer_rtm("3.5").await;
    let profile = old.ok("get_customer", json!({})).await;
    assert!(profile.get("address").is_none(), "{profile}");
}

#[tokio::test]
async fn update_customer_page_pushes_customer_page_updated_to_chat_agents() {
    let (world, mut agent, mut customer, _chat_id) = chatting().await;
    let page = json!({"url": "https://shop.example.com/shoes", "title": "Shoes"});
    let response = customer.ok("update_customer_page", page).await;
    assert_eq!(response, json!({}));
    let pushed = agent.push("customer_page_updated").await;
    let payload = &pushed["payload"];
    assert_eq!(payload["customer_id"], world.customer.id.as_str());
    assert_eq!(payload["url"], "https://shop.example.com/shoes");
    assert_eq!(payload["title"], "Shoes");
    assert_eq!(payload["visit_id"], 1);
    assert!(payload["opened_at"].is_string(), "{payload}");
}

#[tokio::test]
async fn update_customer_page_is_not_pushed_to_the_customer() {
    let (_world, _agent, mut customer, _chat_id) = chatting().await;
    customer
        .ok(
            "update_customer_page",
            json!({"url": "https://shop.example.com/"}),
        )
        .await;
    customer.no_push("customer_page_updated", QUIET).await;
}

#[tokio::test]
async fn set_customer_session_fields_replaces_them_and_pushes_customer_updated() {
    let world = World::new().await;
    let mut customer = world.customer_rtm("3.6").await;
    customer
        .ok(
            "set_customer_session_fields",
            json!({"session_fields": [{"a": "1"}, {"b": "2"}]}),
        )
        .await;
    customer
        .ok(
            "set_customer_session_fields",
            json!({"session_fields": [{"c": "3"}]}),
        )
        .await;
    let pushed = customer
        .push_where("customer_updated", |p| {
            p["payload"]["session_fields"] == json!([{"c": "3"}])
        })
        .await;
    assert_eq!(pushed["payload"]["id"], world.customer.id.as_str());
    let profile = customer.ok("get_customer", json!({})).await;
    assert_eq!(profile["session_fields"], json!([{"c": "3"}]));
}

#[tokio::test]
async fn set_customer_session_fields_rejects_more_than_100_keys() {
    let world = World::new().await;
    let mut customer = world.customer_rtm("3.6").await;
    let fields: Vec<Value> = (0..101).map(|i| json!({format!("k{i}"): "v"})).collect();
    let error = customer
        .fails(
            "set_customer_session_fields",
            json!({"session_fields": fields}),
        )
        .await;
    assert_eq!(error, "validation");
}

#[tokio::test]
async fn customer_page_activity_answers_empty_objects_in_3_6() {
    let world = World::new().await;
    let mut customer = world.customer_rtm("3.6").await;
    assert_eq!(
        customer.ok("deactivate_customer_page", json!({})).await,
        json!({})
    );
    assert_eq!(
        customer.ok("activate_customer_page", json!({})).await,
        json!({})
    );
}

#[tokio::test]
async fn customer_page_activity_is_unavailable_in_3_5() {
    let world = World::new().await;
    let mut customer = world.customer_rtm("3.5").await;
    let error = customer.fails("activate_customer_page", json!({})).await;
    assert_eq!(error, "validation");
}

// ---------------------------------------------------------------------------------------
// Properties and configuration over Web

#[tokio::test]
async fn list_license_properties_over_get_needs_no_authorization() {
    let world = World::new().await;
    world
        .sandbox
        .set_license_property("widget", "color", json!("blue"));
    let web = Web::new(&world.sandbox);
    let reply = get(&web, "3.6", "list_license_properties", "", None).await;
    assert_eq!(reply.ok(), json!({"widget": {"color": "blue"}}));
}

#[tokio::test]
async fn list_license_properties_filters_by_namespace_and_name() {
    let world = World::new().await;
    world
        .sandbox
        .set_license_property("widget", "color", json!("blue"));
    world
        .sandbox
        .set_license_property("widget", "size", json!(3));
    world
        .sandbox
        .set_license_property("other", "color", json!("red"));
    let web = Web::new(&world.sandbox);
    let reply = get(
        &web,
        "3.6",
        "list_license_properties",
        "namespace=widget&name=color",
        None,
    )
    .await;
    assert_eq!(reply.ok(), json!({"widget": {"color": "blue"}}));
}

#[tokio::test]
async fn list_group_properties_over_get_filters_by_namespace() {
    let world = World::new().await;
    world
        .sandbox
        .set_group_property(4, "widget", "color", json!("green"));
    world.sandbox.set_group_property(4, "other", "x", json!(1));
    let web = Web::new(&world.sandbox);
    let reply = get(
        &web,
        "3.6",
        "list_group_properties",
        "id=4&namespace=widget",
        None,
    )
    .await;
    assert_eq!(reply.ok(), json!({"widget": {"color": "green"}}));
}

#[tokio::test]
async fn list_group_properties_of_an_unknown_group_fails() {
    let world = World::new().await;
    let web = Web::new(&world.sandbox);
    let reply = get(&web, "3.6", "list_group_properties", "id=77", None).await;
    assert_eq!(reply.error_type(), "group_not_found");
}

#[tokio::test]
async fn get_dynamic_configuration_nests_livechat_in_3_6() {
    let world = World::new().await;
    let web = Web::new(&world.sandbox);
    let auth = customer_bearer(&world.customer);
    let body = get(&web, "3.6", "get_dynamic_configuration", "", Some(&auth))
        .await
        .ok();
    assert_eq!(
        body["organization_id"],
        world.sandbox.organization_id().as_str()
    );
    assert_eq!(body["default_widget"], "livechat");
    assert_eq!(body["livechat_active"], true);
    assert_eq!(body["livechat"]["group_id"], 0);
    assert_eq!(body["livechat"]["language"], "en");
    assert!(body["livechat"]["config_version"].is_string(), "{body}");
    assert!(body.get("group_id").is_none(), "{body}");
}

#[tokio::test]
async fn get_dynamic_configuration_is_flat_in_3_5() {
    let world = World::new().await;
    let web = Web::new(&world.sandbox);
    let auth = customer_bearer(&world.customer);
    let body = get(&web, "3.5", "get_dynamic_configuration", "", Some(&auth))
        .await
        .ok();
    assert_eq!(body["group_id"], 0);
    assert!(body["config_version"].is_string(), "{body}");
    assert!(body.get("livechat").is_none(), "{body}");
}

#[tokio::test]
async fn get_dynamic_configuration_lists_the_online_groups() {
    let world = World::new().await;
    let web = Web::new(&world.sandbox);
    let auth = customer_bearer(&world.customer);
    let offline = get(&web, "3.6", "get_dynamic_configuration", "", Some(&auth))
        .await
        .ok();
    assert!(
        offline["livechat"].get("online_group_ids").is_none(),
        "{offline}"
    );
    let _agent = world.agent_rtm("3.6").await;
    let online = get(&web, "3.6", "get_dynamic_configuration", "", Some(&auth))
        .await
        .ok();
    assert_eq!(online["livechat"]["online_group_ids"], json!([0]));
}

#[tokio::test]
async fn config_version_changes_with_the_configuration() {
    let world = World::new().await;
    let web = Web::new(&world.sandbox);
    let auth = customer_bearer(&world.customer);
    let version = |body: Value| body["livechat"]["config_version"].clone();
    let before = version(
        get(&web, "3.6", "get_dynamic_configuration", "", Some(&auth))
            .await
            .ok(),
    );
    world
        .sandbox
        .set_group_property(0, "widget", "color", json!("red"));
    let after = version(
        get(&web, "3.6", "get_dynamic_configuration", "", Some(&auth))
            .await
            .ok(),
    );
    assert_ne!(before, after);
}

#[tokio::test]
async fn get_configuration_carries_properties_and_enabled_forms() {
    let world = World::new().await;
    world
        .sandbox
        .set_license_property("widget", "color", json!("blue"));
    world
        .sandbox
        .set_group_property(0, "widget", "size", json!(2));
    world
        .sandbox
        .set_form_enabled(0, GetFormType::Prechat, true);
    let web = Web::new(&world.sandbox);
    let auth = customer_bearer(&world.customer);
    let body = get(
        &web,
        "3.6",
        "get_configuration",
        "group_id=0&version=1.0.a",
        Some(&auth),
    )
    .await
    .ok();
    assert_eq!(
        body["properties"]["license"],
        json!({"widget": {"color": "blue"}})
    );
    assert_eq!(body["properties"]["group"], json!({"widget": {"size": 2}}));
    assert_eq!(body["prechat_form"]["id"], "prechat");
    assert!(body.get("ticket_form").is_none(), "{body}");
    assert_eq!(body["buttons"][0]["type"], "text");
}

#[tokio::test]
async fn get_localization_returns_phrases() {
    let world = World::new().await;
    let web = Web::new(&world.sandbox);
    let auth = customer_bearer(&world.customer);
    let query = "group_id=0&language=en&version=1.0.a";
    let body = get(&web, "3.6", "get_localization", query, Some(&auth))
        .await
        .ok();
    assert_eq!(body["Chat_now"], "Chat now");
}

#[tokio::test]
async fn get_localization_of_an_unknown_group_fails() {
    let world = World::new().await;
    let web = Web::new(&world.sandbox);
    let auth = customer_bearer(&world.customer);
    let query = "group_id=9&language=en&version=1.0.a";
    let reply = get(&web, "3.6", "get_localization", query, Some(&auth)).await;
    assert_eq!(reply.error_type(), "group_not_found");
}

// ---------------------------------------------------------------------------------------
// Group statuses, forms, predicted agents

/// A sandbox whose group 1 has an agent, and a customer in group 1.
async fn group_world() -> (World, AgentHandle, CustomerHandle) {
    let world = World::new().await;
    world.sandbox.create_group(1, "Sales");
    world.sandbox.create_group(2, "Support");
    let seller = world
        .sandbox
        .create_agent(NewAgent::new("seller@example.com").groups([1]));
    let buyer = world.sandbox.create_customer(NewCustomer::new().group(1));
    (world, seller, buyer)
}

#[tokio::test]
async fn list_group_statuses_reports_online_when_an_agent_accepts_chats() {
    let (world, seller, _) = group_world().await;
    let _agent = agent_login(&world.sandbox, &seller).await;
    let mut customer = world.customer_rtm("3.6").await;
    let statuses = customer
        .ok("list_group_statuses", json!({"group_ids": [1, 2]}))
        .await;
    assert_eq!(
        statuses["groups_status"],
        json!({"1": "online", "2": "offline"})
    );
}

#[tokio::test]
async fn list_group_statuses_reports_online_for_queue_when_no_agent_accepts() {
    let (world, seller, _) = group_world().await;
    let mut agent = agent_login(&world.sandbox, &seller).await;
    agent
        .ok(
            "set_routing_status",
            json!({"status": "not_accepting_chats"}),
        )
        .await;
    let mut customer = world.customer_rtm("3.6").await;
    let statuses = customer
        .ok("list_group_statuses", json!({"group_ids": [1]}))
        .await;
    assert_eq!(statuses["groups_status"]["1"], "online_for_queue");
}

#[tokio::test]
async fn list_group_statuses_all_lists_every_group() {
    let (world, _, _) = group_world().await;
    let mut customer = world.customer_rtm("3.6").await;
    let statuses = customer
        .ok("list_group_statuses", json!({"all": true}))
        .await;
    assert_eq!(
        statuses["groups_status"],
        json!({"0": "offline", "1": "offline", "2": "offline"})
    );
}

#[tokio::test]
async fn list_group_statuses_omits_unknown_groups() {
    let world = World::new().await;
    let mut customer = world.customer_rtm("3.6").await;
    let statuses = customer
        .ok("list_group_statuses", json!({"group_ids": [0, 42]}))
        .await;
    assert_eq!(statuses["groups_status"], json!({"0": "offline"}));
}

#[tokio::test]
async fn list_group_statuses_requires_all_or_group_ids() {
    let world = World::new().await;
    let mut customer = world.customer_rtm("3.6").await;
    let error = customer.fails("list_group_statuses", json!({})).await;
    assert_eq!(error, "validation");
}

#[tokio::test]
async fn get_form_is_disabled_by_default() {
    let world = World::new().await;
    let mut customer = world.customer_rtm("3.6").await;
    let form = customer
        .ok("get_form", json!({"group_id": 0, "type": "prechat"}))
        .await;
    assert_eq!(form, json!({"enabled": false}));
}

#[tokio::test]
async fn get_form_returns_the_default_prechat_form_once_enabled() {
    let world = World::new().await;
    world
        .sandbox
        .set_form_enabled(0, GetFormType::Prechat, true);
    let mut customer = world.customer_rtm("3.6").await;
    let form = customer
        .ok("get_form", json!({"group_id": 0, "type": "prechat"}))
        .await;
    assert_eq!(form["enabled"], true);
    let kinds: Vec<String> = form["form"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| text(&f["type"]))
        .collect();
    assert_eq!(kinds, vec!["header", "name", "email"]);
    let postchat = customer
        .ok("get_form", json!({"group_id": 0, "type": "postchat"}))
        .await;
    assert_eq!(postchat["enabled"], false);
}

#[tokio::test]
async fn get_form_of_an_unknown_group_fails() {
    let world = World::new().await;
    let mut customer = world.customer_rtm("3.6").await;
    let error = customer
        .fails("get_form", json!({"group_id": 5, "type": "ticket"}))
        .await;
    assert_eq!(error, "group_not_found");
}

#[tokio::test]
async fn get_predicted_agent_returns_an_accepting_agent_of_the_customers_group() {
    let (world, seller, buyer) = group_world().await;
    let _smith = world.agent_rtm("3.6").await;
    let _seller = agent_login(&world.sandbox, &seller).await;
    let (mut customer, _) = customer_login(&world.sandbox, &buyer, "3.6", json!({})).await;
    let predicted = customer.ok("get_predicted_agent", json!({})).await;
    assert_eq!(predicted["agent"]["id"], "seller@example.com");
    assert_eq!(predicted["agent"]["type"], "agent");
    assert_eq!(predicted["queue"], false);
}

#[tokio::test]
async fn get_predicted_agent_fails_group_offline_without_agents() {
    let (world, _, buyer) = group_world().await;
    let (mut customer, _) = customer_login(&world.sandbox, &buyer, "3.6", json!({})).await;
    let error = customer.fails("get_predicted_agent", json!({})).await;
    assert_eq!(error, "group_offline");
}

#[tokio::test]
async fn get_predicted_agent_fails_group_unavailable_when_no_agent_accepts() {
    let (world, seller, buyer) = group_world().await;
    let mut agent = agent_login(&world.sandbox, &seller).await;
    agent
        .ok(
            "set_routing_status",
            json!({"status": "not_accepting_chats"}),
        )
        .await;
    let (mut customer, _) = customer_login(&world.sandbox, &buyer, "3.6", json!({})).await;
    let error = customer.fails("get_predicted_agent", json!({})).await;
    assert_eq!(error, "group_unavailable");
}

#[tokio::test]
async fn request_welcome_message_answers_then_pushes_incoming_welcome_message() {
    let world = World::new().await;
    let _agent = world.agent_rtm("3.6").await;
    let mut customer = world.customer_rtm("3.6").await;
    let response = customer
        .ok("request_welcome_message", json!({"id": "w1"}))
        .await;
    assert_eq!(response["id"], "w1");
    assert_eq!(response["predicted_agent"]["id"], world.agent.id.as_str());
    let pushed = customer.push("incoming_welcome_message").await;
    assert_eq!(pushed["payload"]["id"], "w1");
    assert_eq!(pushed["payload"]["event"]["type"], "message");
    assert_eq!(
        pushed["payload"]["event"]["author_id"],
        world.agent.id.as_str()
    );
}

#[tokio::test]
async fn request_welcome_message_is_unavailable_in_3_5() {
    let world = World::new().await;
    let mut customer = world.customer_rtm("3.5").await;
    let error = customer.fails("request_welcome_message", json!({})).await;
    assert_eq!(error, "validation");
}

// ---------------------------------------------------------------------------------------
// URL previews, goals, e-mail verification

#[tokio::test]
async fn get_url_info_derives_the_title_from_the_url() {
    let world = World::new().await;
    let mut customer = world.customer_rtm("3.6").await;
    let url = "https://www.example.com/blog/my-first-post.html?ref=x";
    let info = customer.ok("get_url_info", json!({"url": url})).await;
    assert_eq!(info["title"], "My first post");
    assert_eq!(info["url"], url);
    let home = customer
        .ok("get_url_info", json!({"url": "https://www.example.com/"}))
        .await;
    assert_eq!(home["title"], "example.com");
}

#[tokio::test]
async fn get_url_info_rejects_a_non_http_url() {
    let world = World::new().await;
    let mut customer = world.customer_rtm("3.6").await;
    let error = customer
        .fails("get_url_info", json!({"url": "ftp://example.com/file"}))
        .await;
    assert_eq!(error, "validation");
}

#[tokio::test]
async fn check_goals_over_web_answers_an_empty_object() {
    let world = World::new().await;
    let web = Web::new(&world.sandbox);
    let payload =
        json!({"session_fields": [{"a": "b"}], "group_id": 0, "page_url": "https://example.com/"});
    let reply = web
        .customer(
            "3.6",
            "check_goals",
            &customer_bearer(&world.customer),
            payload,
        )
        .await;
    assert_eq!(reply.ok(), json!({}));
}

#[tokio::test]
async fn check_goals_of_an_unknown_group_fails() {
    let world = World::new().await;
    let web = Web::new(&world.sandbox);
    let payload = json!({"session_fields": [], "group_id": 8, "page_url": "https://example.com/"});
    let reply = web
        .customer(
            "3.6",
            "check_goals",
            &customer_bearer(&world.customer),
            payload,
        )
        .await;
    assert_eq!(reply.error_type(), "group_not_found");
}

#[tokio::test]
async fn request_email_verification_over_web_answers_an_empty_object() {
    let world = World::new().await;
    let web = Web::new(&world.sandbox);
    let payload = json!({"callback_uri": "https://example.com/verified"});
    let reply = web
        .customer(
            "3.6",
            "request_email_verification",
            &customer_bearer(&world.customer),
            payload,
        )
        .await;
    assert_eq!(reply.ok(), json!({}));
}

#[tokio::test]
async fn request_email_verification_rejects_a_non_url_callback() {
    let world = World::new().await;
    let web = Web::new(&world.sandbox);
    let payload = json!({"callback_uri": "not a url"});
    let reply = web
        .customer(
            "3.6",
            "request_email_verification",
            &customer_bearer(&world.customer),
            payload,
        )
        .await;
    assert_eq!(reply.error_type(), "validation");
}

#[tokio::test]
async fn list_chats_over_web_lists_the_customers_chats() {
    let world = World::new().await;
    let mut customer = world.customer_rtm("3.6").await;
    let (chat_id, _) = start(&mut customer).await;
    let web = Web::new(&world.sandbox);
    let reply = web
        .customer(
            "3.6",
            "list_chats",
            &customer_bearer(&world.customer),
            json!({}),
        )
        .await;
    assert_eq!(reply.ok()["chats_summary"][0]["id"], chat_id.as_str());
}

// ---------------------------------------------------------------------------------------
// Greetings

/// The world's customer connected, shown a greeting; returns its `incoming_greeting`.
async fn greeted(world: &World) -> (Rtm, Value) {
    let mut customer = world.customer_rtm("3.6").await;
    let unique_id = world
        .sandbox
        .send_greeting(&world.customer.id, "Need help?")
        .expect("a known customer");
    let pushed = customer.push("incoming_greeting").await;
    assert_eq!(pushed["payload"]["unique_id"], unique_id.as_str());
    (customer, pushed["payload"].clone())
}

#[tokio::test]
async fn send_greeting_pushes_incoming_greeting() {
    let world = World::new().await;
    let (_customer, greeting) = greeted(&world).await;
    assert_eq!(greeting["event"]["text"], "Need help?");
    assert_eq!(greeting["displayed_first_time"], true);
    assert!(greeting["id"].is_u64(), "{greeting}");
}

#[tokio::test]
async fn accept_greeting_pushes_greeting_accepted() {
    let world = World::new().await;
    let (mut customer, greeting) = greeted(&world).await;
    let payload = json!({"greeting_id": greeting["id"], "unique_id": greeting["unique_id"]});
    customer.ok("accept_greeting", payload).await;
    let pushed = customer.push("greeting_accepted").await;
    assert_eq!(pushed["payload"]["unique_id"], greeting["unique_id"]);
}

#[tokio::test]
async fn accept_greeting_twice_fails_greeting_not_found() {
    let world = World::new().await;
    let (mut customer, greeting) = greeted(&world).await;
    let payload = json!({"greeting_id": greeting["id"], "unique_id": greeting["unique_id"]});
    customer.ok("accept_greeting", payload.clone()).await;
    assert_eq!(
        customer.fails("accept_greeting", payload).await,
        "greeting_not_found"
    );
}

#[tokio::test]
async fn accept_greeting_with_an_unknown_unique_id_fails() {
    let world = World::new().await;
    let (mut customer, greeting) = greeted(&world).await;
    let payload = json!({"greeting_id": greeting["id"], "unique_id": "nope"});
    assert_eq!(
        customer.fails("accept_greeting", payload).await,
        "greeting_not_found"
    );
}

#[tokio::test]
async fn accepted_greeting_shows_in_the_next_login() {
    let world = World::new().await;
    let (mut customer, greeting) = greeted(&world).await;
    let payload = json!({"greeting_id": greeting["id"], "unique_id": greeting["unique_id"]});
    customer.ok("accept_greeting", payload).await;
    let (_again, response) =
        customer_login(&world.sandbox, &world.customer, "3.6", json!({})).await;
    assert_eq!(response["greeting"]["unique_id"], greeting["unique_id"]);
    assert_eq!(response["greeting"]["accepted"], true);
    assert_eq!(
        response["customer"]["statistics"]["greetings_accepted_count"],
        1
    );
}

#[tokio::test]
async fn cancel_greeting_pushes_greeting_canceled() {
    let world = World::new().await;
    let (mut customer, greeting) = greeted(&world).await;
    customer
        .ok(
            "cancel_greeting",
            json!({"unique_id": greeting["unique_id"]}),
        )
        .await;
    let pushed = customer.push("greeting_canceled").await;
    assert_eq!(pushed["payload"]["unique_id"], greeting["unique_id"]);
    let payload = json!({"greeting_id": greeting["id"], "unique_id": greeting["unique_id"]});
    assert_eq!(
        customer.fails("accept_greeting", payload).await,
        "greeting_not_found"
    );
}

#[tokio::test]
async fn a_new_greeting_cancels_the_one_on_display() {
    let world = World::new().await;
    let (mut customer, first) = greeted(&world).await;
    world
        .sandbox
        .send_greeting(&world.customer.id, "Still there?");
    let canceled = customer.push("greeting_canceled").await;
    assert_eq!(canceled["payload"]["unique_id"], first["unique_id"]);
    customer.push("incoming_greeting").await;
}

#[tokio::test]
async fn send_greeting_button_clicked_on_an_unknown_greeting_fails() {
    let world = World::new().await;
    let (mut customer, greeting) = greeted(&world).await;
    let known = json!({"greeting_unique_id": greeting["unique_id"], "button_id": "b1"});
    assert_eq!(
        customer.ok("send_greeting_button_clicked", known).await,
        json!({})
    );
    let unknown = json!({"greeting_unique_id": "nope", "button_id": "b1"});
    let error = customer
        .fails("send_greeting_button_clicked", unknown)
        .await;
    assert_eq!(error, "greeting_not_found");
}
