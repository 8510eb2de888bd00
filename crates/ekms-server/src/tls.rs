//! The server's TLS identity: an ECDSA P-256 key made inside the (emulated) enclave, with a
//! self-signed certificate naming `--tls-san`, kept sealed in the data dir so a restart
//! presents the same certificate while the key is never on disk in clear; and the session
//! resumption both TLS listeners offer ([`offer_resumption`]).

use crate::platform::write_private_file;
use anyhow::{Context, bail};
use ekms_crypto::hash;
use ekms_crypto::seal::SealingKey;
use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair, SanType};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::net::IpAddr;
use std::path::Path;
use zeroize::Zeroizing;

const SEALED_FILE: &str = "tls.sealed";
const CERT_FILE: &str = "certificate.pem";
const SEAL_LABEL: &[u8] = b"ekms tls identity v1";
/// Sessions kept in memory for TLS 1.2 clients that resume by session ID rather than by ticket.
const SESSION_CACHE_ENTRIES: usize = 256;

/// Lets clients that reconnect resume their TLS session instead of a full handshake (no
/// certificate signature, no certificate check: a fraction of the CPU of a new session).
/// TLS 1.3 and TLS 1.2 tickets are sealed under keys made at random when the listener starts,
/// held in memory only (never on disk, never leaving the enclave) and replaced every 6 hours
/// (rustls's `Ticketer`: a ticket lives 12 hours, the previous key is kept for the tickets it
/// sealed); a restart forgets them all, and clients fall back to a full handshake. TLS 1.3
/// resumption always runs a new (EC)DHE exchange, so a stolen ticket key reveals no TLS 1.3
/// traffic. A resumed session keeps the client certificate verified in its first handshake.
/// Each listener gets keys of its own, so a session of one cannot be resumed on the other.
pub fn offer_resumption(config: &mut rustls::ServerConfig) -> anyhow::Result<()> {
    config.ticketer = rustls::crypto::aws_lc_rs::Ticketer::new()
        .context("cannot make the TLS session ticket keys")?;
    config.session_storage = rustls::server::ServerSessionMemoryCache::new(SESSION_CACHE_ENTRIES);
    Ok(())
}

/// The certificate chain and private key the HTTPS and KMIP listeners present.
pub struct TlsIdentity {
    /// The leaf certificate as PEM, exactly the bytes attestation binds.
    pub cert_pem: String,
    /// DER of the chain, leaf first.
    pub chain: Vec<CertificateDer<'static>>,
    /// PKCS#8 DER of the private key; wiped on drop.
    pub key_der: Zeroizing<Vec<u8>>,
}

impl TlsIdentity {
    /// SHA-256 of the leaf certificate's DER.
    pub fn cert_sha256(&self) -> [u8; 32] {
        self.chain
            .first()
            .map(|c| hash::sha256(c.as_ref()))
            .unwrap_or_default()
    }

    /// The private key for rustls.
    pub fn private_key(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key_der.to_vec()))
    }

    /// Loads a provided pair (`--tls-cert`, `--tls-key`).
    pub fn from_files(cert: &Path, key: &Path) -> anyhow::Result<Self> {
        let cert_pem = std::fs::read_to_string(cert)
            .with_context(|| format!("cannot read --tls-cert {}", cert.display()))?;
        let chain = rustls_pemfile::certs(&mut cert_pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .with_context(|| format!("{} holds no valid PEM certificate", cert.display()))?;
        if chain.is_empty() {
            bail!("{} holds no PEM certificate", cert.display());
        }
        let key_pem = Zeroizing::new(
            std::fs::read(key)
                .with_context(|| format!("cannot read --tls-key {}", key.display()))?,
        );
        let key_der = match rustls_pemfile::private_key(&mut key_pem.as_slice())? {
            Some(PrivateKeyDer::Pkcs8(k)) => Zeroizing::new(k.secret_pkcs8_der().to_vec()),
            Some(_) => bail!(
                "{}: only PKCS#8 keys (\"BEGIN PRIVATE KEY\") are supported; convert with `openssl pkcs8 -topk8 -nocrypt`",
                key.display()
            ),
            None => bail!("{} holds no PEM private key", key.display()),
        };
        Ok(Self {
            cert_pem,
            chain,
            key_der,
        })
    }

    /// Unseals the identity from the key dir (`--key-dir`, by default the data dir), or makes and seals a new one when there is none
    /// or it was sealed by another measurement (an updated binary).
    pub fn load_or_create(
        key_dir: &Path,
        sealing: &SealingKey,
        sans: &[String],
    ) -> anyhow::Result<Self> {
        let path = key_dir.join(SEALED_FILE);
        match std::fs::read(&path) {
            Ok(blob) => match sealing.unseal(SEAL_LABEL, &blob) {
                Ok(plain) => return Self::decode(&plain),
                Err(_) => tracing::warn!(
                    "the sealed TLS key in {} was made by another enclave measurement (the server binary changed) and cannot be unsealed: making a new key and certificate; clients must trust the new certificate",
                    path.display()
                ),
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        }
        let id = Self::generate(sans)?;
        let blob = sealing.seal(SEAL_LABEL, &id.encode())?;
        write_private_file(&path, &blob)?;
        // The certificate is public; a copy in clear helps `ekms --ca`.
        std::fs::write(key_dir.join(CERT_FILE), id.cert_pem.as_bytes())?;
        Ok(id)
    }

    fn generate(sans: &[String]) -> anyhow::Result<Self> {
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, "ekms");
        dn.push(DnType::OrganizationName, "ekms enclave");
        params.distinguished_name = dn;
        let now = time::OffsetDateTime::now_utc();
        params.not_before = now - time::Duration::days(1);
        params.not_after = now + time::Duration::days(3650);
        for san in sans.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
            params.subject_alt_names.push(match san.parse::<IpAddr>() {
                Ok(ip) => SanType::IpAddress(ip),
                Err(_) => SanType::DnsName(
                    san.try_into()
                        .with_context(|| format!("--tls-san: `{san}` is not a DNS name or IP"))?,
                ),
            });
        }
        let cert = params.self_signed(&key)?;
        Ok(Self {
            cert_pem: cert.pem(),
            chain: vec![cert.der().clone()],
            key_der: Zeroizing::new(key.serialize_der()),
        })
    }

    /// Sealed payload: u32 BE length of the certificate PEM, the PEM, then the key DER.
    fn encode(&self) -> Zeroizing<Vec<u8>> {
        let pem = self.cert_pem.as_bytes();
        let mut out = Zeroizing::new(Vec::with_capacity(4 + pem.len() + self.key_der.len()));
        out.extend_from_slice(&(pem.len() as u32).to_be_bytes());
        out.extend_from_slice(pem);
        out.extend_from_slice(&self.key_der);
        out
    }

    fn decode(bytes: &[u8]) -> anyhow::Result<Self> {
        let (len, rest) = bytes
            .split_first_chunk::<4>()
            .context("sealed TLS identity is truncated")?;
        let len = u32::from_be_bytes(*len) as usize;
        if rest.len() < len {
            bail!("sealed TLS identity is truncated");
        }
        let (pem, key) = rest.split_at(len);
        let cert_pem =
            String::from_utf8(pem.to_vec()).context("sealed certificate is not UTF-8")?;
        let chain = rustls_pemfile::certs(&mut cert_pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .context("sealed certificate is not PEM")?;
        Ok(Self {
            cert_pem,
            chain,
            key_der: Zeroizing::new(key.to_vec()),
        })
    }
}
