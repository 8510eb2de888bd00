//! Message digests: SHA-1 (legacy), SHA-224/256/384/512, SHA-512/256 and SHA3-256/384/512.
//!
//! aws-lc-rs has no SHA3-224 and no SHA-512/224; they are not offered.

use crate::CryptoError;
use aws_lc_rs::digest;

/// The hash functions of this crate (also used to name the hash of signatures, MACs and KDFs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HashAlgorithm {
    /// SHA-1: only for verifying old signatures, HMAC and PBKDF2 compatibility.
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
    Sha512_256,
    Sha3_256,
    Sha3_384,
    Sha3_512,
}

impl HashAlgorithm {
    /// Every algorithm, in declaration order.
    pub const ALL: [HashAlgorithm; 9] = [
        Self::Sha1,
        Self::Sha224,
        Self::Sha256,
        Self::Sha384,
        Self::Sha512,
        Self::Sha512_256,
        Self::Sha3_256,
        Self::Sha3_384,
        Self::Sha3_512,
    ];

    /// Length of the digest in bytes.
    pub fn output_len(self) -> usize {
        self.aws().output_len()
    }

    /// The usual name ("SHA-256").
    pub fn name(self) -> &'static str {
        match self {
            Self::Sha1 => "SHA-1",
            Self::Sha224 => "SHA-224",
            Self::Sha256 => "SHA-256",
            Self::Sha384 => "SHA-384",
            Self::Sha512 => "SHA-512",
            Self::Sha512_256 => "SHA-512/256",
            Self::Sha3_256 => "SHA3-256",
            Self::Sha3_384 => "SHA3-384",
            Self::Sha3_512 => "SHA3-512",
        }
    }

    pub(crate) fn aws(self) -> &'static digest::Algorithm {
        match self {
            Self::Sha1 => &digest::SHA1_FOR_LEGACY_USE_ONLY,
            Self::Sha224 => &digest::SHA224,
            Self::Sha256 => &digest::SHA256,
            Self::Sha384 => &digest::SHA384,
            Self::Sha512 => &digest::SHA512,
            Self::Sha512_256 => &digest::SHA512_256,
            Self::Sha3_256 => &digest::SHA3_256,
            Self::Sha3_384 => &digest::SHA3_384,
            Self::Sha3_512 => &digest::SHA3_512,
        }
    }

    /// An aws-lc-rs `Digest` from a pre-computed hash value (for sign/verify of a digest).
    pub(crate) fn import_digest(self, value: &[u8]) -> Result<digest::Digest, CryptoError> {
        if value.len() != self.output_len() {
            return Err(CryptoError::InvalidInput(
                "digest length does not match the hash algorithm",
            ));
        }
        digest::Digest::import_less_safe(value, self.aws()).map_err(|_| {
            CryptoError::InvalidInput("digest length does not match the hash algorithm")
        })
    }
}

/// The digest of `data`.
pub fn digest(alg: HashAlgorithm, data: &[u8]) -> Vec<u8> {
    digest::digest(alg.aws(), data).as_ref().to_vec()
}

/// A streaming digest: [`Hasher::update`] any number of times, then [`Hasher::finish`].
#[derive(Clone)]
pub struct Hasher {
    alg: HashAlgorithm,
    ctx: digest::Context,
}

impl std::fmt::Debug for Hasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hasher").field("alg", &self.alg).finish()
    }
}

impl Hasher {
    pub fn new(alg: HashAlgorithm) -> Self {
        Self {
            alg,
            ctx: digest::Context::new(alg.aws()),
        }
    }

    pub fn algorithm(&self) -> HashAlgorithm {
        self.alg
    }

    pub fn update(&mut self, data: &[u8]) {
        self.ctx.update(data);
    }

    pub fn finish(self) -> Vec<u8> {
        self.ctx.finish().as_ref().to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fips_180_and_202_abc_vectors() {
        // FIPS 180-4 examples (message "abc") and FIPS 202 SHA3 examples.
        let cases = [
            (
                HashAlgorithm::Sha1,
                "a9993e364706816aba3e25717850c26c9cd0d89d",
            ),
            (
                HashAlgorithm::Sha224,
                "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7",
            ),
            (
                HashAlgorithm::Sha256,
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            ),
            (
                HashAlgorithm::Sha384,
                "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7",
            ),
            (
                HashAlgorithm::Sha512,
                "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
            ),
            (
                HashAlgorithm::Sha512_256,
                "53048e2681941ef99b2e29b76b4c7dabe4c2d0c634fc6d46e0e2f13107e7af23",
            ),
            (
                HashAlgorithm::Sha3_256,
                "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532",
            ),
            (
                HashAlgorithm::Sha3_384,
                "ec01498288516fc926459f58e2c6ad8df9b473cb0fc08c2596da7cf0e49be4b298d88cea927ac7f539f1edf228376d25",
            ),
            (
                HashAlgorithm::Sha3_512,
                "b751850b1a57168a5693cd924b6b096e08f621827444f70d884f5d0240d2712e10e116e9192af3c91a7ec57647e3934057340b4cf408d5a56592f8274eec53f0",
            ),
        ];
        for (alg, want) in cases {
            assert_eq!(hex::encode(digest(alg, b"abc")), want, "{}", alg.name());
            assert_eq!(alg.output_len(), want.len() / 2);
            let mut h = Hasher::new(alg);
            h.update(b"a");
            h.update(b"bc");
            assert_eq!(hex::encode(h.finish()), want);
        }
    }

    #[test]
    fn import_digest_checks_length() {
        assert!(HashAlgorithm::Sha256.import_digest(&[0u8; 32]).is_ok());
        assert!(matches!(
            HashAlgorithm::Sha256.import_digest(&[0u8; 31]),
            Err(CryptoError::InvalidInput(_))
        ));
    }
}
