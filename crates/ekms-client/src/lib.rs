//! ekms-client: the Rust client library of the ekms key management server.
//!
//! A [`Client`] talks HTTPS to one server, trusts its certificate through an explicit [`Trust`]
//! choice (CA file, SHA-256 pin, or insecure), authenticates to a group with its [`Secret`], and
//! sends KMIP 2.1 operations in JSON TTLV (`POST /kmip/2_1`). Typed helpers cover the symmetric
//! key life cycle: create, get, get attributes, locate, activate, revoke, destroy, encrypt and
//! decrypt; [`Client::kmip_2_1`] sends any operation given as an [`ekms_kmip::Ttlv`] tree.
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

mod client;
mod error;
mod ops;
mod secret;
pub mod trust;

pub use client::{
    Client, ClientConfig, DEFAULT_SERVER_URL, Registration, SECRET_HEADER, ServerVersion,
};
pub use error::{Error, Result};
pub use ops::{
    Attribute, Encrypted, LocateFilter, Located, ObjectAttributes, SymmetricAlgorithm,
    SymmetricKeyMaterial, display,
};

/// The KMIP data model the client speaks (re-exported for callers).
pub use ekms_kmip;
pub use secret::Secret;
pub use trust::{Trust, TrustFailure, certificate_sha256};
