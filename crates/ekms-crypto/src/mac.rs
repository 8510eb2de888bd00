//! HMAC with SHA-1 (legacy), SHA-224, SHA-256, SHA-384 and SHA-512; constant-time verification.

use crate::CryptoError;
use crate::digest::HashAlgorithm;
use aws_lc_rs::hmac;

/// The HMAC algorithms of this crate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MacAlgorithm {
    /// HMAC-SHA1: for compatibility with old clients only.
    HmacSha1,
    HmacSha224,
    HmacSha256,
    HmacSha384,
    HmacSha512,
}

impl MacAlgorithm {
    /// The HMAC over `hash`, when aws-lc-rs has it.
    pub fn hmac(hash: HashAlgorithm) -> Result<Self, CryptoError> {
        Ok(match hash {
            HashAlgorithm::Sha1 => Self::HmacSha1,
            HashAlgorithm::Sha224 => Self::HmacSha224,
            HashAlgorithm::Sha256 => Self::HmacSha256,
            HashAlgorithm::Sha384 => Self::HmacSha384,
            HashAlgorithm::Sha512 => Self::HmacSha512,
            _ => return Err(CryptoError::Unsupported("HMAC with this hash")),
        })
    }

    /// The underlying hash.
    pub fn hash(self) -> HashAlgorithm {
        match self {
            Self::HmacSha1 => HashAlgorithm::Sha1,
            Self::HmacSha224 => HashAlgorithm::Sha224,
            Self::HmacSha256 => HashAlgorithm::Sha256,
            Self::HmacSha384 => HashAlgorithm::Sha384,
            Self::HmacSha512 => HashAlgorithm::Sha512,
        }
    }

    /// Length of the tag in bytes.
    pub fn tag_len(self) -> usize {
        self.hash().output_len()
    }

    fn aws(self) -> hmac::Algorithm {
        match self {
            Self::HmacSha1 => hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
            Self::HmacSha224 => hmac::HMAC_SHA224,
            Self::HmacSha256 => hmac::HMAC_SHA256,
            Self::HmacSha384 => hmac::HMAC_SHA384,
            Self::HmacSha512 => hmac::HMAC_SHA512,
        }
    }
}

/// An HMAC key prepared once, for repeated use.
#[derive(Clone)]
pub struct MacKey {
    alg: MacAlgorithm,
    key: hmac::Key,
}

impl std::fmt::Debug for MacKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MacKey")
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

impl MacKey {
    /// Any key length is accepted (HMAC hashes long keys and pads short ones); an empty key is
    /// refused because it is never what a KMS user meant.
    pub fn new(alg: MacAlgorithm, key: &[u8]) -> Result<Self, CryptoError> {
        if key.is_empty() {
            return Err(CryptoError::KeyLength {
                algorithm: "HMAC",
                got: 0,
                expected: "at least 1",
            });
        }
        Ok(Self {
            alg,
            key: hmac::Key::new(alg.aws(), key),
        })
    }

    pub fn algorithm(&self) -> MacAlgorithm {
        self.alg
    }

    /// The tag of `data`.
    pub fn sign(&self, data: &[u8]) -> Vec<u8> {
        hmac::sign(&self.key, data).as_ref().to_vec()
    }

    /// Checks `tag` in constant time; the tag must have the full length.
    pub fn verify(&self, data: &[u8], tag: &[u8]) -> Result<(), CryptoError> {
        if tag.len() != self.alg.tag_len() {
            return Err(CryptoError::TagLength {
                got: tag.len(),
                expected: self.alg.tag_len(),
            });
        }
        hmac::verify(&self.key, data, tag).map_err(|_| CryptoError::Authentication)
    }

    /// A streaming computation under this key.
    pub fn context(&self) -> MacContext {
        MacContext(hmac::Context::with_key(&self.key))
    }
}

/// A streaming HMAC computation ([`MacKey::context`]).
pub struct MacContext(hmac::Context);

impl MacContext {
    pub fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }

    pub fn finish(self) -> Vec<u8> {
        self.0.sign().as_ref().to_vec()
    }
}

/// The HMAC tag of `data` under `key`.
pub fn mac(alg: MacAlgorithm, key: &[u8], data: &[u8]) -> Result<Vec<u8>, CryptoError> {
    Ok(MacKey::new(alg, key)?.sign(data))
}

/// Verifies an HMAC tag in constant time: `Err(Authentication)` when it does not match.
pub fn verify(alg: MacAlgorithm, key: &[u8], data: &[u8], tag: &[u8]) -> Result<(), CryptoError> {
    MacKey::new(alg, key)?.verify(data, tag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_2202_and_4231_test_case_2() {
        // Key "Jefe", data "what do ya want for nothing?": RFC 2202 §3 (SHA-1) and RFC 4231 §4.3.
        let cases = [
            (
                MacAlgorithm::HmacSha1,
                "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79",
            ),
            (
                MacAlgorithm::HmacSha224,
                "a30e01098bc6dbbf45690f3a7e9e6d0f8bbea2a39e6148008fd05e44",
            ),
            (
                MacAlgorithm::HmacSha256,
                "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
            ),
            (
                MacAlgorithm::HmacSha384,
                "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649",
            ),
            (
                MacAlgorithm::HmacSha512,
                "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
            ),
        ];
        let data = b"what do ya want for nothing?";
        for (alg, want) in cases {
            let tag = mac(alg, b"Jefe", data).unwrap();
            assert_eq!(hex::encode(&tag), want);
            assert_eq!(tag.len(), alg.tag_len());
            verify(alg, b"Jefe", data, &tag).unwrap();
            let key = MacKey::new(alg, b"Jefe").unwrap();
            let mut ctx = key.context();
            ctx.update(b"what do ya ");
            ctx.update(b"want for nothing?");
            assert_eq!(ctx.finish(), tag);
            assert_eq!(MacAlgorithm::hmac(alg.hash()).unwrap(), alg);
        }
    }

    #[test]
    fn verification_failures() {
        let tag = mac(MacAlgorithm::HmacSha256, b"key", b"data").unwrap();
        let mut bad = tag.clone();
        bad[0] ^= 1;
        assert_eq!(
            verify(MacAlgorithm::HmacSha256, b"key", b"data", &bad),
            Err(CryptoError::Authentication)
        );
        assert_eq!(
            verify(MacAlgorithm::HmacSha256, b"kez", b"data", &tag),
            Err(CryptoError::Authentication)
        );
        assert_eq!(
            verify(MacAlgorithm::HmacSha256, b"key", b"datb", &tag),
            Err(CryptoError::Authentication)
        );
        assert!(matches!(
            verify(MacAlgorithm::HmacSha256, b"key", b"data", &tag[..16]),
            Err(CryptoError::TagLength { .. })
        ));
        assert!(matches!(
            mac(MacAlgorithm::HmacSha256, b"", b"data"),
            Err(CryptoError::KeyLength { .. })
        ));
        assert!(MacAlgorithm::hmac(HashAlgorithm::Sha3_256).is_err());
    }
}
