//! Sealing: AES-256-GCM under a key derived from a platform secret and a measurement.
//!
//! In emulation this stands in for SGX sealing: a file sealed by one measurement cannot be
//! opened by another, so changing the server binary makes its old TLS key unreadable.
//! Sealed blob layout: `b"EKMSSEAL"` (8) | version 1 (1) | nonce (12) | ciphertext | tag (16).

use crate::aead::{AeadAlgorithm, NONCE_LEN, TAG_LEN};
use crate::{CryptoError, SecretBytes, hash, rand};
use zeroize::Zeroizing;

const MAGIC: &[u8; 8] = b"EKMSSEAL";
const VERSION: u8 = 1;
const HEADER_LEN: usize = MAGIC.len() + 1 + NONCE_LEN;

/// A 256-bit sealing key bound to one measurement.
pub struct SealingKey(Zeroizing<[u8; 32]>);

impl SealingKey {
    /// Derives the key for `measurement` from the platform secret; `purpose` separates uses.
    pub fn derive(
        platform_secret: &[u8],
        measurement: &[u8; 32],
        purpose: &str,
    ) -> Result<Self, CryptoError> {
        let mut info = Vec::with_capacity(32 + purpose.len());
        info.extend_from_slice(measurement);
        info.extend_from_slice(purpose.as_bytes());
        let key = hash::hkdf_sha256_32(platform_secret, b"ekms-seal-v1", &info)?;
        Ok(Self(Zeroizing::new(key)))
    }

    /// Seals `plaintext`; `label` is authenticated (names what the blob is).
    pub fn seal(&self, label: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let nonce: [u8; NONCE_LEN] = rand::array()?;
        let mut out = Vec::with_capacity(HEADER_LEN + plaintext.len() + TAG_LEN);
        out.extend_from_slice(MAGIC);
        out.push(VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(plaintext);
        let tag = AeadAlgorithm::Aes256Gcm.seal_in_place(
            self.0.as_ref(),
            &nonce,
            label,
            &mut out[HEADER_LEN..],
        )?;
        out.extend_from_slice(&tag);
        Ok(out)
    }

    /// Opens a blob made by [`SealingKey::seal`] with the same key and label.
    pub fn unseal(&self, label: &[u8], blob: &[u8]) -> Result<SecretBytes, CryptoError> {
        if blob.len() < HEADER_LEN + TAG_LEN || &blob[..MAGIC.len()] != MAGIC {
            return Err(CryptoError::Failed("not a sealed blob"));
        }
        if blob[MAGIC.len()] != VERSION {
            return Err(CryptoError::Failed("unknown sealed blob version"));
        }
        let nonce = &blob[MAGIC.len() + 1..HEADER_LEN];
        let (body, tag) = blob[HEADER_LEN..].split_at(blob.len() - HEADER_LEN - TAG_LEN);
        let mut plain = SecretBytes::new(body.to_vec());
        AeadAlgorithm::Aes256Gcm.open_in_place(self.0.as_ref(), nonce, label, &mut plain, tag)?;
        Ok(plain)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_is_bound_to_measurement_and_label() {
        let secret = [9u8; 32];
        let k1 = SealingKey::derive(&secret, &[1u8; 32], "tls").unwrap();
        let k2 = SealingKey::derive(&secret, &[2u8; 32], "tls").unwrap();
        let blob = k1.seal(b"tls-key", b"private key bytes").unwrap();
        assert!(!blob.windows(7).any(|w| w == b"private"));
        assert_eq!(
            &k1.unseal(b"tls-key", &blob).unwrap()[..],
            b"private key bytes"
        );
        assert!(k2.unseal(b"tls-key", &blob).is_err());
        assert!(k1.unseal(b"other", &blob).is_err());
        assert!(k1.unseal(b"tls-key", &blob[..10]).is_err());
        let mut flipped = blob.clone();
        flipped[HEADER_LEN] ^= 1;
        assert!(k1.unseal(b"tls-key", &flipped).is_err());
    }
}
