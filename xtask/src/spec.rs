//! The tables in `spec/`: their model, loading and validation.

use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Versions of the LiveChat APIs that the tables may name, oldest first.
pub(crate) const VERSIONS: &[&str] = &["3.3", "3.4", "3.5", "3.6"];

/// One spec file of actions, pushes, structs and enums.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SpecFile {
    /// `agent`, `customer`, `inbenta` or `configuration`; absent in `common.toml`.
    pub(crate) api: Option<String>,
    #[serde(default)]
    pub(crate) action: Vec<ActionSpec>,
    #[serde(default)]
    pub(crate) push: Vec<PushSpec>,
    #[serde(default, rename = "struct")]
    pub(crate) structs: Vec<StructSpec>,
    #[serde(default, rename = "enum")]
    pub(crate) enums: Vec<EnumSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ActionSpec {
    pub(crate) name: String,
    pub(crate) doc: String,
    #[serde(default)]
    pub(crate) rtm: bool,
    pub(crate) web: Option<String>,
    pub(crate) since: Option<String>,
    pub(crate) until: Option<String>,
    #[serde(default)]
    pub(crate) pushes: Vec<String>,
    pub(crate) note: Option<String>,
    pub(crate) response_type: Option<String>,
    /// Sending it twice does no more than sending it once (reads): Web retries it.
    #[serde(default)]
    pub(crate) idempotent: bool,
    #[serde(default)]
    pub(crate) field: Vec<FieldSpec>,
    #[serde(default)]
    pub(crate) response_field: Vec<FieldSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PushSpec {
    pub(crate) name: String,
    pub(crate) doc: String,
    pub(crate) since: Option<String>,
    pub(crate) until: Option<String>,
    pub(crate) note: Option<String>,
    pub(crate) payload_type: Option<String>,
    /// The push set holds the payload in a `Box` (it is much larger than the other
    /// payloads, and would make every push that size).
    #[serde(default)]
    pub(crate) boxed: bool,
    #[serde(default)]
    pub(crate) field: Vec<FieldSpec>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FieldSpec {
    pub(crate) name: String,
    #[serde(rename = "type")]
    pub(crate) ty: String,
    #[serde(default)]
    pub(crate) required: bool,
    #[serde(default)]
    pub(crate) doc: String,
    pub(crate) since: Option<String>,
    pub(crate) until: Option<String>,
    /// Other wire names read as this field; it is written under `name`.
    #[serde(default)]
    pub(crate) aliases: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StructSpec {
    pub(crate) name: String,
    pub(crate) doc: String,
    #[serde(default)]
    pub(crate) extra: bool,
    /// The struct is a variant of a union tagged by this key (`Event`'s `type`): the
    /// union reads and writes the key, the struct skips it on decode. Needs `extra`.
    pub(crate) tag: Option<String>,
    #[serde(default)]
    pub(crate) inherit: Vec<String>,
    #[serde(default, rename = "abstract")]
    pub(crate) is_abstract: bool,
    #[serde(default)]
    pub(crate) field: Vec<FieldSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct EnumSpec {
    pub(crate) name: String,
    pub(crate) doc: String,
    pub(crate) values: Vec<String>,
    /// Other spellings read as a value (`alias → value`); written as the value.
    #[serde(default)]
    pub(crate) aliases: BTreeMap<String, String>,
}

/// `seeds.toml`: every seed method and what serves it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SeedsFile {
    #[serde(default)]
    pub(crate) seed: Vec<SeedSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SeedSpec {
    pub(crate) source: String,
    pub(crate) method: String,
    #[serde(default)]
    pub(crate) actions: Vec<String>,
    #[serde(default)]
    pub(crate) pushes: Vec<String>,
    pub(crate) note: Option<String>,
    /// The Rust counterpart: `Type::method` on the type the user holds (`AgentClient`,
    /// `CustomerClient`, ...); `""` when there is none (then `rust_note` says why).
    /// Required: a missing one is a problem.
    pub(crate) rust: Option<String>,
    /// For the generated compile check of a generic method (`impl Trait` or type
    /// parameters): the argument types it is called with; `Self` is the client type.
    #[serde(default)]
    pub(crate) rust_args: Vec<String>,
    /// What the reader of docs/migrating-from-js.md needs to know when the mapping is
    /// not one to one.
    pub(crate) rust_note: Option<String>,
}

/// Every table, loaded and validated.
pub(crate) struct Spec {
    /// `(module name, file)`, in generation order; `common` first.
    pub(crate) files: Vec<(String, SpecFile)>,
    pub(crate) seeds: SeedsFile,
}

/// The spec files and the generated module each becomes.
pub(crate) const FILES: &[(&str, &str)] = &[
    ("common.toml", "common"),
    ("agent.toml", "agent"),
    ("customer.toml", "customer"),
    ("agent-pushes.toml", "agent_pushes"),
    ("customer-pushes.toml", "customer_pushes"),
    ("inbenta.toml", "inbenta"),
    ("configuration.toml", "configuration"),
];

impl Spec {
    /// Loads every file of `dir` and validates the whole.
    pub(crate) fn load(dir: &Path) -> Result<Spec, String> {
        let mut files = Vec::new();
        for (file, module) in FILES {
            let path = dir.join(file);
            let text = std::fs::read_to_string(&path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let parsed: SpecFile =
                toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
            files.push(((*module).to_owned(), parsed));
        }
        let path = dir.join("seeds.toml");
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let seeds = toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        let spec = Spec { files, seeds };
        let problems = spec.problems();
        if problems.is_empty() {
            Ok(spec)
        } else {
            Err(format!(
                "spec/ has {} problem(s):\n  {}",
                problems.len(),
                problems.join("\n  ")
            ))
        }
    }

    /// The file that generates `module`.
    pub(crate) fn file(&self, module: &str) -> &SpecFile {
        &self
            .files
            .iter()
            .find(|(name, _)| name == module)
            .unwrap_or_else(|| panic!("no spec module {module}"))
            .1
    }

    /// Every struct of every file, by name (names are unique within a module;
    /// `common` ones are visible everywhere).
    pub(crate) fn structs_visible_from(&self, module: &str) -> BTreeMap<&str, &StructSpec> {
        let mut out = BTreeMap::new();
        for m in ["common", module] {
            for s in &self.file(m).structs {
                out.insert(s.name.as_str(), s);
            }
        }
        out
    }

    /// `api:name` of every action.
    pub(crate) fn action_keys(&self) -> BTreeSet<String> {
        self.files
            .iter()
            .filter_map(|(_, f)| f.api.as_ref().map(|api| (api, f)))
            .flat_map(|(api, f)| f.action.iter().map(move |a| format!("{api}:{}", a.name)))
            .collect()
    }

    /// `api:name` of every push.
    pub(crate) fn push_keys(&self) -> BTreeSet<String> {
        self.files
            .iter()
            .filter_map(|(_, f)| f.api.as_ref().map(|api| (api, f)))
            .flat_map(|(api, f)| f.push.iter().map(move |p| format!("{api}:{}", p.name)))
            .collect()
    }

    fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let push_keys = self.push_keys();
        let action_keys = self.action_keys();
        for (module, file) in &self.files {
            let versioned = file.api.as_deref() != Some("inbenta");
            match (module.as_str(), file.api.as_deref()) {
                ("common", None) => {}
                ("common", Some(_)) => problems.push("common.toml: must not set `api`".into()),
                (_, Some("agent" | "customer" | "inbenta" | "configuration")) => {}
                (m, other) => problems.push(format!(
                    "{m}: `api` must be agent, customer, inbenta or configuration, not {other:?}"
                )),
            }
            let mut names = BTreeSet::new();
            for s in &file.structs {
                if !names.insert(s.name.clone()) {
                    problems.push(format!("{module}: struct `{}` is declared twice", s.name));
                }
                check_fields(&mut problems, module, &s.name, &s.field, versioned);
                if let Some(tag) = &s.tag {
                    if !s.extra {
                        problems.push(format!(
                            "{module}: struct `{}` sets `tag` without `extra`",
                            s.name
                        ));
                    }
                    if s.field.iter().any(|f| &f.name == tag) {
                        problems.push(format!(
                            "{module}: struct `{}` has a field named after its tag `{tag}`",
                            s.name
                        ));
                    }
                }
                for parent in &s.inherit {
                    if !self
                        .structs_visible_from(module)
                        .contains_key(parent.as_str())
                    {
                        problems.push(format!(
                            "{module}: struct `{}` inherits unknown `{parent}`",
                            s.name
                        ));
                    }
                }
            }
            for e in &file.enums {
                if !names.insert(e.name.clone()) {
                    problems.push(format!("{module}: `{}` is declared twice", e.name));
                }
                if e.values.is_empty() {
                    problems.push(format!("{module}: enum `{}` has no values", e.name));
                }
                for (alias, value) in &e.aliases {
                    if !e.values.contains(value) || e.values.contains(alias) {
                        problems.push(format!(
                            "{module}: enum `{}`: alias `{alias}` must name one of its values and not be one",
                            e.name
                        ));
                    }
                }
            }
            let mut seen = BTreeSet::new();
            for a in &file.action {
                let at = format!("{module}: action `{}`", a.name);
                if !seen.insert(a.name.clone()) {
                    problems.push(format!("{at} is declared twice"));
                }
                if !a.rtm && a.web.is_none() {
                    problems.push(format!("{at} has no transport (rtm or web)"));
                }
                if let Some(web) = &a.web {
                    if web != "post" && web != "get" {
                        problems.push(format!(
                            "{at}: web must be \"post\" or \"get\", not {web:?}"
                        ));
                    }
                }
                check_versions(
                    &mut problems,
                    &at,
                    a.since.as_deref(),
                    a.until.as_deref(),
                    versioned,
                );
                if a.response_type.is_some() && !a.response_field.is_empty() {
                    problems.push(format!(
                        "{at}: give response_type or response_field, not both"
                    ));
                }
                for push in &a.pushes {
                    let known = ["agent", "customer", "inbenta"]
                        .iter()
                        .any(|api| push_keys.contains(&format!("{api}:{push}")));
                    if !known {
                        problems.push(format!("{at} triggers unknown push `{push}`"));
                    }
                }
                check_fields(&mut problems, module, &a.name, &a.field, versioned);
                check_fields(&mut problems, module, &a.name, &a.response_field, versioned);
            }
            let mut seen = BTreeSet::new();
            for p in &file.push {
                let at = format!("{module}: push `{}`", p.name);
                if !seen.insert(p.name.clone()) {
                    problems.push(format!("{at} is declared twice"));
                }
                check_versions(
                    &mut problems,
                    &at,
                    p.since.as_deref(),
                    p.until.as_deref(),
                    versioned,
                );
                if p.payload_type.is_some() && !p.field.is_empty() {
                    problems.push(format!("{at}: give payload_type or fields, not both"));
                }
                check_fields(&mut problems, module, &p.name, &p.field, versioned);
            }
        }
        for seed in &self.seeds.seed {
            let at = format!("seeds.toml: {} `{}`", seed.source, seed.method);
            for action in &seed.actions {
                if !action_keys.contains(action) {
                    problems.push(format!("{at} names unknown action `{action}`"));
                }
            }
            for push in &seed.pushes {
                if !push_keys.contains(push) {
                    problems.push(format!("{at} names unknown push `{push}`"));
                }
            }
            if seed.actions.is_empty() && seed.pushes.is_empty() && seed.note.is_none() {
                problems.push(format!("{at} has no action, no push and no note"));
            }
            rust_problems(&mut problems, &at, seed);
        }
        problems
    }
}

/// The checks of a seed's Rust counterpart (`rust`, `rust_args`, `rust_note`).
pub(crate) fn rust_problems(problems: &mut Vec<String>, at: &str, seed: &SeedSpec) {
    let note = seed.rust_note.as_deref().unwrap_or("");
    match seed.rust.as_deref() {
        None => problems.push(format!(
            "{at} has no `rust` (its Rust counterpart, e.g. `rust = \"AgentClient::list_chats\"`; \
             `rust = \"\"` with a `rust_note` when there is none)"
        )),
        Some("") => {
            if note.trim().is_empty() {
                problems.push(format!(
                    "{at} has `rust = \"\"` but no `rust_note` saying why and what to do instead"
                ));
            }
            if !seed.rust_args.is_empty() {
                problems.push(format!("{at} has `rust_args` but no `rust`"));
            }
        }
        Some(path) => {
            let segments: Vec<&str> = path.split("::").collect();
            let is_ident = |s: &str| {
                s.chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                    && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            };
            if segments.len() < 2 || !segments.iter().all(|s| is_ident(s)) {
                problems.push(format!(
                    "{at}: `rust = {path:?}` is not a path `Type::method`"
                ));
            }
        }
    }
    // The note is printed in a public page: the user's words, not the project's.
    let lower = note.to_lowercase();
    if lower.contains("seed") || note.contains('§') {
        problems.push(format!(
            "{at}: `rust_note` is public text: no \"seed\" and no § references"
        ));
    }
}

fn check_versions(
    problems: &mut Vec<String>,
    at: &str,
    since: Option<&str>,
    until: Option<&str>,
    versioned: bool,
) {
    for v in [since, until].into_iter().flatten() {
        if !VERSIONS.contains(&v) {
            problems.push(format!("{at}: unknown version {v:?} (known: {VERSIONS:?})"));
        }
    }
    if versioned && since.is_none() {
        problems.push(format!("{at}: `since` is required"));
    }
    if !versioned && (since.is_some() || until.is_some()) {
        problems.push(format!("{at}: the Inbenta API is not versioned"));
    }
    if let (Some(s), Some(u)) = (since, until) {
        if s > u {
            problems.push(format!("{at}: since {s} is after until {u}"));
        }
    }
}

fn check_fields(
    problems: &mut Vec<String>,
    module: &str,
    owner: &str,
    fields: &[FieldSpec],
    versioned: bool,
) {
    let mut seen = BTreeSet::new();
    for f in fields {
        let at = format!("{module}: `{owner}.{}`", f.name);
        if !seen.insert(crate::names::field_name(&f.name)) {
            problems.push(format!("{at} is declared twice"));
        }
        if f.ty.trim().is_empty() {
            problems.push(format!("{at} has no type"));
        }
        if f.since.is_some() || f.until.is_some() {
            for v in [f.since.as_deref(), f.until.as_deref()]
                .into_iter()
                .flatten()
            {
                if !VERSIONS.contains(&v) {
                    problems.push(format!("{at}: unknown version {v:?}"));
                }
            }
            if !versioned {
                problems.push(format!("{at}: the Inbenta API is not versioned"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The problems of a spec made of `common.toml` text alone.
    fn problems_of(common: &str) -> Vec<String> {
        let file: SpecFile = toml::from_str(common).expect("valid TOML");
        let spec = Spec {
            files: vec![("common".to_owned(), file)],
            seeds: SeedsFile { seed: Vec::new() },
        };
        spec.problems()
    }

    #[test]
    fn an_enum_alias_must_name_a_value_and_not_be_one() {
        let good = r#"
            [[enum]]
            name = "Status"
            doc = "d"
            values = ["on", "off"]
            aliases = { "switched on" = "on" }
        "#;
        assert_eq!(problems_of(good), Vec::<String>::new());
        for aliases in [r#"{ "x" = "maybe" }"#, r#"{ "off" = "on" }"#] {
            let bad = good.replace(r#"{ "switched on" = "on" }"#, aliases);
            let problems = problems_of(&bad);
            assert!(
                problems.iter().any(|p| p.contains("alias")),
                "{aliases}: {problems:?}"
            );
        }
    }
}
