//! The frame decoders of both dialects, without I/O: LiveChat server frames (responses
//! and pushes, agent and customer) and requests, Inbenta requests, replies and pushes,
//! the typed payloads of every action and push, and webhook deliveries.

use crate::generate::{Gen, Ids};
use crate::mutate::{mutate_bytes, mutate_text, mutate_value};
use crate::rng::Rng;
use crate::spec::Spec;
use crate::typed::{self, Decoder};
use lc_protocol::agent::AgentPush;
use lc_protocol::customer::CustomerPush;
use lc_protocol::inbenta::InbentaPush;
use lc_protocol::webhook::Webhook;
use lc_protocol::wire::{Dialect, inbenta, livechat};
use lc_protocol::{Api, ApiVersion, PushSet};
use serde_json::{Value, json};
use std::path::Path;

/// The decoders' inputs and checks.
pub struct Protocol<'s> {
    g: Gen<'s>,
    typed: Vec<(Api, &'static str, Decoder)>,
    fixtures: Vec<String>,
    webhooks: Vec<String>,
}

impl<'s> Protocol<'s> {
    /// Reads the fixtures of `lc-protocol` under `root` (the workspace).
    pub fn new(spec: &'s Spec, root: &Path) -> Self {
        let mut fixtures = Vec::new();
        let mut webhooks = Vec::new();
        let dir = root.join("crates/lc-protocol/tests/fixtures");
        collect(&dir, &mut |path, text| {
            if path.to_string_lossy().contains("webhooks") {
                webhooks.push(text);
            } else {
                fixtures.push(text);
            }
        });
        let ids = Ids {
            chats: vec!["PJ0MRSHTDG".into()],
            threads: vec!["QJ0MRSHTDG".into()],
            agents: vec!["smith@example.com".into()],
            customers: vec!["b7eff798-f8df-4364-8059-649c35c9ed0c".into()],
            ..Ids::default()
        };
        Self {
            g: Gen::new(spec, ids),
            typed: typed::table(),
            fixtures,
            webhooks,
        }
    }

    /// How many fixtures were read.
    pub fn fixture_count(&self) -> usize {
        self.fixtures.len() + self.webhooks.len()
    }

    /// Runs one input; `input` receives it first, so that a panic can print it.
    ///
    /// # Errors
    /// A failed check, described.
    pub fn run_one(&self, rng: &mut Rng, input: &mut String) -> Result<(), String> {
        match rng.below(9) {
            0 | 1 => self.server_frame(rng, input),
            2 => self.request(rng, input),
            3 => self.inbenta_request(rng, input),
            4 => self.inbenta_incoming(rng, input),
            5 => self.push_payload(rng, input),
            6 => self.typed_payloads(rng, input),
            7 => self.webhook(rng, input),
            _ => self.fixture(rng, input),
        }
    }

    /// A response or push from a LiveChat server, maybe mutated.
    fn server_frame(&self, rng: &mut Rng, input: &mut String) -> Result<(), String> {
        let api = if rng.chance(50) {
            Api::Agent
        } else {
            Api::Customer
        };
        let spec = self.g.spec;
        let frame = if rng.chance(50) {
            let actions = spec.actions_of(api);
            let action = rng.pick(&actions).ok_or("no actions")?;
            if rng.chance(75) {
                let payload = match &action.response_type {
                    Some(ty) => self.g.value(rng, ty, "", 0),
                    None => self.g.object(rng, &action.response_fields, 0),
                };
                json!({ "request_id": "7", "action": action.name, "type": "response", "success": true, "payload": payload })
            } else {
                json!({ "request_id": "7", "action": action.name, "type": "response", "success": false,
                        "payload": { "error": { "type": "validation", "message": self.g.word(rng) } } })
            }
        } else {
            let pushes = spec.pushes_of(api);
            let push = rng.pick(&pushes).ok_or("no pushes")?;
            let payload = match &push.payload_type {
                Some(ty) => self.g.value(rng, ty, "", 0),
                None => self.g.object(rng, &push.fields, 0),
            };
            json!({ "version": "3.6", "action": push.name, "type": "push", "payload": payload })
        };
        let (text, intact) = self.maybe_mutate(rng, frame);
        *input = text;
        let envelope = livechat::decode_server_frame(input);
        if intact && envelope.is_err() {
            return Err(format!("a well-formed frame was refused: {envelope:?}"));
        }
        match api {
            Api::Agent => {
                let _ =
                    livechat::LiveChat::<AgentPush>::with_version(ApiVersion::V3_6).decode(input);
            }
            _ => {
                let _ = livechat::LiveChat::<CustomerPush>::new().decode(input);
            }
        }
        Ok(())
    }

    /// A request to a LiveChat server: decoded, then encoded and decoded again to the same.
    fn request(&self, rng: &mut Rng, input: &mut String) -> Result<(), String> {
        let action = rng.pick(&self.g.spec.actions).ok_or("no actions")?;
        let payload = self.g.object(rng, &action.fields, 0);
        let mut frame = json!({ "request_id": format!("{}", rng.below(100)), "action": action.name, "payload": payload });
        if rng.chance(20) {
            frame["version"] = json!(["3.3", "3.4", "3.5", "3.6", "3.7", "2"][rng.below(6)]);
        }
        if rng.chance(10) {
            frame["author_id"] = json!("bot-1");
        }
        let (text, intact) = self.maybe_mutate(rng, frame);
        *input = text;
        let decoded = match livechat::decode_request(input) {
            Ok(decoded) => decoded,
            Err(e) if intact => return Err(format!("a well-formed request was refused: {e}")),
            Err(_) => return Ok(()),
        };
        let Some(request_id) = decoded.request_id.as_deref() else {
            return Ok(());
        };
        let version = decoded
            .version
            .as_deref()
            .and_then(|v| v.parse::<ApiVersion>().ok());
        if decoded.version.is_some() && version.is_none() {
            return Ok(());
        }
        let again = livechat::encode_request_as(
            request_id,
            &decoded.action,
            &decoded.payload,
            version,
            decoded.author_id.as_deref(),
        );
        let twice = livechat::decode_request(&again)
            .map_err(|e| format!("re-encoded request refused: {e}: {again}"))?;
        if twice.action != decoded.action
            || twice.request_id != decoded.request_id
            || twice.payload.get() != decoded.payload.get()
            || twice.author_id != decoded.author_id
        {
            return Err(format!("the request changed in a round trip: {again}"));
        }
        Ok(())
    }

    /// A request to the Inbenta realtime channel, round-tripped like LiveChat's.
    fn inbenta_request(&self, rng: &mut Rng, input: &mut String) -> Result<(), String> {
        let actions = self.g.spec.actions_of(Api::Inbenta);
        let action = rng.pick(&actions).ok_or("no inbenta actions")?;
        let data = self.g.object(rng, &action.fields, 0);
        let frame =
            json!({ "id": format!("e{}", rng.below(100)), "name": action.name, "data": data });
        let (text, intact) = self.maybe_mutate(rng, frame);
        *input = text;
        let decoded = match inbenta::decode_request(input) {
            Ok(decoded) => decoded,
            Err(e) if intact => return Err(format!("a well-formed request was refused: {e}")),
            Err(_) => return Ok(()),
        };
        let again = inbenta::encode_request(&decoded.id, &decoded.name, &decoded.data);
        let twice = inbenta::decode_request(&again)
            .map_err(|e| format!("re-encoded request refused: {e}"))?;
        if twice.id != decoded.id
            || twice.name != decoded.name
            || twice.data.get() != decoded.data.get()
        {
            return Err(format!("the request changed in a round trip: {again}"));
        }
        Ok(())
    }

    /// A reply, error or push from the Inbenta channel.
    fn inbenta_incoming(&self, rng: &mut Rng, input: &mut String) -> Result<(), String> {
        let spec = self.g.spec;
        let frame = match rng.below(3) {
            0 => {
                let pushes = spec.pushes_of(Api::Inbenta);
                let push = rng.pick(&pushes).ok_or("no inbenta pushes")?;
                let data = match &push.payload_type {
                    Some(ty) => self.g.value(rng, ty, "", 0),
                    None => self.g.object(rng, &push.fields, 0),
                };
                json!({ "name": push.name, "data": data })
            }
            1 => json!({ "id": "e1", "error": { "code": 400, "message": self.g.word(rng) } }),
            _ => {
                let actions = spec.actions_of(Api::Inbenta);
                let action = rng.pick(&actions).ok_or("no inbenta actions")?;
                json!({ "id": "e1", "data": self.g.object(rng, &action.response_fields, 0) })
            }
        };
        let (text, _) = self.maybe_mutate(rng, frame);
        *input = text;
        let _ = inbenta::Inbenta::<InbentaPush>::new().decode(input);
        Ok(())
    }

    /// A push payload decoded by name, by its push set.
    fn push_payload(&self, rng: &mut Rng, input: &mut String) -> Result<(), String> {
        let push = rng.pick(&self.g.spec.pushes).ok_or("no pushes")?;
        let payload = match &push.payload_type {
            Some(ty) => self.g.value(rng, ty, "", 0),
            None => self.g.object(rng, &push.fields, 0),
        };
        let (text, _) = self.maybe_mutate(rng, payload);
        *input = format!("{} {text}", push.name);
        let decoded = match push.api {
            Api::Agent => AgentPush::decode(&push.name, &text).map(|p| p.encode_payload().is_ok()),
            Api::Customer => {
                CustomerPush::decode(&push.name, &text).map(|p| p.encode_payload().is_ok())
            }
            _ => InbentaPush::decode(&push.name, &text).map(|p| p.encode_payload().is_ok()),
        };
        if matches!(decoded, Ok(false)) {
            return Err("a decoded push does not encode".to_owned());
        }
        Ok(())
    }

    /// The request and response payload of one action, decoded into their types.
    fn typed_payloads(&self, rng: &mut Rng, input: &mut String) -> Result<(), String> {
        let (api, name, decode) = *rng.pick(&self.typed).ok_or("empty table")?;
        let action = self
            .g
            .spec
            .actions
            .iter()
            .find(|a| a.api == api && a.name == name)
            .ok_or_else(|| format!("{api} {name} is not in spec/"))?;
        let request = self.g.object(rng, &action.fields, 0);
        let response = match &action.response_type {
            Some(ty) => self.g.value(rng, ty, "", 0),
            None => self.g.object(rng, &action.response_fields, 0),
        };
        let (request, _) = self.maybe_mutate(rng, request);
        let (response, _) = self.maybe_mutate(rng, response);
        *input = format!("{api} {name}\nrequest: {request}\nresponse: {response}");
        let _ = decode(&request, &response);
        Ok(())
    }

    /// A webhook delivery, from the fixtures, mutated at the byte level.
    fn webhook(&self, rng: &mut Rng, input: &mut String) -> Result<(), String> {
        let base = rng
            .pick(&self.webhooks)
            .cloned()
            .unwrap_or_else(|| "{}".into());
        let mut value: Value = serde_json::from_str(&base).unwrap_or(Value::Null);
        if rng.chance(50) {
            mutate_value(&self.g, rng, &mut value);
        }
        let mut bytes = value.to_string().into_bytes();
        if rng.chance(40) {
            mutate_bytes(rng, &mut bytes);
        }
        *input = String::from_utf8_lossy(&bytes).into_owned();
        let _ = Webhook::from_json(&bytes);
        Ok(())
    }

    /// A fixture, mutated, through every decoder.
    fn fixture(&self, rng: &mut Rng, input: &mut String) -> Result<(), String> {
        let base = rng
            .pick(&self.fixtures)
            .cloned()
            .unwrap_or_else(|| "{}".into());
        let value: Value = serde_json::from_str(&base).unwrap_or(Value::Null);
        let (text, _) = self.maybe_mutate(rng, value);
        *input = text;
        let _ = livechat::decode_server_frame(input);
        let _ = livechat::decode_request(input);
        let _ = livechat::LiveChat::<AgentPush>::new().decode(input);
        let _ = livechat::LiveChat::<CustomerPush>::new().decode(input);
        let _ = inbenta::decode_request(input);
        let _ = inbenta::Inbenta::<InbentaPush>::new().decode(input);
        let _ = Webhook::from_json(input.as_bytes());
        Ok(())
    }

    /// `value` as text, mutated two times in three; whether it is intact.
    fn maybe_mutate(&self, rng: &mut Rng, mut value: Value) -> (String, bool) {
        match rng.below(6) {
            0 | 1 => (value.to_string(), true),
            2 | 3 => {
                mutate_value(&self.g, rng, &mut value);
                (value.to_string(), false)
            }
            4 => (mutate_text(rng, &value.to_string()), false),
            _ => {
                mutate_value(&self.g, rng, &mut value);
                (mutate_text(rng, &value.to_string()), false)
            }
        }
    }
}

/// Calls `add` with every `.json` file under `dir`.
pub fn collect(dir: &Path, add: &mut dyn FnMut(&Path, String)) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            collect(&path, add);
        } else if path.extension().is_some_and(|e| e == "json") {
            if let Ok(text) = std::fs::read_to_string(&path) {
                add(&path, text);
            }
        }
    }
}
