//! A minimal HTTP/1.1 GET, plain or over TLS, for scraping a manager in tests.

use std::sync::Arc;

use rustls::{
    ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
    client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier},
    crypto::CryptoProvider,
};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime, pem::PemObject};
use tokio::{
    io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt},
    net::TcpStream,
};
use tokio_rustls::TlsConnector;

use crate::tls::crypto_provider;

/// Which server certificates an HTTPS request of a test accepts.
#[derive(Debug, Clone)]
pub enum ServerTrust {
    /// Those signed by this CA (PEM), for a server given a certificate by the test.
    Ca(String),
    /// Any, as `curl --insecure` does: for a manager serving the self-signed certificate it
    /// makes when none is provisioned. Tests only; it checks nothing of who answers.
    AnyCertificate,
}

/// `GET path` over HTTPS, with `bearer_token` if any: the status code and body, or `None` if
/// the connection or the TLS handshake fails.
///
/// # Panics
/// If `trust` holds no usable CA certificate.
pub async fn https_get(
    address: &str,
    path: &str,
    bearer_token: Option<&str>,
    trust: &ServerTrust,
) -> Option<(u16, String)> {
    let provider = crypto_provider();
    let config = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .expect("the provider's default protocol versions");
    let config = match trust {
        ServerTrust::Ca(pem) => {
            let mut roots = RootCertStore::empty();
            for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
                roots
                    .add(cert.expect("a PEM CA certificate"))
                    .expect("a usable CA certificate");
            }
            config.with_root_certificates(roots)
        }
        ServerTrust::AnyCertificate => config
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(provider))),
    }
    .with_no_client_auth();
    let tcp = TcpStream::connect(address).await.ok()?;
    let host = address.rsplit_once(':').map_or(address, |(host, _)| host);
    let server_name = ServerName::try_from(host.trim_matches(['[', ']']).to_string()).ok()?;
    let tls = TlsConnector::from(Arc::new(config))
        .connect(server_name, tcp)
        .await
        .ok()?;
    send_get(tls, address, path, bearer_token).await
}

/// `GET path` over plain HTTP: the status code and body, or `None` if the connection fails.
pub async fn http_get(address: &str, path: &str) -> Option<(u16, String)> {
    send_get(TcpStream::connect(address).await.ok()?, address, path, None).await
}

async fn send_get(
    mut stream: impl AsyncRead + AsyncWrite + Unpin,
    address: &str,
    path: &str,
    bearer_token: Option<&str>,
) -> Option<(u16, String)> {
    let authorization = bearer_token
        .map(|token| format!("Authorization: Bearer {token}\r\n"))
        .unwrap_or_default();
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {address}\r\n{authorization}Connection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut response = Vec::new();
    // A TLS server may close without close_notify after a complete answer; what was read counts.
    let _ = stream.read_to_end(&mut response).await;
    let response = String::from_utf8_lossy(&response);
    let (head, body) = response.split_once("\r\n\r\n")?;
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    Some((status, body.to_string()))
}

#[derive(Debug)]
struct AcceptAnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    // The handshake's signatures are still checked: only the certificate's issuer is not.
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
