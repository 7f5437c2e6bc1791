//! What the console is set to: on or off, the admin token, the journal and the state
//! file. Held by [`Shared`](crate::shared::Shared); set by the builder.

use super::journal::Journal;
use std::path::PathBuf;
use std::sync::Arc;

/// The console's settings (its `Debug` hides the admin token).
#[derive(Default)]
pub(crate) struct Console {
    /// The admin token (`None`: the console and the admin API are off).
    admin_token: Option<String>,
    /// The journal of RTM frames and Web calls (recording only when the console is on).
    pub(crate) journal: Arc<Journal>,
    /// Where the state is written on a clean stop, if anywhere.
    pub(crate) state_file: Option<PathBuf>,
}

impl std::fmt::Debug for Console {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Console")
            .field("on", &self.on())
            .field("state_file", &self.state_file)
            .finish_non_exhaustive()
    }
}

impl Console {
    /// The console on, with `admin_token`, or off (`None`).
    pub(crate) fn new(admin_token: Option<String>, state_file: Option<PathBuf>) -> Self {
        let journal = Arc::new(Journal::new(admin_token.is_some()));
        Self {
            admin_token,
            journal,
            state_file,
        }
    }

    /// Whether the console is on.
    pub(crate) fn on(&self) -> bool {
        self.admin_token.is_some()
    }

    /// The admin token, when the console is on.
    pub(crate) fn admin_token(&self) -> Option<&str> {
        self.admin_token.as_deref()
    }

    /// Whether an `Authorization` header value carries the admin token. Compared in
    /// constant time for equal lengths.
    pub(crate) fn authorized(&self, header: Option<&str>) -> bool {
        let (Some(expected), Some(given)) = (self.admin_token.as_deref(), header) else {
            return false;
        };
        let Some(given) = given.strip_prefix("Bearer ") else {
            return false;
        };
        given.len() == expected.len()
            && given
                .bytes()
                .zip(expected.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_exact_bearer_token_is_authorized() {
        let console = Console::new(Some("secret-1".into()), None);
        assert!(console.authorized(Some("Bearer secret-1")));
        assert!(!console.authorized(Some("Bearer secret-2")));
        assert!(!console.authorized(Some("Bearer secret-10")));
        assert!(!console.authorized(Some("secret-1")));
        assert!(!console.authorized(None));
        assert!(!format!("{console:?}").contains("secret-1"));
        let off = Console::default();
        assert!(!off.on() && !off.authorized(Some("Bearer ")));
    }
}
