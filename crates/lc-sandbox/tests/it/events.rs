//! Event-level actions of both APIs over real sockets: properties, tags, postbacks,
//! indicators, seen marks, deletion, previews, multicast and thread summaries.

use crate::common;

use common::web::{Web, agent_bearer};
use common::{Rtm, World};
use lc_sandbox::NewAgent;
use serde_json::{Value, json};
use std::time::Duration;

/// How long a test waits to be sure a push does not come.
const QUIET: Duration = Duration::from_millis(300);

/// A chat between the world's customer and agent, with the customer's first message.
struct Chat {
    world: World,
    agent: Rtm,
    customer: Rtm,
    chat_id: String,
    thread_id: String,
    event_id: String,
}

impl Chat {
    /// The customer starts a chat with "hi"; it is routed to the logged-in agent.
    async fn new() -> Chat {
        let world = World::new().await;
        let mut agent = world.agent_rtm("3.6").await;
        let mut customer = world.customer_rtm("3.6").await;
        let started = customer
            .ok(
                "start_chat",
                json!({"chat": {"thread": {"events": [{"type": "message", "text": "hi"}]}}}),
            )
            .await;
        agent.push("incoming_chat").await;
        Chat {
            chat_id: text(&started["chat_id"]),
            thread_id: text(&started["thread_id"]),
            event_id: text(&started["event_ids"][0]),
            world,
            agent,
            customer,
        }
    }

    /// `{chat_id, thread_id}` plus `extra`.
    fn ids(&self, extra: Value) -> Value {
        let mut payload = json!({"chat_id": self.chat_id, "thread_id": self.thread_id});
        merge(&mut payload, extra);
        payload
    }

    /// `{chat_id, thread_id, event_id}` plus `extra`.
    fn event_ids(&self, extra: Value) -> Value {
        let mut payload = self.ids(json!({"event_id": self.event_id}));
        merge(&mut payload, extra);
        payload
    }

    /// The chat with its last thread, as the agent sees it.
    async fn agent_view(&mut self) -> Value {
        let chat_id = self.chat_id.clone();
        self.agent.ok("get_chat", json!({"chat_id": chat_id})).await
    }

    /// The chat with its last thread, as the customer sees it.
    async fn customer_view(&mut self) -> Value {
        let chat_id = self.chat_id.clone();
        self.customer
            .ok("get_chat", json!({"chat_id": chat_id}))
            .await
    }

    /// The agent sends `event`; returns its id.
    async fn agent_sends(&mut self, event: Value) -> String {
        let chat_id = self.chat_id.clone();
        let sent = self
            .agent
            .ok("send_event", json!({"chat_id": chat_id, "event": event}))
            .await;
        text(&sent["event_id"])
    }
}

fn text(value: &Value) -> String {
    value
        .as_str()
        .unwrap_or_else(|| panic!("not a string: {value}"))
        .to_owned()
}

fn merge(into: &mut Value, extra: Value) {
    if let (Some(into), Value::Object(extra)) = (into.as_object_mut(), extra) {
        into.extend(extra);
    }
}

/// The event `id` of a thread view.
fn event<'a>(thread: &'a Value, id: &str) -> Option<&'a Value> {
    thread["events"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|e| e["id"] == id)
}

/// A rich message with one button whose postback id is `yes`.
fn rich_message() -> Value {
    json!({
        "type": "rich_message",
        "template_id": "quick_replies",
        "elements": [{"title": "Happy?", "buttons": [
            {"text": "Yes", "type": "message", "value": "yes", "postback_id": "yes", "user_ids": []}
        ]}]
    })
}

// ---- tags -----------------------------------------------------------------------------

#[tokio::test]
async fn tag_thread_shows_in_get_chat_and_is_pushed() {
    let mut chat = Chat::new().await;
    chat.agent
        .ok("tag_thread", chat.ids(json!({"tag": "Sales"})))
        .await;
    let pushed = chat.agent.push("thread_tagged").await;
    assert_eq!(pushed["payload"], chat.ids(json!({"tag": "Sales"})));
    let view = chat.agent_view().await;
    assert_eq!(view["thread"]["tags"], json!(["Sales"]));
}

#[tokio::test]
async fn tags_are_case_sensitive_and_a_duplicate_is_ignored() {
    let mut chat = Chat::new().await;
    for tag in ["sales", "Sales", "sales"] {
        chat.agent
            .ok("tag_thread", chat.ids(json!({"tag": tag})))
            .await;
    }
    let view = chat.agent_view().await;
    assert_eq!(view["thread"]["tags"], json!(["sales", "Sales"]));
}

#[tokio::test]
async fn untag_thread_removes_the_tag() {
    let mut chat = Chat::new().await;
    chat.agent
        .ok("tag_thread", chat.ids(json!({"tag": "vip"})))
        .await;
    chat.agent
        .ok("untag_thread", chat.ids(json!({"tag": "vip"})))
        .await;
    let pushed = chat.agent.push("thread_untagged").await;
    assert_eq!(pushed["payload"]["tag"], "vip");
    let view = chat.agent_view().await;
    assert!(view["thread"].get("tags").is_none(), "{view}");
}

#[tokio::test]
async fn untag_thread_of_a_tag_it_does_not_have_is_not_found() {
    let mut chat = Chat::new().await;
    let kind = chat
        .agent
        .fails("untag_thread", chat.ids(json!({"tag": "vip"})))
        .await;
    assert_eq!(kind, "not_found");
}

#[tokio::test]
async fn tag_thread_of_a_missing_thread_is_not_found() {
    let mut chat = Chat::new().await;
    let payload = json!({"chat_id": chat.chat_id, "thread_id": "TNOSUCHTHR", "tag": "x"});
    assert_eq!(chat.agent.fails("tag_thread", payload).await, "not_found");
}

// ---- properties -----------------------------------------------------------------------

#[tokio::test]
async fn chat_properties_merge_per_name_and_the_push_carries_only_the_update() {
    let mut chat = Chat::new().await;
    let id = chat.chat_id.clone();
    chat.agent
        .ok(
            "update_chat_properties",
            json!({"id": id, "properties": {"ns": {"a": 1, "b": "x"}}}),
        )
        .await;
    chat.agent
        .ok(
            "update_chat_properties",
            json!({"id": id, "properties": {"ns": {"b": "y"}}}),
        )
        .await;
    let second = chat
        .customer
        .push_where("chat_properties_updated", |p| {
            p["payload"]["properties"]["ns"].get("a").is_none()
        })
        .await;
    assert_eq!(
        second["payload"],
        json!({"chat_id": id, "properties": {"ns": {"b": "y"}}})
    );
    let view = chat.customer_view().await;
    assert_eq!(view["properties"]["ns"], json!({"a": 1, "b": "y"}));
}

#[tokio::test]
async fn delete_chat_properties_removes_the_names_and_pushes_them() {
    let mut chat = Chat::new().await;
    let id = chat.chat_id.clone();
    chat.agent
        .ok(
            "update_chat_properties",
            json!({"id": id, "properties": {"ns": {"a": 1, "b": 2}}}),
        )
        .await;
    chat.agent
        .ok(
            "delete_chat_properties",
            json!({"id": id, "properties": {"ns": ["a", "never_set"]}}),
        )
        .await;
    let pushed = chat.customer.push("chat_properties_deleted").await;
    assert_eq!(
        pushed["payload"],
        json!({"chat_id": id, "properties": {"ns": ["a"]}})
    );
    let view = chat.agent_view().await;
    assert_eq!(view["properties"]["ns"], json!({"b": 2}));
}

#[tokio::test]
async fn customer_thread_properties_reach_the_agent() {
    let mut chat = Chat::new().await;
    chat.customer
        .ok(
            "update_thread_properties",
            chat.ids(json!({"properties": {"rating": {"score": 1}}})),
        )
        .await;
    let pushed = chat.agent.push("thread_properties_updated").await;
    assert_eq!(
        pushed["payload"],
        chat.ids(json!({"properties": {"rating": {"score": 1}}}))
    );
    let view = chat.agent_view().await;
    assert_eq!(view["thread"]["properties"]["rating"]["score"], 1);
}

#[tokio::test]
async fn delete_thread_properties_removes_the_name() {
    let mut chat = Chat::new().await;
    chat.customer
        .ok(
            "update_thread_properties",
            chat.ids(json!({"properties": {"rating": {"score": 1, "comment": "ok"}}})),
        )
        .await;
    chat.customer
        .ok(
            "delete_thread_properties",
            chat.ids(json!({"properties": {"rating": ["score"]}})),
        )
        .await;
    let pushed = chat.agent.push("thread_properties_deleted").await;
    assert_eq!(
        pushed["payload"]["properties"],
        json!({"rating": ["score"]})
    );
    let view = chat.agent_view().await;
    assert_eq!(
        view["thread"]["properties"],
        json!({"rating": {"comment": "ok"}})
    );
}

#[tokio::test]
async fn event_properties_update_and_delete_show_on_the_event() {
    let mut chat = Chat::new().await;
    chat.agent
        .ok(
            "update_event_properties",
            chat.event_ids(json!({"properties": {"ns": {"a": true, "b": 2}}})),
        )
        .await;
    chat.agent
        .ok(
            "delete_event_properties",
            chat.event_ids(json!({"properties": {"ns": ["b"]}})),
        )
        .await;
    let pushed = chat.customer.push("event_properties_updated").await;
    assert_eq!(pushed["payload"]["event_id"], chat.event_id.as_str());
    let view = chat.customer_view().await;
    let first = event(&view["thread"], &chat.event_id).unwrap();
    assert_eq!(first["properties"], json!({"ns": {"a": true}}));
}

#[tokio::test]
async fn event_properties_of_a_missing_event_are_not_found() {
    let mut chat = Chat::new().await;
    let payload = chat.ids(json!({"event_id": "nope_1", "properties": {"ns": {"a": 1}}}));
    assert_eq!(
        chat.customer
            .fails("update_event_properties", payload)
            .await,
        "not_found"
    );
}

#[tokio::test]
async fn properties_of_an_agents_only_event_are_hidden_from_the_customer() {
    let mut chat = Chat::new().await;
    let note = chat
        .agent_sends(json!({"type": "message", "text": "note", "visibility": "agents"}))
        .await;
    let payload = chat.ids(json!({"event_id": note, "properties": {"ns": {"a": 1}}}));
    assert_eq!(
        chat.customer
            .fails("update_event_properties", payload.clone())
            .await,
        "not_found"
    );
    chat.agent.ok("update_event_properties", payload).await;
    chat.customer
        .no_push("event_properties_updated", QUIET)
        .await;
}

#[tokio::test]
async fn a_customer_cannot_touch_another_customers_chat() {
    let chat = Chat::new().await;
    let other = chat
        .world
        .sandbox
        .create_customer(lc_sandbox::NewCustomer::new());
    let mut intruder = Rtm::customer(&chat.world.sandbox, "3.6").await;
    intruder
        .ok("login", json!({"token": other.bearer().expose()}))
        .await;
    let payload = json!({"id": chat.chat_id, "properties": {"ns": {"a": 1}}});
    assert_eq!(
        intruder.fails("update_chat_properties", payload).await,
        "not_found"
    );
}

// ---- indicators -----------------------------------------------------------------------

#[tokio::test]
async fn typing_indicator_reaches_the_customer_but_not_the_sender() {
    let mut chat = Chat::new().await;
    let payload = json!({"chat_id": chat.chat_id, "is_typing": true});
    chat.agent.ok("send_typing_indicator", payload).await;
    let pushed = chat.customer.push("incoming_typing_indicator").await;
    let indicator = &pushed["payload"]["typing_indicator"];
    assert_eq!(indicator["author_id"], chat.world.agent.id.as_str());
    assert_eq!(indicator["is_typing"], true);
    assert_eq!(indicator["recipients"], "all");
    assert!(indicator["timestamp"].is_u64());
    assert_eq!(pushed["payload"]["thread_id"], chat.thread_id.as_str());
    chat.agent.no_push("incoming_typing_indicator", QUIET).await;
}

#[tokio::test]
async fn agents_only_typing_indicator_does_not_reach_the_customer() {
    let mut chat = Chat::new().await;
    let payload = json!({"chat_id": chat.chat_id, "is_typing": true, "visibility": "agents"});
    chat.agent.ok("send_typing_indicator", payload).await;
    chat.customer
        .no_push("incoming_typing_indicator", QUIET)
        .await;
}

#[tokio::test]
async fn typing_indicator_with_3_3_recipients_agents_does_not_reach_the_customer() {
    let mut chat = Chat::new().await;
    let mut old = chat.world.agent_rtm("3.3").await;
    let payload = json!({"chat_id": chat.chat_id, "is_typing": true, "recipients": "agents"});
    old.ok("send_typing_indicator", payload).await;
    chat.customer
        .no_push("incoming_typing_indicator", QUIET)
        .await;
}

#[tokio::test]
async fn typing_indicator_in_an_inactive_chat_fails() {
    let mut chat = Chat::new().await;
    let id = chat.chat_id.clone();
    chat.agent.ok("deactivate_chat", json!({"id": id})).await;
    let payload = json!({"chat_id": id, "is_typing": true});
    assert_eq!(
        chat.agent.fails("send_typing_indicator", payload).await,
        "chat_inactive"
    );
}

#[tokio::test]
async fn thinking_indicator_reaches_the_customer() {
    let mut chat = Chat::new().await;
    let payload = json!({"chat_id": chat.chat_id, "title": "Thinking", "custom_id": "c1"});
    chat.agent.ok("send_thinking_indicator", payload).await;
    let pushed = chat.customer.push("incoming_thinking_indicator").await;
    assert_eq!(pushed["payload"]["author_id"], chat.world.agent.id.as_str());
    assert_eq!(pushed["payload"]["title"], "Thinking");
    assert_eq!(pushed["payload"]["custom_id"], "c1");
    assert!(pushed["payload"]["sent_at"].is_string());
}

#[tokio::test]
async fn sneak_peek_reaches_the_agent() {
    let mut chat = Chat::new().await;
    let payload = json!({"chat_id": chat.chat_id, "sneak_peek_text": "I wonder"});
    chat.customer.ok("send_sneak_peek", payload).await;
    let pushed = chat.agent.push("incoming_sneak_peek").await;
    let peek = &pushed["payload"]["sneak_peek"];
    assert_eq!(peek["text"], "I wonder");
    assert_eq!(peek["author_id"], chat.world.customer.id.as_str());
    chat.customer.no_push("incoming_sneak_peek", QUIET).await;
}

#[tokio::test]
async fn sneak_peek_in_an_inactive_chat_fails() {
    let mut chat = Chat::new().await;
    let id = chat.chat_id.clone();
    chat.customer.ok("deactivate_chat", json!({"id": id})).await;
    let payload = json!({"chat_id": id, "sneak_peek_text": "x"});
    assert_eq!(
        chat.customer.fails("send_sneak_peek", payload).await,
        "chat_inactive"
    );
}

#[tokio::test]
async fn event_preview_reaches_the_customer_without_an_id() {
    let mut chat = Chat::new().await;
    let payload = json!({"chat_id": chat.chat_id, "event": {"type": "message", "text": "typing…"}});
    chat.agent.ok("send_event_preview", payload).await;
    let pushed = chat.customer.push("incoming_event_preview").await;
    let preview = &pushed["payload"]["event"];
    assert_eq!(preview["text"], "typing…");
    assert_eq!(preview["type"], "message");
    assert!(preview.get("id").is_none(), "{preview}");
    let view = chat.customer_view().await;
    assert_eq!(
        view["thread"]["events"].as_array().unwrap().len(),
        1,
        "previews are not stored"
    );
}

#[tokio::test]
async fn event_preview_of_a_non_message_is_invalid() {
    let mut chat = Chat::new().await;
    let payload = json!({"chat_id": chat.chat_id, "event": {"type": "custom", "content": {}}});
    assert_eq!(
        chat.agent.fails("send_event_preview", payload).await,
        "validation"
    );
}

// ---- multicast ------------------------------------------------------------------------

#[tokio::test]
async fn multicast_to_a_group_reaches_only_its_agents() {
    let world = World::new().await;
    let sales = world
        .sandbox
        .create_agent(NewAgent::new("sales@example.com").groups([1]));
    let support = world
        .sandbox
        .create_agent(NewAgent::new("support@example.com").groups([2]));
    let mut sender = world.agent_rtm("3.6").await;
    let mut in_group = Rtm::agent(&world.sandbox, "3.6").await;
    in_group
        .ok("login", json!({"token": sales.bearer().expose()}))
        .await;
    let mut outside = Rtm::agent(&world.sandbox, "3.6").await;
    outside
        .ok("login", json!({"token": support.bearer().expose()}))
        .await;
    let payload =
        json!({"recipients": {"agents": {"groups": [1]}}, "content": {"x": 1}, "type": "note"});
    sender.ok("multicast", payload).await;
    let pushed = in_group.push("incoming_multicast").await;
    assert_eq!(
        pushed["payload"],
        json!({"author_id": world.agent.id.as_str(), "content": {"x": 1}, "type": "note"})
    );
    outside.no_push("incoming_multicast", QUIET).await;
}

#[tokio::test]
async fn multicast_without_a_recipients_type_is_invalid() {
    let world = World::new().await;
    let mut agent = world.agent_rtm("3.6").await;
    let payload = json!({"recipients": {}, "content": "x"});
    assert_eq!(agent.fails("multicast", payload).await, "validation");
}

// ---- rich message postbacks -----------------------------------------------------------

#[tokio::test]
async fn postback_toggles_the_requester_in_the_button_user_ids() {
    let mut chat = Chat::new().await;
    let rich = chat.agent_sends(rich_message()).await;
    let postback = |toggled: bool| {
        chat.ids(json!({"event_id": rich, "postback": {"id": "yes", "toggled": toggled}}))
    };
    let (on, off) = (postback(true), postback(false));
    chat.customer.ok("send_rich_message_postback", on).await;
    let pushed = chat.agent.push("incoming_rich_message_postback").await;
    assert_eq!(
        pushed["payload"]["user_id"],
        chat.world.customer.id.as_str()
    );
    assert_eq!(pushed["payload"]["postback"]["toggled"], true);
    let view = chat.agent_view().await;
    let button = &event(&view["thread"], &rich).unwrap()["elements"][0]["buttons"][0];
    assert_eq!(button["user_ids"], json!([chat.world.customer.id.as_str()]));

    chat.customer.ok("send_rich_message_postback", off).await;
    let view = chat.agent_view().await;
    let button = &event(&view["thread"], &rich).unwrap()["elements"][0]["buttons"][0];
    assert_eq!(button["user_ids"], json!([]));
}

#[tokio::test]
async fn postback_for_a_missing_event_is_not_found() {
    let mut chat = Chat::new().await;
    let payload =
        chat.ids(json!({"event_id": "nope_9", "postback": {"id": "yes", "toggled": true}}));
    assert_eq!(
        chat.agent
            .fails("send_rich_message_postback", payload)
            .await,
        "not_found"
    );
}

#[tokio::test]
async fn postback_in_an_inactive_thread_is_stored_but_not_pushed() {
    let mut chat = Chat::new().await;
    let rich = chat.agent_sends(rich_message()).await;
    let id = chat.chat_id.clone();
    chat.agent.ok("deactivate_chat", json!({"id": id})).await;
    let payload = chat.ids(json!({"event_id": rich, "postback": {"id": "yes", "toggled": true}}));
    chat.customer
        .ok("send_rich_message_postback", payload)
        .await;
    chat.agent
        .no_push("incoming_rich_message_postback", QUIET)
        .await;
    let view = chat.agent_view().await;
    let button = &event(&view["thread"], &rich).unwrap()["elements"][0]["buttons"][0];
    assert_eq!(button["user_ids"], json!([chat.world.customer.id.as_str()]));
}

// ---- delete_event ---------------------------------------------------------------------

#[tokio::test]
async fn deleted_event_is_hidden_from_the_customer_and_marked_for_the_agent() {
    let mut chat = Chat::new().await;
    chat.customer
        .ok("delete_event", chat.event_ids(json!({})))
        .await;
    let pushed = chat.agent.push("event_deleted").await;
    assert_eq!(pushed["payload"], chat.event_ids(json!({})));
    let customer_view = chat.customer_view().await;
    assert!(event(&customer_view["thread"], &chat.event_id).is_none());
    let agent_view = chat.agent_view().await;
    let deleted = event(&agent_view["thread"], &chat.event_id).unwrap();
    assert_eq!(deleted["deleted"], true);
    assert!(
        deleted.get("text").is_none(),
        "a normal agent sees a stub: {deleted}"
    );
    assert_eq!(deleted["type"], "message");
}

#[tokio::test]
async fn an_administrator_sees_a_deleted_event_whole() {
    let mut chat = Chat::new().await;
    chat.customer
        .ok("delete_event", chat.event_ids(json!({})))
        .await;
    let admin = chat.world.sandbox.create_agent(
        lc_sandbox::NewAgent::new("boss@example.com")
            .permission(lc_protocol::types::Permission::Administrator),
    );
    let mut boss = common::Rtm::agent(&chat.world.sandbox, "3.6").await;
    boss.ok("login", json!({"token": admin.bearer().expose()}))
        .await;
    let view = boss.ok("get_chat", json!({"chat_id": chat.chat_id})).await;
    let deleted = event(&view["thread"], &chat.event_id).unwrap();
    assert_eq!(deleted["deleted"], true);
    assert_eq!(deleted["text"], "hi");
}

#[tokio::test]
async fn deleting_an_event_twice_is_not_found() {
    let mut chat = Chat::new().await;
    chat.customer
        .ok("delete_event", chat.event_ids(json!({})))
        .await;
    assert_eq!(
        chat.customer
            .fails("delete_event", chat.event_ids(json!({})))
            .await,
        "not_found"
    );
}

#[tokio::test]
async fn a_customer_cannot_delete_an_agents_event() {
    let mut chat = Chat::new().await;
    let reply = chat
        .agent_sends(json!({"type": "message", "text": "hello"}))
        .await;
    let payload = chat.ids(json!({"event_id": reply}));
    assert_eq!(
        chat.customer.fails("delete_event", payload).await,
        "authorization"
    );
}

// ---- mark_events_as_seen --------------------------------------------------------------

#[tokio::test]
async fn mark_events_as_seen_is_pushed_to_the_chat() {
    let mut chat = Chat::new().await;
    let seen = "2999-01-01T00:00:00.000000Z";
    let payload = json!({"chat_id": chat.chat_id, "seen_up_to": seen});
    chat.agent.ok("mark_events_as_seen", payload).await;
    let pushed = chat.customer.push("events_marked_as_seen").await;
    assert_eq!(
        pushed["payload"],
        json!({"user_id": chat.world.agent.id.as_str(), "chat_id": chat.chat_id, "seen_up_to": seen})
    );
}

#[tokio::test]
async fn mark_events_as_seen_never_moves_backwards() {
    let mut chat = Chat::new().await;
    let id = chat.chat_id.clone();
    let later = "2999-01-01T00:00:00.000000Z";
    for seen in [later, "2000-01-01T00:00:00.000000Z"] {
        chat.customer
            .ok(
                "mark_events_as_seen",
                json!({"chat_id": id, "seen_up_to": seen}),
            )
            .await;
    }
    let view = chat.agent_view().await;
    let me = view["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == chat.world.customer.id.as_str())
        .unwrap();
    assert_eq!(me["events_seen_up_to"], later);
}

#[tokio::test]
async fn mark_events_as_seen_with_a_bad_date_is_invalid() {
    let mut chat = Chat::new().await;
    let payload = json!({"chat_id": chat.chat_id, "seen_up_to": "yesterday"});
    assert_eq!(
        chat.customer.fails("mark_events_as_seen", payload).await,
        "validation"
    );
}

// ---- request_thread_summary -----------------------------------------------------------

#[tokio::test]
async fn thread_summary_is_pushed_stored_and_added_as_a_system_event() {
    let mut chat = Chat::new().await;
    chat.agent_sends(json!({"type": "message", "text": "how can I help?"}))
        .await;
    chat.agent
        .ok("request_thread_summary", chat.ids(json!({})))
        .await;
    let pushed = chat.agent.push("thread_summary_set").await;
    let summary = &pushed["payload"]["summary"];
    assert_eq!(summary["status"], "ok");
    assert_eq!(
        summary["text"],
        "2 messages, from \"hi\" to \"how can I help?\"."
    );
    let view = chat.agent_view().await;
    assert_eq!(view["thread"]["summary"], *summary);
    let events = view["thread"]["events"].as_array().unwrap();
    let system = events.last().unwrap();
    assert_eq!(
        (&system["type"], &system["source"], &system["subtype"]),
        (&json!("system"), &json!("messaging"), &json!("summary"))
    );
    let customer_view = chat.customer_view().await;
    assert!(customer_view["thread"].get("summary").is_none());
}

#[tokio::test]
async fn an_inactive_thread_is_summarised_only_once_over_web() {
    let mut chat = Chat::new().await;
    let id = chat.chat_id.clone();
    chat.agent.ok("deactivate_chat", json!({"id": id})).await;
    let web = Web::new(&chat.world.sandbox);
    let auth = agent_bearer(&chat.world.agent);
    let first = web
        .agent("3.6", "request_thread_summary", &auth, chat.ids(json!({})))
        .await;
    assert_eq!(first.ok(), json!({}));
    let repeat = web
        .agent("3.6", "request_thread_summary", &auth, chat.ids(json!({})))
        .await;
    assert_eq!(repeat.status.as_u16(), 409);
    assert_eq!(repeat.error_type(), "already_exists");
}

#[tokio::test]
async fn summary_of_a_thread_without_messages_pushes_incoming_error() {
    let world = World::new().await;
    let mut agent = world.agent_rtm("3.6").await;
    let started = agent.ok("start_chat", json!({})).await;
    let payload = json!({"chat_id": started["chat_id"], "thread_id": started["thread_id"]});
    agent.ok("request_thread_summary", payload).await;
    let pushed = agent.push("incoming_error").await;
    assert_eq!(pushed["payload"]["action"], "set_thread_summary");
}
