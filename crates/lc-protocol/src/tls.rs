//! [`Tls`]: the TLS settings of both engines (RTM over `wss://`, Web over `https://`).

use crate::error::Error;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use std::sync::{Arc, LazyLock, OnceLock};

pub use rustls;

/// Which servers a client trusts, for the RTM and the Web engine alike. Certificates are
/// always verified.
///
/// - [`Tls::default`]: the Mozilla root certificates (webpki-roots), with rustls' `ring`
///   provider;
/// - [`add_root_pem`](Tls::add_root_pem) / [`add_root_der`](Tls::add_root_der): trust
///   one more root as well, e.g. a private CA or a local lc-sandbox's self-signed
///   certificate;
/// - [`Tls::custom`]: your own rustls configuration, used as it is.
///
/// ```no_run
/// # fn demo() -> Result<(), lc_protocol::Error> {
/// use lc_protocol::Tls;
///
/// let pem = std::fs::read("sandbox-cert.pem").unwrap_or_default();
/// let tls = Tls::default().add_root_pem(&pem)?;
/// # let _ = tls;
/// # Ok(())
/// # }
/// ```
///
/// Cheap to clone: the clones share the roots and the rustls configuration they make
/// (built on first use), session cache included, so that every client made from one
/// setting, or from the default, shares one configuration. (A copy each cost every
/// engine of a client about 30 KiB: the Mozilla roots twice, 8.4 KiB each, and the
/// session cache's table, 13.6 KiB, which rustls allocates whole up front.)
#[derive(Clone)]
pub struct Tls {
    inner: Inner,
    /// The configuration [`client_config`](Tls::client_config) made from `inner`, shared
    /// by the clones; a fresh one whenever a root is added.
    built: Arc<OnceLock<Arc<rustls::ClientConfig>>>,
}

#[derive(Clone)]
enum Inner {
    /// The Mozilla roots and those added.
    Roots(Arc<rustls::RootCertStore>),
    /// A configuration given whole.
    Custom(Arc<rustls::ClientConfig>),
}

/// The Mozilla roots, and the configuration they make: one per process.
static DEFAULT: LazyLock<Tls> = LazyLock::new(|| {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    Tls {
        inner: Inner::Roots(Arc::new(roots)),
        built: Arc::default(),
    }
});

impl Default for Tls {
    fn default() -> Self {
        DEFAULT.clone()
    }
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.inner {
            Inner::Roots(roots) => f.debug_struct("Tls").field("roots", &roots.len()).finish(),
            Inner::Custom(_) => f.debug_struct("Tls").field("custom", &true).finish(),
        }
    }
}

impl Tls {
    /// Your own rustls configuration (its roots, provider, protocol versions, client
    /// certificates); the Web engine sets its ALPN protocols on a copy.
    pub fn custom(config: Arc<rustls::ClientConfig>) -> Self {
        Self {
            inner: Inner::Custom(config),
            built: Arc::default(),
        }
    }

    /// Also trusts every certificate of `pem` (one or more `CERTIFICATE` blocks).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when `pem` holds no certificate, one that cannot be read
    /// or used as a root, or when this is a [`custom`](Tls::custom) configuration.
    pub fn add_root_pem(mut self, pem: &[u8]) -> Result<Self, Error> {
        let mut added = 0;
        for cert in CertificateDer::pem_slice_iter(pem) {
            let cert = cert
                .map_err(|err| Error::InvalidInput(format!("unreadable PEM certificate: {err}")))?;
            self = self.add_root_der(cert.to_vec())?;
            added += 1;
        }
        if added == 0 {
            return Err(Error::InvalidInput(
                "no certificate in the PEM text".to_owned(),
            ));
        }
        Ok(self)
    }

    /// Also trusts the DER-encoded certificate `der`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when it cannot be used as a root, or when this is a
    /// [`custom`](Tls::custom) configuration.
    pub fn add_root_der(mut self, der: impl Into<Vec<u8>>) -> Result<Self, Error> {
        let Inner::Roots(roots) = &mut self.inner else {
            return Err(Error::InvalidInput(
                "roots cannot be added to a custom TLS configuration".to_owned(),
            ));
        };
        // Copied only when shared (the default's, a clone's).
        Arc::make_mut(roots)
            .add(CertificateDer::from(der.into()))
            .map_err(|err| Error::InvalidInput(format!("not a usable root certificate: {err}")))?;
        self.built = Arc::default();
        Ok(self)
    }

    /// The rustls configuration these settings make: made once, then shared by this
    /// value and its clones.
    pub fn client_config(&self) -> Arc<rustls::ClientConfig> {
        self.built.get_or_init(|| self.build()).clone()
    }

    /// Makes the rustls configuration of these settings.
    fn build(&self) -> Arc<rustls::ClientConfig> {
        let roots = match &self.inner {
            Inner::Custom(config) => return config.clone(),
            Inner::Roots(roots) => roots.clone(),
        };
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = match rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
        {
            Ok(builder) => builder,
            // The ring provider supports rustls' default versions; fall back to TLS 1.3.
            Err(_) => match rustls::ClientConfig::builder_with_provider(provider)
                .with_protocol_versions(&[&rustls::version::TLS13])
            {
                Ok(builder) => builder,
                Err(_) => unreachable!("ring supports TLS 1.3"),
            },
        };
        Arc::new(builder.with_root_certificates(roots).with_no_client_auth())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roots_are_checked_when_added() {
        assert!(Tls::default().add_root_pem(b"nothing here").is_err());
        assert!(Tls::default().add_root_der(vec![1, 2, 3]).is_err());
        let custom = Tls::custom(Tls::default().client_config());
        assert!(custom.add_root_der(vec![1, 2, 3]).is_err());
        assert!(format!("{:?}", Tls::default()).contains("roots"));
    }

    /// A self-signed P-256 CA certificate (valid until 2126), made with `openssl req -x509`.
    const TEST_ROOT: &[u8] = b"\
-----BEGIN CERTIFICATE-----
MIIBlzCCAT2gAwIBAgIUZAhBa6gr6F1PU1P4+yENQ0zKB3UwCgYIKoZIzj0EAwIw
IDEeMBwGA1UEAwwVbGMtcHJvdG9jb2wgdGVzdCByb290MCAXDTI2MTIwNDAyNTEw
MFoYDzIxMjYxMTEwMDI1MTAwWjAgMR4wHAYDVQQDDBVsYy1wcm90b2NvbCB0ZXN0
IHJvb3QwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAQz+ZUhkz1vQzonEPh5a4KZ
fFfWT5rgVdvi3UHRIKPl6BnZbTHaWRp+ijF8rReCll4c0r8qi1XnUYahQ7jJanPE
o1MwUTAdBgNVHQ4EFgQUchW+krr83rUqgusi3/CovzepGiMwHwYDVR0jBBgwFoAU
chW+krr83rUqgusi3/CovzepGiMwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQD
AgNIADBFAiBvbmuNJQ3jnw3AsuIwz1b0OKRx095mBAktsFDlc8H5nQIhAMUkH2Us
tD0b4wv06jyzuJywLeS7cGZH8TSj9v1E34TZ
-----END CERTIFICATE-----
";

    #[test]
    fn clones_share_one_configuration_until_a_root_is_added() {
        let default = Tls::default();
        let config = default.client_config();
        assert!(Arc::ptr_eq(&config, &Tls::default().client_config()));
        assert!(Arc::ptr_eq(&config, &default.clone().client_config()));
        let added = default
            .clone()
            .add_root_pem(TEST_ROOT)
            .expect("a usable root");
        let own = added.client_config();
        assert!(!Arc::ptr_eq(&config, &own));
        assert!(Arc::ptr_eq(&own, &added.clone().client_config()));
        // The default's roots are untouched.
        let Inner::Roots(roots) = &Tls::default().inner else {
            panic!("the default has roots");
        };
        let Inner::Roots(more) = &added.inner else {
            panic!("roots were added");
        };
        assert_eq!(more.len(), roots.len() + 1);
    }
}
