//! The check that every Rust counterpart of a JavaScript method names it in its doc
//! comment (`(JS: lc-sdk-js `listChats`.)`), so that a reader of the Rust docs finds the
//! method they know. A test, run by `cargo test --workspace`.

#[cfg(test)]
mod tests {
    use crate::spec::Spec;
    use std::path::Path;

    /// The crate whose `src/` holds the methods of a client type.
    fn crate_of(ty: &str) -> Option<&'static str> {
        Some(match ty {
            "AgentClient" => "lc-agent",
            "CustomerClient" => "lc-customer",
            "InbentaClient" | "UserClient" | "Chat" => "lc-inbenta",
            "Subscription" => "lc-protocol",
            _ => return None,
        })
    }

    /// Every `.rs` file under `dir`, with its text.
    fn sources(dir: &Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                sources(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(std::fs::read_to_string(&path).unwrap_or_default());
            }
        }
    }

    /// The doc comments of `pub fn method` inside an `impl` block of `ty`.
    fn docs_of(files: &[String], ty: &str, method: &str) -> Vec<String> {
        let mut docs = Vec::new();
        for text in files {
            let lines: Vec<&str> = text.lines().collect();
            let mut owner = "";
            for (i, line) in lines.iter().enumerate() {
                if line.starts_with("impl") {
                    owner = line;
                }
                let trimmed = line.trim_start();
                let is_method = ["pub fn ", "pub async fn "].iter().any(|p| {
                    trimmed.strip_prefix(p).is_some_and(|rest| {
                        rest.strip_prefix(method)
                            .is_some_and(|after| after.starts_with(['(', '<']))
                    })
                });
                let owned = owner
                    .split(|c: char| !c.is_alphanumeric() && c != '_')
                    .any(|word| word == ty);
                if !is_method || !owned {
                    continue;
                }
                let doc: Vec<&str> = lines[..i]
                    .iter()
                    .rev()
                    .skip_while(|l| l.trim_start().starts_with("#["))
                    .take_while(|l| l.trim_start().starts_with("///"))
                    .copied()
                    .collect();
                docs.push(doc.join("\n"));
            }
        }
        docs
    }

    #[test]
    fn every_rust_counterpart_names_its_js_method_in_its_docs() {
        let root = crate::workspace_root();
        let spec = Spec::load(&root.join("spec")).expect("spec loads");
        let mut problems = Vec::new();
        for seed in &spec.seeds.seed {
            let rust = seed.rust.as_deref().unwrap_or_default();
            let Some((ty, method)) = rust.split_once("::") else {
                continue;
            };
            let Some(krate) = crate_of(ty) else {
                continue;
            };
            // Inbenta's client events are all sent with one typed `call`.
            if seed.source == "inbenta-client-events.md" && method == "call" {
                continue;
            }
            let mut files = Vec::new();
            sources(&root.join("crates").join(krate).join("src"), &mut files);
            let docs = docs_of(&files, ty, method);
            let named = format!("`{}`", seed.method);
            if docs.is_empty() {
                problems.push(format!("{rust}: no documented `pub fn` found in {krate}"));
            } else if !docs.iter().any(|doc| doc.contains(&named)) {
                problems.push(format!(
                    "{rust}: its doc comment does not name {named} ({})",
                    seed.source
                ));
            }
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }
}
