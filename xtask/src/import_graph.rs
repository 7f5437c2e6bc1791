//! The house rule "no import circles between a crate's files", as a test.
//!
//! Each crate's `src/` is read as a graph whose nodes are its modules (one per file;
//! `main.rs` and `bin/` are left out) and whose edges are the paths a file names:
//! `use crate::…`, `use super::…`, `use self::…`, `use child::…` and the same paths written
//! inline in code (`crate::a::f()`, `super::X`, `child::Y`). Each path counts as an edge to
//! the longest existing module it names (`crate::a::b::Item` → `a::b`); each leaf of a `use`
//! group (`use a::{b::{c, d}, e}`) is one path. A macro call `crate::a::mac!(…)` counts as
//! naming `crate::a`; `crate::mac!(…)` counts as nothing, since a `#[macro_export]` macro
//! sits at the crate root whichever file defines it. Not counted: `mod x;` declarations, the
//! restriction in `pub(in crate::a)`, attributes, comments, string and char literals, and
//! `#[cfg(test)] mod … { … }` blocks. Inside an inline `mod inner { … }` (not a test one)
//! `super` and `self` are resolved from `inner`. A circle is a strongly connected component
//! (Tarjan) of more than one module.

#![cfg(test)]

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;

/// A module path inside its crate: `[]` is the crate root (`lib.rs`).
type ModPath = Vec<String>;

/// The name of a module as printed: `crate(lib.rs)` or `engine::slots`.
fn module_name(module: &[String]) -> String {
    if module.is_empty() {
        "crate(lib.rs)".to_owned()
    } else {
        module.join("::")
    }
}

// ---------------------------------------------------------------------------------------
// Tokens
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    /// An identifier or keyword; `$crate` is read as `crate`.
    Ident(String),
    /// `r#name`: never a keyword, never `crate`/`super`/`self`.
    RawIdent(String),
    /// `::`
    PathSep,
    /// Any other single punctuation character.
    Punct(char),
    /// A literal, a lifetime or a macro metavariable: never part of a path here.
    Other,
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    line: usize,
}

/// `crate`, `super` or `self`: a path made of these alone names no module below them.
fn is_path_keyword(segment: &str) -> bool {
    matches!(segment, "crate" | "super" | "self")
}

fn is_ident_start(c: char) -> bool {
    c == '_' || c.is_alphabetic()
}

fn is_ident_continue(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

/// Splits Rust source into tokens, dropping whitespace, comments (nested block comments
/// included) and the contents of string, byte-string, raw-string and char literals.
fn tokenize(src: &str) -> Vec<Token> {
    let chars: Vec<char> = src.chars().collect();
    let at = |i: usize| chars.get(i).copied();
    let mut tokens = Vec::new();
    let mut line = 1;
    let mut i = 0;
    // Moves `i` past a quoted literal whose opening quote is at `i`, honouring `\` escapes.
    let skip_quoted = |i: &mut usize, line: &mut usize, quote: char| {
        *i += 1;
        while let Some(c) = at(*i) {
            match c {
                '\\' => {
                    if at(*i + 1) == Some('\n') {
                        *line += 1;
                    }
                    *i += 2;
                }
                '\n' => {
                    *line += 1;
                    *i += 1;
                }
                c if c == quote => {
                    *i += 1;
                    return;
                }
                _ => *i += 1,
            }
        }
    };
    // Moves `i` past a raw string whose `r` is at `i`: `r"…"`, `r#"…"#`, `r##"…"##`, …
    let skip_raw = |i: &mut usize, line: &mut usize| {
        *i += 1;
        let mut hashes = 0;
        while at(*i) == Some('#') {
            hashes += 1;
            *i += 1;
        }
        *i += 1; // the opening quote
        while let Some(c) = at(*i) {
            *i += 1;
            if c == '\n' {
                *line += 1;
            } else if c == '"' && (0..hashes).all(|k| at(*i + k) == Some('#')) {
                *i += hashes;
                return;
            }
        }
    };
    // Whether a raw string starts at `i` (where an `r` is).
    let raw_string_at = |i: usize| {
        let mut j = i + 1;
        while at(j) == Some('#') {
            j += 1;
        }
        at(i) == Some('r') && at(j) == Some('"')
    };
    while let Some(c) = at(i) {
        let start_line = line;
        let mut push = |tok: Tok| {
            tokens.push(Token {
                tok,
                line: start_line,
            })
        };
        match c {
            '\n' => {
                line += 1;
                i += 1;
            }
            c if c.is_whitespace() => i += 1,
            '/' if at(i + 1) == Some('/') => {
                while at(i).is_some_and(|c| c != '\n') {
                    i += 1;
                }
            }
            '/' if at(i + 1) == Some('*') => {
                let mut depth = 0;
                while let Some(c) = at(i) {
                    if c == '/' && at(i + 1) == Some('*') {
                        depth += 1;
                        i += 2;
                    } else if c == '*' && at(i + 1) == Some('/') {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        if c == '\n' {
                            line += 1;
                        }
                        i += 1;
                    }
                }
            }
            '"' => {
                skip_quoted(&mut i, &mut line, '"');
                push(Tok::Other);
            }
            '\'' => {
                if at(i + 1) == Some('\\') {
                    // An escaped char literal: '\n', '\'', '\u{1F600}'.
                    i += 3;
                    while at(i).is_some_and(|c| c != '\'') {
                        i += 1;
                    }
                    i += 1;
                } else if at(i + 2) == Some('\'') {
                    // A plain char literal: 'a', '"', '{'.
                    i += 3;
                } else {
                    // A lifetime or a label: 'a, 'static, 'outer.
                    i += 1;
                    while at(i).is_some_and(is_ident_continue) {
                        i += 1;
                    }
                }
                push(Tok::Other);
            }
            // Prefixed literals: b"…", b'…', br"…", c"…", cr#"…"#, r"…", r#"…"#.
            'b' | 'c' if at(i + 1) == Some('"') => {
                i += 1;
                skip_quoted(&mut i, &mut line, '"');
                push(Tok::Other);
            }
            'b' if at(i + 1) == Some('\'') => {
                i += 1;
                skip_quoted(&mut i, &mut line, '\'');
                push(Tok::Other);
            }
            'b' | 'c' if raw_string_at(i + 1) => {
                i += 1;
                skip_raw(&mut i, &mut line);
                push(Tok::Other);
            }
            'r' if raw_string_at(i) => {
                skip_raw(&mut i, &mut line);
                push(Tok::Other);
            }
            'r' if at(i + 1) == Some('#') && at(i + 2).is_some_and(is_ident_start) => {
                i += 2;
                let start = i;
                while at(i).is_some_and(is_ident_continue) {
                    i += 1;
                }
                push(Tok::RawIdent(chars[start..i].iter().collect()));
            }
            c if is_ident_start(c) => {
                let start = i;
                while at(i).is_some_and(is_ident_continue) {
                    i += 1;
                }
                push(Tok::Ident(chars[start..i].iter().collect()));
            }
            c if c.is_ascii_digit() => {
                while at(i).is_some_and(is_ident_continue) {
                    i += 1;
                }
                push(Tok::Other);
            }
            '$' if at(i + 1).is_some_and(is_ident_start) => {
                i += 1;
                let start = i;
                while at(i).is_some_and(is_ident_continue) {
                    i += 1;
                }
                let name: String = chars[start..i].iter().collect();
                push(if name == "crate" {
                    Tok::Ident(name)
                } else {
                    Tok::Other
                });
            }
            ':' if at(i + 1) == Some(':') => {
                i += 2;
                push(Tok::PathSep);
            }
            c => {
                i += 1;
                push(Tok::Punct(c));
            }
        }
    }
    tokens
}

// ---------------------------------------------------------------------------------------
// Paths named by one file
// ---------------------------------------------------------------------------------------

/// A path one file names, such as `super::engine::Slot` or `crate::a::b`.
#[derive(Debug, Clone, PartialEq)]
struct Reference {
    /// The inline modules (`mod inner { … }`) the path is written in, outermost first.
    scope: Vec<String>,
    /// The path's segments; a leading `::` is kept as a `::` segment.
    path: Vec<String>,
    line: usize,
}

struct Scanner {
    tokens: Vec<Token>,
    i: usize,
    references: Vec<Reference>,
    /// For each open `{`: the name of the inline module it opens, if it opens one.
    braces: Vec<Option<String>>,
}

impl Scanner {
    fn tok(&self, i: usize) -> Option<&Tok> {
        self.tokens.get(i).map(|t| &t.tok)
    }

    fn is(&self, i: usize, tok: &Tok) -> bool {
        self.tok(i) == Some(tok)
    }

    fn ident(&self, i: usize) -> Option<&str> {
        match self.tok(i) {
            Some(Tok::Ident(name) | Tok::RawIdent(name)) => Some(name),
            _ => None,
        }
    }

    fn line(&self, i: usize) -> usize {
        self.tokens
            .get(i)
            .or(self.tokens.last())
            .map_or(0, |t| t.line)
    }

    fn scope(&self) -> Vec<String> {
        self.braces.iter().flatten().cloned().collect()
    }

    /// The index just past the group opened at `open` (a `(`, `[` or `{`).
    fn past_group(&self, open: usize) -> usize {
        let mut depth = 0usize;
        let mut i = open;
        while let Some(tok) = self.tok(i) {
            match tok {
                Tok::Punct('(' | '[' | '{') => depth += 1,
                Tok::Punct(')' | ']' | '}') => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return i + 1;
                    }
                }
                _ => {}
            }
            i += 1;
        }
        i
    }

    fn run(mut self) -> Vec<Reference> {
        // Whether a `#[cfg(test)]` applies to the item being read.
        let mut cfg_test = false;
        while let Some(tok) = self.tok(self.i).cloned() {
            let i = self.i;
            match tok {
                // An attribute: `#[…]` or `#![…]`.
                Tok::Punct('#') if self.is(i + 1, &Tok::Punct('[')) => {
                    let end = self.past_group(i + 1);
                    let inner: Vec<&Tok> = self.tokens[i + 2..end.saturating_sub(1).max(i + 2)]
                        .iter()
                        .map(|t| &t.tok)
                        .collect();
                    let cfg_test_attr = [
                        Tok::Ident("cfg".to_owned()),
                        Tok::Punct('('),
                        Tok::Ident("test".to_owned()),
                        Tok::Punct(')'),
                    ];
                    if inner.iter().copied().eq(cfg_test_attr.iter()) {
                        cfg_test = true;
                    }
                    self.i = end;
                    continue;
                }
                Tok::Punct('#')
                    if self.is(i + 1, &Tok::Punct('!')) && self.is(i + 2, &Tok::Punct('[')) =>
                {
                    self.i = self.past_group(i + 2);
                    continue;
                }
                // A visibility: `pub`, `pub(crate)`, `pub(in crate::a)`: no path counted.
                Tok::Ident(ref word) if word == "pub" => {
                    self.i = if self.is(i + 1, &Tok::Punct('(')) {
                        self.past_group(i + 1)
                    } else {
                        i + 1
                    };
                    continue;
                }
                Tok::Ident(ref word) if word == "mod" => {
                    let name = self.ident(i + 1).map(str::to_owned);
                    match name {
                        Some(name) if self.is(i + 2, &Tok::Punct('{')) => {
                            if cfg_test {
                                self.i = self.past_group(i + 2);
                            } else {
                                self.braces.push(Some(name));
                                self.i = i + 3;
                            }
                        }
                        // `mod x;` is a declaration, not an import.
                        _ => self.i = i + 2,
                    }
                }
                // `use …;` (but not the `use<'a>` of precise capturing).
                Tok::Ident(ref word) if word == "use" && !self.is(i + 1, &Tok::Punct('<')) => {
                    let line = self.line(i);
                    self.i = i + 1;
                    let mut leaves = Vec::new();
                    self.use_tree(Vec::new(), &mut leaves);
                    let scope = self.scope();
                    self.references
                        .extend(leaves.into_iter().map(|path| Reference {
                            scope: scope.clone(),
                            path,
                            line,
                        }));
                    // Past the `;` (or whatever a malformed tree stopped at).
                    while self.tok(self.i).is_some_and(|t| *t != Tok::Punct(';')) {
                        if self.is(self.i, &Tok::Punct('{')) || self.is(self.i, &Tok::Punct('}')) {
                            break;
                        }
                        self.i += 1;
                    }
                }
                Tok::Punct('{') => {
                    self.braces.push(None);
                    self.i += 1;
                }
                Tok::Punct('}') => {
                    self.braces.pop();
                    self.i += 1;
                }
                // A path written inline: `crate::a::f()`, `super::X`, `child::Y`.
                Tok::Ident(first)
                    if !(i > 0 && self.is(i - 1, &Tok::PathSep))
                        && self.is(i + 1, &Tok::PathSep)
                        && self.ident(i + 2).is_some() =>
                {
                    let mut path = vec![first];
                    let mut j = i + 1;
                    while self.is(j, &Tok::PathSep) {
                        match self.ident(j + 1) {
                            Some(seg) => path.push(seg.to_owned()),
                            None => break,
                        }
                        j += 2;
                    }
                    // A macro call `a::b::mac!(…)` names the module of its prefix; a bare
                    // `crate::mac!` (a `#[macro_export]` macro, at the crate root whatever
                    // file defines it) names none.
                    let macro_call =
                        self.is(j, &Tok::Punct('!')) && !self.is(j + 1, &Tok::Punct('='));
                    if macro_call {
                        path.pop();
                    }
                    if !path.iter().all(|s| is_path_keyword(s)) {
                        self.references.push(Reference {
                            scope: self.scope(),
                            path,
                            line: self.line(i),
                        });
                    }
                    self.i = j;
                }
                _ => self.i += 1,
            }
            cfg_test = false;
        }
        self.references
    }

    /// Reads the use tree at `self.i` (after `use` or inside a group), pushing each leaf's
    /// full path onto `leaves`.
    fn use_tree(&mut self, mut prefix: Vec<String>, leaves: &mut Vec<Vec<String>>) {
        if self.is(self.i, &Tok::PathSep) {
            if prefix.is_empty() {
                prefix.push("::".to_owned());
            }
            self.i += 1;
        }
        loop {
            match self.tok(self.i).cloned() {
                Some(Tok::Punct('{')) => {
                    self.i += 1;
                    loop {
                        match self.tok(self.i) {
                            None => return,
                            Some(Tok::Punct('}')) => {
                                self.i += 1;
                                return;
                            }
                            Some(Tok::Punct(',')) => self.i += 1,
                            Some(_) => {
                                let before = self.i;
                                self.use_tree(prefix.clone(), leaves);
                                if self.i == before {
                                    return; // malformed: stop rather than loop
                                }
                            }
                        }
                    }
                }
                Some(Tok::Punct('*')) => {
                    self.i += 1;
                    prefix.push("*".to_owned());
                    leaves.push(prefix);
                    return;
                }
                Some(Tok::Ident(seg) | Tok::RawIdent(seg)) => {
                    self.i += 1;
                    prefix.push(seg);
                    if self.ident(self.i) == Some("as") {
                        self.i += 2; // `as name` or `as _`
                    }
                    if self.is(self.i, &Tok::PathSep) {
                        self.i += 1;
                        continue;
                    }
                    leaves.push(prefix);
                    return;
                }
                _ => return,
            }
        }
    }
}

/// The paths a file names, with the inline module each is written in.
fn references(src: &str) -> Vec<Reference> {
    Scanner {
        tokens: tokenize(src),
        i: 0,
        references: Vec::new(),
        braces: Vec::new(),
    }
    .run()
}

// ---------------------------------------------------------------------------------------
// The module graph and its circles
// ---------------------------------------------------------------------------------------

/// The module a file under `src/` is, or `None` for `main.rs`, `bin/` and non-Rust files.
fn module_of(rel: &str) -> Option<ModPath> {
    let rel = rel.replace('\\', "/");
    let stem = rel.strip_suffix(".rs")?;
    if rel == "main.rs" || rel.starts_with("bin/") {
        return None;
    }
    let mut parts: Vec<String> = stem.split('/').map(str::to_owned).collect();
    if parts == ["lib"] || parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    Some(parts)
}

/// The module `path`, written in module `current`, names: the longest existing module it
/// reaches, or `None` when it leaves the crate or names none of its modules.
fn resolve(modules: &BTreeSet<ModPath>, current: &[String], path: &[String]) -> Option<ModPath> {
    let first = path.first()?;
    let (mut full, rest): (ModPath, &[String]) = match first.as_str() {
        "crate" => (Vec::new(), &path[1..]),
        "super" | "self" => {
            let mut base = current.to_vec();
            let mut k = 0;
            while let Some(seg) = path.get(k).filter(|s| *s == "super" || *s == "self") {
                if seg == "super" {
                    base.pop()?;
                }
                k += 1;
            }
            (base, &path[k..])
        }
        "::" => return None,
        // A relative path counts when it starts with a child module of `current`.
        child => {
            let mut candidate = current.to_vec();
            candidate.push(child.to_owned());
            if !modules.contains(&candidate) {
                return None;
            }
            (current.to_vec(), path)
        }
    };
    full.extend(rest.iter().filter(|s| *s != "self").cloned());
    (0..=full.len())
        .rev()
        .map(|n| full[..n].to_vec())
        .find(|m| modules.contains(m))
}

/// One import between two modules of a circle, with where it is written.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Edge {
    from: String,
    to: String,
    /// The file of `from`, relative to the crate's `src/`.
    file: String,
    line: usize,
    /// The path as written (leaves of `use` groups written out in full).
    path: String,
}

/// Modules that import each other in a circle, and the imports inside it.
#[derive(Debug, Clone, PartialEq)]
struct Circle {
    /// Sorted module names.
    modules: Vec<String>,
    /// Sorted by `from`, then `to`; one per pair of modules (its first occurrence).
    edges: Vec<Edge>,
}

impl fmt::Display for Circle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "  circle: {}", self.modules.join(", "))?;
        for e in &self.edges {
            writeln!(
                f,
                "    {} -> {}    ({}:{}: `{}`)",
                e.from, e.to, e.file, e.line, e.path
            )?;
        }
        Ok(())
    }
}

/// A crate's module graph: for each module, the modules it imports, each with the first
/// place (file, line, path) it does.
struct Graph {
    edges: BTreeMap<ModPath, BTreeMap<ModPath, (String, usize, String)>>,
}

impl Graph {
    /// The graph of the files `(path relative to src/, text)` of one crate.
    fn new(files: &[(String, String)]) -> Graph {
        let owned: Vec<(ModPath, &String, &String)> = files
            .iter()
            .filter_map(|(rel, text)| module_of(rel).map(|m| (m, rel, text)))
            .collect();
        let modules: BTreeSet<ModPath> = owned.iter().map(|(m, _, _)| m.clone()).collect();
        let mut edges: BTreeMap<ModPath, BTreeMap<ModPath, (String, usize, String)>> = modules
            .iter()
            .map(|m| (m.clone(), BTreeMap::new()))
            .collect();
        for (module, rel, text) in &owned {
            for reference in references(text) {
                let mut current = module.clone();
                current.extend(reference.scope.iter().cloned());
                let Some(target) = resolve(&modules, &current, &reference.path) else {
                    continue;
                };
                if target == *module {
                    continue;
                }
                edges
                    .entry(module.clone())
                    .or_default()
                    .entry(target)
                    .or_insert((rel.to_string(), reference.line, reference.path.join("::")));
            }
        }
        Graph { edges }
    }

    /// The strongly connected components (Tarjan), each sorted.
    fn components(&self) -> Vec<Vec<ModPath>> {
        struct Tarjan<'g> {
            graph: &'g Graph,
            next: usize,
            index: BTreeMap<&'g ModPath, usize>,
            low: BTreeMap<&'g ModPath, usize>,
            stack: Vec<&'g ModPath>,
            on_stack: BTreeSet<&'g ModPath>,
            components: Vec<Vec<ModPath>>,
        }
        impl<'g> Tarjan<'g> {
            fn visit(&mut self, v: &'g ModPath) {
                self.index.insert(v, self.next);
                self.low.insert(v, self.next);
                self.next += 1;
                self.stack.push(v);
                self.on_stack.insert(v);
                let graph = self.graph;
                for w in graph.edges.get(v).into_iter().flat_map(BTreeMap::keys) {
                    if !self.index.contains_key(w) {
                        self.visit(w);
                        let low = self.low[v].min(self.low[w]);
                        self.low.insert(v, low);
                    } else if self.on_stack.contains(w) {
                        let low = self.low[v].min(self.index[w]);
                        self.low.insert(v, low);
                    }
                }
                if self.low[v] == self.index[v] {
                    let mut component = Vec::new();
                    while let Some(w) = self.stack.pop() {
                        self.on_stack.remove(w);
                        component.push(w.clone());
                        if w == v {
                            break;
                        }
                    }
                    component.sort();
                    self.components.push(component);
                }
            }
        }
        let mut tarjan = Tarjan {
            graph: self,
            next: 0,
            index: BTreeMap::new(),
            low: BTreeMap::new(),
            stack: Vec::new(),
            on_stack: BTreeSet::new(),
            components: Vec::new(),
        };
        for v in self.edges.keys() {
            if !tarjan.index.contains_key(v) {
                tarjan.visit(v);
            }
        }
        tarjan.components
    }

    /// The circles: components of more than one module, largest first, with their edges.
    fn circles(&self) -> Vec<Circle> {
        let mut circles: Vec<Circle> = self
            .components()
            .into_iter()
            .filter(|c| c.len() > 1)
            .map(|component| {
                let inside: BTreeSet<&ModPath> = component.iter().collect();
                let mut edges: Vec<Edge> = component
                    .iter()
                    .flat_map(|from| {
                        self.edges[from]
                            .iter()
                            .filter(|(to, _)| inside.contains(to))
                            .map(move |(to, (file, line, path))| Edge {
                                from: module_name(from),
                                to: module_name(to),
                                file: file.clone(),
                                line: *line,
                                path: path.clone(),
                            })
                    })
                    .collect();
                edges.sort();
                let mut modules: Vec<String> = component.iter().map(|m| module_name(m)).collect();
                modules.sort();
                Circle { modules, edges }
            })
            .collect();
        circles.sort_by(|a, b| {
            b.modules
                .len()
                .cmp(&a.modules.len())
                .then_with(|| a.modules.cmp(&b.modules))
        });
        circles
    }
}

/// The `.rs` files under `dir`, as (path relative to `base` with `/` separators, text).
fn rust_files(base: &Path, dir: &Path, out: &mut Vec<(String, String)>) -> Result<(), String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut paths: Vec<_> = entries
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{}: {e}", dir.display()))?;
    paths.sort();
    for path in paths {
        if path.is_dir() {
            rust_files(base, &path, out)?;
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text =
                std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            let rel = path.strip_prefix(base).unwrap_or(&path);
            let rel: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            out.push((rel.join("/"), text));
        }
    }
    Ok(())
}

/// For each crate under `root/crates/*/src` (by directory name, sorted), its circles.
fn workspace_circles(root: &Path) -> Result<Vec<(String, Vec<Circle>)>, String> {
    let crates_dir = root.join("crates");
    let entries =
        std::fs::read_dir(&crates_dir).map_err(|e| format!("{}: {e}", crates_dir.display()))?;
    let mut crates: Vec<_> = entries
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{}: {e}", crates_dir.display()))?;
    crates.sort();
    let mut out = Vec::new();
    for krate in crates {
        let src = krate.join("src");
        if !src.is_dir() {
            continue;
        }
        let mut files = Vec::new();
        rust_files(&src, &src, &mut files)?;
        let name = krate
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        out.push((name, Graph::new(&files).circles()));
    }
    Ok(out)
}

mod tests {
    use super::*;

    /// The circles of a crate given as inline `(file, source)` pairs.
    fn circles_of(files: &[(&str, &str)]) -> Vec<Circle> {
        let files: Vec<(String, String)> = files
            .iter()
            .map(|(p, s)| ((*p).to_owned(), (*s).to_owned()))
            .collect();
        Graph::new(&files).circles()
    }

    /// The edges of a crate given as inline files, as `from -> to` strings.
    fn edges_of(files: &[(&str, &str)]) -> Vec<String> {
        let files: Vec<(String, String)> = files
            .iter()
            .map(|(p, s)| ((*p).to_owned(), (*s).to_owned()))
            .collect();
        let graph = Graph::new(&files);
        graph
            .edges
            .iter()
            .flat_map(|(from, tos)| {
                tos.keys()
                    .map(move |to| format!("{} -> {}", module_name(from), module_name(to)))
            })
            .collect()
    }

    fn paths_of(src: &str) -> Vec<String> {
        references(src).iter().map(|r| r.path.join("::")).collect()
    }

    #[test]
    fn a_two_module_circle_is_found() {
        let circles = circles_of(&[
            ("lib.rs", "mod a;\nmod b;\n"),
            ("a.rs", "use crate::b::B;\npub struct A;\n"),
            (
                "b.rs",
                "pub struct B;\n\nfn f() -> crate::a::A { crate::a::A }\n",
            ),
        ]);
        assert_eq!(circles.len(), 1, "{circles:?}");
        assert_eq!(circles[0].modules, ["a", "b"]);
        let edges: Vec<_> = circles[0]
            .edges
            .iter()
            .map(|e| (e.from.as_str(), e.to.as_str(), e.file.as_str(), e.line))
            .collect();
        assert_eq!(edges, [("a", "b", "a.rs", 1), ("b", "a", "b.rs", 3)]);
        let shown = circles[0].to_string();
        assert!(
            shown.contains("a -> b    (a.rs:1: `crate::b::B`)"),
            "{shown}"
        );
    }

    #[test]
    fn no_circle_without_a_way_back() {
        let circles = circles_of(&[
            ("lib.rs", "mod a;\nmod b;\npub use a::A;\n"),
            ("a.rs", "use crate::b::B;\npub struct A(B);\n"),
            ("b.rs", "pub struct B;\n"),
        ]);
        assert_eq!(circles, []);
    }

    #[test]
    fn mod_declarations_are_not_edges() {
        let edges = edges_of(&[
            ("lib.rs", "mod a;\npub mod b;\n#[cfg(test)]\nmod c;\n"),
            ("a.rs", "use crate::b::B;\n"),
            ("b.rs", "pub struct B;\n"),
            ("c.rs", ""),
        ]);
        assert_eq!(edges, ["a -> b"]);
    }

    #[test]
    fn paths_in_comments_and_literals_are_not_edges() {
        let src = r####"
            // use crate::a::X;
            /* crate::a::Y /* nested crate::a::Z */ still crate::a::W */
            /// Docs naming [`crate::a::V`].
            fn f<'a>(x: &'a str) -> &'a str {
                let _ = "crate::a::X";
                let _ = "escaped \" crate::a::X";
                let _ = r#"raw " crate::a::X"#;
                let _ = br##"raw "# crate::a::X"##;
                let _ = b"crate::a::X";
                let _ = ('"', '\'', b'"', '\u{7b}', 'x');
                let _ = "http://example.com/*";
                x
            }
            fn g() -> crate::b::B { make() }
        "####;
        assert_eq!(paths_of(src), ["crate::b::B"]);
    }

    #[test]
    fn test_modules_are_skipped() {
        let src = "
            use crate::a::A;
            #[cfg(test)]
            #[allow(clippy::unwrap_used)]
            mod tests {
                use super::*;
                use crate::b::B;
                mod nested { fn f() { crate::c::C; } }
            }
            #[cfg(test)]
            fn helper() { crate::d::D; }
            pub(in crate::e) fn g() {}
            fn h() { crate::f::F }
        ";
        assert_eq!(paths_of(src), ["crate::a::A", "crate::d::D", "crate::f::F"]);
    }

    #[test]
    fn a_use_group_gives_one_edge_per_leaf() {
        assert_eq!(
            paths_of("use crate::a::{b::{c, d as e}, f::*, self, g::{self as h}, };"),
            [
                "crate::a::b::c",
                "crate::a::b::d",
                "crate::a::f::*",
                "crate::a::self",
                "crate::a::g::self"
            ]
        );
        let edges = edges_of(&[
            ("lib.rs", "pub use crate::a::{b::{X, Y}, c::Z};\n"),
            ("a/mod.rs", "mod b;\nmod c;\n"),
            ("a/b.rs", ""),
            ("a/c.rs", ""),
        ]);
        // One edge per leaf; the shared prefix `crate::a` is not an edge of its own.
        assert_eq!(edges, ["crate(lib.rs) -> a::b", "crate(lib.rs) -> a::c"]);
    }

    #[test]
    fn a_parent_re_export_and_a_child_using_the_parent_is_a_circle() {
        let circles = circles_of(&[
            ("lib.rs", "mod engine;\n"),
            (
                "engine/mod.rs",
                "mod slots;\npub use slots::Slot;\npub struct Y;\n",
            ),
            ("engine/slots.rs", "use super::Y;\npub struct Slot(Y);\n"),
        ]);
        assert_eq!(circles.len(), 1, "{circles:?}");
        assert_eq!(circles[0].modules, ["engine", "engine::slots"]);
        let edges: Vec<_> = circles[0]
            .edges
            .iter()
            .map(|e| format!("{} -> {} `{}`", e.from, e.to, e.path))
            .collect();
        assert_eq!(
            edges,
            [
                "engine -> engine::slots `slots::Slot`",
                "engine::slots -> engine `super::Y`"
            ]
        );
    }

    #[test]
    fn a_child_using_a_sibling_through_super_is_an_edge_to_the_sibling() {
        let files = [
            ("lib.rs", "mod engine;\n"),
            (
                "engine.rs",
                "mod slots;\nmod rules;\npub use slots::Slot;\n",
            ),
            (
                "engine/slots.rs",
                "use super::rules::Z;\npub struct Slot(Z);\n",
            ),
            ("engine/rules.rs", "pub struct Z;\n"),
        ];
        assert_eq!(
            edges_of(&files),
            ["engine -> engine::slots", "engine::slots -> engine::rules"]
        );
        assert_eq!(circles_of(&files), []);
    }

    #[test]
    fn super_inside_an_inline_module_is_its_file() {
        let edges = edges_of(&[
            ("lib.rs", "mod a;\nmod b;\n"),
            (
                "a.rs",
                "mod inner {\n    use super::X;\n    use super::super::b::B;\n}\n",
            ),
            ("b.rs", ""),
        ]);
        assert_eq!(edges, ["a -> b"]);
    }

    #[test]
    fn lifetimes_labels_and_precise_capturing_do_not_derail_the_scanner() {
        let src = "
            fn f<'a>(x: &'a u8) -> impl Sized + use<'a> { 'outer: loop { break 'outer x; } }
            fn g() -> crate::a::A { crate::a::A }
            use r#type::x as _;
            macro_rules! m { () => { $crate::b::B }; ($x:ident) => { $x::y } }
        ";
        assert_eq!(
            paths_of(src),
            ["crate::a::A", "crate::a::A", "type::x", "crate::b::B"]
        );
    }

    #[test]
    fn a_macro_call_names_the_module_of_its_prefix() {
        let src = "
            crate::string_enum! { pub enum E { A = \"a\", } }
            fn f() { crate::a::mac!(); super::b::m!(); if crate::c::X != 1 {} }
        ";
        assert_eq!(paths_of(src), ["crate::a", "super::b", "crate::c::X"]);
    }

    #[test]
    fn main_rs_and_bin_are_not_modules() {
        assert_eq!(module_of("main.rs"), None);
        assert_eq!(module_of("bin/tool.rs"), None);
        assert_eq!(module_of("lib.rs"), Some(vec![]));
        assert_eq!(module_of("engine/mod.rs"), Some(vec!["engine".to_owned()]));
        assert_eq!(
            module_of("engine/slots.rs"),
            Some(vec!["engine".to_owned(), "slots".to_owned()])
        );
    }

    /// The one circle the data model needs: the generated structures hold the
    /// hand-written `Event` and `User` unions (`types`), whose variants hold generated
    /// structures. Anything more in it, or any other circle, fails the test.
    const DATA_MODEL: (&str, &[&str]) = (
        "lc-protocol",
        &["generated::common", "types", "types::event", "types::user"],
    );

    /// The house rule: no import circles between a crate's files.
    #[test]
    fn no_import_circles_between_a_crates_files() {
        let crates = workspace_circles(&crate::workspace_root()).expect("crates/*/src reads");
        assert!(!crates.is_empty(), "no crates found under crates/*/src");
        let mut report = String::new();
        for (name, circles) in &crates {
            let circles: Vec<_> = circles
                .iter()
                .filter(|c| !(name.as_str() == DATA_MODEL.0 && c.modules == DATA_MODEL.1))
                .collect();
            if circles.is_empty() {
                continue;
            }
            report.push_str(&format!("{name}: {} circle(s)\n", circles.len()));
            for circle in circles {
                report.push_str(&circle.to_string());
            }
        }
        assert!(
            report.is_empty(),
            "import circles between a crate's files (each line: importer -> imported, \
             where):\n{report}"
        );
    }
}
