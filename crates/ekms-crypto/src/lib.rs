//! ekms-crypto: every cryptographic primitive the KMS offers, composed from aws-lc-rs.
//!
//! Nothing here implements a cipher; each function wraps an aws-lc-rs primitive with the
//! shapes KMIP needs (detached tags, explicit nonces) and with errors instead of panics.
//! Secret buffers are [`zeroize::Zeroizing`] so they are wiped when dropped.

pub mod aead;
pub mod error;
pub mod hash;
pub mod rand;
pub mod seal;

pub use error::CryptoError;
pub use zeroize::Zeroizing;

/// A secret byte buffer that is wiped when dropped.
pub type SecretBytes = Zeroizing<Vec<u8>>;
