//! ekms-client: the Rust client library of the ekms key management server.
//!
//! A [`Client`] talks HTTPS to one server, trusts its certificate through an explicit [`Trust`]
//! choice (CA file, SHA-256 pin, or insecure), authenticates to a group with its [`Secret`], and
//! sends KMIP 2.1 operations in JSON TTLV (`POST /kmip/2_1`). Typed helpers cover the symmetric
//! key life cycle: create, get, get attributes, locate, activate, revoke, destroy, encrypt and
//! decrypt; [`Client::encrypt_stream`] and [`Client::decrypt_stream`] stream payloads of any
//! size through `POST /v1/encrypt|decrypt/{uid}`; [`Client::kmip_2_1`] sends any operation given as an [`ekms_kmip::Ttlv`] tree.
//!
//! Trust before use (docs/trust.md): [`evidence::collect`] gathers what a server says
//! about itself (a fresh nonce's quote, its certificates, its manifest, the certificates it
//! presents on TLS) and an appraisal of the quote, from an attestation service with Microsoft
//! Azure Attestation's API ([`AttestationService`]) or from PCCS collateral ([`PccsClient`]);
//! [`checks::run_checks`] judges that evidence without I/O, one result per check. `ekms trust`
//! is built on them.
//!
//! ```no_run
//! # async fn demo() -> Result<(), ekms_client::Error> {
//! use ekms_client::{Client, ClientConfig, Trust};
//! let trust = Trust::from_pin_hex(&"ab".repeat(32))?;
//! let client = Client::new(ClientConfig::new("https://127.0.0.1:9998", trust))?;
//! let registration = client.register().await?;
//! println!("group {}", registration.group_id);
//! # Ok(()) }
//! ```

#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::todo)
)]

mod access;
mod audit;
pub mod checks;
mod client;
mod error;
pub mod evidence;
pub mod group_state;
mod jwt;
pub mod maa;
pub mod manifest;
mod ops;
pub mod pccs;
mod secret;
mod service;
pub mod stream;
pub mod trust;

pub use access::{AccessGrant, AccessList, AuditEvent, AuditQuery};
pub use audit::{AuditExportPage, AuditPruned, AuditRetention};
pub use client::{
    Client, ClientConfig, DEFAULT_SERVER_URL, Registration, SECRET_HEADER, ServerVersion,
};
pub use error::{Error, Result};
pub use ops::{
    Attribute, Encrypted, LocateFilter, Located, ObjectAttributes, SymmetricAlgorithm,
    SymmetricKeyMaterial, display,
};

pub use checks::{Check, CheckId, Expectations, Outcome, TrustReport, run_checks};
/// The SGX layouts, measurements and verifier the trust checks use (re-exported for callers).
pub use ekms_attest;
/// The KMIP data model the client speaks (re-exported for callers).
pub use ekms_kmip;
pub use evidence::{Appraisal, Appraiser, Evidence, ServerCertificates};
pub use maa::{AttestationService, DEFAULT_ATTESTATION_URL, ServiceRefusal};
pub use pccs::PccsClient;
pub use secret::Secret;
pub use stream::ByteStream;
pub use trust::{ClientIdentity, Trust, TrustFailure, certificate_sha256};
