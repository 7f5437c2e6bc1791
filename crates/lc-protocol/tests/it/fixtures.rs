//! Every JSON sample of the protocol notes decodes into its type and re-encodes to equal
//! JSON (fixtures under `tests/fixtures/`).

#![allow(clippy::unwrap_used)]

use crate::support;

use lc_protocol::types::{Chat, ChatSummary, CustomerChatSummary, Event, Thread, User};
use lc_protocol::wire::livechat::{self, ServerFrame};
use lc_protocol::{Action, PushSet, agent, customer};
use serde_json::Value;
use support::{all_in, assert_fully_known, assert_json_eq, read, round_trip};

#[test]
fn events_round_trip() {
    for (name, text) in all_in("events") {
        let event: Event = round_trip(&format!("events/{name}"), &text);
        if name != "unknown_type" {
            assert_fully_known(&format!("events/{name}"), &event);
        }
        let known = !matches!(event, Event::Unknown(_));
        assert_eq!(
            known,
            name != "unknown_type",
            "events/{name}: decoded as {event:?}"
        );
        let kind = serde_json::from_str::<Value>(&text).unwrap()["type"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(event.kind(), kind, "events/{name}");
    }
}

#[test]
fn users_round_trip() {
    for (name, text) in all_in("users") {
        let user: User = round_trip(&format!("users/{name}"), &text);
        assert_fully_known(&format!("users/{name}"), &user);
        let expected_unknown = name.starts_with("unknown");
        assert_eq!(
            matches!(user, User::Unknown(_)),
            expected_unknown,
            "users/{name}: {user:?}"
        );
        assert!(user.id().is_some(), "users/{name}: no id");
    }
}

#[test]
fn chats_threads_and_summaries_round_trip() {
    for (name, text) in all_in("chats") {
        let what = format!("chats/{name}");
        match name.as_str() {
            "chat_summary" => assert_fully_known(&what, &round_trip::<ChatSummary>(&what, &text)),
            "customer_chat_summary" => {
                assert_fully_known(&what, &round_trip::<CustomerChatSummary>(&what, &text))
            }
            n if n.starts_with("thread") => {
                assert_fully_known(&what, &round_trip::<Thread>(&what, &text))
            }
            "extra_fields" => drop(round_trip::<Chat>(&what, &text)),
            _ => assert_fully_known(&what, &round_trip::<Chat>(&what, &text)),
        }
    }
}

#[test]
fn unknown_fields_are_kept_at_every_level() {
    let chat: Chat = round_trip("chats/extra_fields", &read("chats/extra_fields.json"));
    assert!(
        !chat.extra.is_empty(),
        "unknown chat fields must land in `extra`"
    );
    let thread = chat.thread.as_ref().expect("the fixture has a thread");
    assert!(
        !thread.extra.is_empty(),
        "unknown thread fields must land in `extra`"
    );
}

#[test]
fn logins_round_trip() {
    round_trip::<<agent::Login as Action>::Response>(
        "agent login",
        &read("logins/agent_login_response.json"),
    );
    round_trip::<<customer::Login as Action>::Response>(
        "customer login",
        &read("logins/customer_login_response.json"),
    );
    round_trip::<agent::Login>(
        "agent login request",
        &read("logins/agent_login_request.json"),
    );
    round_trip::<customer::Login>(
        "customer login request",
        &read("logins/customer_login_request.json"),
    );
}

#[test]
fn error_objects_round_trip() {
    for (name, text) in all_in("errors") {
        let body: lc_protocol::error::ErrorBody = round_trip(&format!("errors/{name}"), &text);
        assert!(
            !body.error.kind.is_unknown(),
            "errors/{name}: {:?}",
            body.error.kind
        );
    }
    let misdirected: lc_protocol::error::ErrorBody =
        serde_json::from_str(&read("errors/misdirected_request.json")).unwrap();
    assert!(misdirected.error.region().is_some());
}

#[test]
fn server_frames_round_trip() {
    for (name, text) in all_in("envelopes") {
        let original: Value = serde_json::from_str(&text).unwrap();
        let is_server_frame = original.get("type").is_some();
        let encoded = if is_server_frame {
            match livechat::decode_server_frame(&text)
                .unwrap_or_else(|e| panic!("envelopes/{name}: {e}"))
            {
                ServerFrame::Response(r) => {
                    let request_id = r.request_id.clone();
                    let action = r.action.clone();
                    match r.into_result().unwrap() {
                        Ok(payload) => {
                            livechat::encode_success(request_id.as_deref(), &action, &payload)
                        }
                        Err(error) => {
                            livechat::encode_failure(request_id.as_deref(), &action, &error)
                        }
                    }
                }
                ServerFrame::Push(p) => {
                    let version = p.version.as_deref().unwrap_or("3.6").parse().unwrap();
                    livechat::encode_push(version, p.request_id.as_deref(), &p.action, &p.payload)
                }
            }
        } else {
            let request =
                livechat::decode_request(&text).unwrap_or_else(|e| panic!("envelopes/{name}: {e}"));
            let mut value: Value = serde_json::from_str(&livechat::encode_request(
                request.request_id.as_deref().unwrap_or_default(),
                &request.action,
                &request.payload,
                request.version.as_deref().map(|v| v.parse().unwrap()),
            ))
            .unwrap();
            if let Some(author) = request.author_id {
                value["author_id"] = Value::String(author);
            }
            value.to_string()
        };
        let encoded: Value = serde_json::from_str(&encoded).unwrap();
        assert_json_eq(&format!("envelopes/{name}"), &original, &encoded);
    }
}

fn pushes_round_trip<P: PushSet + std::fmt::Debug>(dir: &str) -> usize {
    let mut count = 0;
    for (name, text) in all_in(dir) {
        let what = format!("{dir}/{name}");
        let push = P::decode(&name, &text).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(push.name(), name, "{what}");
        assert!(
            !format!("{push:?}").starts_with("Unknown"),
            "{what}: not a known push"
        );
        // The notes name the per-status ticket counters only as `tickets_*_count`.
        if name != "customer_statistics_updated" {
            assert_fully_known(&what, &push);
        }
        let encoded: Value = serde_json::from_str(push.encode_payload().unwrap().get()).unwrap();
        assert_json_eq(&what, &serde_json::from_str(&text).unwrap(), &encoded);
        count += 1;
    }
    count
}

#[test]
fn agent_pushes_round_trip() {
    let count = pushes_round_trip::<agent::AgentPush>("pushes/agent");
    assert!(count >= 50, "only {count} agent push fixtures");
}

#[test]
fn customer_pushes_round_trip() {
    let count = pushes_round_trip::<customer::CustomerPush>("pushes/customer");
    assert!(count >= 25, "only {count} customer push fixtures");
}

/// Decodes `text` as the response of action `A` and checks the round trip.
fn response<A: Action>(dir: &str, name: &str, text: &str)
where
    A::Response: serde::Serialize + std::fmt::Debug,
{
    let what = format!("{dir}/{name} as {}", A::NAME);
    assert_fully_known(&what, &round_trip::<A::Response>(&what, text));
}

#[test]
fn agent_responses_round_trip() {
    for (name, text) in all_in("responses/agent") {
        let d = "responses/agent";
        match name.as_str() {
            "start_chat" => response::<agent::StartChat>(d, &name, &text),
            "resume_chat" => response::<agent::ResumeChat>(d, &name, &text),
            "send_event" => response::<agent::SendEvent>(d, &name, &text),
            "list_chats" => response::<agent::ListChats>(d, &name, &text),
            "list_threads" => response::<agent::ListThreads>(d, &name, &text),
            "get_chat" => response::<agent::GetChat>(d, &name, &text),
            "list_archives" => response::<agent::ListArchives>(d, &name, &text),
            "get_customer" => response::<agent::GetCustomer>(d, &name, &text),
            "list_routing_statuses" => response::<agent::ListRoutingStatuses>(d, &name, &text),
            "list_agents_for_transfer" => response::<agent::ListAgentsForTransfer>(d, &name, &text),
            "list_customers" => response::<agent::ListCustomers>(d, &name, &text),
            "create_customer" => response::<agent::CreateCustomer>(d, &name, &text),
            "subscribe_customers" => response::<agent::SubscribeCustomers>(d, &name, &text),
            "upload_file" => response::<agent::UploadFile>(d, &name, &text),
            other => panic!("{d}/{other}: no type mapped in this test"),
        }
    }
}

#[test]
fn customer_responses_round_trip() {
    for (name, text) in all_in("responses/customer") {
        let d = "responses/customer";
        match name.as_str() {
            "start_chat" => response::<customer::StartChat>(d, &name, &text),
            "list_chats" => response::<customer::ListChats>(d, &name, &text),
            "list_threads" => response::<customer::ListThreads>(d, &name, &text),
            "get_chat" => response::<customer::GetChat>(d, &name, &text),
            "get_customer" => response::<customer::GetCustomer>(d, &name, &text),
            "list_group_statuses" => response::<customer::ListGroupStatuses>(d, &name, &text),
            "get_form" => response::<customer::GetForm>(d, &name, &text),
            "get_predicted_agent" => response::<customer::GetPredictedAgent>(d, &name, &text),
            "request_welcome_message" => {
                response::<customer::RequestWelcomeMessage>(d, &name, &text)
            }
            "get_url_info" => response::<customer::GetUrlInfo>(d, &name, &text),
            "update_customer_page" => response::<customer::UpdateCustomerPage>(d, &name, &text),
            "get_dynamic_configuration" | "get_dynamic_configuration_35" => {
                response::<customer::GetDynamicConfiguration>(d, &name, &text)
            }
            "get_configuration" => response::<customer::GetConfiguration>(d, &name, &text),
            "get_localization" => response::<customer::GetLocalization>(d, &name, &text),
            "list_license_properties" => {
                response::<customer::ListLicenseProperties>(d, &name, &text)
            }
            other => panic!("{d}/{other}: no type mapped in this test"),
        }
    }
}

#[test]
fn agent_requests_round_trip() {
    for (name, text) in all_in("requests/agent") {
        let what = format!("requests/agent/{name}");
        match name.as_str() {
            "start_chat" => drop(round_trip::<agent::StartChat>(&what, &text)),
            "list_chats" => drop(round_trip::<agent::ListChats>(&what, &text)),
            "list_archives" => drop(round_trip::<agent::ListArchives>(&what, &text)),
            "transfer_chat" => drop(round_trip::<agent::TransferChat>(&what, &text)),
            "multicast" => drop(round_trip::<agent::Multicast>(&what, &text)),
            "send_event" => drop(round_trip::<agent::SendEvent>(&what, &text)),
            "send_rich_message_postback" => {
                drop(round_trip::<agent::SendRichMessagePostback>(&what, &text))
            }
            "update_customer" => drop(round_trip::<agent::UpdateCustomer>(&what, &text)),
            "list_customers" => drop(round_trip::<agent::ListCustomers>(&what, &text)),
            other => panic!("{what}: no type mapped in this test ({other})"),
        }
    }
}
