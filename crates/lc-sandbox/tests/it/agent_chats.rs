//! Agent chat actions over real sockets: listings, starting and resuming, closing,
//! following, access, transfers and chat users.

use crate::common;

use common::web::{Web, agent_bearer};
use common::{Rtm, World};
use lc_protocol::types::Permission;
use lc_sandbox::{AgentHandle, NewAgent, NewCustomer};
use serde_json::{Value, json};
use std::time::Duration;

/// How long a test waits to be sure that a push does not come.
const QUIET: Duration = Duration::from_millis(300);

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/// The string in `value`.
fn s(value: &Value) -> String {
    value
        .as_str()
        .unwrap_or_else(|| panic!("not a string: {value}"))
        .to_owned()
}

/// The `field` of every element of the array `list`.
fn field(list: &Value, field: &str) -> Vec<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("not an array: {list}"))
        .iter()
        .map(|item| s(&item[field]))
        .collect()
}

/// The ids of the users of a chat (a get_chat response or a Chat).
fn user_ids(chat: &Value) -> Vec<String> {
    field(&chat["users"], "id")
}

/// Connects `agent` with API `version` and logs it in (it then accepts chats).
async fn login(world: &World, agent: &AgentHandle, version: &str) -> Rtm {
    let mut rtm = Rtm::agent(&world.sandbox, version).await;
    rtm.ok("login", json!({"token": agent.bearer().expose()}))
        .await;
    rtm
}

/// Creates the agent `id` in `groups` and logs it in with API 3.6.
async fn agent(world: &World, id: &str, groups: &[u32]) -> (AgentHandle, Rtm) {
    let handle = world
        .sandbox
        .create_agent(NewAgent::new(id).groups(groups.iter().copied()));
    let rtm = login(world, &handle, "3.6").await;
    (handle, rtm)
}

/// Starts a chat with the request's `chat` object; returns its id.
async fn start(rtm: &mut Rtm, chat: Value) -> String {
    s(&rtm.ok("start_chat", json!({ "chat": chat })).await["chat_id"])
}

/// Starts a chat whose first thread holds the message `text`; returns its id.
async fn start_with(rtm: &mut Rtm, text: &str) -> String {
    start(
        rtm,
        json!({"thread": {"events": [{"type": "message", "text": text}]}}),
    )
    .await
}

/// Closes the chat and opens a new thread in it; returns the new thread id.
async fn next_thread(rtm: &mut Rtm, chat_id: &str) -> String {
    rtm.ok("deactivate_chat", json!({ "id": chat_id })).await;
    s(&rtm
        .ok("resume_chat", json!({"chat": {"id": chat_id}}))
        .await["thread_id"])
}

/// The world's customer starts a chat, routed to an accepting agent: its connection and
/// the chat id.
async fn customer_chat(world: &World) -> (Rtm, String) {
    let mut customer = world.customer_rtm("3.6").await;
    let started = customer
        .ok(
            "start_chat",
            json!({"chat": {"thread": {"events": [{"type": "message", "text": "hi"}]}}}),
        )
        .await;
    (customer, s(&started["chat_id"]))
}

/// The chat as the agent on `rtm` gets it.
async fn get_chat(rtm: &mut Rtm, chat_id: &str) -> Value {
    rtm.ok("get_chat", json!({ "chat_id": chat_id })).await
}

/// The ids of the chats list_chats returns for `payload`.
async fn listed_chats(rtm: &mut Rtm, payload: Value) -> Vec<String> {
    field(&rtm.ok("list_chats", payload).await["chats_summary"], "id")
}

/// The (chat id, thread id) entries list_archives returns for `payload`.
async fn archives(rtm: &mut Rtm, payload: Value) -> Vec<(String, String)> {
    let response = rtm.ok("list_archives", payload).await;
    response["chats"]
        .as_array()
        .expect("`chats` is an array")
        .iter()
        .map(|c| (s(&c["id"]), s(&c["thread"]["id"])))
        .collect()
}

/// Whether a push is about chat `chat_id`.
fn about(chat_id: &str) -> impl Fn(&Value) -> bool + '_ {
    move |p| p["payload"]["chat_id"] == chat_id || p["payload"]["chat"]["id"] == chat_id
}

// ---------------------------------------------------------------------------------------
// list_chats
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn list_chats_lists_only_chats_the_agent_can_access() {
    let world = World::new().await;
    let mut smith = world.agent_rtm("3.6").await;
    let open = start(&mut smith, json!({})).await;
    start(&mut smith, json!({"access": {"group_ids": [2]}})).await;
    let (_, mut other) = agent(&world, "one@example.com", &[1]).await;
    assert_eq!(listed_chats(&mut other, json!({})).await, vec![open]);
}

#[tokio::test]
async fn list_chats_active_filter_selects_active_or_inactive_chats() {
    let world = World::new().await;
    let mut smith = world.agent_rtm("3.6").await;
    let active = start(&mut smith, json!({})).await;
    let closed = start(&mut smith, json!({})).await;
    smith.ok("deactivate_chat", json!({"id": closed})).await;
    let only_active = json!({"filters": {"active": true}});
    assert_eq!(
        listed_chats(&mut smith, only_active).await,
        vec![active.clone()]
    );
    let only_inactive = json!({"filters": {"active": false}});
    assert_eq!(
        listed_chats(&mut smith, only_inactive).await,
        vec![closed.clone()]
    );
    assert_eq!(
        listed_chats(&mut smith, json!({})).await,
        vec![closed, active]
    );
}

#[tokio::test]
async fn list_chats_include_active_false_lists_only_inactive_chats_in_3_5() {
    let world = World::new().await;
    let mut smith = login(&world, &world.agent, "3.5").await;
    let active = start(&mut smith, json!({})).await;
    let closed = start(&mut smith, json!({})).await;
    smith.ok("deactivate_chat", json!({"id": closed})).await;
    let inactive = json!({"filters": {"include_active": false}});
    assert_eq!(
        listed_chats(&mut smith, inactive).await,
        vec![closed.clone()]
    );
    assert_eq!(
        listed_chats(&mut smith, json!({})).await,
        vec![closed, active]
    );
}

#[tokio::test]
async fn list_chats_filters_by_group_ids() {
    let world = World::new().await;
    let mut smith = world.agent_rtm("3.6").await;
    let first = start(&mut smith, json!({"access": {"group_ids": [1]}})).await;
    start(&mut smith, json!({"access": {"group_ids": [2]}})).await;
    let filtered = json!({"filters": {"group_ids": [1]}});
    assert_eq!(listed_chats(&mut smith, filtered).await, vec![first]);
}

#[tokio::test]
async fn list_chats_filters_by_chat_properties() {
    let world = World::new().await;
    let mut smith = world.agent_rtm("3.6").await;
    let gold = start(
        &mut smith,
        json!({"properties": {"shop": {"tier": "gold"}}}),
    )
    .await;
    let silver = start(
        &mut smith,
        json!({"properties": {"shop": {"tier": "silver"}}}),
    )
    .await;
    let none = start(&mut smith, json!({})).await;
    let by = |filter: Value| json!({"filters": {"properties": {"shop": {"tier": filter}}}});
    assert_eq!(
        listed_chats(&mut smith, by(json!({"values": ["gold"]}))).await,
        vec![gold.clone()]
    );
    assert_eq!(
        listed_chats(&mut smith, by(json!({"exclude_values": ["gold"]}))).await,
        vec![none.clone(), silver.clone()]
    );
    assert_eq!(
        listed_chats(&mut smith, by(json!({"exists": false}))).await,
        vec![none]
    );
}

#[tokio::test]
async fn list_chats_rejects_two_filter_types_for_one_property() {
    let world = World::new().await;
    let mut smith = world.agent_rtm("3.6").await;
    let filter = json!({"exists": true, "values": ["gold"]});
    let payload = json!({"filters": {"properties": {"shop": {"tier": filter}}}});
    assert_eq!(smith.fails("list_chats", payload).await, "validation");
}

#[tokio::test]
async fn list_chats_orders_by_the_creation_of_the_last_thread() {
    let world = World::new().await;
    let mut smith = world.agent_rtm("3.6").await;
    let resumed = start(&mut smith, json!({})).await;
    let later = start(&mut smith, json!({})).await;
    next_thread(&mut smith, &resumed).await;
    assert_eq!(
        listed_chats(&mut smith, json!({})).await,
        vec![resumed.clone(), later.clone()]
    );
    let ascending = json!({"sort_order": "asc"});
    assert_eq!(
        listed_chats(&mut smith, ascending).await,
        vec![later, resumed]
    );
}

#[tokio::test]
async fn list_chats_pages_through_results_with_cursors() {
    let world = World::new().await;
    let mut smith = world.agent_rtm("3.6").await;
    let mut started = Vec::new();
    for _ in 0..5 {
        started.push(start(&mut smith, json!({})).await);
    }
    started.reverse();
    let first = smith.ok("list_chats", json!({"limit": 2})).await;
    assert_eq!(first["found_chats"], 5);
    assert!(first.get("previous_page_id").is_none());
    assert_eq!(field(&first["chats_summary"], "id"), started[..2]);
    let next = json!({"page_id": first["next_page_id"]});
    let second = smith.ok("list_chats", next).await;
    assert_eq!(field(&second["chats_summary"], "id"), started[2..4]);
    let last = smith
        .ok("list_chats", json!({"page_id": second["next_page_id"]}))
        .await;
    assert_eq!(field(&last["chats_summary"], "id"), started[4..]);
    assert!(last.get("next_page_id").is_none());
    let back = smith
        .ok("list_chats", json!({"page_id": last["previous_page_id"]}))
        .await;
    assert_eq!(field(&back["chats_summary"], "id"), started[2..4]);
}

#[tokio::test]
async fn list_chats_keeps_the_first_filters_on_later_pages() {
    let world = World::new().await;
    let mut smith = world.agent_rtm("3.6").await;
    for _ in 0..3 {
        let chat = start(&mut smith, json!({})).await;
        smith.ok("deactivate_chat", json!({"id": chat})).await;
    }
    start(&mut smith, json!({})).await;
    let first = smith
        .ok(
            "list_chats",
            json!({"limit": 2, "filters": {"active": false}}),
        )
        .await;
    assert_eq!(first["found_chats"], 3);
    let second = smith
        .ok("list_chats", json!({"page_id": first["next_page_id"]}))
        .await;
    assert_eq!(second["chats_summary"].as_array().unwrap().len(), 1);
    assert_eq!(
        second["chats_summary"][0]["last_thread_summary"]["active"],
        false
    );
}

#[tokio::test]
async fn list_chats_rejects_filters_with_a_page_id() {
    let world = World::new().await;
    let mut smith = world.agent_rtm("3.6").await;
    for _ in 0..2 {
        start(&mut smith, json!({})).await;
    }
    let first = smith.ok("list_chats", json!({"limit": 1})).await;
    let payload = json!({"page_id": first["next_page_id"], "filters": {"active": true}});
    assert_eq!(smith.fails("list_chats", payload).await, "validation");
}

#[tokio::test]
async fn list_chats_rejects_a_limit_with_a_page_id() {
    let world = World::new().await;
    let mut smith = world.agent_rtm("3.6").await;
    for _ in 0..2 {
        start(&mut smith, json!({})).await;
    }
    let first = smith.ok("list_chats", json!({"limit": 1})).await;
    let payload = json!({"page_id": first["next_page_id"], "limit": 5});
    assert_eq!(smith.fails("list_chats", payload).await, "validation");
}

#[tokio::test]
async fn list_chats_rejects_a_limit_above_100() {
    let world = World::new().await;
    let mut smith = world.agent_rtm("3.6").await;
    assert_eq!(
        smith.fails("list_chats", json!({"limit": 101})).await,
        "validation"
    );
}

#[tokio::test]
async fn list_chats_rejects_a_page_id_of_another_listing() {
    let world = World::new().await;
    let mut smith = world.agent_rtm("3.6").await;
    let chat = start(&mut smith, json!({})).await;
    for _ in 0..3 {
        next_thread(&mut smith, &chat).await;
    }
    let threads = smith.ok("list_threads", json!({"chat_id": chat})).await;
    let payload = json!({"page_id": threads["next_page_id"]});
    assert_eq!(smith.fails("list_chats", payload).await, "validation");
}

#[tokio::test]
async fn list_chats_over_web_sees_the_agents_chats() {
    let world = World::new().await;
    let mut smith = world.agent_rtm("3.6").await;
    let chat = start(&mut smith, json!({})).await;
    let web = Web::new(&world.sandbox);
    let auth = agent_bearer(&world.agent);
    let reply = web.agent("3.6", "list_chats", &auth, json!({})).await;
    assert_eq!(field(&reply.ok()["chats_summary"], "id"), vec![chat]);
}

// ---------------------------------------------------------------------------------------
// list_threads
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn list_threads_returns_the_three_latest_threads_by_default() {
    let world = World::new().await;
    let mut smith = world.agent_rtm("3.6").await;
    let started = smith.ok("start_chat", json!({})).await;
    let chat = s(&started["chat_id"]);
    let mut threads = vec![s(&started["thread_id"])];
    for _ in 0..3 {
        threads.push(next_thread(&mut smith, &chat).await);
    }
    threads.reverse();
    let first = smith.ok("list_threads", json!({"chat_id": chat})).await;
    assert_eq!(first["found_threads"], 4);
    assert_eq!(field(&first["threads"], "id"), threads[..3]);
    let payload = json!({"chat_id": chat, "page_id": first["next_page_id"]});
    let second = smith.ok("list_threads", payload).await;
    assert_eq!(field(&second["threads"], "id"), threads[3..]);
    assert!(second.get("next_page_id").is_none());
}

#[tokio::test]
async fn list_threads_sorts_oldest_first_when_asked() {
    let world = World::new().await;
    let mut smith = world.agent_rtm("3.6").await;
    let started = smith.ok("start_chat", json!({})).await;
    let chat = s(&started["chat_id"]);
    let second = next_thread(&mut smith, &chat).await;
    let listed = smith
        .ok(
            "list_threads",
            json!({"chat_id": chat, "sort_order": "asc"}),
        )
        .await;
    assert_eq!(
        field(&listed["threads"], "id"),
        vec![s(&started["thread_id"]), second]
    );
}

#[tokio::test]
async fn list_threads_min_events_count_returns_enough_latest_threads() {
    let world = World::new().await;
    let mut smith = world.agent_rtm("3.6").await;
    let message = |text: &str| json!({"type": "message", "text": text});
    let chat = start(
        &mut smith,
        json!({"thread": {"events": [message("a"), message("b"), message("c")]}}),
    )
    .await;
    smith.ok("deactivate_chat", json!({"id": chat})).await;
    let resume = json!({"chat": {"id": chat, "thread": {"events": [message("d")]}}});
    let second = s(&smith.ok("resume_chat", resume.clone()).await["thread_id"]);
    smith.ok("deactivate_chat", json!({"id": chat})).await;
    let third = s(&smith.ok("resume_chat", resume).await["thread_id"]);
    // The third thread has 1 event, the second 2 (with the closing system message).
    let listed = smith
        .ok(
            "list_threads",
            json!({"chat_id": chat, "min_events_count": 3}),
        )
        .await;
    assert_eq!(field(&listed["threads"], "id"), vec![third, second]);
}

#[tokio::test]
async fn list_threads_rejects_min_events_count_with_a_limit() {
    let world = World::new().await;
    let mut smith = world.agent_rtm("3.6").await;
    let chat = start(&mut smith, json!({})).await;
    let payload = json!({"chat_id": chat, "min_events_count": 3, "limit": 2});
    assert_eq!(smith.fails("list_threads", payload).await, "validation");
}

#[tokio::test]
async fn list_threads_filters_by_creation_time() {
    let world = World::new().await;
    let mut smith = world.agent_rtm("3.6").await;
    let chat = start(&mut smith, json!({})).await;
    let second = next_thread(&mut smith, &chat).await;
    let third = next_thread(&mut smith, &chat).await;
    let got = smith
        .ok("get_chat", json!({"chat_id": chat, "thread_id": second}))
        .await;
    let from = got["thread"]["created_at"].clone();
    let listed = smith
        .ok(
            "list_threads",
            json!({"chat_id": chat, "filters": {"from": from}}),
        )
        .await;
    assert_eq!(field(&listed["threads"], "id"), vec![third, second]);
}

#[tokio::test]
async fn list_threads_rejects_a_malformed_date() {
    let world = World::new().await;
    let mut smith = world.agent_rtm("3.6").await;
    let chat = start(&mut smith, json!({})).await;
    let payload = json!({"chat_id": chat, "filters": {"from": "yesterday"}});
    assert_eq!(smith.fails("list_threads", payload).await, "validation");
}

#[tokio::test]
async fn list_threads_rejects_filters_with_a_page_id() {
    let world = World::new().await;
    let mut smith = world.agent_rtm("3.6").await;
    let chat = start(&mut smith, json!({})).await;
    for _ in 0..3 {
        next_thread(&mut smith, &chat).await;
    }
    let first = smith.ok("list_threads", json!({"chat_id": chat})).await;
    let payload = json!({"chat_id": chat, "page_id": first["next_page_id"], "sort_order": "asc"});
    assert_eq!(smith.fails("list_threads", payload).await, "validation");
}

#[tokio::test]
async fn list_threads_rejects_a_page_id_of_another_chat() {
    let world = World::new().await;
    let mut smith = world.agent_rtm("3.6").await;
    let chat = start(&mut smith, json!({})).await;
    let other = start(&mut smith, json!({})).await;
    for _ in 0..3 {
        next_thread(&mut smith, &chat).await;
    }
    let first = smith.ok("list_threads", json!({"chat_id": chat})).await;
    let payload = json!({"chat_id": other, "page_id": first["next_page_id"]});
    assert_eq!(smith.fails("list_threads", payload).await, "validation");
}

#[tokio::test]
async fn list_threads_of_an_unknown_chat_is_not_found() {
    let world = World::new().await;
    let mut smith = world.agent_rtm("3.6").await;
    let payload = json!({"chat_id": "PNOSUCHCHAT"});
    assert_eq!(smith.fails("list_threads", payload).await, "not_found");
}

// ---------------------------------------------------------------------------------------
// get_chat
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn get_chat_returns_the_requested_thread() {
    let world = World::new().await;
    let mut smith = world.agent_rtm("3.6").await;
    let started = smith.ok("start_chat", json!({})).await;
    let chat = s(&started["chat_id"]);
    let latest = next_thread(&mut smith, &chat).await;
    let first = smith
        .ok(
            "get_chat",
            json!({"chat_id": chat, "thread_id": started["thread_id"]}),
        )
        .await;
    assert_eq!(first["thread"]["id"], started["thread_id"]);
    assert_eq!(first["thread"]["active"], false);
    assert_eq!(
        get_chat(&mut smith, &chat).await["thread"]["id"],
        latest.as_str()
    );
}

#[tokio::test]
async fn get_chat_with_an_unknown_thread_is_not_found() {
    let world = World::new().await;
    let mut smith = world.agent_rtm("3.6").await;
    let chat = start(&mut smith, json!({})).await;
    let payload = json!({"chat_id": chat, "thread_id": "TNOSUCHTHR"});
    assert_eq!(smith.fails("get_chat", payload).await, "not_found");
}

#[tokio::test]
async fn get_chat_of_a_chat_without_access_is_not_found() {
    let world = World::new().await;
    let mut smith = world.agent_rtm("3.6").await;
    let chat = start(&mut smith, json!({"access": {"group_ids": [2]}})).await;
    let (_, mut other) = agent(&world, "one@example.com", &[1]).await;
    let payload = json!({ "chat_id": chat });
    assert_eq!(other.fails("get_chat", payload).await, "not_found");
}

#[tokio::test]
async fn get_chat_refuses_a_thread_the_agent_has_no_access_to() {
    let world = World::new().await;
    let mut smith = world.agent_rtm("3.6").await;
    let started = smith
        .ok(
            "start_chat",
            json!({"chat": {"access": {"group_ids": [2]}}}),
        )
        .await;
    let chat = s(&started["chat_id"]);
    smith.ok("deactivate_chat", json!({"id": chat})).await;
    let resume = json!({"chat": {"id": chat, "access": {"group_ids": [1]}}});
    let latest = s(&smith.ok("resume_chat", resume).await["thread_id"]);
    let (_, mut other) = agent(&world, "one@example.com", &[1]).await;
    let old = json!({"chat_id": chat, "thread_id": started["thread_id"]});
    assert_eq!(other.fails("get_chat", old).await, "not_found");
    assert_eq!(
        get_chat(&mut other, &chat).await["thread"]["id"],
        latest.as_str()
    );
}

// ---------------------------------------------------------------------------------------
// list_archives
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn list_archives_lists_one_entry_per_thread() {
    let world = World::new().await;
    let mut smith = world.agent_rtm("3.6").await;
    let a = smith.ok("start_chat", json!({})).await;
    let a_id = s(&a["chat_id"]);
    smith.ok("deactivate_chat", json!({"id": a_id})).await;
    let b = smith.ok("start_chat", json!({})).await;
    let a_resumed = s(&smith.ok("resume_chat", json!({"chat": {"id": a_id}})).await["thread_id"]);
    let expected = vec![
        (a_id.clone(), a_resumed),
        (s(&b["chat_id"]), s(&b["thread_id"])),
        (a_id, s(&a["thread_id"])),
    ];
    assert_eq!(archives(&mut smith, json!({})).await, expected);
}

#[tokio::test]
async fn list_archives_by_chat_ids_lists_those_chats_once_each() {
    let world = World::new().await;
    let mut smith = world.agent_rtm("3.6").await;
    let a = smith.ok("start_chat", json!({})).await;
    smith.ok("start_chat", json!({})).await;
    let c = smith.ok("start_chat", json!({})).await;
    let (a_id, c_id) = (s(&a["chat_id"]), s(&c["chat_id"]));
    // Repeated and unknown ids change nothing; the other filters still apply.
    let filters = json!({"filters": {"chat_ids": [a_id, c_id, a_id, "NOSUCHCHAT"]}});
    let expected = vec![
        (c_id.clone(), s(&c["thread_id"])),
        (a_id, s(&a["thread_id"])),
    ];
    assert_eq!(archives(&mut smith, filters).await, expected);
    let narrowed = json!({"filters": {"chat_ids": [c_id], "query": "nothing like it"}});
    assert!(archives(&mut smith, narrowed).await.is_empty());
}

#[tokio::test]
async fn list_archives_query_matches_message_texts_ignoring_case() {
    let world = World::new().await;
    let mut smith = world.agent_rtm("3.6").await;
    let parcel = start_with(&mut smith, "Where is my Parcel?").await;
    start_with(&mut smith, "hello").await;
    let found = archives(&mut smith, json!({"filters": {"query": "parcel"}})).await;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0, parcel);
}

#[tokio::test]
async fn list_archives_highlights_matches_with_the_default_tags() {
    let world = World::new().await;
    let mut smith = world.agent_rtm("3.6").await;
    start_with(&mut smith, "Where is my Parcel?").await;
    let payload = json!({"filters": {"query": "parcel"}, "highlights": {}});
    let listed = smith.ok("list_archives", payload).await;
    let event = &listed["chats"][0]["thread"]["events"][0];
    assert_eq!(event["text"], "Where is my <em>Parcel</em>?");
}

#[tokio::test]
async fn list_archives_highlights_matches_with_custom_tags() {
    let world = World::new().await;
    let mut smith = world.agent_rtm("3.6").await;
    start_with(&mut smith, "parcel, parcel").await;
    let highlights = json!({"pre_tag": "<b>", "post_tag": "</b>"});
    let payload = json!({"filters": {"query": "PARCEL"}, "highlights": highlights});
    let listed = smith.ok("list_archives", payload).await;
    let event = &listed["chats"][0]["thread"]["events"][0];
    assert_eq!(event["text"], "<b>parcel</b>, <b>parcel</b>");
}

#[tokio::test]
async fn list_archives_does_not_highlight_without_highlights() {
    let world = World::new().await;
    let mut smith = world.agent_rtm("3.6").await;
    start_with(&mut smith, "Where is my Parcel?").await;
    let payload = json!({"filters": {"query": "parcel"}});
    let listed = smith.ok("list_archives", payload).await;
    let event = &listed["chats"][0]["thread"]["events"][0];
    assert_eq!(event["text"], "Where is my Parcel?");
}

#[tokio::test]
async fn list_archives_filters_by_tags_with_require_every_value() {
    let world = World::new().await;
    let mut smith = world.agent_rtm("3.6").await;
    let mut threads = Vec::new();
    for tags in [&["sales"][..], &["sales", "vip"][..]] {
        let started = smith.ok("start_chat", json!({})).await;
        for tag in tags {
            let payload = json!({"chat_id": started["chat_id"], "thread_id": started["thread_id"], "tag": tag});
            smith.ok("tag_thread", payload).await;
        }
        threads.push(s(&started["thread_id"]));
    }
    let any = json!({"filters": {"tags": {"values": ["sales", "vip"]}}});
    assert_eq!(archives(&mut smith, any).await.len(), 2);
    let every =
        json!({"filters": {"tags": {"values": ["sales", "vip"], "require_every_value": true}}});
    let found = archives(&mut smith, every).await;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].1, threads[1]);
}

#[tokio::test]
async fn list_archives_agents_exists_false_returns_unassigned_chats() {
    let world = World::new().await;
    let mut smith = world.agent_rtm("3.6").await;
    let status = json!({"status": "not_accepting_chats"});
    smith.ok("set_routing_status", status).await;
    // No agent accepts chats: the customer's chat stays unassigned.
    let (_customer, unassigned) = customer_chat(&world).await;
    start(&mut smith, json!({})).await;
    let payload = json!({"filters": {"agents": {"exists": false}}});
    let found = archives(&mut smith, payload).await;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0, unassigned);
}

#[tokio::test]
async fn list_archives_filters_by_agent_ids() {
    let world = World::new().await;
    let mut smith = world.agent_rtm("3.6").await;
    let (_, mut other) = agent(&world, "one@example.com", &[0]).await;
    let mine = start(&mut smith, json!({})).await;
    start(&mut other, json!({})).await;
    let payload = json!({"filters": {"agents": {"values": [world.agent.id.as_str()]}}});
    let found = archives(&mut smith, payload).await;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0, mine);
}

#[tokio::test]
async fn list_archives_filters_by_event_types() {
    let world = World::new().await;
    let mut smith = world.agent_rtm("3.6").await;
    let with_message = start_with(&mut smith, "hello").await;
    let custom = json!({"thread": {"events": [{"type": "custom", "content": {"x": 1}}]}});
    start(&mut smith, custom).await;
    let payload = json!({"filters": {"event_types": {"values": ["message"]}}});
    let found = archives(&mut smith, payload).await;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0, with_message);
}

#[tokio::test]
async fn list_archives_filters_by_customer_email() {
    let world = World::new().await;
    let mut smith = world.agent_rtm("3.6").await;
    let buyer = world
        .sandbox
        .create_customer(NewCustomer::new().email("buyer@example.com"));
    let users = json!([{"id": buyer.id.as_str(), "type": "customer"}]);
    let with_buyer = start(&mut smith, json!({ "users": users })).await;
    start(&mut smith, json!({})).await;
    let payload = json!({"filters": {"customer_email": "Buyer@Example.com"}});
    let found = archives(&mut smith, payload).await;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0, with_buyer);
}

#[tokio::test]
async fn list_archives_filters_by_customer_id() {
    let world = World::new().await;
    let mut smith = world.agent_rtm("3.6").await;
    let (_customer, chat) = customer_chat(&world).await;
    start(&mut smith, json!({})).await;
    let payload = json!({"filters": {"customer_id": world.customer.id.as_str()}});
    let found = archives(&mut smith, payload).await;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0, chat);
}

#[tokio::test]
async fn list_archives_filters_by_chat_properties() {
    let world = World::new().await;
    let mut smith = world.agent_rtm("3.6").await;
    let gold = start(
        &mut smith,
        json!({"properties": {"shop": {"tier": "gold"}}}),
    )
    .await;
    start(&mut smith, json!({})).await;
    let payload = json!({"filters": {"properties": {"shop": {"tier": {"values": ["gold"]}}}}});
    let found = archives(&mut smith, payload).await;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0, gold);
}

#[tokio::test]
async fn list_archives_filters_by_thread_ids() {
    let world = World::new().await;
    let mut smith = world.agent_rtm("3.6").await;
    let started = smith.ok("start_chat", json!({})).await;
    next_thread(&mut smith, &s(&started["chat_id"])).await;
    let payload = json!({"filters": {"thread_ids": [started["thread_id"]]}});
    let found = archives(&mut smith, payload).await;
    assert_eq!(
        found,
        vec![(s(&started["chat_id"]), s(&started["thread_id"]))]
    );
}

#[tokio::test]
async fn list_archives_rejects_thread_ids_with_other_filters() {
    let world = World::new().await;
    let mut smith = world.agent_rtm("3.6").await;
    let payload = json!({"filters": {"thread_ids": ["TAAAAAAAAA"], "query": "x"}});
    assert_eq!(smith.fails("list_archives", payload).await, "validation");
}

#[tokio::test]
async fn list_archives_pages_through_entries_with_cursors() {
    let world = World::new().await;
    let mut smith = world.agent_rtm("3.6").await;
    let chat = start(&mut smith, json!({})).await;
    next_thread(&mut smith, &chat).await;
    next_thread(&mut smith, &chat).await;
    let first = smith.ok("list_archives", json!({"limit": 2})).await;
    assert_eq!(first["found_chats"], 3);
    assert_eq!(first["chats"].as_array().unwrap().len(), 2);
    let second = smith
        .ok("list_archives", json!({"page_id": first["next_page_id"]}))
        .await;
    assert_eq!(second["chats"].as_array().unwrap().len(), 1);
    assert!(second.get("next_page_id").is_none());
    assert!(second.get("previous_page_id").is_some());
}

#[tokio::test]
async fn list_archives_rejects_a_sort_order_with_a_page_id() {
    let world = World::new().await;
    let mut smith = world.agent_rtm("3.6").await;
    let chat = start(&mut smith, json!({})).await;
    next_thread(&mut smith, &chat).await;
    let first = smith.ok("list_archives", json!({"limit": 1})).await;
    let payload = json!({"page_id": first["next_page_id"], "sort_order": "asc"});
    assert_eq!(smith.fails("list_archives", payload).await, "validation");
}

#[tokio::test]
async fn list_archives_names_the_accessible_neighbour_threads() {
    let world = World::new().await;
    let mut smith = world.agent_rtm("3.6").await;
    let started = smith.ok("start_chat", json!({})).await;
    let chat = s(&started["chat_id"]);
    let middle = next_thread(&mut smith, &chat).await;
    let last = next_thread(&mut smith, &chat).await;
    let listed = smith.ok("list_archives", json!({})).await;
    let thread = &listed["chats"][1]["thread"];
    assert_eq!(thread["id"], middle.as_str());
    assert_eq!(
        thread["previous_accessible_thread_id"],
        started["thread_id"]
    );
    assert_eq!(thread["next_accessible_thread_id"], last.as_str());
}

// ---------------------------------------------------------------------------------------
// start_chat, resume_chat, deactivate_chat
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn start_chat_returns_the_ids_of_the_initial_events() {
    let world = World::new().await;
    let mut smith = world.agent_rtm("3.6").await;
    let payload = json!({"chat": {"thread": {"events": [{"type": "message", "text": "hi"}]}}});
    let started = smith.ok("start_chat", payload).await;
    let chat = get_chat(&mut smith, &s(&started["chat_id"])).await;
    assert_eq!(chat["thread"]["events"][0]["id"], started["event_ids"][0]);
    assert_eq!(chat["thread"]["active"], true);
}

#[tokio::test]
async fn resume_chat_opens_a_new_active_thread() {
    let world = World::new().await;
    let mut smith = world.agent_rtm("3.6").await;
    let chat = start(&mut smith, json!({})).await;
    let thread = next_thread(&mut smith, &chat).await;
    let got = get_chat(&mut smith, &chat).await;
    assert_eq!(got["thread"]["id"], thread.as_str());
    assert_eq!(got["thread"]["active"], true);
}

#[tokio::test]
async fn resume_chat_pushes_incoming_chat_to_the_customer() {
    let world = World::new().await;
    let mut smith = world.agent_rtm("3.6").await;
    let (mut customer, chat) = customer_chat(&world).await;
    let thread = next_thread(&mut smith, &chat).await;
    let incoming = customer
        .push_where("incoming_chat", |p| {
            p["payload"]["chat"]["thread"]["id"] == thread.as_str()
        })
        .await;
    assert_eq!(incoming["payload"]["chat"]["id"], chat.as_str());
    assert_eq!(incoming["payload"]["requester_id"], world.agent.id.as_str());
}

#[tokio::test]
async fn resume_chat_of_an_active_chat_fails() {
    let world = World::new().await;
    let mut smith = world.agent_rtm("3.6").await;
    let chat = start(&mut smith, json!({})).await;
    let payload = json!({"chat": {"id": chat}});
    assert_eq!(smith.fails("resume_chat", payload).await, "validation");
}

#[tokio::test]
async fn resume_chat_of_an_unknown_chat_is_not_found() {
    let world = World::new().await;
    let mut smith = world.agent_rtm("3.6").await;
    let payload = json!({"chat": {"id": "PNOSUCHCHAT"}});
    assert_eq!(smith.fails("resume_chat", payload).await, "not_found");
}

#[tokio::test]
async fn resume_chat_sets_the_access_and_merges_the_properties() {
    let world = World::new().await;
    let mut smith = world.agent_rtm("3.6").await;
    let chat = start(
        &mut smith,
        json!({"properties": {"shop": {"tier": "gold"}}}),
    )
    .await;
    smith.ok("deactivate_chat", json!({"id": chat})).await;
    let resume = json!({"chat": {"id": chat, "access": {"group_ids": [3]}, "properties": {"shop": {"vip": true}}}});
    smith.ok("resume_chat", resume).await;
    let got = get_chat(&mut smith, &chat).await;
    assert_eq!(got["access"]["group_ids"], json!([3]));
    assert_eq!(
        got["properties"]["shop"],
        json!({"tier": "gold", "vip": true})
    );
    assert_eq!(got["thread"]["access"]["group_ids"], json!([3]));
}

#[tokio::test]
async fn resume_chat_adds_the_listed_users() {
    let world = World::new().await;
    let mut smith = world.agent_rtm("3.6").await;
    let (other, _) = agent(&world, "one@example.com", &[0]).await;
    let chat = start(&mut smith, json!({})).await;
    smith.ok("deactivate_chat", json!({"id": chat})).await;
    let users = json!([{"id": other.id.as_str(), "type": "agent"}]);
    smith
        .ok("resume_chat", json!({"chat": {"id": chat, "users": users}}))
        .await;
    assert!(user_ids(&get_chat(&mut smith, &chat).await).contains(&other.id.to_string()));
}

#[tokio::test]
async fn deactivate_chat_requires_the_requester_to_be_a_chat_user() {
    let world = World::new().await;
    let mut smith = world.agent_rtm("3.6").await;
    let chat = start(&mut smith, json!({})).await;
    let (_, mut other) = agent(&world, "one@example.com", &[0]).await;
    let payload = json!({ "id": chat });
    assert_eq!(
        other.fails("deactivate_chat", payload).await,
        "authorization"
    );
}

#[tokio::test]
async fn deactivate_chat_ignoring_requester_presence_closes_the_chat() {
    let world = World::new().await;
    let mut smith = world.agent_rtm("3.6").await;
    let chat = start(&mut smith, json!({})).await;
    let (_, mut other) = agent(&world, "one@example.com", &[0]).await;
    let payload = json!({"id": chat, "ignore_requester_presence": true});
    other.ok("deactivate_chat", payload).await;
    assert_eq!(get_chat(&mut smith, &chat).await["thread"]["active"], false);
}

#[tokio::test]
async fn deactivate_chat_of_an_inactive_chat_fails_with_chat_inactive() {
    let world = World::new().await;
    let mut smith = world.agent_rtm("3.6").await;
    let chat = start(&mut smith, json!({})).await;
    smith.ok("deactivate_chat", json!({"id": chat})).await;
    let payload = json!({ "id": chat });
    assert_eq!(
        smith.fails("deactivate_chat", payload).await,
        "chat_inactive"
    );
}

// ---------------------------------------------------------------------------------------
// follow_chat, unfollow_chat
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn follow_chat_pushes_incoming_chat_to_the_follower() {
    let world = World::new().await;
    let mut smith = world.agent_rtm("3.6").await;
    let chat = start(&mut smith, json!({})).await;
    let (_, mut other) = agent(&world, "one@example.com", &[0]).await;
    other.ok("follow_chat", json!({ "id": chat })).await;
    let incoming = other.push_where("incoming_chat", about(&chat)).await;
    assert!(incoming.get("request_id").is_some());
    assert_eq!(incoming["payload"]["chat"]["is_followed"], true);
}

#[tokio::test]
async fn follow_chat_by_a_chat_user_pushes_nothing() {
    let world = World::new().await;
    let mut smith = world.agent_rtm("3.6").await;
    let chat = start(&mut smith, json!({})).await;
    smith.push_where("incoming_chat", about(&chat)).await;
    smith.ok("follow_chat", json!({ "id": chat })).await;
    smith.no_push("incoming_chat", QUIET).await;
}

#[tokio::test]
async fn get_chat_shows_that_a_chat_is_followed() {
    let world = World::new().await;
    let mut smith = world.agent_rtm("3.6").await;
    let chat = start(&mut smith, json!({})).await;
    let (_, mut other) = agent(&world, "one@example.com", &[0]).await;
    assert_eq!(get_chat(&mut other, &chat).await["is_followed"], false);
    other.ok("follow_chat", json!({ "id": chat })).await;
    assert_eq!(get_chat(&mut other, &chat).await["is_followed"], true);
}

#[tokio::test]
async fn followers_receive_the_chat_pushes() {
    let world = World::new().await;
    let mut smith = world.agent_rtm("3.6").await;
    let chat = start(&mut smith, json!({})).await;
    let (_, mut other) = agent(&world, "one@example.com", &[0]).await;
    other.ok("follow_chat", json!({ "id": chat })).await;
    let event = json!({"chat_id": chat, "event": {"type": "message", "text": "news"}});
    smith.ok("send_event", event).await;
    let pushed = other.push_where("incoming_event", about(&chat)).await;
    assert_eq!(pushed["payload"]["event"]["text"], "news");
}

#[tokio::test]
async fn unfollow_chat_pushes_chat_unfollowed_to_the_other_connections() {
    let world = World::new().await;
    let mut smith = world.agent_rtm("3.6").await;
    let chat = start(&mut smith, json!({})).await;
    let (other, mut first) = agent(&world, "one@example.com", &[0]).await;
    let mut second = login(&world, &other, "3.6").await;
    first.ok("follow_chat", json!({ "id": chat })).await;
    first.ok("unfollow_chat", json!({ "id": chat })).await;
    let pushed = second.push("chat_unfollowed").await;
    assert_eq!(pushed["payload"]["chat_id"], chat.as_str());
    first.no_push("chat_unfollowed", QUIET).await;
}

#[tokio::test]
async fn an_agent_that_unfollowed_no_longer_receives_the_chat_pushes() {
    let world = World::new().await;
    let mut smith = world.agent_rtm("3.6").await;
    let chat = start(&mut smith, json!({})).await;
    let (_, mut other) = agent(&world, "one@example.com", &[0]).await;
    other.ok("follow_chat", json!({ "id": chat })).await;
    other.ok("unfollow_chat", json!({ "id": chat })).await;
    let event = json!({"chat_id": chat, "event": {"type": "message", "text": "news"}});
    smith.ok("send_event", event).await;
    other.no_push("incoming_event", QUIET).await;
}

#[tokio::test]
async fn an_agent_that_unfollowed_still_receives_the_key_changes() {
    let world = World::new().await;
    let mut smith = world.agent_rtm("3.6").await;
    let chat = start(&mut smith, json!({})).await;
    let (_, mut other) = agent(&world, "one@example.com", &[0]).await;
    other.ok("follow_chat", json!({ "id": chat })).await;
    other.ok("unfollow_chat", json!({ "id": chat })).await;
    smith.ok("deactivate_chat", json!({ "id": chat })).await;
    let closed = other.push("chat_deactivated").await;
    assert_eq!(closed["payload"]["chat_id"], chat.as_str());
    other.no_push("incoming_event", QUIET).await;
}

#[tokio::test]
async fn an_agent_that_unfollowed_hears_of_a_transfer() {
    let world = World::new().await;
    let mut smith = world.agent_rtm("3.6").await;
    let chat = start(&mut smith, json!({})).await;
    let (_, mut other) = agent(&world, "one@example.com", &[0]).await;
    let (third, _third_rtm) = agent(&world, "two@example.com", &[0]).await;
    other.ok("follow_chat", json!({ "id": chat })).await;
    other.ok("unfollow_chat", json!({ "id": chat })).await;
    smith.ok("transfer_chat", to_agent(&chat, &third)).await;
    let transferred = other.push("chat_transferred").await;
    assert_eq!(transferred["payload"]["chat_id"], chat.as_str());
    other.no_push("incoming_event", QUIET).await;
}

#[tokio::test]
async fn chat_users_cannot_unfollow_their_chat() {
    let world = World::new().await;
    let mut smith = world.agent_rtm("3.6").await;
    let chat = start(&mut smith, json!({})).await;
    let payload = json!({ "id": chat });
    assert_eq!(smith.fails("unfollow_chat", payload).await, "validation");
}

#[tokio::test]
async fn following_ends_when_the_chat_is_resumed() {
    let world = World::new().await;
    let mut smith = world.agent_rtm("3.6").await;
    let chat = start(&mut smith, json!({})).await;
    let (_, mut other) = agent(&world, "one@example.com", &[0]).await;
    other.ok("follow_chat", json!({ "id": chat })).await;
    next_thread(&mut smith, &chat).await;
    assert_eq!(get_chat(&mut other, &chat).await["is_followed"], false);
}

// ---------------------------------------------------------------------------------------
// grant_chat_access, revoke_chat_access (3.3)
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn grant_chat_access_adds_a_group_and_pushes_chat_access_granted() {
    let world = World::new().await;
    world.sandbox.create_group(2, "Sales");
    let mut smith = login(&world, &world.agent, "3.3").await;
    let chat = start(&mut smith, json!({"access": {"group_ids": [1]}})).await;
    let grant = json!({"id": chat, "access": {"type": "group", "id": 2}});
    smith.ok("grant_chat_access", grant).await;
    let pushed = smith.push("chat_access_granted").await;
    assert_eq!(pushed["payload"]["access"]["group_ids"], json!([2]));
    assert_eq!(
        get_chat(&mut smith, &chat).await["access"]["group_ids"],
        json!([1, 2])
    );
}

#[tokio::test]
async fn grant_chat_access_lets_the_group_see_the_chat() {
    let world = World::new().await;
    let mut smith = login(&world, &world.agent, "3.3").await;
    let chat = start(&mut smith, json!({"access": {"group_ids": [1]}})).await;
    let (_, mut other) = agent(&world, "two@example.com", &[2]).await;
    let payload = json!({ "chat_id": chat });
    assert_eq!(other.fails("get_chat", payload).await, "not_found");
    let grant = json!({"id": chat, "access": {"type": "group", "id": 2}});
    smith.ok("grant_chat_access", grant).await;
    assert_eq!(get_chat(&mut other, &chat).await["id"], chat.as_str());
}

#[tokio::test]
async fn revoke_chat_access_removes_a_group_and_pushes_chat_access_revoked() {
    let world = World::new().await;
    world.sandbox.create_group(2, "Sales");
    let mut smith = login(&world, &world.agent, "3.3").await;
    let chat = start(&mut smith, json!({"access": {"group_ids": [1, 2]}})).await;
    let revoke = json!({"id": chat, "access": {"type": "group", "id": 2}});
    smith.ok("revoke_chat_access", revoke).await;
    let pushed = smith.push("chat_access_revoked").await;
    assert_eq!(pushed["payload"]["access"]["group_ids"], json!([2]));
    assert_eq!(
        get_chat(&mut smith, &chat).await["access"]["group_ids"],
        json!([1])
    );
}

#[tokio::test]
async fn grant_chat_access_to_an_unknown_group_is_not_found() {
    let world = World::new().await;
    let mut smith = login(&world, &world.agent, "3.3").await;
    let chat = start(&mut smith, json!({})).await;
    let grant = json!({"id": chat, "access": {"type": "group", "id": 99}});
    assert_eq!(smith.fails("grant_chat_access", grant).await, "not_found");
}

#[tokio::test]
async fn grant_chat_access_is_not_served_after_3_3() {
    let world = World::new().await;
    let mut smith = world.agent_rtm("3.6").await;
    let chat = start(&mut smith, json!({})).await;
    let grant = json!({"id": chat, "access": {"type": "group", "id": 0}});
    assert_eq!(smith.fails("grant_chat_access", grant).await, "validation");
}

// ---------------------------------------------------------------------------------------
// transfer_chat
// ---------------------------------------------------------------------------------------

/// A customer chat routed to the world's agent (Smith), and another agent online:
/// (Smith's connection, the customer's, the chat id, the other agent, its connection).
async fn transfer_setup(world: &World) -> (Rtm, Rtm, String, AgentHandle, Rtm) {
    let smith = world.agent_rtm("3.6").await;
    let (customer, chat) = customer_chat(world).await;
    let (other, other_rtm) = agent(world, "one@example.com", &[0]).await;
    (smith, customer, chat, other, other_rtm)
}

/// Transfers `chat` to the agent `target`.
fn to_agent(chat: &str, target: &AgentHandle) -> Value {
    json!({"id": chat, "target": {"type": "agent", "ids": [target.id.as_str()]}})
}

#[tokio::test]
async fn transfer_chat_to_an_agent_makes_it_the_chats_agent() {
    let world = World::new().await;
    let (mut smith, _customer, chat, other, _other_rtm) = transfer_setup(&world).await;
    smith.ok("transfer_chat", to_agent(&chat, &other)).await;
    let users = user_ids(&get_chat(&mut smith, &chat).await);
    assert!(users.contains(&other.id.to_string()));
    assert!(!users.contains(&world.agent.id.to_string()));
    assert!(users.contains(&world.customer.id.to_string()));
}

#[tokio::test]
async fn transfer_chat_to_an_agent_pushes_incoming_chat_to_it() {
    let world = World::new().await;
    let (mut smith, _customer, chat, other, mut other_rtm) = transfer_setup(&world).await;
    smith.ok("transfer_chat", to_agent(&chat, &other)).await;
    let incoming = other_rtm.push_where("incoming_chat", about(&chat)).await;
    let from = &incoming["payload"]["transferred_from"];
    assert_eq!(from["agent_ids"], json!([world.agent.id.as_str()]));
}

#[tokio::test]
async fn transfer_chat_pushes_chat_transferred_to_the_customer() {
    let world = World::new().await;
    let (mut smith, mut customer, chat, other, _other_rtm) = transfer_setup(&world).await;
    smith.ok("transfer_chat", to_agent(&chat, &other)).await;
    let pushed = customer.push("chat_transferred").await;
    let payload = &pushed["payload"];
    assert_eq!(
        payload["transferred_to"]["agent_ids"],
        json!([other.id.as_str()])
    );
    assert_eq!(payload["requester_id"], world.agent.id.as_str());
    assert!(payload.get("reason").is_none());
}

#[tokio::test]
async fn transfer_chat_tells_the_previous_agent_it_was_removed() {
    let world = World::new().await;
    let (mut smith, _customer, chat, other, _other_rtm) = transfer_setup(&world).await;
    smith.ok("transfer_chat", to_agent(&chat, &other)).await;
    let transferred = smith.push("chat_transferred").await;
    assert_eq!(transferred["payload"]["reason"], "manual");
    let removed = smith.push("user_removed_from_chat").await;
    assert_eq!(removed["payload"]["user_id"], world.agent.id.as_str());
}

#[tokio::test]
async fn transfer_chat_to_an_agent_without_access_fails() {
    let world = World::new().await;
    let mut smith = world.agent_rtm("3.6").await;
    let chat = start(&mut smith, json!({"access": {"group_ids": [1]}})).await;
    let (other, _other_rtm) = agent(&world, "two@example.com", &[2]).await;
    assert_eq!(
        smith.fails("transfer_chat", to_agent(&chat, &other)).await,
        "validation"
    );
}

#[tokio::test]
async fn transfer_chat_to_an_offline_agent_fails_with_agent_offline() {
    let world = World::new().await;
    let mut smith = world.agent_rtm("3.6").await;
    let (_customer, chat) = customer_chat(&world).await;
    let offline = world
        .sandbox
        .create_agent(NewAgent::new("away@example.com"));
    assert_eq!(
        smith
            .fails("transfer_chat", to_agent(&chat, &offline))
            .await,
        "agent_offline"
    );
}

#[tokio::test]
async fn transfer_chat_to_a_group_routes_it_to_an_accepting_agent_of_the_group() {
    let world = World::new().await;
    let (mut smith, _customer, chat, _, _) = transfer_setup(&world).await;
    let (sales, mut sales_rtm) = agent(&world, "sales@example.com", &[5]).await;
    let target = json!({"id": chat, "target": {"type": "group", "ids": [5]}});
    smith.ok("transfer_chat", target).await;
    sales_rtm.push_where("incoming_chat", about(&chat)).await;
    let got = get_chat(&mut sales_rtm, &chat).await;
    assert_eq!(got["access"]["group_ids"], json!([5]));
    assert!(user_ids(&got).contains(&sales.id.to_string()));
}

#[tokio::test]
async fn transfer_chat_to_a_group_pushes_chat_access_updated() {
    let world = World::new().await;
    let (mut smith, _customer, chat, _, _) = transfer_setup(&world).await;
    let (_sales, _sales_rtm) = agent(&world, "sales@example.com", &[5]).await;
    let target = json!({"id": chat, "target": {"type": "group", "ids": [5]}});
    smith.ok("transfer_chat", target).await;
    let pushed = smith.push("chat_access_updated").await;
    assert_eq!(pushed["payload"]["id"], chat.as_str());
    assert_eq!(pushed["payload"]["access"]["group_ids"], json!([5]));
}

#[tokio::test]
async fn transfer_chat_to_a_group_without_available_agents_fails_and_changes_nothing() {
    let world = World::new().await;
    world.sandbox.create_group(6, "Night shift");
    let (mut smith, _customer, chat, _, _) = transfer_setup(&world).await;
    let target = json!({"id": chat, "target": {"type": "group", "ids": [6]}});
    assert_eq!(smith.fails("transfer_chat", target).await, "validation");
    let got = get_chat(&mut smith, &chat).await;
    assert!(user_ids(&got).contains(&world.agent.id.to_string()));
    assert_eq!(got["access"]["group_ids"], json!([0]));
}

#[tokio::test]
async fn transfer_chat_ignoring_agents_availability_leaves_the_chat_unassigned() {
    let world = World::new().await;
    world.sandbox.create_group(6, "Night shift");
    let (mut smith, _customer, chat, _, _) = transfer_setup(&world).await;
    let target = json!({"id": chat, "target": {"type": "group", "ids": [6]}, "ignore_agents_availability": true});
    smith.ok("transfer_chat", target).await;
    let boss = NewAgent::new("boss@example.com").permission(Permission::Administrator);
    let boss = world.sandbox.create_agent(boss);
    let mut boss_rtm = login(&world, &boss, "3.6").await;
    let got = get_chat(&mut boss_rtm, &chat).await;
    assert_eq!(got["access"]["group_ids"], json!([6]));
    assert!(
        got["users"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["type"] != "agent")
    );
}

#[tokio::test]
async fn transfer_chat_without_a_target_picks_another_agent_of_the_group() {
    let world = World::new().await;
    let (mut smith, _customer, chat, other, mut other_rtm) = transfer_setup(&world).await;
    smith.ok("transfer_chat", json!({ "id": chat })).await;
    other_rtm.push_where("incoming_chat", about(&chat)).await;
    let users = user_ids(&get_chat(&mut other_rtm, &chat).await);
    assert!(users.contains(&other.id.to_string()));
    assert!(!users.contains(&world.agent.id.to_string()));
}

#[tokio::test]
async fn transfer_chat_requires_an_active_chat() {
    let world = World::new().await;
    let (mut smith, _customer, chat, other, _other_rtm) = transfer_setup(&world).await;
    smith.ok("deactivate_chat", json!({ "id": chat })).await;
    assert_eq!(
        smith.fails("transfer_chat", to_agent(&chat, &other)).await,
        "chat_inactive"
    );
}

#[tokio::test]
async fn transfer_chat_requires_the_requester_to_be_a_chat_user() {
    let world = World::new().await;
    let (_smith, _customer, chat, other, mut other_rtm) = transfer_setup(&world).await;
    let payload = to_agent(&chat, &other);
    assert_eq!(
        other_rtm.fails("transfer_chat", payload).await,
        "authorization"
    );
}

#[tokio::test]
async fn transfer_chat_ignoring_requester_presence_works_for_a_non_user() {
    let world = World::new().await;
    let (_smith, _customer, chat, other, mut other_rtm) = transfer_setup(&world).await;
    let mut payload = to_agent(&chat, &other);
    payload["ignore_requester_presence"] = json!(true);
    other_rtm.ok("transfer_chat", payload).await;
    assert!(user_ids(&get_chat(&mut other_rtm, &chat).await).contains(&other.id.to_string()));
}

// ---------------------------------------------------------------------------------------
// add_user_to_chat, remove_user_from_chat
// ---------------------------------------------------------------------------------------

/// An add_user_to_chat request for the agent `user` with `visibility`.
fn add_agent(chat: &str, user: &AgentHandle, visibility: &str) -> Value {
    json!({"chat_id": chat, "user_id": user.id.as_str(), "user_type": "agent", "visibility": visibility})
}

#[tokio::test]
async fn add_user_to_chat_adds_an_agent_and_pushes_user_added_to_chat() {
    let world = World::new().await;
    let (mut smith, mut customer, chat, other, mut other_rtm) = transfer_setup(&world).await;
    smith
        .ok("add_user_to_chat", add_agent(&chat, &other, "all"))
        .await;
    let pushed = customer.push("user_added_to_chat").await;
    assert_eq!(pushed["payload"]["user"]["id"], other.id.as_str());
    other_rtm
        .push_where("user_added_to_chat", about(&chat))
        .await;
    assert!(user_ids(&get_chat(&mut smith, &chat).await).contains(&other.id.to_string()));
}

#[tokio::test]
async fn agents_added_with_agents_visibility_are_hidden_from_the_customer() {
    let world = World::new().await;
    let (mut smith, mut customer, chat, other, _other_rtm) = transfer_setup(&world).await;
    smith
        .ok("add_user_to_chat", add_agent(&chat, &other, "agents"))
        .await;
    customer.no_push("user_added_to_chat", QUIET).await;
    let seen = customer.ok("get_chat", json!({ "chat_id": chat })).await;
    assert!(!user_ids(&seen).contains(&other.id.to_string()));
    let agents_view = get_chat(&mut smith, &chat).await;
    let added = agents_view["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == other.id.as_str())
        .cloned()
        .unwrap();
    assert_eq!(added["visibility"], "agents");
}

#[tokio::test]
async fn add_user_to_chat_adds_the_customer() {
    let world = World::new().await;
    let mut smith = world.agent_rtm("3.6").await;
    let mut customer = world.customer_rtm("3.6").await;
    let chat = start(&mut smith, json!({})).await;
    let add = json!({"chat_id": chat, "user_id": world.customer.id.as_str(), "user_type": "customer", "visibility": "all"});
    smith.ok("add_user_to_chat", add).await;
    customer.push("user_added_to_chat").await;
    let seen = customer.ok("get_chat", json!({ "chat_id": chat })).await;
    assert_eq!(seen["id"], chat.as_str());
}

#[tokio::test]
async fn add_user_to_chat_rejects_a_second_customer() {
    let world = World::new().await;
    let (mut smith, _customer, chat, _, _) = transfer_setup(&world).await;
    let second = world.sandbox.create_customer(NewCustomer::new());
    let add = json!({"chat_id": chat, "user_id": second.id.as_str(), "user_type": "customer", "visibility": "all"});
    assert_eq!(smith.fails("add_user_to_chat", add).await, "validation");
}

#[tokio::test]
async fn add_user_to_chat_rejects_a_customer_with_agents_visibility() {
    let world = World::new().await;
    let mut smith = world.agent_rtm("3.6").await;
    let chat = start(&mut smith, json!({})).await;
    let add = json!({"chat_id": chat, "user_id": world.customer.id.as_str(), "user_type": "customer", "visibility": "agents"});
    assert_eq!(smith.fails("add_user_to_chat", add).await, "validation");
}

#[tokio::test]
async fn add_user_to_chat_requires_an_active_chat() {
    let world = World::new().await;
    let (mut smith, _customer, chat, other, _other_rtm) = transfer_setup(&world).await;
    smith.ok("deactivate_chat", json!({ "id": chat })).await;
    assert_eq!(
        smith
            .fails("add_user_to_chat", add_agent(&chat, &other, "all"))
            .await,
        "chat_inactive"
    );
}

#[tokio::test]
async fn add_user_to_chat_requires_the_requester_to_be_a_chat_user() {
    let world = World::new().await;
    let (_smith, _customer, chat, other, mut other_rtm) = transfer_setup(&world).await;
    let payload = add_agent(&chat, &other, "all");
    assert_eq!(
        other_rtm.fails("add_user_to_chat", payload).await,
        "authorization"
    );
}

#[tokio::test]
async fn add_user_to_chat_ignoring_requester_presence_works_for_a_non_user() {
    let world = World::new().await;
    let (_smith, _customer, chat, other, mut other_rtm) = transfer_setup(&world).await;
    let mut payload = add_agent(&chat, &other, "all");
    payload["ignore_requester_presence"] = json!(true);
    other_rtm.ok("add_user_to_chat", payload).await;
    assert!(user_ids(&get_chat(&mut other_rtm, &chat).await).contains(&other.id.to_string()));
}

#[tokio::test]
async fn add_user_to_chat_requires_the_agent_to_have_access() {
    let world = World::new().await;
    let mut smith = world.agent_rtm("3.6").await;
    let chat = start(&mut smith, json!({"access": {"group_ids": [1]}})).await;
    let (other, _other_rtm) = agent(&world, "two@example.com", &[2]).await;
    assert_eq!(
        smith
            .fails("add_user_to_chat", add_agent(&chat, &other, "all"))
            .await,
        "validation"
    );
}

#[tokio::test]
async fn add_user_to_chat_with_an_unknown_agent_is_not_found() {
    let world = World::new().await;
    let mut smith = world.agent_rtm("3.6").await;
    let chat = start(&mut smith, json!({})).await;
    let add = json!({"chat_id": chat, "user_id": "nobody@example.com", "user_type": "agent", "visibility": "all"});
    assert_eq!(smith.fails("add_user_to_chat", add).await, "not_found");
}

/// A remove_user_from_chat request for the agent `user`.
fn remove_agent(chat: &str, user: &AgentHandle) -> Value {
    json!({"chat_id": chat, "user_id": user.id.as_str(), "user_type": "agent"})
}

#[tokio::test]
async fn remove_user_from_chat_removes_an_agent_and_tells_it() {
    let world = World::new().await;
    let (mut smith, _customer, chat, other, mut other_rtm) = transfer_setup(&world).await;
    smith
        .ok("add_user_to_chat", add_agent(&chat, &other, "all"))
        .await;
    smith
        .ok("remove_user_from_chat", remove_agent(&chat, &other))
        .await;
    let pushed = other_rtm.push("user_removed_from_chat").await;
    assert_eq!(pushed["payload"]["user_id"], other.id.as_str());
    assert!(!user_ids(&get_chat(&mut smith, &chat).await).contains(&other.id.to_string()));
}

#[tokio::test]
async fn remove_user_from_chat_refuses_to_remove_the_customer() {
    let world = World::new().await;
    let (mut smith, _customer, chat, _, _) = transfer_setup(&world).await;
    let remove =
        json!({"chat_id": chat, "user_id": world.customer.id.as_str(), "user_type": "customer"});
    assert_eq!(
        smith.fails("remove_user_from_chat", remove).await,
        "validation"
    );
}

#[tokio::test]
async fn an_agent_can_remove_itself_from_a_chat() {
    let world = World::new().await;
    let (mut smith, _customer, chat, _, _) = transfer_setup(&world).await;
    smith
        .ok("remove_user_from_chat", remove_agent(&chat, &world.agent))
        .await;
    assert!(!user_ids(&get_chat(&mut smith, &chat).await).contains(&world.agent.id.to_string()));
}

#[tokio::test]
async fn remove_user_from_chat_requires_the_requester_to_be_a_chat_user() {
    let world = World::new().await;
    let (_smith, _customer, chat, _other, mut other_rtm) = transfer_setup(&world).await;
    let payload = remove_agent(&chat, &world.agent);
    assert_eq!(
        other_rtm.fails("remove_user_from_chat", payload).await,
        "authorization"
    );
}

#[tokio::test]
async fn remove_user_from_chat_ignoring_requester_presence_works_for_a_non_user() {
    let world = World::new().await;
    let (_smith, _customer, chat, _other, mut other_rtm) = transfer_setup(&world).await;
    let mut payload = remove_agent(&chat, &world.agent);
    payload["ignore_requester_presence"] = json!(true);
    other_rtm.ok("remove_user_from_chat", payload).await;
    let users = user_ids(&get_chat(&mut other_rtm, &chat).await);
    assert!(!users.contains(&world.agent.id.to_string()));
}

#[tokio::test]
async fn remove_user_from_chat_of_a_non_member_is_not_found() {
    let world = World::new().await;
    let (mut smith, _customer, chat, other, _other_rtm) = transfer_setup(&world).await;
    let payload = remove_agent(&chat, &other);
    assert_eq!(
        smith.fails("remove_user_from_chat", payload).await,
        "not_found"
    );
}

// ---------------------------------------------------------------------------------------
// list_agents_for_transfer
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn list_agents_for_transfer_lists_online_agents_with_access_by_load() {
    let world = World::new().await;
    let mut smith = world.agent_rtm("3.6").await;
    let chat = start(&mut smith, json!({"access": {"group_ids": [1]}})).await;
    let (busy, _busy_rtm) = agent(&world, "busy@example.com", &[1]).await;
    let (idle, mut idle_rtm) = agent(&world, "idle@example.com", &[1]).await;
    world
        .sandbox
        .create_agent(NewAgent::new("offline@example.com").groups([1]));
    let (_outsider, _outsider_rtm) = agent(&world, "outsider@example.com", &[2]).await;
    let users = json!([
        {"id": world.customer.id.as_str(), "type": "customer"},
        {"id": busy.id.as_str(), "type": "agent"}
    ]);
    start(&mut smith, json!({ "users": users })).await;
    let status = json!({"status": "not_accepting_chats"});
    idle_rtm.ok("set_routing_status", status).await;
    let listed = smith
        .ok("list_agents_for_transfer", json!({ "chat_id": chat }))
        .await;
    assert_eq!(
        listed,
        json!([
            {"agent_id": idle.id.as_str(), "total_active_chats": 0},
            {"agent_id": busy.id.as_str(), "total_active_chats": 1}
        ])
    );
}
