//! Certificates for the manager's HTTPS servers: read from files and reloaded when they change
//! (cert-manager rotates them in place), or made at start when none are given.

use std::{
    path::{Path, PathBuf},
    sync::{Arc, PoisonError, RwLock},
    time::Duration,
};

use rustls::{
    ServerConfig,
    crypto::CryptoProvider,
    server::{ClientHello, ResolvesServerCert},
    sign::CertifiedKey,
};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject};
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::error::Error;

#[cfg(not(any(feature = "ring", feature = "aws-lc-rs")))]
compile_error!(
    "kube-operator-runtime needs the `ring` or the `aws-lc-rs` feature for its HTTPS servers"
);

/// How often certificate files are read again. Kubernetes updates a mounted Secret within about a
/// minute, so this adds little to a rotation and costs two small reads.
const RELOAD_INTERVAL: Duration = Duration::from_secs(10);

/// The cryptography of the HTTPS servers, chosen by the crate's features like the client's.
pub(crate) fn crypto_provider() -> Arc<CryptoProvider> {
    #[cfg(feature = "ring")]
    return Arc::new(rustls::crypto::ring::default_provider());
    #[cfg(all(feature = "aws-lc-rs", not(feature = "ring")))]
    return Arc::new(rustls::crypto::aws_lc_rs::default_provider());
}

/// Where a server's certificate and key are, as Kubebuilder's `--*-cert-path`, `--*-cert-name`
/// and `--*-cert-key` flags say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CertFiles {
    pub(crate) cert: PathBuf,
    pub(crate) key: PathBuf,
}

impl CertFiles {
    pub(crate) fn new(dir: &Path, cert_name: &str, key_name: &str) -> Self {
        Self {
            cert: dir.join(cert_name),
            key: dir.join(key_name),
        }
    }
}

/// The certificate a server presents; swapped in place when its files change, so that open
/// listeners serve the new one without a restart.
#[derive(Debug)]
pub(crate) struct ServingCert {
    current: RwLock<Arc<CertifiedKey>>,
    provider: Arc<CryptoProvider>,
}

impl ServingCert {
    /// A self-signed certificate for `localhost` and `names`, made now. Clients cannot verify
    /// it; it keeps traffic private where no certificate was provisioned, as controller-runtime
    /// does.
    pub(crate) fn self_signed(names: &[String]) -> Result<Arc<Self>, Error> {
        let tls_error = |reason: String| Error::Tls {
            what: "a self-signed certificate".into(),
            reason,
        };
        let mut subject_alt_names = vec!["localhost".to_string()];
        subject_alt_names.extend(names.iter().cloned());
        let rcgen::CertifiedKey { cert, signing_key } =
            rcgen::generate_simple_self_signed(subject_alt_names)
                .map_err(|err| tls_error(err.to_string()))?;
        let provider = crypto_provider();
        let key = PrivateKeyDer::try_from(signing_key.serialize_der())
            .map_err(|err| tls_error(err.to_string()))?;
        let certified =
            certified_key(&provider, vec![cert.der().clone()], key).map_err(tls_error)?;
        Ok(Arc::new(Self {
            current: RwLock::new(Arc::new(certified)),
            provider,
        }))
    }

    /// The certificate in `files`, which must be readable now: a manager told to serve a
    /// certificate should not start without it.
    pub(crate) fn from_files(files: &CertFiles) -> Result<Arc<Self>, Error> {
        let provider = crypto_provider();
        let certified = load(&provider, files)?;
        Ok(Arc::new(Self {
            current: RwLock::new(Arc::new(certified)),
            provider,
        }))
    }

    /// Reads `files` again every [`RELOAD_INTERVAL`] until `stop` is cancelled, and serves what
    /// they hold from then on. A file caught half-written, or a bad one, is logged and the
    /// current certificate kept.
    pub(crate) fn reload_from(self: &Arc<Self>, files: CertFiles, stop: CancellationToken) {
        let serving = Arc::clone(self);
        tokio::spawn(async move {
            let mut last = read_both(&files).ok();
            loop {
                tokio::select! {
                    () = tokio::time::sleep(RELOAD_INTERVAL) => {}
                    () = stop.cancelled() => return,
                }
                let Ok(contents) = read_both(&files) else {
                    continue;
                };
                if last.as_ref() == Some(&contents) {
                    continue;
                }
                match load(&serving.provider, &files) {
                    Ok(certified) => {
                        *serving
                            .current
                            .write()
                            .unwrap_or_else(PoisonError::into_inner) = Arc::new(certified);
                        last = Some(contents);
                        info!(cert = %files.cert.display(), "serving a renewed certificate");
                    }
                    Err(err) => warn!(error = %err, "keeping the current certificate"),
                }
            }
        });
    }

    /// A rustls configuration presenting this certificate, speaking HTTP/1.1 only unless
    /// `http2` (HTTP/2 is off by default in Kubebuilder's managers, after the "rapid reset"
    /// attacks).
    pub(crate) fn server_config(self: &Arc<Self>, http2: bool) -> Result<Arc<ServerConfig>, Error> {
        let mut config = ServerConfig::builder_with_provider(self.provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|err| Error::Tls {
                what: "the TLS settings".into(),
                reason: err.to_string(),
            })?
            .with_no_client_auth()
            .with_cert_resolver(self.clone());
        config.alpn_protocols = if http2 {
            vec![b"h2".to_vec(), b"http/1.1".to_vec()]
        } else {
            vec![b"http/1.1".to_vec()]
        };
        Ok(Arc::new(config))
    }
}

impl ResolvesServerCert for ServingCert {
    fn resolve(&self, _client_hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(
            self.current
                .read()
                .unwrap_or_else(PoisonError::into_inner)
                .clone(),
        )
    }
}

fn read_both(files: &CertFiles) -> std::io::Result<(Vec<u8>, Vec<u8>)> {
    Ok((std::fs::read(&files.cert)?, std::fs::read(&files.key)?))
}

fn load(provider: &CryptoProvider, files: &CertFiles) -> Result<CertifiedKey, Error> {
    let tls_error = |path: &Path, reason: String| Error::Tls {
        what: path.display().to_string(),
        reason,
    };
    let certs = CertificateDer::pem_file_iter(&files.cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|err| tls_error(&files.cert, err.to_string()))?;
    if certs.is_empty() {
        return Err(tls_error(&files.cert, "no PEM certificate in it".into()));
    }
    let key = PrivateKeyDer::from_pem_file(&files.key)
        .map_err(|err| tls_error(&files.key, err.to_string()))?;
    certified_key(provider, certs, key).map_err(|reason| tls_error(&files.key, reason))
}

fn certified_key(
    provider: &CryptoProvider,
    certs: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<CertifiedKey, String> {
    let certified = CertifiedKey::from_der(certs, key, provider).map_err(|err| err.to_string())?;
    // A key from another certificate would fail every handshake; refuse it now instead.
    certified.keys_match().map_err(|err| err.to_string())?;
    Ok(certified)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_cert(dir: &Path, name: &str) -> (CertFiles, Vec<u8>) {
        let rcgen::CertifiedKey { cert, signing_key } =
            rcgen::generate_simple_self_signed(vec![name.to_string()]).unwrap();
        std::fs::write(dir.join("tls.crt"), cert.pem()).unwrap();
        std::fs::write(dir.join("tls.key"), signing_key.serialize_pem()).unwrap();
        (
            CertFiles::new(dir, "tls.crt", "tls.key"),
            cert.der().to_vec(),
        )
    }

    fn served(cert: &ServingCert) -> Vec<u8> {
        cert.current.read().unwrap().cert[0].to_vec()
    }

    #[test]
    fn certificate_files_are_read_and_bad_ones_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (files, der) = write_cert(dir.path(), "first.example");
        assert_eq!(served(&ServingCert::from_files(&files).unwrap()), der);

        std::fs::write(&files.key, "not a key").unwrap();
        let error = ServingCert::from_files(&files).unwrap_err().to_string();
        assert!(error.contains("tls.key"), "{error}");

        let missing = CertFiles::new(&dir.path().join("nowhere"), "tls.crt", "tls.key");
        let error = ServingCert::from_files(&missing).unwrap_err().to_string();
        assert!(error.contains("nowhere/tls.crt"), "{error}");
    }

    #[test]
    fn a_key_of_another_certificate_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (files, _) = write_cert(dir.path(), "first.example");
        let other = rcgen::KeyPair::generate().unwrap();
        std::fs::write(&files.key, other.serialize_pem()).unwrap();
        assert!(ServingCert::from_files(&files).is_err());
    }

    #[tokio::test(start_paused = true)]
    async fn renewed_files_are_served_and_broken_ones_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let (files, first) = write_cert(dir.path(), "first.example");
        let serving = ServingCert::from_files(&files).unwrap();
        let stop = CancellationToken::new();
        serving.reload_from(files.clone(), stop.clone());

        // Half-written: the certificate changed, the key not yet.
        let rcgen::CertifiedKey { cert, signing_key } =
            rcgen::generate_simple_self_signed(vec!["second.example".to_string()]).unwrap();
        std::fs::write(&files.cert, cert.pem()).unwrap();
        tokio::time::sleep(RELOAD_INTERVAL * 2).await;
        assert_eq!(served(&serving), first);

        std::fs::write(&files.key, signing_key.serialize_pem()).unwrap();
        tokio::time::sleep(RELOAD_INTERVAL * 2).await;
        assert_eq!(served(&serving), cert.der().to_vec());
        stop.cancel();
    }

    #[test]
    fn self_signed_certificates_name_localhost() {
        let serving = ServingCert::self_signed(&["manager.example".into()]).unwrap();
        assert!(!served(&serving).is_empty());
        assert!(serving.server_config(false).is_ok());
    }
}
