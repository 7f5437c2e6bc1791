//! `--state FILE` (and [`SandboxBuilder::state_file`](crate::SandboxBuilder::state_file)):
//! the state loaded at start and written on a clean stop. A file that cannot be loaded
//! stops the start with an error, so it is never overwritten.

use super::snapshot;
use crate::error::SandboxError;
use crate::inbenta::snapshot::InbentaSnap;
use crate::shared::Shared;
use crate::state::State;
use std::path::Path;

/// Loads `file`'s LiveChat side into `state` and gives back its Inbenta side (for
/// [`crate::inbenta::snapshot::restore`] once the sandbox's Inbenta hub exists); a file
/// that does not exist is no error (it is written on the first clean stop).
pub(crate) fn load(file: &Path, state: &mut State) -> Result<Option<InbentaSnap>, SandboxError> {
    let text = match std::fs::read(file) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(SandboxError::State(format!("{}: {e}", file.display()))),
    };
    let snapshot = snapshot::parse(&text)
        .map_err(|e| SandboxError::State(format!("{}: {e}", file.display())))?;
    snapshot::restore(state, snapshot)
        .map(Some)
        .map_err(|e| SandboxError::State(format!("{}: {e}", file.display())))
}

/// Writes the state to the configured file, if any, atomically (a temporary file
/// renamed into place). Failures are logged: a stop does not fail.
pub(crate) fn save_on_stop(shared: &Shared) {
    let Some(file) = &shared.console.state_file else {
        return;
    };
    match save(shared, file) {
        Ok(()) => tracing::info!(file = %file.display(), "state saved"),
        Err(e) => tracing::error!(file = %file.display(), %e, "state not saved"),
    }
}

/// Writes the state to `file`, atomically.
pub(crate) fn save(shared: &Shared, file: &Path) -> std::io::Result<()> {
    let snapshot = snapshot::take(shared);
    let text = serde_json::to_vec_pretty(&snapshot).map_err(std::io::Error::other)?;
    let mut temporary = file.as_os_str().to_owned();
    temporary.push(".tmp");
    std::fs::write(&temporary, text)?;
    std::fs::rename(&temporary, file)
}
