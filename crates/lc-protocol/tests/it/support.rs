//! Helpers shared by the fixture tests.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The fixtures directory.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// The text of `fixtures/<rel>`.
pub fn read(rel: &str) -> String {
    let path = fixtures().join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every `.json` file of `fixtures/<dir>`, sorted, as (stem, text).
pub fn all_in(dir: &str) -> Vec<(String, String)> {
    let path = fixtures().join(dir);
    let mut out: Vec<(String, String)> = std::fs::read_dir(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| {
            let stem = p.file_stem().unwrap().to_string_lossy().into_owned();
            (stem, std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no fixtures in {dir}");
    out
}

/// Decodes `text` as `T`, re-encodes it and asserts the JSON is equal; returns the value.
pub fn round_trip<T: DeserializeOwned + Serialize>(what: &str, text: &str) -> T {
    let expected: Value =
        serde_json::from_str(text).unwrap_or_else(|e| panic!("{what}: fixture is not JSON: {e}"));
    let decoded: T = serde_json::from_str(text).unwrap_or_else(|e| {
        panic!(
            "{what}: does not decode as {}: {e}",
            std::any::type_name::<T>()
        )
    });
    let encoded =
        serde_json::to_value(&decoded).unwrap_or_else(|e| panic!("{what}: does not encode: {e}"));
    assert_json_eq(what, &expected, &encoded);
    decoded
}

/// Asserts that decoding left no field unknown: no `extra` map holds anything.
///
/// Unknown fields survive in `extra`, so a round trip alone would pass even when a
/// struct misses a documented field; this catches that.
pub fn assert_fully_known<T: std::fmt::Debug>(what: &str, value: &T) {
    let debug = format!("{value:?}");
    if let Some(at) = debug.find("extra: {\"") {
        let end = (at + 120).min(debug.len());
        let snippet: String = debug.chars().skip(at).take(end - at).collect();
        panic!("{what}: fields left unknown: {snippet}");
    }
}

/// Asserts two JSON values are equal, naming the first differing path.
pub fn assert_json_eq(what: &str, expected: &Value, actual: &Value) {
    if let Some(path) = first_difference(expected, actual, String::new()) {
        panic!(
            "{what}: re-encoded JSON differs at `{path}`\nexpected: {}\nactual:   {}",
            serde_json::to_string(expected).unwrap(),
            serde_json::to_string(actual).unwrap()
        );
    }
}

fn first_difference(a: &Value, b: &Value, path: String) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for key in x.keys().chain(y.keys()) {
                let sub = format!("{path}.{key}");
                match (x.get(key), y.get(key)) {
                    (Some(p), Some(q)) => {
                        if let Some(d) = first_difference(p, q, sub) {
                            return Some(d);
                        }
                    }
                    _ => return Some(sub),
                }
            }
            None
        }
        (Value::Array(x), Value::Array(y)) => {
            if x.len() != y.len() {
                return Some(format!("{path}[len {} vs {}]", x.len(), y.len()));
            }
            x.iter()
                .zip(y)
                .enumerate()
                .find_map(|(i, (p, q))| first_difference(p, q, format!("{path}[{i}]")))
        }
        (Value::Number(x), Value::Number(y)) if x.as_f64() == y.as_f64() => None,
        _ if a == b => None,
        _ => Some(if path.is_empty() {
            "<root>".to_owned()
        } else {
            path
        }),
    }
}
