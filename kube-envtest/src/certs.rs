//! Throwaway PKI: a serving CA + serving cert for the API server, a client CA for user
//! certificates, and the service-account signing key. All keys are ECDSA P-256.

use std::path::Path;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose, PKCS_ECDSA_P256_SHA256, SigningKey,
};

use crate::error::{Error, Result};

fn cert_err(e: rcgen::Error) -> Error {
    Error::Certificate(e.to_string())
}

pub(crate) struct Pki {
    serving_ca: CertifiedIssuer<'static, KeyPair>,
    client_ca: CertifiedIssuer<'static, KeyPair>,
    serving_cert_pem: String,
    serving_key_pem: String,
    service_account_key: KeyPair,
}

/// PEM certificate and PKCS#8 key of a client identity.
pub(crate) struct ClientIdentity {
    pub cert_pem: String,
    pub key_pem: String,
}

fn new_key() -> Result<KeyPair> {
    KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).map_err(cert_err)
}

fn ca(common_name: &str) -> Result<CertifiedIssuer<'static, KeyPair>> {
    let mut params = CertificateParams::new(Vec::<String>::new()).map_err(cert_err)?;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params
        .distinguished_name
        .push(DnType::CommonName, common_name);
    CertifiedIssuer::self_signed(params, new_key()?).map_err(cert_err)
}

/// PEM certificate and PKCS#8 key for `localhost` and `127.0.0.1`, signed by `ca`.
fn loopback_serving_cert(
    common_name: &str,
    ca: &CertifiedIssuer<'static, KeyPair>,
) -> Result<(String, String)> {
    let mut params = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".into()])
        .map_err(cert_err)?;
    params
        .distinguished_name
        .push(DnType::CommonName, common_name);
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let key = new_key()?;
    let cert = params.signed_by(&key, ca).map_err(cert_err)?;
    Ok((cert.pem(), key.serialize_pem()))
}

/// A CA of its own and a loopback serving certificate for webhook servers under test.
pub(crate) struct WebhookCerts {
    pub ca_pem: String,
    pub cert_pem: String,
    pub key_pem: String,
}

impl WebhookCerts {
    /// A fresh CA, separate from the API server's, so a test never trusts more than it needs.
    pub(crate) fn generate() -> Result<Self> {
        let ca = ca("kube-envtest webhook CA")?;
        let (cert_pem, key_pem) = loopback_serving_cert("kube-envtest webhook", &ca)?;
        Ok(WebhookCerts {
            ca_pem: ca.pem(),
            cert_pem,
            key_pem,
        })
    }
}

impl Pki {
    pub(crate) fn generate() -> Result<Self> {
        let serving_ca = ca("kube-envtest serving CA")?;
        let client_ca = ca("kube-envtest client CA")?;

        let (serving_cert_pem, serving_key_pem) =
            loopback_serving_cert("kube-apiserver", &serving_ca)?;

        Ok(Pki {
            serving_ca,
            client_ca,
            serving_cert_pem,
            serving_key_pem,
            service_account_key: new_key()?,
        })
    }

    pub(crate) fn serving_ca_pem(&self) -> String {
        self.serving_ca.pem()
    }

    /// Writes the files kube-apiserver reads; `apiserver.crt`/`apiserver.key` are the names
    /// `--cert-dir` looks for.
    pub(crate) fn write(&self, cert_dir: &Path) -> Result<()> {
        let files = [
            ("apiserver.crt", self.serving_cert_pem.clone()),
            ("apiserver.key", self.serving_key_pem.clone()),
            ("client-ca.crt", self.client_ca.pem()),
            ("sa.key", self.service_account_key.serialize_pem()),
            ("sa.pub", self.service_account_key.public_key_pem()),
        ];
        for (name, content) in files {
            let path = cert_dir.join(name);
            std::fs::write(&path, content)
                .map_err(|e| Error::io(format!("writing {}", path.display()), e))?;
        }
        Ok(())
    }

    /// A client certificate for `user` in `groups`, signed by the client CA.
    ///
    /// Kubernetes reads the user from the subject CN and the groups from every O attribute.
    /// rcgen keeps one value per attribute type, so the subject is encoded here and spliced
    /// into the certificate rcgen built, which is then signed again.
    pub(crate) fn client_identity(&self, user: &str, groups: &[&str]) -> Result<ClientIdentity> {
        let mut params = CertificateParams::new(Vec::<String>::new()).map_err(cert_err)?;
        params.distinguished_name.push(DnType::CommonName, user);
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let key = new_key()?;
        let cert = params.signed_by(&key, &self.client_ca).map_err(cert_err)?;
        let der = with_subject(cert.der(), &subject_der(user, groups), self.client_ca.key())?;
        Ok(ClientIdentity {
            cert_pem: pem("CERTIFICATE", &der),
            key_pem: key.serialize_pem(),
        })
    }
}

const OID_COMMON_NAME: &[u8] = &[0x55, 0x04, 0x03];
const OID_ORGANIZATION: &[u8] = &[0x55, 0x04, 0x0a];

/// DER `Name`: one RDN per O (group), then the CN, in the order Go prints them.
fn subject_der(user: &str, groups: &[&str]) -> Vec<u8> {
    let attribute = |oid: &[u8], value: &str| {
        let atv = [tlv(0x06, oid), tlv(0x0c, value.as_bytes())].concat();
        tlv(0x31, &tlv(0x30, &atv))
    };
    let mut rdns: Vec<u8> = groups
        .iter()
        .flat_map(|g| attribute(OID_ORGANIZATION, g))
        .collect();
    rdns.extend(attribute(OID_COMMON_NAME, user));
    tlv(0x30, &rdns)
}

/// Replaces the subject (6th field of TBSCertificate) and re-signs with `issuer_key`.
fn with_subject(cert: &[u8], subject: &[u8], issuer_key: &KeyPair) -> Result<Vec<u8>> {
    let bad = || Error::Certificate("unexpected certificate encoding".into());
    let (cert_body, _) = read_tlv(cert, 0x30).ok_or_else(bad)?;
    let (tbs, rest) = read_tlv(cert_body, 0x30).ok_or_else(bad)?;
    let (signature_algorithm, _) = split_tlv(rest).ok_or_else(bad)?;

    let mut fields = Vec::new();
    let mut remaining = tbs;
    while !remaining.is_empty() {
        let (field, next) = split_tlv(remaining).ok_or_else(bad)?;
        fields.push(field);
        remaining = next;
    }
    // version, serialNumber, signature, issuer, validity, subject, ...
    if fields.len() < 7 {
        return Err(bad());
    }
    fields[5] = subject;
    let new_tbs = tlv(0x30, &fields.concat());
    let signature = issuer_key.sign(&new_tbs).map_err(cert_err)?;
    let bit_string = [&[0u8][..], &signature].concat();
    Ok(tlv(
        0x30,
        &[
            new_tbs,
            signature_algorithm.to_vec(),
            tlv(0x03, &bit_string),
        ]
        .concat(),
    ))
}

fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let len = content.len();
    let mut out = vec![tag];
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}

/// Splits the first complete TLV (header included) off `data`.
fn split_tlv(data: &[u8]) -> Option<(&[u8], &[u8])> {
    let first = *data.get(1)?;
    let (header, len) = if first < 0x80 {
        (2, first as usize)
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 {
            return None;
        }
        let len = data
            .get(2..2 + n)?
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | *b as usize);
        (2 + n, len)
    };
    let end = header.checked_add(len)?;
    (end <= data.len()).then(|| data.split_at(end))
}

/// Content of the first TLV of `data` if it has tag `tag`, and what follows it.
fn read_tlv(data: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    if *data.first()? != tag {
        return None;
    }
    let (whole, rest) = split_tlv(data)?;
    let header = whole.len() - content_len(whole)?;
    Some((&whole[header..], rest))
}

fn content_len(tlv: &[u8]) -> Option<usize> {
    let first = *tlv.get(1)?;
    Some(if first < 0x80 {
        first as usize
    } else {
        tlv.len() - 2 - (first & 0x7f) as usize
    })
}

fn pem(label: &str, der: &[u8]) -> String {
    let b64 = base64(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// Standard base64 with padding (kubeconfig `*-data` fields and PEM bodies).
pub(crate) fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 0x3f) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (input, expected) in cases {
            assert_eq!(base64(input.as_bytes()), expected);
        }
    }

    #[test]
    fn tlv_long_lengths_round_trip() {
        for len in [0usize, 1, 127, 128, 255, 256, 70_000] {
            let content = vec![7u8; len];
            let encoded = tlv(0x04, &content);
            let (body, rest) = read_tlv(&encoded, 0x04).unwrap();
            assert_eq!(body, &content[..]);
            assert!(rest.is_empty());
        }
    }

    #[test]
    fn spliced_subject_keeps_every_group() {
        let pki = Pki::generate().unwrap();
        let params = CertificateParams::new(Vec::<String>::new()).unwrap();
        let key = new_key().unwrap();
        let cert = params.signed_by(&key, &pki.client_ca).unwrap();
        let subject = subject_der("alice", &["team-a", "team-b", "system:masters"]);
        let der = with_subject(cert.der(), &subject, pki.client_ca.key()).unwrap();
        assert!(der.windows(subject.len()).any(|w| w == subject));
        // Still one well-formed outer SEQUENCE.
        let (_, rest) = read_tlv(&der, 0x30).unwrap();
        assert!(rest.is_empty());
        assert!(pki.client_identity("bob", &[]).is_ok());
    }
}
