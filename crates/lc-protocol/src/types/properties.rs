//! Properties: `{namespace: {name: value}}` on chats, threads, events, groups and licenses.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// Properties by namespace and name, e.g. `{"rating": {"score": 1}}`.
///
/// Updates merge per (namespace, name) with [`merge`](Properties::merge); deletes
/// remove names with [`remove`](Properties::remove).
///
/// ```
/// use lc_protocol::types::Properties;
/// use serde_json::json;
///
/// let mut props = Properties::new().with("rating", "score", json!(1));
/// props.merge(&Properties::new().with("rating", "comment", json!("great")));
/// assert_eq!(props.get("rating", "score"), Some(&json!(1)));
/// assert_eq!(props.get("rating", "comment"), Some(&json!("great")));
/// ```
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Properties(pub BTreeMap<String, BTreeMap<String, Value>>);

impl Properties {
    /// No properties.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `namespace.name = value` (builder style).
    #[must_use]
    pub fn with(mut self, namespace: &str, name: &str, value: impl Into<Value>) -> Self {
        self.insert(namespace, name, value);
        self
    }

    /// Sets `namespace.name = value`.
    pub fn insert(&mut self, namespace: &str, name: &str, value: impl Into<Value>) {
        self.0
            .entry(namespace.to_owned())
            .or_default()
            .insert(name.to_owned(), value.into());
    }

    /// The value of `namespace.name`.
    pub fn get(&self, namespace: &str, name: &str) -> Option<&Value> {
        self.0.get(namespace)?.get(name)
    }

    /// Whether there are no properties at all.
    pub fn is_empty(&self) -> bool {
        self.0.values().all(BTreeMap::is_empty)
    }

    /// Merges `update` into `self`: each (namespace, name) of `update` wins.
    pub fn merge(&mut self, update: &Properties) {
        for (namespace, values) in &update.0 {
            let target = self.0.entry(namespace.clone()).or_default();
            for (name, value) in values {
                target.insert(name.clone(), value.clone());
            }
        }
    }

    /// Removes the names listed in `names`; namespaces left empty disappear.
    pub fn remove(&mut self, names: &PropertyNames) {
        for (namespace, list) in &names.0 {
            if let Some(values) = self.0.get_mut(namespace) {
                for name in list {
                    values.remove(name);
                }
                if values.is_empty() {
                    self.0.remove(namespace);
                }
            }
        }
    }
}

/// Property names by namespace, `{namespace: [name, ...]}`: what a delete request or
/// a `*_properties_deleted` push carries.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PropertyNames(pub BTreeMap<String, Vec<String>>);

impl PropertyNames {
    /// No names.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `namespace.name` (builder style).
    #[must_use]
    pub fn with(mut self, namespace: &str, name: &str) -> Self {
        self.0
            .entry(namespace.to_owned())
            .or_default()
            .push(name.to_owned());
        self
    }
}
