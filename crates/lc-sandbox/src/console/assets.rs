//! The console page, embedded in the binary (plain HTML, CSS and JavaScript: no build
//! step, nothing fetched from elsewhere, so it works offline).

/// `/`: the page.
pub(crate) const INDEX_HTML: &str = include_str!("assets/index.html");
/// `/_sandbox/assets/console.js`.
pub(crate) const CONSOLE_JS: &str = include_str!("assets/console.js");
/// `/_sandbox/assets/console.css`.
pub(crate) const CONSOLE_CSS: &str = include_str!("assets/console.css");

/// The asset at `path`, with its content type.
pub(crate) fn get(path: &str) -> Option<(&'static str, &'static str)> {
    match path {
        "/" | "/index.html" => Some((INDEX_HTML, "text/html; charset=utf-8")),
        "/_sandbox/assets/console.js" => Some((CONSOLE_JS, "text/javascript; charset=utf-8")),
        "/_sandbox/assets/console.css" => Some((CONSOLE_CSS, "text/css; charset=utf-8")),
        _ => None,
    }
}
