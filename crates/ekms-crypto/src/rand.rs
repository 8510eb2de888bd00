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

/// `n` random bytes (KMIP RNGRetrieve). Not marked secret: the caller decides what they are.
pub fn random_bytes(n: usize) -> Result<Vec<u8>, CryptoError> {
    let mut out = vec![0u8; n];
    fill(&mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_bytes_have_the_asked_length_and_differ() {
        assert!(random_bytes(0).unwrap().is_empty());
        let a = random_bytes(32).unwrap();
        let b = random_bytes(32).unwrap();
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
        assert_eq!(secret(24).unwrap().len(), 24);
        let x: [u8; 16] = array().unwrap();
        assert_ne!(x, [0u8; 16]);
    }
}
