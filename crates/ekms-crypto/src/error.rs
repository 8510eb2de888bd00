//! The error type of this crate.

/// What went wrong in a cryptographic operation. Messages never contain key material.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum CryptoError {
    /// A key of the wrong size for the algorithm.
    #[error("invalid key length {got} for {algorithm} (expected {expected})")]
    KeyLength {
        algorithm: &'static str,
        got: usize,
        expected: &'static str,
    },
    /// A nonce / IV of the wrong size.
    #[error("invalid IV length {got} for {algorithm} (expected {expected} bytes)")]
    IvLength {
        algorithm: &'static str,
        got: usize,
        expected: usize,
    },
    /// A tag of the wrong size.
    #[error("invalid authentication tag length {got} (expected {expected} bytes)")]
    TagLength { got: usize, expected: usize },
    /// Authentication failed: wrong key, tampered data, wrong IV or additional data.
    #[error(
        "authentication failed: wrong key, or the data, IV, tag or additional data were altered"
    )]
    Authentication,
    /// Anything the underlying library refused.
    #[error("cryptographic operation failed: {0}")]
    Failed(&'static str),
}
