//! Inbenta Agent Chat client.
//!
//! This crate is a placeholder in the workspace layout; its content lands with its own
//! issue. See `docs/architecture.md` for where it fits.
