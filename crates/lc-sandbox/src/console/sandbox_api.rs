//! What a [`Sandbox`] tells about its console: the page's URL and the admin token.

use crate::sandbox::Sandbox;

impl Sandbox {
    /// The admin token of the console and its API (`Authorization: Bearer <token>`),
    /// when the console is on (see
    /// [`SandboxBuilder::console`](crate::SandboxBuilder::console)).
    pub fn admin_token(&self) -> Option<String> {
        self.shared.console.admin_token().map(str::to_owned)
    }

    /// The console page's address, with the admin token in its fragment (never sent to
    /// the server by the browser), when the console is on.
    pub fn console_url(&self) -> Option<String> {
        let token = self.shared.console.admin_token()?;
        Some(format!("{}/#token={token}", self.http_url()))
    }

    /// Writes the state (agents, customers, groups, chats, tokens, ...) to `file` as a
    /// state file, the format [`SandboxBuilder::state_file`](crate::SandboxBuilder::state_file)
    /// loads.
    ///
    /// # Errors
    /// When the file cannot be written.
    pub fn save_state(&self, file: &std::path::Path) -> std::io::Result<()> {
        super::state_file::save(&self.shared, file)
    }
}
