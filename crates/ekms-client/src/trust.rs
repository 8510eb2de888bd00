//! How the client decides to trust the server's TLS certificate.
//!
//! Three explicit choices exist, and a fourth state that refuses everything:
//! - [`Trust::Ca`]: PEM certificates used as trust anchors. A CA certificate works, and so does
//!   the server's own self-signed certificate: a leaf identical to one of the given certificates
//!   is accepted as is, otherwise the chain is checked with webpki (name, validity, signature).
//! - [`Trust::Pin`]: the SHA-256 of the server certificate's DER; only that exact leaf is accepted.
//! - [`Trust::PublicRoots`]: the public Web PKI (Mozilla's root list, compiled in from
//!   webpki-roots), with the usual name and validity checks; the default trust of an attestation
//!   service or a PCCS, which are ordinary public web services.
//! - [`Trust::Insecure`]: any certificate is accepted; callers must warn the user. `ekms trust`
//!   collects its evidence this way on purpose: the certificate is what it is about to judge,
//!   and it records every certificate presented so that the checks can compare them.
//! - [`Trust::None`]: nothing was configured; every certificate is refused with an error that
//!   says how to trust one. There is no silent acceptance.
//!
//! Whatever the choice, the TLS handshake signature is always verified against the presented
//! certificate's public key, so a server must hold the private key of the certificate it shows.
//! The verifier records the SHA-256 of the last certificate seen and why it refused one, so that
//! errors can name the fingerprint and tell a changed certificate from an unknown one, and it
//! keeps every distinct certificate presented (DER), which `ekms trust` compares with the one the
//! enclave bound into its quote.

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use aws_lc_rs::digest;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};

use crate::error::Error;

/// The trust decision for the server certificate.
#[derive(Clone, Debug)]
pub enum Trust {
    /// Trust anchors (PEM certificates: a CA, or the server's self-signed certificate itself).
    Ca(Vec<CertificateDer<'static>>),
    /// SHA-256 of the only server certificate (DER) to accept.
    Pin([u8; 32]),
    /// The public Web PKI roots (webpki-roots): for public services such as an attestation
    /// service or a PCCS.
    PublicRoots,
    /// Accept any certificate. For tests and first contact only; the caller warns.
    Insecure,
    /// Nothing configured: every certificate is refused with a helpful error.
    None,
}

impl Trust {
    /// Reads the PEM certificates of `path` as trust anchors.
    pub fn from_ca_file(path: &Path) -> Result<Trust, Error> {
        let bytes = std::fs::read(path).map_err(|e| {
            Error::Trust(format!("cannot read the CA file {}: {e}", path.display()))
        })?;
        Self::from_ca_pem(&bytes).map_err(|e| match e {
            Error::Trust(m) => Error::Trust(format!("{}: {m}", path.display())),
            other => other,
        })
    }

    /// Reads PEM certificates from memory as trust anchors.
    pub fn from_ca_pem(pem: &[u8]) -> Result<Trust, Error> {
        let mut certs = Vec::new();
        for item in CertificateDer::pem_slice_iter(pem) {
            let cert = item.map_err(|e| Error::Trust(format!("invalid PEM: {e}")))?;
            certs.push(cert);
        }
        if certs.is_empty() {
            return Err(Error::Trust(
                "no certificate found (expected PEM `BEGIN CERTIFICATE` blocks)".to_string(),
            ));
        }
        Ok(Trust::Ca(certs))
    }

    /// Parses a pin: 64 hexadecimal digits (colons and spaces between bytes are accepted).
    pub fn from_pin_hex(pin: &str) -> Result<Trust, Error> {
        Ok(Trust::Pin(parse_sha256_hex(pin)?))
    }
}

/// Parses a SHA-256 written as 64 hex digits, optionally with `:` or spaces between bytes.
pub fn parse_sha256_hex(text: &str) -> Result<[u8; 32], Error> {
    let cleaned: String = text
        .trim()
        .chars()
        .filter(|c| *c != ':' && !c.is_whitespace())
        .collect();
    let cleaned = cleaned
        .strip_prefix("sha256:")
        .unwrap_or(cleaned.as_str())
        .to_string();
    let bytes = hex::decode(&cleaned).map_err(|_| {
        Error::Trust(format!(
            "invalid SHA-256 pin {text:?}: expected 64 hexadecimal digits"
        ))
    })?;
    <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| {
        Error::Trust(format!(
            "invalid SHA-256 pin {text:?}: expected 64 hexadecimal digits, got {}",
            cleaned.len()
        ))
    })
}

/// SHA-256 of a DER certificate.
pub fn certificate_sha256(der: &[u8]) -> [u8; 32] {
    let d = digest::digest(&digest::SHA256, der);
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

/// Why the verifier refused a certificate (read back after a failed request).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TrustFailure {
    /// No trust option configured, or the chain did not verify against the given anchors.
    NotTrusted {
        /// SHA-256 of the refused certificate.
        sha256: [u8; 32],
        /// What failed.
        reason: String,
        /// Whether any trust option was configured at all.
        configured: bool,
    },
    /// The certificate differs from the pinned one.
    PinMismatch {
        /// The pin.
        expected: [u8; 32],
        /// SHA-256 of the certificate the server presented.
        actual: [u8; 32],
    },
}

/// The most distinct certificates kept per client (a server presents one; a bound keeps a
/// hostile peer from growing the list without end).
const MAX_PRESENTED: usize = 16;

#[derive(Debug, Default)]
pub(crate) struct VerifyState {
    pub(crate) last_seen: Option<[u8; 32]>,
    pub(crate) failure: Option<TrustFailure>,
    /// Every distinct end-entity certificate (DER) presented, in the order first seen.
    pub(crate) presented: Vec<Vec<u8>>,
}

/// Shared view on what the verifier saw.
#[derive(Clone, Debug, Default)]
pub(crate) struct VerifyLog(Arc<Mutex<VerifyState>>);

impl VerifyLog {
    fn lock(&self) -> MutexGuard<'_, VerifyState> {
        // A poisoned lock only means a panic elsewhere; the data is still usable.
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn last_seen(&self) -> Option<[u8; 32]> {
        self.lock().last_seen
    }

    pub(crate) fn take_failure(&self) -> Option<TrustFailure> {
        self.lock().failure.take()
    }

    pub(crate) fn clear_failure(&self) {
        self.lock().failure = None;
    }

    pub(crate) fn presented(&self) -> Vec<Vec<u8>> {
        self.lock().presented.clone()
    }

    fn record(&self, der: &[u8], seen: [u8; 32], failure: Option<TrustFailure>) {
        let mut state = self.lock();
        state.last_seen = Some(seen);
        if !state.presented.iter().any(|p| p.as_slice() == der)
            && state.presented.len() < MAX_PRESENTED
        {
            state.presented.push(der.to_vec());
        }
        if failure.is_some() {
            state.failure = failure;
        }
    }
}

enum Mode {
    Ca {
        anchors: Vec<CertificateDer<'static>>,
        webpki: Arc<WebPkiServerVerifier>,
    },
    Pin([u8; 32]),
    Public(Arc<WebPkiServerVerifier>),
    Insecure,
    None,
}

/// The certificate verifier installed in the client's rustls configuration.
pub(crate) struct EkmsVerifier {
    mode: Mode,
    provider: Arc<CryptoProvider>,
    log: VerifyLog,
}

impl std::fmt::Debug for EkmsVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mode = match self.mode {
            Mode::Ca { .. } => "ca",
            Mode::Pin(_) => "pin",
            Mode::Public(_) => "public-roots",
            Mode::Insecure => "insecure",
            Mode::None => "none",
        };
        f.debug_struct("EkmsVerifier").field("mode", &mode).finish()
    }
}

impl EkmsVerifier {
    pub(crate) fn new(
        trust: &Trust,
        provider: Arc<CryptoProvider>,
        log: VerifyLog,
    ) -> Result<Self, Error> {
        let mode = match trust {
            Trust::Ca(certs) => {
                let mut roots = RootCertStore::empty();
                for cert in certs {
                    roots.add(cert.clone()).map_err(|e| {
                        Error::Trust(format!(
                            "a CA certificate cannot be used as a trust anchor: {e}"
                        ))
                    })?;
                }
                let webpki =
                    WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                        .build()
                        .map_err(|e| Error::Trust(format!("cannot build the verifier: {e}")))?;
                Mode::Ca {
                    anchors: certs.clone(),
                    webpki,
                }
            }
            Trust::Pin(pin) => Mode::Pin(*pin),
            Trust::PublicRoots => {
                let roots = RootCertStore {
                    roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
                };
                let webpki =
                    WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                        .build()
                        .map_err(|e| Error::Trust(format!("cannot build the verifier: {e}")))?;
                Mode::Public(webpki)
            }
            Trust::Insecure => Mode::Insecure,
            Trust::None => Mode::None,
        };
        Ok(EkmsVerifier {
            mode,
            provider,
            log,
        })
    }
}

impl EkmsVerifier {
    /// Chain, name and validity checks by webpki, with the outcome recorded.
    #[allow(clippy::too_many_arguments)]
    // jscpd:ignore-start (rustls's verifier signature: see docs/design.md)
    fn with_webpki(
        &self,
        webpki: &WebPkiServerVerifier,
        seen: [u8; 32],
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        // jscpd:ignore-end
        match webpki.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Ok(v) => {
                self.log.record(end_entity.as_ref(), seen, None);
                Ok(v)
            }
            Err(e) => {
                self.log.record(
                    end_entity.as_ref(),
                    seen,
                    Some(TrustFailure::NotTrusted {
                        sha256: seen,
                        reason: e.to_string(),
                        configured: true,
                    }),
                );
                Err(e)
            }
        }
    }
}

fn not_trusted(reason: impl Into<String>) -> rustls::Error {
    rustls::Error::General(reason.into())
}

impl ServerCertVerifier for EkmsVerifier {
    // jscpd:ignore-start (rustls's verifier signature: see docs/design.md)
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        // jscpd:ignore-end
        let seen = certificate_sha256(end_entity.as_ref());
        match &self.mode {
            Mode::Insecure => {
                self.log.record(end_entity.as_ref(), seen, None);
                Ok(ServerCertVerified::assertion())
            }
            Mode::Pin(expected) => {
                // Fingerprints are public: a plain comparison is fine.
                if &seen == expected {
                    self.log.record(end_entity.as_ref(), seen, None);
                    Ok(ServerCertVerified::assertion())
                } else {
                    self.log.record(
                        end_entity.as_ref(),
                        seen,
                        Some(TrustFailure::PinMismatch {
                            expected: *expected,
                            actual: seen,
                        }),
                    );
                    Err(not_trusted("the server certificate does not match the pin"))
                }
            }
            Mode::None => {
                self.log.record(
                    end_entity.as_ref(),
                    seen,
                    Some(TrustFailure::NotTrusted {
                        sha256: seen,
                        reason: "no trust option given".to_string(),
                        configured: false,
                    }),
                );
                Err(not_trusted("no trust option given"))
            }
            Mode::Public(webpki) => self.with_webpki(
                webpki,
                seen,
                end_entity,
                intermediates,
                server_name,
                ocsp_response,
                now,
            ),
            Mode::Ca { anchors, webpki } => {
                if anchors.iter().any(|a| a.as_ref() == end_entity.as_ref()) {
                    self.log.record(end_entity.as_ref(), seen, None);
                    return Ok(ServerCertVerified::assertion());
                }
                self.with_webpki(
                    webpki,
                    seen,
                    end_entity,
                    intermediates,
                    server_name,
                    ocsp_response,
                    now,
                )
            }
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// Builds the rustls client configuration for a trust choice.
pub(crate) fn client_config(trust: &Trust, log: VerifyLog) -> Result<rustls::ClientConfig, Error> {
    client_config_with_identity(trust, log, None)
}

/// [`client_config`] presenting `identity` as the TLS client certificate, if given.
pub(crate) fn client_config_with_identity(
    trust: &Trust,
    log: VerifyLog,
    identity: Option<&ClientIdentity>,
) -> Result<rustls::ClientConfig, Error> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier = EkmsVerifier::new(trust, provider.clone(), log)?;
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Trust(format!("TLS configuration: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier));
    let mut config = match identity {
        Some(id) => config
            .with_client_auth_cert(id.certs.clone(), id.key.clone_key())
            .map_err(|e| Error::Trust(format!("the client certificate cannot be used: {e}")))?,
        None => config.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// A TLS client certificate (with its chain) and its private key.
pub struct ClientIdentity {
    certs: Vec<CertificateDer<'static>>,
    key: rustls::pki_types::PrivateKeyDer<'static>,
}

impl Clone for ClientIdentity {
    fn clone(&self) -> Self {
        ClientIdentity {
            certs: self.certs.clone(),
            key: self.key.clone_key(),
        }
    }
}

impl std::fmt::Debug for ClientIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientIdentity")
            .field("certs", &self.certs.len())
            .field("key", &"<redacted>")
            .finish()
    }
}

impl ClientIdentity {
    /// Reads a PEM certificate chain (the client certificate first) and a PEM private key
    /// (PKCS#8, PKCS#1 or SEC1).
    pub fn from_pem(cert_pem: &[u8], key_pem: &[u8]) -> Result<ClientIdentity, Error> {
        use rustls::pki_types::PrivateKeyDer;
        let mut certs = Vec::new();
        for item in CertificateDer::pem_slice_iter(cert_pem) {
            certs.push(
                item.map_err(|e| Error::Trust(format!("invalid client certificate PEM: {e}")))?,
            );
        }
        if certs.is_empty() {
            return Err(Error::Trust(
                "no client certificate found (expected PEM `BEGIN CERTIFICATE` blocks)".into(),
            ));
        }
        let key = PrivateKeyDer::from_pem_slice(key_pem)
            .map_err(|e| Error::Trust(format!("invalid client private key PEM: {e}")))?;
        Ok(ClientIdentity { certs, key })
    }

    /// Reads the PEM files `cert` and `key` (see [`ClientIdentity::from_pem`]).
    pub fn from_pem_files(cert: &Path, key: &Path) -> Result<ClientIdentity, Error> {
        let read = |path: &Path, what: &str| {
            std::fs::read(path).map_err(|e| {
                Error::Trust(format!(
                    "cannot read the client {what} {}: {e}",
                    path.display()
                ))
            })
        };
        let cert_pem = read(cert, "certificate")?;
        let key_pem = zeroize::Zeroizing::new(read(key, "key")?);
        Self::from_pem(&cert_pem, &key_pem).map_err(|e| match e {
            Error::Trust(m) => Error::Trust(format!("{} / {}: {m}", cert.display(), key.display())),
            other => other,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_identity_from_pem() {
        let key = rcgen::KeyPair::generate().unwrap();
        let params = rcgen::CertificateParams::new(vec!["client".to_string()]).unwrap();
        let cert = params.self_signed(&key).unwrap();
        let id = ClientIdentity::from_pem(cert.pem().as_bytes(), key.serialize_pem().as_bytes())
            .unwrap();
        assert!(!format!("{id:?}").contains("BEGIN"));
        let tls = client_config_with_identity(&Trust::Insecure, VerifyLog::default(), Some(&id));
        assert!(tls.is_ok());
        assert!(ClientIdentity::from_pem(b"nothing", b"nothing").is_err());
    }

    #[test]
    fn pin_parsing() {
        let hex64 = "ab".repeat(32);
        assert_eq!(parse_sha256_hex(&hex64).ok(), Some([0xab; 32]));
        let upper = "AB:".repeat(31) + "AB";
        assert_eq!(parse_sha256_hex(&upper).ok(), Some([0xab; 32]));
        assert!(parse_sha256_hex("abcd").is_err());
        assert!(parse_sha256_hex(&"zz".repeat(32)).is_err());
        assert!(parse_sha256_hex("").is_err());
    }

    #[test]
    fn ca_pem_without_certificate_is_refused() {
        assert!(Trust::from_ca_pem(b"not a pem").is_err());
    }
}
