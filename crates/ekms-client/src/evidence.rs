//! The evidence `ekms trust` judges, and how it is collected from the network.
//!
//! [`Evidence`] is plain data: the nonce the client drew, the quote the server returned for it,
//! the server's certificates and manifest, every certificate the server presented in its TLS
//! handshakes, and the appraisal of the quote: an attestation service's token with the service's
//! key set, or PCCS collateral for a local verification. [`crate::checks::run_checks`] judges it
//! without any I/O, so tests can replay real evidence with one piece changed, as an attacker
//! would change it.
//!
//! [`collect`] gathers it. It talks to the server **without trusting its certificate**: trust
//! is what the evidence is about to establish, so every certificate is accepted during the
//! collection (the TLS handshake signature is still verified against it) and recorded, and the
//! checks compare the recorded certificates with the one the enclave bound into its quote.

use std::fmt;

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use ekms_attest::Collateral;

use crate::client::{Client, ClientConfig};
use crate::error::{Error, Result};
use crate::maa::{AttestationService, ServiceRefusal};
use crate::pccs::PccsClient;
use crate::trust::Trust;

/// What `GET /certificates` returns.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerCertificates {
    /// The server's TLS certificate, PEM: the exact bytes hashed into the report data.
    pub ssl_certificate: String,
    /// The enclave signer's public key, PEM: SHA-256 of its modulus is mr_signer.
    pub enclave_public_key: String,
}

impl fmt::Debug for ServerCertificates {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerCertificates")
            .field(
                "ssl_certificate",
                &format!("{} bytes", self.ssl_certificate.len()),
            )
            .field(
                "enclave_public_key",
                &format!("{} bytes", self.enclave_public_key.len()),
            )
            .finish()
    }
}

/// A token from an attestation service, with what is needed to check it. Its `Debug` form
/// leaves the token's text out (only `--export` writes it).
#[derive(Clone)]
pub struct TokenAppraisal {
    /// The service's base URL as called (normalized): the issuer the token must name.
    pub service_url: String,
    /// The token (a JWT), or the service's refusal to issue one.
    pub token: std::result::Result<String, ServiceRefusal>,
    /// The service's key set (`{service_url}/certs`), or why it is unusable.
    pub jwks: std::result::Result<serde_json::Value, String>,
}

impl fmt::Debug for TokenAppraisal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let token = match &self.token {
            Ok(t) => format!("<{} bytes>", t.len()),
            Err(refusal) => format!("refused: {refusal}"),
        };
        f.debug_struct("TokenAppraisal")
            .field("service_url", &self.service_url)
            .field("token", &token)
            .field("jwks", &self.jwks.as_ref().map(|_| "<key set>"))
            .finish()
    }
}

/// Collateral for a local verification of the quote.
#[derive(Clone, Debug)]
pub struct LocalAppraisal {
    /// The PCCS the collateral came from.
    pub pccs_url: String,
    /// The collateral, or why none could be had.
    pub collateral: std::result::Result<Collateral, String>,
}

/// Who vouches for the quote.
#[derive(Clone, Debug)]
pub enum Appraisal {
    /// An attestation service verified it and signed a token.
    Token(TokenAppraisal),
    /// The client verifies it itself with PCCS collateral (`--offline`).
    Local(LocalAppraisal),
}

/// Everything `ekms trust` collected about one server.
#[derive(Clone, Debug)]
pub struct Evidence {
    /// The server URL.
    pub server_url: String,
    /// The nonce sent to `/quote`: bytes, which enter the report data exactly (the URL carries
    /// them percent-encoded; docs/trust.md).
    pub nonce: Vec<u8>,
    /// The quote `/quote` returned for the nonce.
    pub quote: Vec<u8>,
    /// What `/certificates` returned.
    pub certificates: ServerCertificates,
    /// What `/manifest` returned, byte for byte.
    pub manifest: Vec<u8>,
    /// Every distinct certificate (DER) the server presented in the TLS handshakes of the
    /// collection.
    pub presented_certificates: Vec<Vec<u8>>,
    /// The appraisal of the quote.
    pub appraisal: Appraisal,
}

/// The runtime data sent to an attestation service: the certificate PEM bytes followed by the
/// nonce bytes, whose SHA-256 is the first half of the report data (docs/trust.md).
pub fn runtime_data(certificate_pem: &str, nonce: &[u8]) -> Vec<u8> {
    let mut data = Vec::with_capacity(certificate_pem.len() + nonce.len());
    data.extend_from_slice(certificate_pem.as_bytes());
    data.extend_from_slice(nonce);
    data
}

/// The longest nonce the server accepts, in bytes.
pub const MAX_NONCE_LEN: usize = 1024;

/// A fresh nonce: 32 random bytes.
pub fn fresh_nonce() -> Result<Vec<u8>> {
    let mut bytes = [0u8; 32];
    aws_lc_rs::rand::fill(&mut bytes)
        .map_err(|_| Error::Invalid("the random generator failed".to_string()))?;
    Ok(bytes.to_vec())
}

/// Who appraises the quote during [`collect`].
#[derive(Clone, Copy, Debug)]
pub enum Appraiser<'a> {
    /// An attestation service (MAA API).
    Service(&'a AttestationService),
    /// A PCCS, for a local verification.
    Pccs(&'a PccsClient),
}

/// A client of the server that accepts any certificate and records each one presented: the
/// collection's view of the server before it is trusted.
pub fn untrusted_client(server_url: &str) -> Result<Client> {
    Client::new(ClientConfig::new(server_url, Trust::Insecure))
}

/// Collects the evidence about the server at `server_url`: a fresh nonce's quote, the
/// certificates and the manifest, the certificates presented on TLS, then the appraisal.
pub async fn collect(server_url: &str, appraiser: Appraiser<'_>) -> Result<Evidence> {
    collect_with_nonce(server_url, appraiser, fresh_nonce()?).await
}

/// As [`collect`], with a nonce the caller chose (a verifier's challenge: a nonce used twice
/// lets a recorded quote be replayed, so it must come from whoever checks freshness).
pub async fn collect_with_nonce(
    server_url: &str,
    appraiser: Appraiser<'_>,
    nonce: Vec<u8>,
) -> Result<Evidence> {
    if nonce.is_empty() || nonce.len() > MAX_NONCE_LEN {
        return Err(Error::Invalid(format!(
            "a nonce is 1 to {MAX_NONCE_LEN} bytes, not {}",
            nonce.len()
        )));
    }
    let client = untrusted_client(server_url)?;
    let certificates = client.certificates().await?;
    let manifest = client.manifest().await?;
    let quote = client.quote(&nonce).await?;
    let presented_certificates = client.presented_certificates();
    let appraisal = appraise(
        appraiser,
        &quote,
        &runtime_data(&certificates.ssl_certificate, &nonce),
    )
    .await?;
    Ok(Evidence {
        server_url: client.server_url().to_string(),
        nonce,
        quote,
        certificates,
        manifest,
        presented_certificates,
        appraisal,
    })
}

/// Appraises `quote`: asks the attestation service for a token (sending `runtime_data`) and
/// reads its key set, or fetches PCCS collateral.
pub async fn appraise(
    appraiser: Appraiser<'_>,
    quote: &[u8],
    runtime_data: &[u8],
) -> Result<Appraisal> {
    Ok(match appraiser {
        Appraiser::Service(service) => {
            let token = service.attest_sgx(quote, runtime_data).await?;
            let jwks = match service.jwks().await {
                Ok(jwks) => Ok(jwks),
                Err(Error::Service { reason, .. }) => Err(reason),
                Err(other) => return Err(other),
            };
            Appraisal::Token(TokenAppraisal {
                service_url: service.url().to_string(),
                token,
                jwks,
            })
        }
        Appraiser::Pccs(pccs) => Appraisal::Local(LocalAppraisal {
            pccs_url: pccs.url().to_string(),
            collateral: pccs.collateral_for(quote).await?,
        }),
    })
}

impl Evidence {
    /// The runtime data of this evidence (certificate PEM then nonce).
    pub fn runtime_data(&self) -> Vec<u8> {
        runtime_data(&self.certificates.ssl_certificate, &self.nonce)
    }

    /// The quote as standard base64 (as `/quote` serves it), for exports.
    pub fn quote_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(&self.quote)
    }
}
