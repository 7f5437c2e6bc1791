//! Self-signed certificates, so that clients which hard-code `wss://` and `https://` (the
//! official JS and Python SDKs) can reach a local sandbox.

use crate::error::SandboxError;
use std::path::{Path, PathBuf};

/// The names a local certificate is valid for.
const LOCAL_NAMES: &[&str] = &["localhost", "127.0.0.1", "::1"];

/// A self-signed certificate and its private key, PEM-encoded: give `cert_pem` to the
/// clients as a trusted certificate (e.g. `NODE_EXTRA_CA_CERTS`) and both to
/// [`SandboxBuilder::tls_pem`](crate::SandboxBuilder::tls_pem).
#[derive(Clone)]
pub struct SelfSigned {
    /// The certificate.
    pub cert_pem: String,
    /// Its private key.
    pub key_pem: String,
}

impl std::fmt::Debug for SelfSigned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SelfSigned")
            .field("cert_pem", &self.cert_pem)
            .finish_non_exhaustive()
    }
}

impl SelfSigned {
    /// A new certificate for `names` (DNS names or IP addresses), with a fresh key.
    ///
    /// # Errors
    /// When a name is not a valid DNS name or IP address.
    pub fn generate(names: &[&str]) -> Result<Self, SandboxError> {
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let certified = rcgen::generate_simple_self_signed(names)
            .map_err(|e| SandboxError::Tls(format!("generating a certificate: {e}")))?;
        Ok(Self {
            cert_pem: certified.cert.pem(),
            key_pem: certified.signing_key.serialize_pem(),
        })
    }

    /// A new certificate for `localhost`, `127.0.0.1` and `::1`.
    ///
    /// # Errors
    /// Never in practice (the names are valid).
    pub fn localhost() -> Result<Self, SandboxError> {
        Self::generate(LOCAL_NAMES)
    }

    /// The certificate in `dir`: reads `dir/cert.pem` and `dir/key.pem` when both exist,
    /// otherwise makes one for the local names and writes both files (creating `dir`), so
    /// that clients told to trust `dir/cert.pem` keep trusting it across restarts.
    ///
    /// # Errors
    /// When the files cannot be read or written.
    pub fn load_or_create(dir: &Path) -> Result<Self, SandboxError> {
        let (cert, key) = (Self::cert_path(dir), dir.join("key.pem"));
        if cert.is_file() && key.is_file() {
            return Ok(Self {
                cert_pem: std::fs::read_to_string(&cert)?,
                key_pem: std::fs::read_to_string(&key)?,
            });
        }
        let made = Self::localhost()?;
        std::fs::create_dir_all(dir)?;
        std::fs::write(&cert, &made.cert_pem)?;
        write_private(&key, &made.key_pem)?;
        Ok(made)
    }

    /// Where [`load_or_create`](Self::load_or_create) keeps the certificate of `dir`.
    pub fn cert_path(dir: &Path) -> PathBuf {
        dir.join("cert.pem")
    }
}

/// Writes a file readable by its owner only (where the platform has such modes).
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(contents.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_certificate_is_accepted_by_the_tls_setup() {
        let made = SelfSigned::localhost().expect("generate");
        assert!(made.cert_pem.starts_with("-----BEGIN CERTIFICATE-----"));
        crate::builder::tls_acceptor(made.cert_pem.as_bytes(), made.key_pem.as_bytes())
            .expect("usable by rustls");
    }

    #[test]
    fn load_or_create_reuses_the_files_it_wrote() {
        let dir = std::env::temp_dir().join(format!("lc-sandbox-tls-{}", uuid::Uuid::new_v4()));
        let first = SelfSigned::load_or_create(&dir).expect("create");
        let second = SelfSigned::load_or_create(&dir).expect("load");
        assert_eq!(first.cert_pem, second.cert_pem);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
