//! `docs/migrating-from-js.md` (every method of the JavaScript SDKs and its Rust call) and
//! `crates/livechat/tests/it/js_counterparts.rs` (a test that names every one of those Rust
//! calls, so that a renamed or removed method fails to compile), both from the `rust`,
//! `rust_args` and `rust_note` keys of `spec/seeds.toml`.

use crate::spec::{SeedSpec, Spec};
use std::fmt::Write;

/// One JavaScript SDK: a section of the page and a block of the compile check.
struct Section {
    /// The `source` of its entries in `seeds.toml`.
    source: &'static str,
    /// The page's heading.
    title: &'static str,
    /// The page's words before the table (markdown).
    intro: &'static str,
    /// The generic client type its paths start with, the alias the check gives it, and
    /// that alias's concrete type.
    client: Option<(&'static str, &'static str, &'static str)>,
    /// The glob imports of its check block (`livechat::` modules).
    imports: &'static [&'static str],
}

/// The sections, in page order.
const SECTIONS: &[Section] = &[
    Section {
        source: "agent-rtm-methods.md",
        title: "Agent Chat API over RTM (lc-sdk-js `agent/rtm`)",
        intro: "The calls are on `AgentClient<RtmClient<AgentSession>>`, what \
                `AgentClient::connect_rtm` returns (`use livechat::agent::AgentClient;`).",
        client: Some((
            "AgentClient",
            "AgentRtm",
            "AgentClient<RtmClient<AgentSession>>",
        )),
        imports: &["agent", "id", "types", "rtm"],
    },
    Section {
        source: "agent-web-methods.md",
        title: "Agent Chat API over Web (lc-sdk-js `agent/web`)",
        intro: "The calls are on `AgentClient<WebClient>`, what `AgentClient::connect_web` \
                returns. Every request works as over RTM; what only a WebSocket carries \
                (pushes, `login`, the away status) is not there.",
        client: Some(("AgentClient", "AgentWeb", "AgentClient<WebClient>")),
        imports: &["agent", "id", "types", "web"],
    },
    Section {
        source: "customer-sdk-methods.md",
        title: "Customer SDK (`@livechat/customer-sdk`)",
        intro: "`init` is `CustomerClient::connect(config, tokens)`: a `CustomerConfig` \
                holds the organization id, group, region and the rest of the `init` options, \
                and `tokens` (a `TokenProvider`, e.g. a fixed `Token` or a function fetching \
                one) replaces the `auth` object. The calls are on the `CustomerClient` it \
                returns (`use livechat::customer::CustomerClient;`).",
        client: Some((
            "CustomerClient",
            "CustomerRtm",
            "CustomerClient<RtmClient<CustomerSession>>",
        )),
        imports: &["customer", "id", "types", "rtm"],
    },
    Section {
        source: "inbenta-chat-object.md",
        title: "Inbenta chat object",
        intro: "The chat's methods are on `Chat` (`use livechat::inbenta::Chat;`); its \
                events (`chat.on('user:joined', ...)` in JavaScript) are the items of the \
                `Chat::events` stream, one `ChatEvent` variant each.",
        client: None,
        imports: &["inbenta"],
    },
    Section {
        source: "inbenta-client-events.md",
        title: "Inbenta client events (`ICF.Events`)",
        intro: "The client's event methods are on `UserClient`, what \
                `InbentaClient::login` returns; then the events a user can send with \
                `send(eventName, data)`: each is a typed request in `livechat::inbenta`, \
                sent with `UserClient::call` for a typed reply.",
        client: None,
        imports: &["inbenta"],
    },
];

/// The page's words before the sections.
const INTRO: &str = "\
This page lists every method of the official JavaScript SDKs — the agent SDK \
(`@livechat/lc-sdk-js`, over RTM and over Web), the customer SDK \
(`@livechat/customer-sdk`) and the Inbenta Agent Chat client — with the Rust call \
that does the same in livechat-rs.

How names map in general:

- **Names**: camelCase becomes snake_case: `listChats` is `list_chats`.
- **Arguments**: required values are arguments (`client.get_chat(chat_id)`); the \
optional ones of a JavaScript options object are setters on the call, before it is \
awaited: `client.list_chats().limit(5).await?`.
- **Promises** become futures: `.await` them.
- **Errors**: a rejected promise is an `Err` of `Result<_, livechat::Error>`; \
`Error::kind` and `Error::is_transient` say what to do about it.
- **Names shared by every client**: `call` sends a typed request, `call_raw` any \
request by name with JSON (the JavaScript `send`), `events()` gives an `EventStream`, \
`on`/`once` call a handler and return a `Subscription`, whose `off` (or dropping it) \
is the JavaScript `off`/unsubscribe.
- **Callbacks** become streams, or `on` handlers that return a `Subscription`: \
dropping the subscription unsubscribes the handler. Handlers and streams are typed: \
one Rust type per push or event instead of a name and a plain object.
- **Connections** look after themselves: the client connects, logs in again and \
recovers what it missed after a network failure, without being asked.
- **API versions**: a method the connection's LiveChat API version lacks fails with \
`Error::Unsupported` before anything is sent; the notes below say which versions \
have it when not all do.
";

/// The section of `source`, or an error naming it.
fn section(source: &str) -> Result<&'static Section, String> {
    SECTIONS.iter().find(|s| s.source == source).ok_or_else(|| {
        format!("spec/seeds.toml: no section of docs/migrating-from-js.md for source `{source}`")
    })
}

/// Every entry of each section, in `seeds.toml` order; an error for an entry of an
/// unknown source or without `rust`.
fn grouped(spec: &Spec) -> Result<Vec<(&'static Section, Vec<&SeedSpec>)>, String> {
    let mut out: Vec<(&'static Section, Vec<&SeedSpec>)> =
        SECTIONS.iter().map(|s| (s, Vec::new())).collect();
    for seed in &spec.seeds.seed {
        let at = section(&seed.source)?;
        if seed.rust.is_none() {
            return Err(format!(
                "spec/seeds.toml: {} `{}` has no `rust`",
                seed.source, seed.method
            ));
        }
        if let Some((_, entries)) = out.iter_mut().find(|(s, _)| std::ptr::eq(*s, at)) {
            entries.push(seed);
        }
    }
    Ok(out)
}

/// `docs/migrating-from-js.md`.
pub(crate) fn migrating_md(spec: &Spec) -> Result<String, String> {
    let mut out = String::new();
    out.push_str("# Migrating from the JavaScript SDKs\n\n");
    out.push_str(
        "<!-- @generated by cargo xtask codegen — do not edit; edit spec/ instead. -->\n\n",
    );
    out.push_str(INTRO);
    for (section, entries) in grouped(spec)? {
        let _ = write!(
            out,
            "\n## {}\n\n{}\n\n| JavaScript | Rust | notes |\n|---|---|---|\n",
            section.title, section.intro
        );
        for seed in entries {
            let rust = match seed.rust.as_deref() {
                Some("") | None => "–".to_owned(),
                Some(path) => format!("`{path}`"),
            };
            let mut notes = Vec::new();
            if let Some(versions) = versions(spec, seed) {
                notes.push(versions);
            }
            if let Some(note) = seed.rust_note.as_deref() {
                notes.push(capitalized(note.trim()));
            }
            let mut notes = notes.join(". ").replace('|', "\\|").replace('\n', " ");
            if !notes.is_empty() && !notes.ends_with('.') {
                notes.push('.');
            }
            let _ = writeln!(out, "| `{}` | {rust} | {notes} |", seed.method);
        }
    }
    Ok(out)
}

/// The LiveChat API versions that have the entry's first action, when not all do.
fn versions(spec: &Spec, seed: &SeedSpec) -> Option<String> {
    let (api, name) = seed.actions.first()?.split_once(':')?;
    let action = spec
        .files
        .iter()
        .filter(|(_, f)| f.api.as_deref() == Some(api))
        .flat_map(|(_, f)| &f.action)
        .find(|a| a.name == name)?;
    let first = crate::spec::VERSIONS.first().copied();
    let since = action.since.as_deref()?;
    match action.until.as_deref() {
        None if Some(since) == first => None,
        None => Some(format!("API {since} and later")),
        Some(until) if until == since => Some(format!("API {since} only")),
        Some(until) => Some(format!("API {since} to {until}")),
    }
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `crates/livechat/tests/it/js_counterparts.rs`, before rustfmt.
pub(crate) fn counterparts_rs(spec: &Spec) -> Result<String, String> {
    let mut out = String::new();
    out.push_str(
        "// @generated by `cargo xtask codegen` from spec/seeds.toml — do not edit.\n\n\
         //! Every method of the JavaScript SDKs has its Rust counterpart (the `rust` keys of\n\
         //! spec/seeds.toml, listed in docs/migrating-from-js.md): each is named here, so that\n\
         //! renaming or removing one fails to compile until the table says where it went.\n\n\
         #[test]\n\
         #[allow(clippy::let_unit_value)]\n\
         fn every_js_method_has_its_rust_counterpart() {\n",
    );
    for (section, entries) in grouped(spec)? {
        let _ = writeln!(out, "// {}\n{{", section.title);
        for module in section.imports {
            let _ = writeln!(out, "use livechat::{module}::*;");
        }
        if let Some((_, alias, concrete)) = section.client {
            let _ = writeln!(out, "type {alias} = {concrete};");
        }
        for seed in entries {
            let _ = writeln!(out, "// `{}`", seed.method);
            out.push_str(&reference(section, seed)?);
        }
        out.push_str("}\n");
    }
    out.push_str("}\n");
    Ok(out)
}

/// The statement naming the entry's Rust counterpart (nothing for one not offered).
fn reference(section: &Section, seed: &SeedSpec) -> Result<String, String> {
    let path = seed.rust.as_deref().unwrap_or("");
    if path.is_empty() {
        return Ok(String::new());
    }
    let (ty, method) = path.rsplit_once("::").ok_or_else(|| {
        format!(
            "spec/seeds.toml: {} `{}`: `rust = {path:?}` is not `Type::method`",
            seed.source, seed.method
        )
    })?;
    let ty = match section.client {
        Some((generic, alias, _)) if generic == ty => alias,
        _ => ty,
    };
    if seed.rust_args.is_empty() {
        return Ok(format!("let _ = {ty}::{method};\n"));
    }
    let params: Vec<String> = seed
        .rust_args
        .iter()
        .enumerate()
        .map(|(i, arg)| format!("a{i}: {}", replace_self(arg, ty)))
        .collect();
    let args: Vec<String> = (0..seed.rust_args.len()).map(|i| format!("a{i}")).collect();
    Ok(format!(
        "let _ = |{}| {{ let _call = {ty}::{method}({}); }};\n",
        params.join(", "),
        args.join(", ")
    ))
}

/// `arg` with every word `Self` replaced by `ty`.
fn replace_self(arg: &str, ty: &str) -> String {
    let mut out = String::new();
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        out.push_str(if word == "Self" { ty } else { word });
        word.clear();
    };
    for c in arg.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::SeedsFile;

    fn the_spec() -> Spec {
        Spec::load(&crate::workspace_root().join("spec")).expect("spec loads")
    }

    fn seed(source: &str, method: &str, rust: Option<&str>, args: &[&str]) -> SeedSpec {
        SeedSpec {
            source: source.to_owned(),
            method: method.to_owned(),
            actions: Vec::new(),
            pushes: Vec::new(),
            note: Some("client-side".to_owned()),
            rust: rust.map(str::to_owned),
            rust_args: args.iter().map(|a| (*a).to_owned()).collect(),
            rust_note: None,
        }
    }

    #[test]
    fn every_entry_is_a_row_of_its_section() {
        let spec = the_spec();
        let page = migrating_md(&spec).expect("renders");
        for s in &spec.seeds.seed {
            let section = section(&s.source).expect("known source");
            let start = page
                .find(&format!("## {}", section.title))
                .expect("section");
            let end = page[start + 3..]
                .find("\n## ")
                .map_or(page.len(), |i| start + 3 + i);
            let row = format!("| `{}` | ", s.method);
            assert!(
                page[start..end].contains(&row),
                "no row for {} `{}`",
                s.source,
                s.method
            );
        }
        let rows = page.lines().filter(|l| l.starts_with("| `")).count();
        assert_eq!(rows, spec.seeds.seed.len());
    }

    #[test]
    fn the_page_speaks_the_users_language() {
        let page = migrating_md(&the_spec()).expect("renders");
        assert!(
            !page.to_lowercase().contains("seed"),
            "the page says \"seed\""
        );
        assert!(!page.contains('§'));
        assert!(!page.contains("]("), "the page links nothing");
        assert!(page.contains("| `listChats` | `AgentClient::list_chats` |"));
        assert!(page.contains("| `setAuthorId` | `AgentClient::set_author_id` |"));
    }

    #[test]
    fn versions_come_from_the_actions() {
        let page = migrating_md(&the_spec()).expect("renders");
        assert!(
            page.contains("| `grantChatAccess` | `AgentClient::grant_chat_access` | API 3.3 only.")
        );
        assert!(page.contains("| `listChats` | `AgentClient::list_chats` | Options"));
    }

    #[test]
    fn a_missing_rust_is_an_error() {
        let mut spec = the_spec();
        spec.seeds.seed[0].rust = None;
        let err = migrating_md(&spec).expect_err("no rust");
        assert!(err.contains("has no `rust`"), "{err}");
        assert!(counterparts_rs(&spec).is_err());
        // And the spec check says so too.
        let mut problems = Vec::new();
        crate::spec::rust_problems(&mut problems, "at", &spec.seeds.seed[0]);
        assert!(
            problems.iter().any(|p| p.contains("has no `rust`")),
            "{problems:?}"
        );
    }

    #[test]
    fn not_offered_needs_a_note_and_notes_say_no_seed() {
        let mut s = seed("agent-rtm-methods.md", "setAuthorId", Some(""), &[]);
        let mut problems = Vec::new();
        crate::spec::rust_problems(&mut problems, "at", &s);
        assert!(
            problems.iter().any(|p| p.contains("no `rust_note`")),
            "{problems:?}"
        );
        s.rust_note = Some("the seed's thing".to_owned());
        problems.clear();
        crate::spec::rust_problems(&mut problems, "at", &s);
        assert!(
            problems.iter().any(|p| p.contains("public text")),
            "{problems:?}"
        );
    }

    #[test]
    fn references_use_the_concrete_client_and_typed_arguments() {
        let rtm = section("agent-rtm-methods.md").expect("section");
        let plain = seed(
            rtm.source,
            "listChats",
            Some("AgentClient::list_chats"),
            &[],
        );
        assert_eq!(
            reference(rtm, &plain).expect("renders"),
            "let _ = AgentRtm::list_chats;\n"
        );
        let generic = seed(
            rtm.source,
            "getChat",
            Some("AgentClient::get_chat"),
            &["&Self", "ChatId"],
        );
        assert_eq!(
            reference(rtm, &generic).expect("renders"),
            "let _ = |a0: &AgentRtm, a1: ChatId| { let _call = AgentRtm::get_chat(a0, a1); };\n"
        );
        let other = seed(
            rtm.source,
            "unsubscribePush",
            Some("Subscription::unsubscribe"),
            &[],
        );
        assert_eq!(
            reference(rtm, &other).expect("renders"),
            "let _ = Subscription::unsubscribe;\n"
        );
        let none = seed(rtm.source, "setAuthorId", Some(""), &[]);
        assert_eq!(reference(rtm, &none).expect("renders"), "");
        assert_eq!(replace_self("Option<&Self>", "X"), "Option<&X>");
        assert_eq!(replace_self("SelfLike", "X"), "SelfLike");
    }

    #[test]
    fn an_unknown_source_is_an_error() {
        let spec = Spec {
            files: Vec::new(),
            seeds: SeedsFile {
                seed: vec![seed("other.md", "x", Some("A::b"), &[])],
            },
        };
        assert!(migrating_md(&spec).is_err());
        assert!(counterparts_rs(&spec).is_err());
    }

    #[test]
    fn the_check_names_every_counterpart() {
        let spec = the_spec();
        let code = counterparts_rs(&spec).expect("renders");
        for s in &spec.seeds.seed {
            if let Some((_, method)) = s.rust.as_deref().and_then(|r| r.rsplit_once("::")) {
                assert!(code.contains(&format!("::{method}")), "{method}");
            }
        }
    }
}
