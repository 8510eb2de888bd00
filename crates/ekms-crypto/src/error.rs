//! The error type of this crate.

/// What went wrong in a cryptographic operation. Messages never contain key material, and no
/// variant distinguishes *why* a decryption or an unwrapping failed (padding, integrity or key),
/// so the errors cannot serve as a padding oracle.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
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
    /// A nonce / IV outside the lengths an algorithm accepts.
    #[error("invalid IV length {got} for {algorithm} (expected {min} to {max} bytes)")]
    IvLengthRange {
        algorithm: &'static str,
        got: usize,
        min: usize,
        max: usize,
    },
    /// A tag of the wrong size.
    #[error("invalid authentication tag length {got} (expected {expected} bytes)")]
    TagLength { got: usize, expected: usize },
    /// A tag outside the lengths an algorithm accepts.
    #[error("invalid authentication tag length {got} (expected {min} to {max} bytes)")]
    TagLengthRange { got: usize, min: usize, max: usize },
    /// Authentication failed: wrong key, tampered data, wrong IV or additional data.
    #[error(
        "authentication failed: wrong key, or the data, IV, tag or additional data were altered"
    )]
    Authentication,
    /// Anything the underlying library refused.
    #[error("cryptographic operation failed: {0}")]
    Failed(&'static str),
    /// Key bytes that do not parse as the expected kind of key, or a key of the wrong type or
    /// curve for the operation.
    #[error("invalid key: {0}")]
    InvalidKey(&'static str),
    /// A signature that does not verify (wrong key, altered message or signature).
    #[error("signature verification failed")]
    Signature,
    /// A decryption that failed: wrong key, altered ciphertext, or bad padding (one error for all).
    #[error("decryption failed")]
    Decryption,
    /// An algorithm, mode or combination that this crate (or aws-lc-rs) does not offer.
    #[error("unsupported: {0}")]
    Unsupported(&'static str),
    /// Input of a size or shape the operation cannot take (not a key problem).
    #[error("invalid input: {0}")]
    InvalidInput(&'static str),
    /// A DER or PEM structure that does not parse, or has the wrong PEM label.
    #[error("malformed encoding: {0}")]
    Encoding(&'static str),
}
