//! Authenticated encryption with detached tags: AES-GCM (128/192/256) and ChaCha20-Poly1305.
//!
//! KMIP carries the IV, the ciphertext and the tag as separate fields, so the API keeps them
//! separate too. Nonces are 96 bits, what aws-lc-rs supports and what KMIP clients send in
//! practice; AES-GCM also takes IVs of other lengths (1 to 64 bytes), from
//! [`crate::gcm_iv`] since aws-lc-rs refuses them. Tags are made at full length (16 bytes); a caller may
//! send fewer of them (down to 12, NIST SP 800-38D's shortest general-purpose GCM tag), and
//! [`AeadKey::open_in_place`] checks such a shortened tag (see there how, since aws-lc-rs
//! checks full tags only).

use crate::CryptoError;
use aws_lc_rs::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey};

/// Length of the nonce of every algorithm here.
pub const NONCE_LEN: usize = 12;
/// Length of the tag of every algorithm here.
pub const TAG_LEN: usize = 16;
/// The shortest tag [`AeadKey::open_in_place`] checks.
pub const MIN_TAG_LEN: usize = 12;

/// The AEAD algorithms the KMS offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AeadAlgorithm {
    Aes128Gcm,
    Aes192Gcm,
    Aes256Gcm,
    ChaCha20Poly1305,
}

impl AeadAlgorithm {
    /// The AES-GCM variant for a key of `key_len` bytes.
    pub fn aes_gcm_for_key(key_len: usize) -> Result<Self, CryptoError> {
        match key_len {
            16 => Ok(Self::Aes128Gcm),
            24 => Ok(Self::Aes192Gcm),
            32 => Ok(Self::Aes256Gcm),
            got => Err(CryptoError::KeyLength {
                algorithm: "AES-GCM",
                got,
                expected: "16, 24 or 32",
            }),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Aes128Gcm => "AES-128-GCM",
            Self::Aes192Gcm => "AES-192-GCM",
            Self::Aes256Gcm => "AES-256-GCM",
            Self::ChaCha20Poly1305 => "ChaCha20-Poly1305",
        }
    }

    fn ring_alg(self) -> &'static aead::Algorithm {
        match self {
            Self::Aes128Gcm => &aead::AES_128_GCM,
            Self::Aes192Gcm => &aead::AES_192_GCM,
            Self::Aes256Gcm => &aead::AES_256_GCM,
            Self::ChaCha20Poly1305 => &aead::CHACHA20_POLY1305,
        }
    }

    fn key(self, key: &[u8]) -> Result<LessSafeKey, CryptoError> {
        let alg = self.ring_alg();
        if key.len() != alg.key_len() {
            return Err(CryptoError::KeyLength {
                algorithm: self.name(),
                got: key.len(),
                expected: match alg.key_len() {
                    16 => "16",
                    24 => "24",
                    _ => "32",
                },
            });
        }
        let unbound =
            UnboundKey::new(alg, key).map_err(|_| CryptoError::Failed("aead key setup"))?;
        Ok(LessSafeKey::new(unbound))
    }

    fn nonce(self, iv: &[u8]) -> Result<Nonce, CryptoError> {
        Nonce::try_assume_unique_for_key(iv).map_err(|_| CryptoError::IvLength {
            algorithm: self.name(),
            got: iv.len(),
            expected: NONCE_LEN,
        })
    }

    /// Encrypts `in_out` in place and returns the detached tag.
    pub fn seal_in_place(
        self,
        key: &[u8],
        iv: &[u8],
        aad: &[u8],
        in_out: &mut [u8],
    ) -> Result<[u8; TAG_LEN], CryptoError> {
        AeadKey::new(self, key)?.seal_in_place(iv, aad, in_out)
    }

    /// Decrypts `in_out` in place after checking `tag`; on failure `in_out` is zeroed so no
    /// unauthenticated plaintext can escape.
    pub fn open_in_place(
        self,
        key: &[u8],
        iv: &[u8],
        aad: &[u8],
        in_out: &mut [u8],
        tag: &[u8],
    ) -> Result<(), CryptoError> {
        AeadKey::new(self, key)?.open_in_place(iv, aad, in_out, tag)
    }
}

/// A key prepared once (key schedule and, for GCM, its hash tables) for any number of seals and
/// opens, so a server holding a key in memory does not rebuild them per request. aws-lc wipes
/// the prepared state when it is dropped.
pub struct AeadKey {
    algorithm: AeadAlgorithm,
    key: LessSafeKey,
    /// The AES-GCM key's bytes, for IVs other than 96 bits ([`crate::gcm_iv`]); wiped on drop.
    aes_gcm: Option<zeroize::Zeroizing<Vec<u8>>>,
}

impl std::fmt::Debug for AeadKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AeadKey({})", self.algorithm.name())
    }
}

impl AeadKey {
    /// Prepares `key` for `algorithm`; the key length must be the algorithm's.
    pub fn new(algorithm: AeadAlgorithm, key: &[u8]) -> Result<Self, CryptoError> {
        let aes_gcm = (algorithm != AeadAlgorithm::ChaCha20Poly1305)
            .then(|| zeroize::Zeroizing::new(key.to_vec()));
        Ok(Self {
            algorithm,
            key: algorithm.key(key)?,
            aes_gcm,
        })
    }

    /// The AES-GCM key's bytes when `iv` is not 96 bits (aws-lc-rs takes no other length).
    fn other_iv_key(&self, iv: &[u8]) -> Option<&[u8]> {
        self.aes_gcm
            .as_deref()
            .filter(|_| iv.len() != NONCE_LEN)
            .map(Vec::as_slice)
    }

    /// The algorithm the key was prepared for.
    pub fn algorithm(&self) -> AeadAlgorithm {
        self.algorithm
    }

    /// Encrypts `in_out` in place and returns the detached tag.
    pub fn seal_in_place(
        &self,
        iv: &[u8],
        aad: &[u8],
        in_out: &mut [u8],
    ) -> Result<[u8; TAG_LEN], CryptoError> {
        if let Some(key) = self.other_iv_key(iv) {
            return crate::gcm_iv::seal_in_place(key, iv, aad, in_out);
        }
        let nonce = self.algorithm.nonce(iv)?;
        let tag = self
            .key
            .seal_in_place_separate_tag(nonce, Aad::from(aad), in_out)
            .map_err(|_| CryptoError::Failed("aead seal"))?;
        let mut out = [0u8; TAG_LEN];
        out.copy_from_slice(tag.as_ref());
        Ok(out)
    }

    /// Decrypts `in_out` in place after checking `tag` (its first 12 to 16 bytes); on failure
    /// `in_out` is zeroed so no unauthenticated plaintext can escape.
    pub fn open_in_place(
        &self,
        iv: &[u8],
        aad: &[u8],
        in_out: &mut [u8],
        tag: &[u8],
    ) -> Result<(), CryptoError> {
        if !(MIN_TAG_LEN..=TAG_LEN).contains(&tag.len()) {
            return Err(CryptoError::TagLengthRange {
                got: tag.len(),
                min: MIN_TAG_LEN,
                max: TAG_LEN,
            });
        }
        if tag.len() < TAG_LEN {
            // aws-lc-rs compares full tags only; a shorter one is checked by composing its own
            // operations. GCM and ChaCha20-Poly1305 both encrypt by XORing a keystream that
            // depends on the key and IV only, so sealing zeros under the same IV yields that
            // keystream; XORed with the ciphertext it gives the candidate plaintext, and
            // sealing the candidate gives the full tag the genuine ciphertext carries. Its
            // first bytes are compared with `tag` in constant time; the candidate is wiped
            // unless they match, so nothing leaves before the tag is verified.
            let mut keystream = zeroize::Zeroizing::new(vec![0u8; in_out.len()]);
            self.seal_in_place(iv, &[], &mut keystream)?;
            let mut candidate = zeroize::Zeroizing::new(in_out.to_vec());
            for (c, k) in candidate.iter_mut().zip(keystream.iter()) {
                *c ^= k;
            }
            let mut resealed = candidate.clone();
            let full = self.seal_in_place(iv, aad, &mut resealed)?;
            let same = aws_lc_rs::constant_time::verify_slices_are_equal;
            if same(&full[..tag.len()], tag).is_err() || same(&resealed, in_out).is_err() {
                zeroize::Zeroize::zeroize(in_out);
                return Err(CryptoError::Authentication);
            }
            in_out.copy_from_slice(&candidate);
            return Ok(());
        }
        if let Some(key) = self.other_iv_key(iv) {
            let mut full = [0u8; TAG_LEN];
            full.copy_from_slice(tag);
            return crate::gcm_iv::open_in_place(key, iv, aad, in_out, &full);
        }
        let nonce = self.algorithm.nonce(iv)?;
        if self
            .key
            .open_in_place_separate_tag(nonce, Aad::from(aad), tag, in_out)
            .is_err()
        {
            // The library may have written partial output: wipe it.
            zeroize::Zeroize::zeroize(in_out);
            return Err(CryptoError::Authentication);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(alg: AeadAlgorithm, key_len: usize) {
        let key = vec![7u8; key_len];
        let iv = [1u8; NONCE_LEN];
        let mut data = b"attack at dawn".to_vec();
        let tag = alg.seal_in_place(&key, &iv, b"hdr", &mut data).unwrap();
        assert_ne!(&data[..], b"attack at dawn");
        let mut ct = data.clone();
        alg.open_in_place(&key, &iv, b"hdr", &mut ct, &tag).unwrap();
        assert_eq!(&ct[..], b"attack at dawn");

        // Wrong additional data, flipped ciphertext, flipped tag: all refused, output wiped.
        let mut ct = data.clone();
        assert_eq!(
            alg.open_in_place(&key, &iv, b"hdx", &mut ct, &tag),
            Err(CryptoError::Authentication)
        );
        assert!(ct.iter().all(|b| *b == 0));
        let mut ct = data.clone();
        ct[0] ^= 1;
        assert!(alg.open_in_place(&key, &iv, b"hdr", &mut ct, &tag).is_err());
        let mut bad_tag = tag;
        bad_tag[15] ^= 0x80;
        let mut ct = data.clone();
        assert!(
            alg.open_in_place(&key, &iv, b"hdr", &mut ct, &bad_tag)
                .is_err()
        );
    }

    #[test]
    fn a_prepared_key_serves_many_messages_like_the_one_shot_calls() {
        let key = [9u8; 32];
        let k = AeadKey::new(AeadAlgorithm::Aes256Gcm, &key).unwrap();
        assert_eq!(k.algorithm(), AeadAlgorithm::Aes256Gcm);
        for i in 0..3u8 {
            let iv = [i; NONCE_LEN];
            let mut a = vec![i; 100];
            let mut b = a.clone();
            let tag = k.seal_in_place(&iv, b"x", &mut a).unwrap();
            let tag2 = AeadAlgorithm::Aes256Gcm
                .seal_in_place(&key, &iv, b"x", &mut b)
                .unwrap();
            assert_eq!((a.clone(), tag), (b, tag2));
            k.open_in_place(&iv, b"x", &mut a, &tag).unwrap();
            assert_eq!(a, vec![i; 100]);
        }
        assert!(AeadKey::new(AeadAlgorithm::Aes128Gcm, &key).is_err());
    }

    #[test]
    fn tags_shortened_to_12_to_15_bytes_are_checked() {
        let plain = b"a plaintext longer than one block of the cipher".to_vec();
        for (alg, key_len) in [
            (AeadAlgorithm::Aes128Gcm, 16),
            (AeadAlgorithm::Aes256Gcm, 32),
            (AeadAlgorithm::ChaCha20Poly1305, 32),
        ] {
            let key = vec![3u8; key_len];
            let iv = [5u8; NONCE_LEN];
            let mut ct = plain.clone();
            let tag = alg.seal_in_place(&key, &iv, b"aad", &mut ct).unwrap();
            for n in MIN_TAG_LEN..TAG_LEN {
                let short = &tag[..n];
                let mut buf = ct.clone();
                alg.open_in_place(&key, &iv, b"aad", &mut buf, short)
                    .unwrap();
                assert_eq!(buf, plain, "{alg:?} {n}");
                // Other additional data, an altered ciphertext or tag: refused, output wiped.
                let mut buf = ct.clone();
                assert_eq!(
                    alg.open_in_place(&key, &iv, b"aax", &mut buf, short),
                    Err(CryptoError::Authentication)
                );
                assert!(buf.iter().all(|b| *b == 0));
                let mut buf = ct.clone();
                buf[7] ^= 1;
                assert!(
                    alg.open_in_place(&key, &iv, b"aad", &mut buf, short)
                        .is_err()
                );
                assert!(buf.iter().all(|b| *b == 0));
                let mut bad = short.to_vec();
                bad[n - 1] ^= 1;
                let mut buf = ct.clone();
                assert!(
                    alg.open_in_place(&key, &iv, b"aad", &mut buf, &bad)
                        .is_err()
                );
            }
            let mut buf = ct.clone();
            assert_eq!(
                alg.open_in_place(&key, &iv, b"aad", &mut buf, &tag[..11]),
                Err(CryptoError::TagLengthRange {
                    got: 11,
                    min: 12,
                    max: 16
                })
            );
        }
    }

    #[test]
    fn all_algorithms_round_trip_and_detect_tampering() {
        round_trip(AeadAlgorithm::Aes128Gcm, 16);
        round_trip(AeadAlgorithm::Aes192Gcm, 24);
        round_trip(AeadAlgorithm::Aes256Gcm, 32);
        round_trip(AeadAlgorithm::ChaCha20Poly1305, 32);
    }

    #[test]
    fn aes_gcm_known_answer() {
        // NIST GCM test case 3 (AES-128, 96-bit IV, no AAD).
        let key = hex::decode("feffe9928665731c6d6a8f9467308308").unwrap();
        let iv = hex::decode("cafebabefacedbaddecaf888").unwrap();
        let mut pt = hex::decode("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255").unwrap();
        let tag = AeadAlgorithm::Aes128Gcm
            .seal_in_place(&key, &iv, &[], &mut pt)
            .unwrap();
        assert_eq!(
            hex::encode(&pt),
            "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985"
        );
        assert_eq!(hex::encode(tag), "4d5c2af327cd64a62cf35abd2ba6fab4");
    }

    #[test]
    fn aes_gcm_with_a_64_bit_iv_checks_full_and_shortened_tags() {
        // The key and IV of the GCM specification's test case 17 (see crate::gcm_iv).
        let key = hex::decode("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308")
            .unwrap();
        let iv = hex::decode("cafebabefacedbad").unwrap();
        let k = AeadKey::new(AeadAlgorithm::Aes256Gcm, &key).unwrap();
        let mut data = b"the data of a 64-bit IV".to_vec();
        let tag = k.seal_in_place(&iv, b"aad", &mut data).unwrap();
        for len in MIN_TAG_LEN..=TAG_LEN {
            let mut opened = data.clone();
            k.open_in_place(&iv, b"aad", &mut opened, &tag[..len])
                .unwrap();
            assert_eq!(opened, b"the data of a 64-bit IV");
            let mut bad = tag;
            bad[len - 1] ^= 1;
            let mut opened = data.clone();
            let e = k.open_in_place(&iv, b"aad", &mut opened, &bad[..len]);
            assert_eq!(e, Err(CryptoError::Authentication));
            assert!(opened.iter().all(|b| *b == 0));
        }
    }

    #[test]
    fn bad_sizes_are_errors() {
        let mut d = vec![0u8; 4];
        assert!(matches!(
            AeadAlgorithm::Aes256Gcm.seal_in_place(&[0u8; 16], &[0u8; 12], &[], &mut d),
            Err(CryptoError::KeyLength { .. })
        ));
        assert!(matches!(
            AeadAlgorithm::ChaCha20Poly1305.seal_in_place(&[0u8; 32], &[0u8; 8], &[], &mut d),
            Err(CryptoError::IvLength { .. })
        ));
        // AES-GCM takes IVs of 1 to 64 bytes (crate::gcm_iv beyond 96 bits), not none.
        assert!(matches!(
            AeadAlgorithm::Aes256Gcm.seal_in_place(&[0u8; 32], &[], &[], &mut d),
            Err(CryptoError::IvLengthRange { .. })
        ));
        assert!(matches!(
            AeadAlgorithm::Aes256Gcm.open_in_place(&[0u8; 32], &[0u8; 12], &[], &mut d, &[0u8; 8]),
            Err(CryptoError::TagLengthRange { .. })
        ));
        assert!(AeadAlgorithm::aes_gcm_for_key(20).is_err());
    }
}
