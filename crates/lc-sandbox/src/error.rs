//! [`SandboxError`]: why a sandbox could not start.

/// Why a sandbox could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SandboxError {
    /// Binding or reading files failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The TLS certificate or key is unusable.
    #[error("TLS configuration: {0}")]
    Tls(String),
    /// The state file could not be loaded (damaged, or from another version).
    #[error("state file: {0}")]
    State(String),
}
