//! ekms-crypto: every cryptographic primitive the KMS offers, composed from aws-lc-rs.
//!
//! Nothing here implements a cipher, a mode, a signature scheme or a KDF; each function wraps an
//! aws-lc-rs primitive with the shapes KMIP needs (detached tags, explicit IVs, key formats) and
//! with errors instead of panics. The only exceptions are in [`legacy`] (Blowfish, from the
//! RustCrypto crates, because aws-lc-rs has no Blowfish) and the DER/PEM containers of key
//! formats in [`keyformat`] (RustCrypto `der`/`pkcs1`/`pkcs8`/`spki`, encoding only, no math).
//! Secret buffers are [`zeroize::Zeroizing`] so they are wiped when dropped.
//!
//! Module map:
//! - [`aead`]: AES-GCM, ChaCha20-Poly1305 with detached tags; [`seal`]: the sealing format.
//! - [`block`]: AES-CBC/CTR/ECB/CFB/OFB with explicit IVs and optional PKCS#7 padding.
//! - [`digest`], [`mac`], [`hash`] (the first helpers, kept for the server), [`kdf`].
//! - [`keywrap`]: AES-KW (RFC 3394) and AES-KWP (RFC 5649).
//! - [`rsa`], [`ec`], [`ed25519`]: key generation, signatures, RSA encryption.
//! - [`signature`]: one entry point for signing and verifying with any key type.
//! - [`keyformat`]: PKCS#8, PKCS#1, SEC1, SubjectPublicKeyInfo, raw and transparent views.
//! - [`legacy`]: IDEA and Blowfish for old KMIP test suites.
//! - [`rand`]: random bytes, arrays and secrets.
//! - [`group_state`]: the hash chain of a group's commits and the MAC of the state header.
//! - [`stream`]: the stream format for large payloads (envelope, AES-256-GCM chunks).

#![forbid(unsafe_code)]

pub mod aead;
pub mod block;
pub mod digest;
pub mod ec;
pub mod ed25519;
pub mod error;
pub mod gcm_iv;
pub mod group_state;
pub mod hash;
pub mod kdf;
pub mod keyformat;
pub mod keywrap;
pub mod legacy;
pub mod mac;
pub mod rand;
pub mod rsa;
pub mod rsa_ext;
pub mod seal;
pub mod signature;
pub mod stream;

mod pem;
#[cfg(test)]
#[allow(dead_code)]
mod test_vectors;

pub use digest::HashAlgorithm;
pub use error::CryptoError;
pub use signature::SigAlgorithm;
pub use zeroize::Zeroizing;

/// A secret byte buffer that is wiped when dropped.
pub type SecretBytes = Zeroizing<Vec<u8>>;

/// Whether `len` is a multiple of `block` (`usize::is_multiple_of` needs Rust 1.87; the
/// workspace's rust-version is 1.85).
#[allow(clippy::manual_is_multiple_of)]
pub(crate) fn is_multiple(len: usize, block: usize) -> bool {
    len % block == 0
}
