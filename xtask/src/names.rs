//! Rust names derived from wire names.

/// `list_chats` → `ListChats`, `chats:assign` → `ChatsAssign`,
/// `chat:timer:expiryAlert` → `ChatTimerExpiryAlert`, `routing.archived` → `RoutingArchived`.
pub(crate) fn pascal_case(wire: &str) -> String {
    let mut out = String::new();
    for part in wire
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|p| !p.is_empty())
    {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.extend(chars);
        }
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'V');
    }
    out
}

/// `chatId` → `chat_id`, `__priv_dynamic_config` → `priv_dynamic_config`,
/// `type` → `kind`; other keywords get a raw identifier.
pub(crate) fn field_name(wire: &str) -> String {
    let mut out = String::new();
    let mut prev_lower = false;
    for c in wire.trim_start_matches('_').chars() {
        if c.is_ascii_uppercase() {
            if prev_lower {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
            prev_lower = false;
        } else if c.is_ascii_alphanumeric() || c == '_' {
            out.push(c);
            prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        } else {
            out.push('_');
            prev_lower = false;
        }
    }
    match out.as_str() {
        "type" => "kind".to_owned(),
        "as" | "async" | "await" | "box" | "break" | "const" | "continue" | "crate" | "dyn"
        | "else" | "enum" | "extern" | "false" | "fn" | "for" | "gen" | "if" | "impl" | "in"
        | "let" | "loop" | "match" | "mod" | "move" | "mut" | "pub" | "ref" | "return"
        | "static" | "struct" | "trait" | "true" | "try" | "unsafe" | "use" | "where" | "while"
        | "yield" => format!("r#{out}"),
        _ => out,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pascal_case_splits_on_separators() {
        assert_eq!(pascal_case("list_chats"), "ListChats");
        assert_eq!(pascal_case("chats:assign"), "ChatsAssign");
        assert_eq!(
            pascal_case("chat:timer:expiryAlert"),
            "ChatTimerExpiryAlert"
        );
        assert_eq!(
            pascal_case("routing.archived_inactive"),
            "RoutingArchivedInactive"
        );
        assert_eq!(pascal_case("3d"), "V3d");
    }

    #[test]
    fn field_names_are_snake_case_without_keywords() {
        assert_eq!(field_name("chatId"), "chat_id");
        assert_eq!(field_name("chat_id"), "chat_id");
        assert_eq!(field_name("__priv_dynamic_config"), "priv_dynamic_config");
        assert_eq!(field_name("type"), "kind");
        assert_eq!(field_name("ref"), "r#ref");
        assert_eq!(field_name("thumbnail2x_url"), "thumbnail2x_url");
        assert_eq!(field_name("extraInfo"), "extra_info");
    }
}
