//! Randomness from the aws-lc-rs DRBG.

use crate::{CryptoError, SecretBytes};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};

/// Fills `out` with cryptographically secure random bytes.
pub fn fill(out: &mut [u8]) -> Result<(), CryptoError> {
    SystemRandom::new()
        .fill(out)
        .map_err(|_| CryptoError::Failed("random generator"))
}

/// `N` random bytes.
pub fn array<const N: usize>() -> Result<[u8; N], CryptoError> {
    let mut out = [0u8; N];
    fill(&mut out)?;
    Ok(out)
}

/// A new random secret of `len` bytes (a symmetric key), wiped on drop.
pub fn secret(len: usize) -> Result<SecretBytes, CryptoError> {
    let mut out = SecretBytes::new(vec![0u8; len]);
    fill(&mut out)?;
    Ok(out)
}
