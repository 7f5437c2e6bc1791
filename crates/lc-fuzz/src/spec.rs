//! The tables of `spec/` (the same ones `cargo xtask codegen` reads), as the generator
//! needs them: every action with its request and response fields, every push with its
//! payload, and the structs and enums the fields name.

use lc_protocol::Api;
use std::collections::HashMap;
use toml::Value;

/// The spec files, embedded at build time.
const FILES: &[&str] = &[
    include_str!("../../../spec/common.toml"),
    include_str!("../../../spec/agent.toml"),
    include_str!("../../../spec/customer.toml"),
    include_str!("../../../spec/configuration.toml"),
    include_str!("../../../spec/inbenta.toml"),
    include_str!("../../../spec/agent-pushes.toml"),
    include_str!("../../../spec/customer-pushes.toml"),
];

/// One field of a request, response, push payload or struct.
#[derive(Debug, Clone)]
pub struct Field {
    /// The wire name.
    pub name: String,
    /// Its Rust type, as written in the spec.
    pub ty: String,
    /// Whether it must be present.
    pub required: bool,
}

/// One action.
#[derive(Debug, Clone)]
pub struct ActionSpec {
    /// The API it belongs to.
    pub api: Api,
    /// Its wire name.
    pub name: String,
    /// Its request fields.
    pub fields: Vec<Field>,
    /// Its response fields (empty with a `response_type`).
    pub response_fields: Vec<Field>,
    /// The whole response type, when it is not an object of fields.
    pub response_type: Option<String>,
}

/// One push.
#[derive(Debug, Clone)]
pub struct PushSpec {
    /// The API that sends it.
    pub api: Api,
    /// Its wire name.
    pub name: String,
    /// Its payload fields.
    pub fields: Vec<Field>,
    /// The whole payload type, when it is not an object of fields.
    pub payload_type: Option<String>,
}

/// Everything the generator reads.
#[derive(Debug, Default)]
pub struct Spec {
    /// Every action, in table order.
    pub actions: Vec<ActionSpec>,
    /// Every push.
    pub pushes: Vec<PushSpec>,
    /// Struct name → fields.
    pub structs: HashMap<String, Vec<Field>>,
    /// Enum name → wire values.
    pub enums: HashMap<String, Vec<String>>,
}

impl Spec {
    /// Parses the embedded tables.
    ///
    /// # Panics
    /// When a table is not valid TOML (a build of this crate with a broken `spec/`).
    pub fn load() -> Self {
        let mut spec = Spec::default();
        for text in FILES {
            let table: Value =
                toml::from_str(text).unwrap_or_else(|e| panic!("spec/ does not parse: {e}"));
            spec.add(&table);
        }
        spec
    }

    /// The actions of `api`.
    pub fn actions_of(&self, api: Api) -> Vec<&ActionSpec> {
        self.actions.iter().filter(|a| a.api == api).collect()
    }

    /// The pushes of `api`.
    pub fn pushes_of(&self, api: Api) -> Vec<&PushSpec> {
        self.pushes.iter().filter(|p| p.api == api).collect()
    }

    fn add(&mut self, table: &Value) {
        let api = match table.get("api").and_then(Value::as_str) {
            Some("agent") => Api::Agent,
            Some("customer") => Api::Customer,
            Some("inbenta") => Api::Inbenta,
            Some("configuration") => Api::Configuration,
            _ => Api::Agent,
        };
        for s in array(table, "struct") {
            self.structs.insert(text(s, "name"), fields(s, "field"));
        }
        for e in array(table, "enum") {
            let values = e
                .get("values")
                .and_then(Value::as_array)
                .map(|v| {
                    v.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default();
            self.enums.insert(text(e, "name"), values);
        }
        for a in array(table, "action") {
            self.actions.push(ActionSpec {
                api,
                name: text(a, "name"),
                fields: fields(a, "field"),
                response_fields: fields(a, "response_field"),
                response_type: a
                    .get("response_type")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            });
        }
        for p in array(table, "push") {
            self.pushes.push(PushSpec {
                api,
                name: text(p, "name"),
                fields: fields(p, "field"),
                payload_type: p
                    .get("payload_type")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            });
        }
    }
}

fn array<'a>(table: &'a Value, key: &str) -> &'a [Value] {
    table
        .get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

fn text(table: &Value, key: &str) -> String {
    table
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn fields(table: &Value, key: &str) -> Vec<Field> {
    array(table, key)
        .iter()
        .map(|f| Field {
            name: text(f, "name"),
            ty: text(f, "type"),
            required: f.get("required").and_then(Value::as_bool).unwrap_or(false),
        })
        .collect()
}
