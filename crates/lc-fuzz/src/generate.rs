//! Generation of JSON values from the spec's types: valid payloads for every action and
//! push, filled with ids the sandbox knows ([`Ids`]) so that requests get past the
//! `not_found` checks into the handlers.

use crate::rng::Rng;
use crate::spec::{Field, Spec};
use serde_json::{Map, Value, json};

/// Ids the generated payloads use: the sandbox's real ones, and some made up.
#[derive(Debug, Clone, Default)]
pub struct Ids {
    /// Chat ids.
    pub chats: Vec<String>,
    /// Thread ids.
    pub threads: Vec<String>,
    /// Event ids.
    pub events: Vec<String>,
    /// Agent ids.
    pub agents: Vec<String>,
    /// Customer ids.
    pub customers: Vec<String>,
    /// Bot ids.
    pub bots: Vec<String>,
    /// Tokens (for logins).
    pub tokens: Vec<String>,
    /// Group ids.
    pub groups: Vec<u32>,
    /// Inbenta chat ids.
    pub inbenta_chats: Vec<String>,
    /// Inbenta user ids.
    pub inbenta_users: Vec<String>,
    /// Inbenta message ids.
    pub inbenta_messages: Vec<String>,
    /// Page ids (`next_page_id`, `previous_page_id`) seen in answers.
    pub pages: Vec<String>,
    /// The organization id.
    pub organization: String,
}

impl Ids {
    /// Learns the ids an answer names (chat, thread, event and page ids, at any depth),
    /// keeping the last few of each kind.
    pub fn learn(&mut self, value: &serde_json::Value) {
        self.learn_at(value, 0);
    }

    fn learn_at(&mut self, value: &serde_json::Value, depth: usize) {
        const KEEP: usize = 12;
        let keep = |pool: &mut Vec<String>, id: &str| {
            if !id.is_empty() && !pool.iter().any(|p| p == id) {
                if pool.len() >= KEEP {
                    pool.remove(1.min(pool.len() - 1));
                }
                pool.push(id.to_owned());
            }
        };
        if depth > 6 {
            return;
        }
        match value {
            serde_json::Value::Object(map) => {
                for (key, v) in map {
                    if let Some(id) = v.as_str() {
                        match key.as_str() {
                            "chat_id" => keep(&mut self.chats, id),
                            "thread_id" => keep(&mut self.threads, id),
                            "event_id" => keep(&mut self.events, id),
                            "next_page_id" | "previous_page_id" => keep(&mut self.pages, id),
                            _ => {}
                        }
                    }
                    self.learn_at(v, depth + 1);
                }
            }
            serde_json::Value::Array(items) => {
                for item in items.iter().take(20) {
                    self.learn_at(item, depth + 1);
                }
            }
            _ => {}
        }
    }
}

/// Strings that break things: empty, whitespace, unicode of every width, controls,
/// escapes, look-alike JSON, path and query characters.
const NASTY: &[&str] = &[
    "",
    " ",
    "\u{0}",
    "\u{7f}\u{1b}[0m",
    "é",
    "日本語テキスト",
    "🦀🙂‍↔️",
    "\u{202e}txet",
    "\u{feff}",
    "a\u{301}\u{301}\u{301}",
    "\"}]}",
    "{\"a\":1}",
    "[1,2]",
    "null",
    "true",
    "-1",
    "1e309",
    "../../etc/passwd",
    "%00%ff%",
    "a&b=c?d#e",
    "<script>",
    "\n\r\t",
    "\\",
    "x.exe",
];

/// Numbers at the edges.
const NUMBERS: &[&str] = &[
    "0",
    "-0",
    "1",
    "-1",
    "2147483647",
    "4294967295",
    "4294967296",
    "9007199254740993",
    "18446744073709551615",
    "18446744073709551616",
    "-9223372036854775808",
    "-9223372036854775809",
    "1.5",
    "1e308",
    "-1e308",
    "1e-320",
    "123456789012345678901234567890",
];

/// The generator.
#[derive(Debug)]
pub struct Gen<'s> {
    /// The tables.
    pub spec: &'s Spec,
    /// The ids to use.
    pub ids: Ids,
}

impl<'s> Gen<'s> {
    /// A generator over `spec` using `ids`.
    pub fn new(spec: &'s Spec, ids: Ids) -> Self {
        Self { spec, ids }
    }

    /// An object of `fields`: every required field, each optional one half the time.
    pub fn object(&self, rng: &mut Rng, fields: &[Field], depth: usize) -> Value {
        let mut object = Map::new();
        for field in fields {
            if field.required || rng.chance(45) {
                object.insert(
                    field.name.clone(),
                    self.value(rng, &field.ty, &field.name, depth),
                );
            }
        }
        Value::Object(object)
    }

    /// A value of type `ty` (a Rust type of the spec) for the field `name`.
    pub fn value(&self, rng: &mut Rng, ty: &str, name: &str, depth: usize) -> Value {
        let ty = ty.trim();
        if let Some(inner) = generic(ty, "Vec") {
            let n = if depth > 3 { 0 } else { rng.below(3) };
            return Value::Array(
                (0..n)
                    .map(|_| self.value(rng, inner, name, depth + 1))
                    .collect(),
            );
        }
        if let Some(inner) = generic(ty, "Option") {
            return self.value(rng, inner, name, depth);
        }
        if let Some(inner) = generic(ty, "BTreeMap") {
            let value_ty = inner.split_once(',').map_or(inner, |(_, v)| v);
            let mut object = Map::new();
            for _ in 0..rng.below(3) {
                object.insert(self.word(rng), self.value(rng, value_ty, name, depth + 1));
            }
            return Value::Object(object);
        }
        match ty {
            "String" => self.string_for(rng, name),
            "bool" => Value::Bool(rng.chance(50)),
            "u32" | "u64" => {
                let max = if rng.chance(90) { 20 } else { 100_000 };
                json!(rng.below(max))
            }
            "i64" => json!(rng.below(1000) as i64 - 500),
            "f64" => json!(rng.below(1000) as f64 / 7.0),
            "Value" => self.any(rng, depth),
            "Map" | "Empty" => {
                if ty == "Map" && rng.chance(50) {
                    json!({ "key": self.any(rng, depth + 1) })
                } else {
                    json!({})
                }
            }
            "ChatId" => self.id(rng, &self.ids.chats, "PJ0MRSHTDG"),
            "ThreadId" => self.id(rng, &self.ids.threads, "QJ0MRSHTDG"),
            "EventId" => self.id(rng, &self.ids.events, "QJ0MRSHTDG_1"),
            "AgentId" => self.id(rng, &self.ids.agents, "nobody@example.com"),
            "CustomerId" => self.id(
                rng,
                &self.ids.customers,
                "b7eff798-0000-0000-0000-000000000000",
            ),
            "UserId" => {
                if rng.chance(50) {
                    self.id(rng, &self.ids.agents, "nobody@example.com")
                } else {
                    self.id(rng, &self.ids.customers, "b7eff798")
                }
            }
            "GroupId" => json!(rng.pick(&self.ids.groups).copied().unwrap_or(0)),
            "OrganizationId" | "LicenseId" => Value::String(self.ids.organization.clone()),
            "PageId" => self.id(rng, &self.ids.pages, "MTU5MTEwMjQ2OTg1Nw=="),
            "Token" => self.id(rng, &self.ids.tokens, "dal:wrong"),
            "ApiVersion" => {
                Value::String(["3.3", "3.4", "3.5", "3.6", "2.0"][rng.below(5)].to_owned())
            }
            "Properties" => {
                json!({ "routing": { "count": rng.below(5), "label": self.word(rng) } })
            }
            "PropertyNames" => json!({ "routing": ["count", self.word(rng)] }),
            "SessionFields" => json!([{ self.word(rng): self.word(rng) }]),
            "Event" => self.event(rng),
            "User" => {
                if rng.chance(50) {
                    json!({ "id": self.id(rng, &self.ids.agents, "a@example.com"), "type": "agent" })
                } else {
                    json!({ "id": self.id(rng, &self.ids.customers, "c"), "type": "customer" })
                }
            }
            other => {
                if let Some(values) = self.spec.enums.get(other) {
                    if rng.one_in(10) || values.is_empty() {
                        return Value::String(self.word(rng));
                    }
                    return Value::String(values[rng.below(values.len())].clone());
                }
                if let Some(fields) = self.spec.structs.get(other) {
                    if depth > 5 {
                        return json!({});
                    }
                    return self.object(rng, fields, depth + 1);
                }
                self.any(rng, depth)
            }
        }
    }

    /// An event to send: message, file, rich message, filled form, system, custom.
    pub fn event(&self, rng: &mut Rng) -> Value {
        match rng.below(8) {
            0 => json!({ "type": "file", "url": "https://cdn.example.com/a.png" }),
            1 => json!({ "type": "rich_message", "template_id": "cards", "elements": [
                { "title": "t", "buttons": [ { "text": "b", "postback_id": "p", "type": "message", "value": "v", "user_ids": [] } ] } ] }),
            2 => {
                json!({ "type": "filled_form", "form_id": "f", "fields": [ { "type": "name", "id": "n", "label": "Name", "answer": "a" } ] })
            }
            3 => {
                json!({ "type": "system_message", "text": "hi", "system_message_type": "routing.assigned" })
            }
            4 => json!({ "type": "custom", "content": { "a": [1, 2] } }),
            5 => {
                json!({ "type": "message", "text": self.string_for(rng, "text"), "visibility": "agents" })
            }
            _ => json!({ "type": "message", "text": self.word(rng) }),
        }
    }

    /// Any JSON value.
    pub fn any(&self, rng: &mut Rng, depth: usize) -> Value {
        match rng.below(if depth > 3 { 4 } else { 6 }) {
            0 => Value::Null,
            1 => Value::Bool(rng.chance(50)),
            2 => self.number(rng),
            3 => Value::String(self.word(rng)),
            4 => Value::Array(
                (0..rng.below(3))
                    .map(|_| self.any(rng, depth + 1))
                    .collect(),
            ),
            _ => json!({ self.word(rng): self.any(rng, depth + 1) }),
        }
    }

    /// A number at an edge.
    pub fn number(&self, rng: &mut Rng) -> Value {
        let text = NUMBERS[rng.below(NUMBERS.len())];
        serde_json::from_str(text).unwrap_or(Value::Null)
    }

    /// A short word, sometimes a nasty one.
    pub fn word(&self, rng: &mut Rng) -> String {
        if rng.one_in(6) {
            return NASTY[rng.below(NASTY.len())].to_owned();
        }
        [
            "hello", "routing", "count", "x", "abc", "label", "ns", "a_b",
        ][rng.below(8)]
        .to_owned()
    }

    /// A string for the field `name`: a known id when the name says it is one.
    fn string_for(&self, rng: &mut Rng, name: &str) -> Value {
        let lower = name.to_ascii_lowercase();
        let pool = if lower.contains("chat") {
            if self.ids.inbenta_chats.is_empty() {
                &self.ids.chats
            } else {
                &self.ids.inbenta_chats
            }
        } else if lower.contains("message") && lower.ends_with("id") {
            &self.ids.inbenta_messages
        } else if lower.contains("user")
            || lower.contains("sender")
            || lower.contains("creator")
            || lower.contains("agent")
        {
            if self.ids.inbenta_users.is_empty() {
                &self.ids.agents
            } else {
                &self.ids.inbenta_users
            }
        } else if lower.contains("thread") {
            &self.ids.threads
        } else if lower.contains("event") {
            &self.ids.events
        } else if lower.contains("bot") {
            &self.ids.bots
        } else if lower.contains("token") {
            &self.ids.tokens
        } else if lower.contains("email") {
            return Value::String("jane@example.com".into());
        } else if lower.contains("url") {
            return Value::String("https://example.com/page".into());
        } else {
            return Value::String(self.word(rng));
        };
        match rng.pick(pool) {
            Some(id) if rng.chance(90) => Value::String(id.clone()),
            _ => Value::String(self.word(rng)),
        }
    }

    fn id(&self, rng: &mut Rng, pool: &[String], fallback: &str) -> Value {
        match rng.pick(pool) {
            Some(id) if rng.chance(92) => Value::String(id.clone()),
            _ => Value::String(fallback.to_owned()),
        }
    }
}

/// `T` of `Name<T>`.
fn generic<'a>(ty: &'a str, name: &str) -> Option<&'a str> {
    ty.strip_prefix(name)?.strip_prefix('<')?.strip_suffix('>')
}
