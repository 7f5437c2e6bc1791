//! Envelope codecs: malformed frames give errors that name what was wrong, unknown
//! values decode into fallbacks, and generated structures survive a round trip.

#![allow(clippy::unwrap_used)]

use lc_protocol::agent::AgentPush;
use lc_protocol::customer::CustomerPush;
use lc_protocol::error::{ApiError, ErrorBody};
use lc_protocol::id::{ChatId, EventId, GroupId, ThreadId, UserId};
use lc_protocol::inbenta::InbentaPush;
use lc_protocol::types::{Access, Event, MessageEvent, Properties, Visibility};
use lc_protocol::wire::inbenta::{self as inbenta_wire, Inbenta};
use lc_protocol::wire::livechat::{self, LiveChat, ServerFrame};
use lc_protocol::wire::{Dialect, Incoming};
use lc_protocol::{ApiVersion, ErrorType, FrameError, PushSet};
use proptest::prelude::*;
use serde_json::value::RawValue;
use serde_json::{Value, json};

fn raw(value: &Value) -> Box<RawValue> {
    serde_json::value::to_raw_value(value).unwrap()
}

#[test]
fn truncated_frames_are_json_errors() {
    let full =
        r#"{"request_id":"1","action":"ping","type":"response","success":true,"payload":{}}"#;
    for cut in 1..full.len() {
        let err =
            livechat::decode_server_frame(&full[..cut]).expect_err("a truncated frame must fail");
        assert!(matches!(err, FrameError::Json(_)), "cut at {cut}: {err}");
    }
}

#[test]
fn malformed_frames_name_what_is_wrong() {
    let cases: &[(&str, &str)] = &[
        ("[1,2]", "not a JSON object"),
        ("42", "not a JSON object"),
        (r#"{"type":"response","success":true}"#, "no `action` field"),
        (r#"{"action":7,"type":"push"}"#, "`action` must be a string"),
        (
            r#"{"action":"ping","type":"response","success":"yes"}"#,
            "`success` must be a boolean",
        ),
        (
            r#"{"action":"ping","type":"response"}"#,
            "no `success` field",
        ),
        (
            r#"{"action":"ping","type":"gossip"}"#,
            "unknown frame type `gossip`",
        ),
        (r#"{"action":"ping"}"#, "no `type` field"),
        (
            r#"{"action":"ping","type":"push","request_id":5}"#,
            "`request_id` must be a string",
        ),
    ];
    for (frame, message) in cases {
        let err = livechat::decode_server_frame(frame).expect_err(frame);
        assert!(
            err.to_string().contains(message),
            "{frame}: got `{err}`, want `{message}`"
        );
    }
}

#[test]
fn malformed_requests_name_what_is_wrong() {
    let err = livechat::decode_request(r#"{"payload":{}}"#).unwrap_err();
    assert!(err.to_string().contains("no `action` field"), "{err}");
    let err = livechat::decode_request(r#"{"action":"ping","payload":[1]}"#).unwrap_err();
    assert!(
        err.to_string().contains("`payload` must be an object"),
        "{err}"
    );
    let err = livechat::decode_request("{\"action\":\"pi").unwrap_err();
    assert!(matches!(err, FrameError::Json(_)), "{err}");
}

#[test]
fn pretty_printed_requests_decode() {
    let text = "{\n    \"action\": \"login\",\n    \"payload\": {\n        \"token\": \"Bearer x\"\n    },\n    \"request_id\": \"4242\"\n}";
    let request = livechat::decode_request(text).unwrap();
    assert_eq!(request.action, "login");
    assert_eq!(request.request_id.as_deref(), Some("4242"));
    let payload: Value = serde_json::from_str(request.payload.get()).unwrap();
    assert_eq!(payload, json!({"token": "Bearer x"}));
}

#[test]
fn a_request_without_payload_gets_an_empty_object() {
    let request = livechat::decode_request(r#"{"request_id":"9","action":"ping"}"#).unwrap();
    assert_eq!(request.payload.get(), "{}");
}

#[test]
fn unknown_push_names_decode_into_unknown() {
    let push = AgentPush::decode("hologram_started", r#"{"a":1}"#).unwrap();
    match &push {
        AgentPush::Unknown { name, payload } => {
            assert_eq!(name, "hologram_started");
            assert_eq!(payload, &json!({"a": 1}));
        }
        other => panic!("decoded as {other:?}"),
    }
    assert_eq!(push.name(), "hologram_started");
    assert!(matches!(
        CustomerPush::decode("x_y", "[]").unwrap(),
        CustomerPush::Unknown { .. }
    ));
    assert!(matches!(
        InbentaPush::decode("x:y", "{}").unwrap(),
        InbentaPush::Unknown { .. }
    ));
}

#[test]
fn a_known_push_with_a_bad_payload_is_an_error_naming_it() {
    let err = AgentPush::decode("incoming_event", r#"{"chat_id":5}"#).unwrap_err();
    assert!(err.to_string().contains("incoming_event"), "{err}");
}

#[test]
fn unknown_error_types_decode_into_unknown() {
    let body: ErrorBody =
        serde_json::from_str(r#"{"error":{"type":"quantum_flux","message":"?","data":{"x":1}}}"#)
            .unwrap();
    assert_eq!(body.error.kind, ErrorType::Unknown("quantum_flux".into()));
    assert_eq!(
        serde_json::to_value(&body).unwrap()["error"]["type"],
        "quantum_flux"
    );
}

#[test]
fn every_documented_error_type_round_trips() {
    for kind in ErrorType::KNOWN {
        let error = ApiError::new(kind.clone());
        let text = serde_json::to_string(&ErrorBody {
            error: error.clone(),
        })
        .unwrap();
        let back: ErrorBody = serde_json::from_str(&text).unwrap();
        assert_eq!(back.error, error);
        assert!(!back.error.message.is_empty());
    }
    assert_eq!(ErrorType::KNOWN.len(), 33);
}

#[test]
fn unknown_event_types_and_missing_tags_are_kept_whole() {
    let text = r#"{"type":"hologram","id":"E1","depth":3}"#;
    let event: Event = serde_json::from_str(text).unwrap();
    assert!(matches!(&event, Event::Unknown(u) if u.kind.as_deref() == Some("hologram")));
    assert_eq!(
        serde_json::to_value(&event).unwrap(),
        serde_json::from_str::<Value>(text).unwrap()
    );
    let untagged: Event = serde_json::from_str(r#"{"restricted_access":"plan"}"#).unwrap();
    assert_eq!(untagged.kind(), "");
}

#[test]
fn a_known_event_with_a_wrong_field_type_is_an_error_naming_the_type() {
    let err = serde_json::from_str::<Event>(r#"{"type":"message","text":5}"#).unwrap_err();
    assert!(err.to_string().contains("event of type `message`"), "{err}");
}

#[test]
fn the_livechat_dialect_decodes_replies_errors_and_pushes() {
    let dialect = LiveChat::<AgentPush>::new();
    let reply = dialect
        .decode(r#"{"request_id":"7","action":"login","type":"response","success":false,"payload":{"error":{"type":"authentication","message":"Invalid access token"}}}"#)
        .unwrap();
    match reply {
        Incoming::Reply(r) => {
            assert_eq!(r.request_id.as_deref(), Some("7"));
            let err = r.result.unwrap_err();
            assert_eq!(err.kind, ErrorType::Authentication);
            assert_eq!(err.message, "Invalid access token");
        }
        Incoming::Push(_) => panic!("a response decoded as a push"),
    }
    let push = dialect
        .decode(r#"{"version":"3.6","action":"chat_unfollowed","type":"push","payload":{"chat_id":"PJ0MRSHTDG"}}"#)
        .unwrap();
    assert!(
        matches!(push, Incoming::Push(p) if p.push.name() == "chat_unfollowed" && p.version.as_deref() == Some("3.6"))
    );
    let bad = dialect.decode(
        r#"{"request_id":"8","action":"x","type":"response","success":false,"payload":{"nope":1}}"#,
    );
    assert!(matches!(bad, Err(FrameError::Payload { .. })), "{bad:?}");
}

#[test]
fn the_inbenta_dialect_decodes_replies_errors_and_pushes() {
    let dialect = Inbenta::<InbentaPush>::new();
    match dialect
        .decode(r#"{"id":"e1","data":{"success":true}}"#)
        .unwrap()
    {
        Incoming::Reply(r) => assert_eq!(r.result.unwrap().get(), r#"{"success":true}"#),
        Incoming::Push(_) => panic!("reply decoded as push"),
    }
    match dialect
        .decode(r#"{"id":"e2","error":{"code":403,"message":"File type is not allowed"}}"#)
        .unwrap()
    {
        Incoming::Reply(r) => {
            let err = r.result.unwrap_err();
            assert_eq!(err.kind, ErrorType::Authorization);
            assert_eq!(err.data, Some(json!({"code": 403})));
        }
        Incoming::Push(_) => panic!("error decoded as push"),
    }
    match dialect
        .decode(r#"{"name":"forever:alone","data":{"chatId":"c1"}}"#)
        .unwrap()
    {
        Incoming::Push(p) => assert_eq!(p.push.name(), "forever:alone"),
        Incoming::Reply(_) => panic!("push decoded as reply"),
    }
    assert!(matches!(
        dialect.decode(r#"{"data":{}}"#),
        Err(FrameError::MissingField("name"))
    ));
    assert!(matches!(
        inbenta_wire::decode_request(r#"{"name":"chats:get"}"#),
        Err(FrameError::MissingField("id"))
    ));
}

fn arb_text() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), "[a-zA-Z0-9 ]{0,40}"]
}

fn arb_message() -> impl Strategy<Value = MessageEvent> {
    (
        proptest::option::of("[A-Z0-9]{10}_[0-9]{1,3}"),
        proptest::option::of(arb_text()),
        proptest::option::of("[a-z]{3,8}@example\\.com"),
        proptest::option::of(prop_oneof![Just(Visibility::All), Just(Visibility::Agents)]),
        proptest::option::of(proptest::collection::btree_map(
            "[a-z]{1,6}",
            any::<i32>(),
            0..3,
        )),
    )
        .prop_map(|(id, text, author, visibility, props)| MessageEvent {
            id: id.map(EventId::new),
            text,
            author_id: author.map(UserId::new),
            visibility,
            properties: props.map(|values| {
                let mut p = Properties::new();
                for (name, value) in values {
                    p.insert("ns", &name, value);
                }
                p
            }),
            ..MessageEvent::default()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Arbitrary bytes never make a decoder panic.
    #[test]
    fn decoders_never_panic(text in any::<String>()) {
        let _ = livechat::decode_server_frame(&text);
        let _ = livechat::decode_request(&text);
        let _ = inbenta_wire::decode_request(&text);
        let _ = LiveChat::<AgentPush>::new().decode(&text);
        let _ = Inbenta::<InbentaPush>::new().decode(&text);
        let _ = serde_json::from_str::<Event>(&text);
    }

    /// A message event travels in an `incoming_event` push and comes back equal.
    #[test]
    fn messages_round_trip_through_a_push_envelope(
        message in arb_message(),
        request_id in proptest::option::of("[0-9]{1,10}"),
        chat in "[A-Z0-9]{10}",
        thread in "[A-Z0-9]{10}",
    ) {
        let event = Event::Message(message);
        let payload = json!({"chat_id": chat, "thread_id": thread, "event": event});
        let frame = livechat::encode_push(ApiVersion::V3_6, request_id.as_deref(), "incoming_event", &raw(&payload));
        let decoded = LiveChat::<AgentPush>::new().decode(&frame).unwrap();
        let Incoming::Push(push) = decoded else { panic!("not a push") };
        prop_assert_eq!(push.request_id, request_id);
        let AgentPush::IncomingEvent(incoming) = push.push else { panic!("not incoming_event") };
        prop_assert_eq!(incoming.chat_id, ChatId::new(chat));
        prop_assert_eq!(incoming.thread_id, ThreadId::new(thread));
        prop_assert_eq!(incoming.event, event);
    }

    /// Requests keep action, id and payload through encode and decode.
    #[test]
    fn requests_round_trip(
        action in "[a-z_]{1,30}",
        request_id in "[a-zA-Z0-9-]{1,36}",
        groups in proptest::collection::vec(any::<u32>(), 0..5),
    ) {
        let access = Access { group_ids: groups.iter().copied().map(GroupId).collect(), ..Access::default() };
        let payload = raw(&json!({"access": access}));
        let text = livechat::encode_request(&request_id, &action, &payload, Some(ApiVersion::V3_5));
        let back = livechat::decode_request(&text).unwrap();
        prop_assert_eq!(back.action, action);
        prop_assert_eq!(back.request_id, Some(request_id));
        prop_assert_eq!(back.version.as_deref(), Some("3.5"));
        let value: Value = serde_json::from_str(back.payload.get()).unwrap();
        let access_back: Access = serde_json::from_value(value["access"].clone()).unwrap();
        prop_assert_eq!(access_back, access);
    }

    /// Responses keep success payloads and error objects.
    #[test]
    fn responses_round_trip(request_id in "[0-9]{1,10}", message in arb_text(), ok in any::<bool>()) {
        let text = if ok {
            livechat::encode_success(Some(&request_id), "get_chat", &raw(&json!({"m": message})))
        } else {
            livechat::encode_failure(Some(&request_id), "get_chat", &ApiError::with_message(ErrorType::NotFound, message.clone()))
        };
        let ServerFrame::Response(response) = livechat::decode_server_frame(&text).unwrap() else { panic!("not a response") };
        prop_assert_eq!(response.request_id.as_deref(), Some(request_id.as_str()));
        match response.into_result().unwrap() {
            Ok(payload) => prop_assert_eq!(serde_json::from_str::<Value>(payload.get()).unwrap(), json!({"m": message})),
            Err(error) => {
                prop_assert_eq!(error.kind, ErrorType::NotFound);
                prop_assert_eq!(error.message, message);
            }
        }
    }
}

#[test]
fn users_built_without_a_kind_still_carry_their_tag() {
    use lc_protocol::id::AgentId;
    use lc_protocol::types::{Agent, User, UserType};
    let user = User::from(Agent {
        id: AgentId::new("a@example.com"),
        ..Agent::default()
    });
    let value = serde_json::to_value(&user).unwrap();
    assert_eq!(value, json!({"type": "agent", "id": "a@example.com"}));
    let back: User = serde_json::from_value(value.clone()).unwrap();
    assert!(matches!(&back, User::Agent(a) if a.kind == Some(UserType::Agent)));
    assert_eq!(
        serde_json::to_value(&back).unwrap(),
        value,
        "a decoded user re-encodes once tagged"
    );
}

/// Decoded pushes and users are moved around (slots, envelopes, channels): the large
/// payloads are boxed so that no push or user costs a 2 KB copy per move.
#[test]
fn push_sets_and_users_stay_small() {
    use lc_protocol::agent::AgentPush;
    use lc_protocol::customer::CustomerPush;
    use lc_protocol::types::User;
    use std::mem::size_of;
    assert!(size_of::<AgentPush>() <= 640, "{}", size_of::<AgentPush>());
    assert!(
        size_of::<CustomerPush>() <= 640,
        "{}",
        size_of::<CustomerPush>()
    );
    assert!(size_of::<User>() <= 64, "{}", size_of::<User>());
}

#[test]
fn boxed_pushes_are_typed_payloads_too() {
    use lc_protocol::PushPayload;
    use lc_protocol::agent::AgentPush;
    use lc_protocol::agent::push::IncomingChat;
    let push = IncomingChat::default().into_push();
    assert!(matches!(&push, AgentPush::IncomingChat(_)));
    assert_eq!(
        IncomingChat::from_push(&push),
        Some(&IncomingChat::default())
    );
}
