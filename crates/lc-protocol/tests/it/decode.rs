//! The generated `Deserialize` impls of the structs that keep unknown fields (`extra`),
//! and the one-pass decoding of the tagged unions: serde's derive semantics, compared
//! with a derived struct of the same shape where the messages must match.

use lc_protocol::agent::push::IncomingEvent;
use lc_protocol::types::{Event, User};
use serde_json::{Value, json};

/// What `#[derive(Deserialize)]` with `#[serde(flatten)] extra` makes of the same input.
mod derived {
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    pub(super) struct IncomingEvent {
        pub(super) chat_id: String,
        pub(super) thread_id: String,
        pub(super) event: serde_json::Value,
        #[serde(flatten)]
        pub(super) extra: serde_json::Map<String, serde_json::Value>,
    }
}

/// The error messages of the generated impl and of the derive for `text`.
fn both_errors(text: &str) -> (String, String) {
    let generated = serde_json::from_str::<IncomingEvent>(text).unwrap_err();
    let derived = serde_json::from_str::<derived::IncomingEvent>(text).unwrap_err();
    (generated.to_string(), derived.to_string())
}

const EVENT: &str = r#"{"type":"message","text":"hi"}"#;

#[test]
fn a_missing_required_field_is_the_derive_error() {
    let text = format!(r#"{{"thread_id":"T","event":{EVENT}}}"#);
    let (generated, derived) = both_errors(&text);
    assert!(
        generated.starts_with("missing field `chat_id`"),
        "{generated}"
    );
    assert_eq!(generated, derived);
}

#[test]
fn a_repeated_known_field_is_the_derive_error() {
    let text = format!(r#"{{"chat_id":"C","chat_id":"D","thread_id":"T","event":{EVENT}}}"#);
    let (generated, derived) = both_errors(&text);
    assert!(
        generated.starts_with("duplicate field `chat_id`"),
        "{generated}"
    );
    assert_eq!(generated, derived);
}

#[test]
fn a_wrong_type_is_the_derive_error() {
    for text in [
        format!(r#"{{"chat_id":5,"thread_id":"T","event":{EVENT}}}"#),
        r#""not an object""#.to_owned(),
        "[1]".to_owned(),
    ] {
        let (generated, derived) = both_errors(&text);
        assert_eq!(generated, derived, "{text}");
    }
}

#[test]
fn unknown_fields_are_kept_and_survive_a_round_trip() {
    let value = json!({
        "chat_id": "C",
        "thread_id": "T",
        "event": {"type": "message", "text": "hi", "glow": {"level": 3}},
        "newer": [1, 2],
    });
    let push: IncomingEvent = serde_json::from_value(value.clone()).unwrap();
    assert_eq!(push.extra.get("newer"), Some(&json!([1, 2])));
    let Event::Message(message) = &push.event else {
        panic!("a message: {:?}", push.event);
    };
    assert_eq!(message.extra.get("glow"), Some(&json!({"level": 3})));
    assert!(
        !message.extra.contains_key("type"),
        "the union tag is the union's"
    );
    assert_eq!(serde_json::to_value(&push).unwrap(), value);
    let from_text: IncomingEvent = serde_json::from_str(&value.to_string()).unwrap();
    assert_eq!(from_text, push);
}

#[test]
fn a_repeated_unknown_field_keeps_the_last_value() {
    let text = format!(r#"{{"chat_id":"C","x":1,"thread_id":"T","x":2,"event":{EVENT}}}"#);
    let push: IncomingEvent = serde_json::from_str(&text).unwrap();
    assert_eq!(push.extra.get("x"), Some(&json!(2)));
}

#[test]
fn null_and_absent_optional_fields_are_none() {
    let event: Event = serde_json::from_str(r#"{"type":"message","text":null}"#).unwrap();
    assert_eq!(event.text(), None);
    let event: Event = serde_json::from_str(r#"{"type":"message"}"#).unwrap();
    assert_eq!(event.text(), None);
    let err = serde_json::from_str::<Event>(r#"{"type":"message","text":"a","text":"b"}"#)
        .unwrap_err()
        .to_string();
    assert!(err.contains("duplicate field `text`"), "{err}");
}

#[test]
fn renamed_fields_are_read_by_their_wire_names() {
    let user: User = serde_json::from_value(json!({
        "id": "c1",
        "type": "customer",
        "__priv_lc2_customer_id": "legacy",
    }))
    .unwrap();
    let customer = user.as_customer().expect("a customer");
    assert_eq!(customer.priv_lc2_customer_id.as_deref(), Some("legacy"));
    assert!(customer.kind.is_some(), "`type` is kept in `kind`");
    assert!(customer.extra.is_empty(), "{:?}", customer.extra);
    assert_eq!(
        serde_json::to_value(&user).unwrap()["__priv_lc2_customer_id"],
        "legacy"
    );
}

#[test]
fn the_tag_may_come_anywhere_and_any_deserializer_will_do() {
    let expected: Event =
        serde_json::from_str(r#"{"type":"message","id":"E1","text":"hi"}"#).unwrap();
    for text in [
        r#"{"id":"E1","text":"hi","type":"message"}"#,
        r#"{"id":"E1","type":"message","text":"hi"}"#,
    ] {
        assert_eq!(
            serde_json::from_str::<Event>(text).unwrap(),
            expected,
            "{text}"
        );
        let value: Value = serde_json::from_str(text).unwrap();
        assert_eq!(
            serde_json::from_value::<Event>(value).unwrap(),
            expected,
            "{text}"
        );
    }
}

#[test]
fn unknown_and_missing_tags_keep_every_field() {
    for text in [
        r#"{"depth":3,"type":"hologram","id":"E1"}"#,
        r#"{"depth":3,"id":"E1"}"#,
        r#"{"depth":3,"type":7}"#,
        // More fields before the tag than are kept in place: the rest are kept too.
        r#"{"a":1,"b":"two","c":[3],"d":{"e":4},"f":null,"g":"s\u0031","type":"hologram","h":8}"#,
        r#"{"a":1,"b":"two","c":[3],"d":{"e":4},"f":null,"g":"s\u0031"}"#,
    ] {
        let event: Event = serde_json::from_str(text).unwrap();
        assert!(matches!(event, Event::Unknown(_)), "{text}");
        assert_eq!(
            serde_json::to_value(&event).unwrap(),
            serde_json::from_str::<Value>(text).unwrap(),
            "{text}"
        );
    }
    let user: User = serde_json::from_str(r#"{"id":"x","type":"robot","arms":4}"#).unwrap();
    assert_eq!(user.id(), Some("x"));
    assert!(
        matches!(&user, User::Unknown(u) if u.kind.as_deref() == Some("robot") && !u.fields.contains_key("type"))
    );
}

#[test]
fn malformed_unions_are_errors_not_panics() {
    for text in [
        r#""message""#,
        "[]",
        r#"{"type":"message","text":5}"#,
        r#"{"text":5,"type":"message"}"#,
        r#"{"type":"message","deleted":"no"}"#,
        r#"{"type":"message""#,
    ] {
        assert!(serde_json::from_str::<Event>(text).is_err(), "{text}");
    }
    for text in [
        r#""agent""#,
        "[]",
        r#"{"type":"agent"}"#,
        r#"{"id":5,"type":"agent"}"#,
        r#"{"type":"agent""#,
    ] {
        assert!(serde_json::from_str::<User>(text).is_err(), "{text}");
    }
    let err = serde_json::from_str::<Event>(r#"{"text":5,"type":"message"}"#).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("event of type `message`: invalid type: integer `5`"),
        "{err}"
    );
}

#[test]
fn a_field_alias_fills_the_field_and_counts_as_it() {
    use lc_protocol::types::Queue;
    let queue: Queue =
        serde_json::from_str(r#"{"position":1,"wait_time":5,"queued_at_us":"2026-01-01"}"#)
            .expect("the webhook spelling is read");
    assert_eq!(queue.queued_at.as_deref(), Some("2026-01-01"));
    assert!(queue.extra.is_empty(), "{:?}", queue.extra);
    // Both spellings at once: one field given twice, as `#[serde(alias)]` makes it.
    let err = serde_json::from_str::<Queue>(
        r#"{"position":1,"wait_time":5,"queued_at":"a","queued_at_us":"b"}"#,
    )
    .unwrap_err();
    assert!(
        err.to_string().starts_with("duplicate field `queued_at`"),
        "{err}"
    );
}

/// The fields before the tag are kept aside (strings as borrowed text): whatever their
/// type, escaped or not, they decode as when they come after the tag, and so do their
/// errors.
#[test]
fn fields_before_the_tag_decode_as_after_it() {
    let after = r#"{"type":"message","id":"E\"1","custom_id":"c","created_at":"2019-12-05T07:27:51.511000Z","author_id":"a@b.c","visibility":"agents","properties":{"ns":{"k":[1,2.5,null,true]}},"deleted":false,"text":"h\u00e9","score":-3,"big":18446744073709551615,"nothing":null}"#;
    let expected: Event = serde_json::from_str(after).unwrap();
    let Event::Message(message) = &expected else {
        panic!("a message: {expected:?}")
    };
    assert_eq!(message.id.as_ref().map(|id| id.as_str()), Some("E\"1"));
    assert_eq!(message.text.as_deref(), Some("hé"));
    assert_eq!(message.extra.len(), 3, "{:?}", message.extra);
    let before = r#"{"id":"E\"1","custom_id":"c","created_at":"2019-12-05T07:27:51.511000Z","author_id":"a@b.c","visibility":"agents","properties":{"ns":{"k":[1,2.5,null,true]}},"deleted":false,"text":"h\u00e9","score":-3,"big":18446744073709551615,"nothing":null,"type":"message"}"#;
    assert_eq!(serde_json::from_str::<Event>(before).unwrap(), expected);
    let value: Value = serde_json::from_str(before).unwrap();
    assert_eq!(serde_json::from_value::<Event>(value).unwrap(), expected);

    let user = r#"{"id":"c\u0031","name":"N","email_verified":true,"type":"customer"}"#;
    let user: User = serde_json::from_str(user).unwrap();
    let customer = user.as_customer().expect("a customer");
    assert_eq!(customer.id.as_str(), "c1");
    assert_eq!(customer.name.as_deref(), Some("N"));
    assert_eq!(customer.email_verified, Some(true));

    for (before, after) in [
        (
            r#"{"visibility":"nobody","type":"message"}"#,
            r#"{"type":"message","visibility":"nobody"}"#,
        ),
        (
            r#"{"deleted":"no","type":"message"}"#,
            r#"{"type":"message","deleted":"no"}"#,
        ),
        (
            r#"{"text":5,"type":"message"}"#,
            r#"{"type":"message","text":5}"#,
        ),
        (
            r#"{"id":["E1"],"type":"message"}"#,
            r#"{"type":"message","id":["E1"]}"#,
        ),
        (
            r#"{"text":"a","text":"b","type":"message"}"#,
            r#"{"type":"message","text":"a","text":"b"}"#,
        ),
    ] {
        // The decoded event, or the error without its position.
        let outcome = |text: &str| {
            serde_json::from_str::<Event>(text).map_err(|err| {
                let err = err.to_string();
                err[..err.rfind(" at line ").unwrap_or(err.len())].to_owned()
            })
        };
        assert_eq!(outcome(before), outcome(after), "{before}");
    }
}

#[test]
fn a_list_field_given_twice_is_a_duplicate_field_as_any_field() {
    use lc_protocol::agent::push::{ChatTransferredTo, CustomerTransferredTo};
    let err = serde_json::from_str::<CustomerTransferredTo>(r#"{"group_ids":[1],"group_ids":[2]}"#)
        .unwrap_err();
    assert!(
        err.to_string().starts_with("duplicate field `group_ids`"),
        "{err}"
    );
    // An optional list too, even when its first value was `null`.
    let err = serde_json::from_str::<ChatTransferredTo>(r#"{"agent_ids":null,"agent_ids":["a"]}"#)
        .unwrap_err();
    assert!(
        err.to_string().starts_with("duplicate field `agent_ids`"),
        "{err}"
    );
    let once: ChatTransferredTo =
        serde_json::from_str(r#"{"agent_ids":["a"],"group_ids":null}"#).expect("each list once");
    assert_eq!(once.agent_ids.as_deref().map(<[_]>::len), Some(1));
    assert_eq!(once.group_ids, None);
}
