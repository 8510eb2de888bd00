//! HTTPS for `ekms-attest`: the TLS identity (a generated ECDSA P-256 self-signed certificate,
//! or a provided `--tls-cert`/`--tls-key` pair), the rustls configuration (aws-lc-rs provider,
//! HTTP/2 and HTTP/1.1 by ALPN) and what each connection serves: the axum router, behind the
//! accept loop `ekms-listen` shares with ekms-server.
//!
//! The generated key lives only in memory: a restart makes a new certificate, and the service
//! prints its SHA-256 so clients can pin it.

use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use axum::Router;
use ekms_listen::Handshake;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair, SanType};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

/// How long a client may take to finish the TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long an HTTP/1.1 client may take to send a request's headers.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// The certificate chain and key the HTTPS listener presents.
pub struct TlsIdentity {
    /// DER of the chain, leaf first.
    pub chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

impl TlsIdentity {
    /// Generates an ECDSA P-256 key and a self-signed certificate naming `sans`.
    pub fn generate(sans: &[String]) -> anyhow::Result<Self> {
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
            .context("generating the TLS key")?;
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, "ekms-attest");
        dn.push(DnType::OrganizationName, "ekms attestation service");
        params.distinguished_name = dn;
        let now = time::OffsetDateTime::now_utc();
        params.not_before = now - time::Duration::days(1);
        params.not_after = now + time::Duration::days(825);
        for san in sans {
            params.subject_alt_names.push(match san.parse::<IpAddr>() {
                Ok(ip) => SanType::IpAddress(ip),
                Err(_) => SanType::DnsName(
                    san.as_str()
                        .try_into()
                        .with_context(|| format!("--tls-san: {san:?} is not a DNS name or IP"))?,
                ),
            });
        }
        let cert = params
            .self_signed(&key)
            .context("signing the TLS certificate")?;
        Ok(Self {
            chain: vec![cert.der().clone()],
            key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        })
    }

    /// Loads a provided PEM certificate chain and PEM private key.
    pub fn from_files(cert: &Path, key: &Path) -> anyhow::Result<Self> {
        let cert_pem = std::fs::read(cert)
            .with_context(|| format!("cannot read --tls-cert {}", cert.display()))?;
        let chain = rustls_pemfile::certs(&mut cert_pem.as_slice())
            .collect::<Result<Vec<_>, _>>()
            .with_context(|| format!("{} is not a PEM certificate chain", cert.display()))?;
        if chain.is_empty() {
            bail!("{} holds no PEM certificate", cert.display());
        }
        let key_pem = std::fs::read(key)
            .with_context(|| format!("cannot read --tls-key {}", key.display()))?;
        let key = rustls_pemfile::private_key(&mut key_pem.as_slice())
            .with_context(|| format!("{} is not a PEM private key", key.display()))?
            .with_context(|| format!("{} holds no PEM private key", key.display()))?;
        Ok(Self { chain, key })
    }

    /// SHA-256 of the leaf certificate's DER, lowercase hex (what clients pin).
    pub fn leaf_sha256_hex(&self) -> String {
        let leaf = self.chain.first().map(|c| c.as_ref()).unwrap_or_default();
        hex::encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, leaf).as_ref())
    }

    /// The rustls server configuration for this identity.
    pub fn server_config(&self) -> anyhow::Result<rustls::ServerConfig> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .context("TLS protocol versions")?
            .with_no_client_auth()
            .with_single_cert(self.chain.clone(), self.key.clone_key())
            .context("the TLS certificate and key do not match")?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(config)
    }
}

/// Admits every connection (the attestation service has no connection cap) and logs accept
/// errors, after which the shared accept loop pauses.
struct AdmitAll;

impl ekms_listen::Admission for AdmitAll {
    type Ticket = ();

    fn admit(&self) -> Option<()> {
        Some(())
    }

    fn accept_failed(&self, error: &std::io::Error) {
        tracing::warn!("accept failed: {error}");
    }
}

/// Serves `app` over TLS on `listener` until the process ends.
pub async fn serve(listener: TcpListener, tls: rustls::ServerConfig, app: Router) {
    let acceptor = TlsAcceptor::from(Arc::new(tls));
    ekms_listen::serve(listener, AdmitAll, move |tcp, peer, ()| {
        let acceptor = acceptor.clone();
        let app = app.clone();
        async move {
            let timeout = tokio::time::sleep(HANDSHAKE_TIMEOUT);
            let stream = match ekms_listen::handshake(&acceptor, tcp, timeout).await {
                Handshake::Done(stream) => stream,
                Handshake::Failed(e) => {
                    tracing::debug!(%peer, "TLS handshake failed: {e}");
                    return;
                }
                Handshake::Ended(()) => {
                    tracing::debug!(%peer, "TLS handshake timed out");
                    return;
                }
            };
            let service = TowerToHyperService::new(app);
            let mut builder = Builder::new(TokioExecutor::new());
            builder
                .http1()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_READ_TIMEOUT);
            if let Err(e) = builder
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                tracing::debug!(%peer, "connection ended: {e}");
            }
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_identity_names_the_sans() {
        let id = TlsIdentity::generate(&["localhost".into(), "127.0.0.1".into()]).unwrap();
        assert_eq!(id.leaf_sha256_hex().len(), 64);
        id.server_config().unwrap();
        let der = id.chain[0].as_ref();
        // The DNS name and the IP address both appear in the certificate.
        assert!(der.windows(9).any(|w| w == b"localhost"));
        assert!(der.windows(4).any(|w| w == [127, 0, 0, 1]));
        assert!(TlsIdentity::generate(&["bad-ünicode".into()]).is_err());
    }
}
