//! The seed coverage check: every method of `../shared/seeds/` is in `spec/seeds.toml`.

use crate::spec::SeedsFile;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Where the seeds are: `$LC_SHARED_DIR/seeds`, else `../shared/seeds` beside the checkout.
pub(crate) fn seeds_dir(root: &Path) -> PathBuf {
    match std::env::var_os("LC_SHARED_DIR") {
        Some(dir) => PathBuf::from(dir).join("seeds"),
        None => root.join("../shared/seeds"),
    }
}

/// `(file, method)` of every method and event the seed files name.
pub(crate) fn seed_methods(dir: &Path) -> Result<BTreeSet<(String, String)>, String> {
    let mut out = BTreeSet::new();
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "md") {
            continue;
        }
        let file = entry.file_name().to_string_lossy().into_owned();
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        for method in methods_in(&text) {
            out.insert((file.clone(), method));
        }
    }
    Ok(out)
}

/// Words the seed pages glued to the prose before them (a copy-paste artefact).
const GLUED: &[(&str, &str)] = &[("firesunsubscribe", "unsubscribe")];

/// The methods of one seed file: `### name` headings under `## Methods` (or every `###`
/// heading of a page without sections), or, in the plain-text Inbenta pages,
/// `name(args)` lines, `'event:name'` lines and bare `resource:verb` lines.
fn methods_in(text: &str) -> Vec<String> {
    let has_sections = text
        .lines()
        .any(|l| l.starts_with("## ") && l.trim() != "## Methods");
    let mut in_methods = !has_sections;
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if let Some(section) = line.strip_prefix("## ") {
            in_methods = section.trim() == "Methods";
            continue;
        }
        if let Some(name) = line.strip_prefix("### ") {
            if in_methods {
                out.push(name.trim().replace('\\', ""));
            }
            continue;
        }
        if text.contains("\n### ") {
            continue;
        }
        if let Some((before, _)) = line.split_once('(') {
            let name = before.rsplit(' ').next().unwrap_or(before);
            let name = GLUED
                .iter()
                .find(|(glued, _)| *glued == name)
                .map_or(name, |(_, real)| real);
            let is_signature = line.ends_with(')')
                && (name.len() == before.len() || GLUED.iter().any(|(_, r)| *r == name));
            if is_signature && !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric()) {
                out.push(name.to_owned());
            }
        } else if let Some(event) = line.strip_prefix('\'').and_then(|l| l.strip_suffix('\'')) {
            out.push(event.to_owned());
        } else if line.contains(':')
            && !line.contains(' ')
            && line.chars().all(|c| c.is_ascii_alphanumeric() || c == ':')
        {
            out.push(line.to_owned());
        }
    }
    out
}

/// The seed methods that `seeds.toml` does not list, and the entries it lists that no
/// seed file names.
pub(crate) fn coverage_problems(listed: &SeedsFile, dir: &Path) -> Result<Vec<String>, String> {
    let wanted = seed_methods(dir)?;
    let have: BTreeSet<(String, String)> = listed
        .seed
        .iter()
        .map(|s| (s.source.clone(), s.method.clone()))
        .collect();
    let mut problems = Vec::new();
    for (file, method) in wanted.difference(&have) {
        problems.push(format!("seeds.toml lacks {file} `{method}`"));
    }
    for (file, method) in have.difference(&wanted) {
        problems.push(format!(
            "seeds.toml lists {file} `{method}`, which no seed file has"
        ));
    }
    Ok(problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_typedoc_headings_under_methods_only() {
        let text = "## Properties\n### socket\n## Methods\n### addUserToChat\n### ban\\_customer\n";
        assert_eq!(methods_in(text), vec!["addUserToChat", "ban_customer"]);
    }

    #[test]
    fn parses_plain_text_pages() {
        let text = "send(eventName, data)\nCreates an event (once)\nchats:assign\nUsed to assign\n'user:joined'\nTriggered\nevent firesunsubscribe(eventName, listener)\n";
        assert_eq!(
            methods_in(text),
            vec!["send", "chats:assign", "user:joined", "unsubscribe"]
        );
    }

    /// Every method of ../shared/seeds is mapped in spec/seeds.toml (CI has ../shared).
    #[test]
    fn spec_covers_every_seed_method() {
        let root = crate::workspace_root();
        let dir = seeds_dir(&root);
        assert!(
            dir.is_dir(),
            "{} is missing: set LC_SHARED_DIR to the shared folder",
            dir.display()
        );
        let spec = crate::spec::Spec::load(&root.join("spec")).expect("spec loads");
        let problems = coverage_problems(&spec.seeds, &dir).expect("seeds readable");
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }
}
