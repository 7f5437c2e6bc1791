//! Mutations of valid inputs: at the JSON level (drop, duplicate or retype fields,
//! wrong JSON types, edge numbers, deep nesting, unicode, oversized strings) and at the
//! text level (truncation, byte flips, splices).

use crate::generate::Gen;
use crate::rng::Rng;
use serde_json::{Map, Value};

/// Applies 1–3 JSON-level mutations to `value`.
pub fn mutate_value(g: &Gen<'_>, rng: &mut Rng, value: &mut Value) {
    for _ in 0..1 + rng.below(3) {
        let node = pick_node(rng, value);
        mutate_node(g, rng, node);
    }
}

/// A random node of `value` (the root included).
fn pick_node<'a>(rng: &mut Rng, value: &'a mut Value) -> &'a mut Value {
    let descend = match value {
        Value::Object(map) => !map.is_empty() && rng.chance(60),
        Value::Array(items) => !items.is_empty() && rng.chance(60),
        _ => false,
    };
    if !descend {
        return value;
    }
    match value {
        Value::Object(map) => {
            let n = rng.below(map.len());
            match map.values_mut().nth(n) {
                Some(child) => pick_node(rng, child),
                None => unreachable!("n < len"),
            }
        }
        Value::Array(items) => {
            let n = rng.below(items.len());
            pick_node(rng, &mut items[n])
        }
        _ => unreachable!("only containers descend"),
    }
}

fn mutate_node(g: &Gen<'_>, rng: &mut Rng, node: &mut Value) {
    match rng.below(12) {
        // Drop a field or an item.
        0 => match node {
            Value::Object(map) if !map.is_empty() => {
                let key = map
                    .keys()
                    .nth(rng.below(map.len()))
                    .cloned()
                    .unwrap_or_default();
                map.remove(&key);
            }
            Value::Array(items) if !items.is_empty() => {
                items.remove(rng.below(items.len()));
            }
            _ => *node = Value::Null,
        },
        // Retype: a value of another JSON type.
        1 | 2 => *node = retyped(g, rng, node),
        // An edge number.
        3 => *node = g.number(rng),
        // Deep nesting (past serde_json's recursion limit sometimes).
        4 => {
            let depth = if rng.chance(50) { 20 } else { 200 };
            let mut nested = std::mem::take(node);
            for _ in 0..depth {
                nested = if rng.chance(50) {
                    Value::Array(vec![nested])
                } else {
                    let mut map = Map::new();
                    map.insert("a".into(), nested);
                    Value::Object(map)
                };
            }
            *node = nested;
        }
        // Unicode and nasty strings.
        5 => *node = Value::String(g.word(rng) + &g.word(rng)),
        // An oversized string.
        6 => {
            let len = if rng.one_in(20) { 1 << 20 } else { 70_000 };
            *node = Value::String("é".repeat(len / 2));
        }
        // An unknown extra field.
        7 => {
            if let Value::Object(map) = node {
                map.insert(g.word(rng), g.any(rng, 0));
            } else {
                *node = g.any(rng, 0);
            }
        }
        // Many items.
        8 => {
            // Bounded: a big item is repeated a few times only.
            let item = std::mem::take(node);
            let size = item.to_string().len().max(1);
            let n = (200 + rng.below(300)).min(1 + 200_000 / size);
            *node = Value::Array(vec![item; n]);
        }
        // Empty containers and null.
        9 => {
            *node = match rng.below(3) {
                0 => Value::Null,
                1 => Value::Array(Vec::new()),
                _ => Value::Object(Map::new()),
            }
        }
        // Duplicate a field under a near name (case, whitespace).
        10 => {
            if let Value::Object(map) = node {
                if let Some((key, value)) = map.iter().next().map(|(k, v)| (k.clone(), v.clone())) {
                    map.insert(format!("{} ", key), value.clone());
                    map.insert(key.to_uppercase(), value);
                }
            }
        }
        // Negative or fractional numbers where counts go.
        _ => {
            let changed = match &*node {
                Value::Number(n) => serde_json::from_str(&format!("-{n}")).unwrap_or(Value::Null),
                Value::String(s) => Value::String(s.repeat(3)),
                other => other.clone(),
            };
            *node = changed;
        }
    }
}

fn retyped(g: &Gen<'_>, rng: &mut Rng, node: &Value) -> Value {
    let candidates = [
        Value::Null,
        Value::Bool(true),
        g.number(rng),
        Value::String(g.word(rng)),
        Value::Array(vec![node.clone()]),
        serde_json::json!({ "value": node.clone() }),
    ];
    let mut pick = rng.below(candidates.len());
    if std::mem::discriminant(&candidates[pick]) == std::mem::discriminant(node) {
        pick = (pick + 1) % candidates.len();
    }
    candidates[pick].clone()
}

/// Text-level mutations of a serialized frame: duplicated keys, truncation, byte flips,
/// splices of JSON tokens. The result stays UTF-8 (frames are text).
pub fn mutate_text(rng: &mut Rng, text: &str) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for _ in 0..1 + rng.below(2) {
        mutate_bytes(rng, &mut bytes);
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Byte-level mutations (for bodies, which need not be UTF-8).
pub fn mutate_bytes(rng: &mut Rng, bytes: &mut Vec<u8>) {
    if bytes.is_empty() {
        bytes.extend_from_slice(b"{}");
    }
    let at = rng.below(bytes.len() + 1);
    match rng.below(7) {
        0 => bytes.truncate(at),
        1 => {
            let i = rng.below(bytes.len());
            bytes[i] ^= 1 << rng.below(8);
        }
        2 => {
            let i = rng.below(bytes.len());
            bytes[i] = b"{}[]\",:\\0-e. \x00\xff"[rng.below(15)];
        }
        3 => {
            const TOKENS: &[&str] = &[
                "{",
                "}",
                "[",
                "]",
                "\"",
                ",",
                ":",
                "null",
                "\\u0000",
                "\\ud800",
                "1e999",
                "-",
                "\"a\":1,",
                "\u{10ffff}",
            ];
            let token = TOKENS[rng.below(TOKENS.len())];
            bytes.splice(at..at, token.bytes());
        }
        4 => {
            // Duplicate a slice (repeated keys, doubled values).
            let end = (at + 1 + rng.below(40)).min(bytes.len());
            let slice = bytes[at.min(end)..end].to_vec();
            bytes.splice(end..end, slice);
        }
        5 => {
            let end = (at + 1 + rng.below(20)).min(bytes.len());
            bytes.drain(at.min(end)..end);
        }
        _ => {
            // A duplicated leading key: `{"action":"x",` + the rest.
            if bytes.first() == Some(&b'{') {
                bytes.splice(1..1, br#""action":"ping","request_id":7,"#.iter().copied());
            }
        }
    }
}
