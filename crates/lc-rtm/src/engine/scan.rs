//! Reading the request id of a response frame that could not be decoded, so that its
//! request fails at once instead of timing out.

use lc_protocol::Api;
use std::borrow::Cow;

/// The request id of a LiveChat response frame that names it, and says it is a response
/// (`"type":"response"`, or `success` without a `type`), before its `payload`, as
/// LiveChat's frames do: what lets the engine pick the request's decoder before the
/// payload is read. Only the leading fields are looked at (a few dozen bytes); `None`
/// for anything else (the frame then takes the plain path).
pub(super) fn leading_request_id(text: &str) -> Option<Cow<'_, str>> {
    let bytes = text.as_bytes();
    let mut at = 0;
    let skip_ws = |at: &mut usize| {
        while *at < bytes.len() && bytes[*at].is_ascii_whitespace() {
            *at += 1;
        }
    };
    // The string starting at `start` (a quote): its end (exclusive) and whether it has
    // escapes.
    let string_end = |start: usize| -> Option<(usize, bool)> {
        let mut i = start + 1;
        let mut escaped = false;
        while i < bytes.len() {
            match bytes[i] {
                b'\\' => {
                    escaped = true;
                    i += 2;
                }
                b'"' => return Some((i + 1, escaped)),
                _ => i += 1,
            }
        }
        None
    };
    let (mut id, mut kind, mut success) = (None, None, false);
    skip_ws(&mut at);
    if bytes.get(at) != Some(&b'{') {
        return None;
    }
    at += 1;
    loop {
        skip_ws(&mut at);
        if bytes.get(at) != Some(&b'"') {
            return None;
        }
        let (end, escaped) = string_end(at)?;
        if escaped {
            return None;
        }
        let key = &text[at + 1..end - 1];
        at = end;
        skip_ws(&mut at);
        if bytes.get(at) != Some(&b':') {
            return None;
        }
        at += 1;
        skip_ws(&mut at);
        if key == "payload" {
            let response = match kind {
                Some(kind) => kind == "response",
                None => success,
            };
            return if response { id } else { None };
        }
        match bytes.get(at)? {
            b'"' => {
                let (end, escaped) = string_end(at)?;
                let value = if escaped {
                    Cow::Owned(serde_json::from_str::<String>(&text[at..end]).ok()?)
                } else {
                    Cow::Borrowed(&text[at + 1..end - 1])
                };
                at = end;
                match key {
                    // A repeated field: left to the plain path.
                    "request_id" if id.is_some() => return None,
                    "request_id" => id = Some(value),
                    "type" => kind = Some(value),
                    _ => {}
                }
            }
            // Only short scalars are expected before the payload (`success`).
            _ => {
                while at < bytes.len() && !matches!(bytes[at], b',' | b'}') {
                    if matches!(bytes[at], b'{' | b'[' | b'"') {
                        return None;
                    }
                    at += 1;
                }
                if key == "success" {
                    success = true;
                }
                if key == "request_id" {
                    return None;
                }
            }
        }
        skip_ws(&mut at);
        match bytes.get(at) {
            Some(b',') => at += 1,
            _ => return None,
        }
    }
}

/// The request id of a response that could not be decoded, when it can still be read
/// soundly: the frame's top-level fields are scanned as far as they are well-formed (a
/// truncated frame keeps its leading fields). A LiveChat frame counts only when it says
/// it is a response (`"type":"response"`, or a `success` field) so that a malformed
/// push caused by a request never fails that request; an Inbenta frame is a reply when
/// it has an `id`.
pub(super) fn reply_id(api: Api, text: &str) -> Option<String> {
    let fields = leading_fields(text);
    let string = |name: &str| {
        fields
            .iter()
            .find(|(key, _)| key == name)
            .and_then(|(_, value)| value.clone())
    };
    if api == Api::Inbenta {
        return string("id");
    }
    let kind = string("type");
    let success = fields.iter().any(|(key, _)| key == "success");
    let response = kind.as_deref() == Some("response") || (kind.is_none() && success);
    if response { string("request_id") } else { None }
}

/// The top-level fields of the JSON object `text` up to where it stops being
/// well-formed: each key with its value when that is a whole string. Linear, no
/// recursion, never panics.
fn leading_fields(text: &str) -> Vec<(String, Option<String>)> {
    let bytes = text.as_bytes();
    let mut at = 0;
    let skip_ws = |at: &mut usize| {
        while *at < bytes.len() && bytes[*at].is_ascii_whitespace() {
            *at += 1;
        }
    };
    // The end (exclusive) of the string starting at `start` (a quote), if it ends.
    let string_end = |start: usize| -> Option<usize> {
        let mut i = start + 1;
        while i < bytes.len() {
            match bytes[i] {
                b'\\' => i += 2,
                b'"' => return Some(i + 1),
                _ => i += 1,
            }
        }
        None
    };
    let mut fields = Vec::new();
    skip_ws(&mut at);
    if bytes.get(at) != Some(&b'{') {
        return fields;
    }
    at += 1;
    loop {
        skip_ws(&mut at);
        if bytes.get(at) != Some(&b'"') {
            return fields;
        }
        let Some(end) = string_end(at) else {
            return fields;
        };
        let Ok(key) = serde_json::from_str::<String>(&text[at..end]) else {
            return fields;
        };
        at = end;
        skip_ws(&mut at);
        if bytes.get(at) != Some(&b':') {
            return fields;
        }
        at += 1;
        skip_ws(&mut at);
        let value = match bytes.get(at) {
            None => return fields,
            Some(b'"') => {
                let Some(end) = string_end(at) else {
                    fields.push((key, None));
                    return fields;
                };
                let value = serde_json::from_str::<String>(&text[at..end]).ok();
                at = end;
                value
            }
            Some(_) => {
                // Any other value: skip to the `,` or `}` that ends it at this level.
                let mut depth = 0usize;
                loop {
                    match bytes.get(at) {
                        None => {
                            fields.push((key, None));
                            return fields;
                        }
                        Some(b'"') => match string_end(at) {
                            Some(end) => at = end,
                            None => {
                                fields.push((key, None));
                                return fields;
                            }
                        },
                        Some(b'{' | b'[') => {
                            depth += 1;
                            at += 1;
                        }
                        Some(b'}' | b']') if depth > 0 => {
                            depth -= 1;
                            at += 1;
                        }
                        Some(b',' | b'}') if depth == 0 => break,
                        Some(_) => at += 1,
                    }
                }
                None
            }
        };
        fields.push((key, value));
        skip_ws(&mut at);
        match bytes.get(at) {
            Some(b',') => at += 1,
            _ => return fields,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leading_request_ids_are_read_only_before_the_payload_of_a_response() {
        let id = |text| leading_request_id(text).map(Cow::into_owned);
        let plain =
            r#"{"request_id":"7","action":"x","type":"response","success":true,"payload":{"#;
        assert_eq!(id(plain).as_deref(), Some("7"));
        assert!(matches!(
            leading_request_id(plain),
            Some(Cow::Borrowed("7"))
        ));
        assert_eq!(
            id(r#" { "request_id" : "a\"b" , "success" : false , "payload" : 1"#).as_deref(),
            Some("a\"b")
        );
        for text in [
            // The payload first, a push, no type nor success, a repeated or numeric id.
            r#"{"payload":{},"request_id":"7","type":"response","success":true}"#,
            r#"{"request_id":"7","type":"push","payload":{}}"#,
            r#"{"request_id":"7","action":"x","payload":{}}"#,
            r#"{"request_id":"7","request_id":"8","success":true,"payload":{}}"#,
            r#"{"request_id":7,"success":true,"payload":{}}"#,
            // An object before the payload, a cut frame, not an object.
            r#"{"request_id":"7","extra":{"a":1},"success":true,"payload":{}}"#,
            r#"{"request_id":"7","success":tr"#,
            "[]",
        ] {
            assert_eq!(id(text), None, "{text}");
        }
    }

    #[test]
    fn reply_ids_are_read_only_from_responses() {
        let id = |text: &str| reply_id(Api::Agent, text);
        assert_eq!(
            id(r#"{"request_id":"7","action":"x","type":"response","success":true,"payload":{"a"#)
                .as_deref(),
            Some("7")
        );
        assert_eq!(
            id(r#"{"request_id":"8","action":"x","success":"no","payload":[1,{"b":"}"}]}"#)
                .as_deref(),
            Some("8")
        );
        // A push caused by a request, or a frame cut before it says what it is.
        assert_eq!(
            id(r#"{"request_id":"7","action":"x","type":"push","payload":{"#),
            None
        );
        assert_eq!(id(r#"{"request_id":"7","action":"x","ty"#), None);
        // A cut id is no id; nested ids are not the frame's.
        assert_eq!(id(r#"{"type":"response","request_id":"7"#), None);
        assert_eq!(
            id(r#"{"type":"response","payload":{"request_id":"7"},"succ"#),
            None
        );
        assert_eq!(id("not json"), None);
        assert_eq!(id(""), None);
        assert_eq!(
            reply_id(Api::Inbenta, r#"{"id":"3","data":{"#).as_deref(),
            Some("3")
        );
    }
}
