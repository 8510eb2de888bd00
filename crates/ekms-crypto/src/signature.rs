//! One entry point for signatures with any key type: RSA (PKCS#1 v1.5, PSS), ECDSA, Ed25519.
//!
//! The functions here take keys in any encoding [`crate::keyformat`] reads (PKCS#8, PKCS#1,
//! SEC1 private keys; SubjectPublicKeyInfo or PKCS#1 public keys; DER or PEM) and dispatch to
//! [`crate::rsa`], [`crate::ec`] or [`crate::ed25519`]. ECDSA signatures here are ASN.1 DER
//! (`ECDSA-Sig-Value`); the [`crate::ec`] module also offers the fixed `r || s` form.
//! For hot paths, parse once with [`crate::keyformat::PrivateKey`] and reuse it.

use crate::CryptoError;
use crate::digest::HashAlgorithm;
use crate::keyformat::{PrivateKey, PublicKey};

/// A signature algorithm: the scheme and its hash.
///
/// What aws-lc-rs cannot do, and so returns [`CryptoError::Unsupported`]: RSA-PSS signing
/// with SHA-1 (verification comes from [`crate::rsa_ext`]), RSA PKCS#1 v1.5 signing with SHA-1 (verification works), and ECDSA with a
/// hash the curve's aws-lc-rs algorithms do not pair it with (see [`crate::ec`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SigAlgorithm {
    RsaPkcs1v15Sha1,
    RsaPkcs1v15Sha256,
    RsaPkcs1v15Sha384,
    RsaPkcs1v15Sha512,
    RsaPssSha1,
    RsaPssSha256,
    RsaPssSha384,
    RsaPssSha512,
    EcdsaSha1,
    EcdsaSha224,
    EcdsaSha256,
    EcdsaSha384,
    EcdsaSha512,
    EcdsaSha3_256,
    EcdsaSha3_384,
    EcdsaSha3_512,
    /// PureEdDSA over edwards25519 (RFC 8032); the message is not pre-hashed.
    Ed25519,
}

/// The family of a [`SigAlgorithm`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SigScheme {
    RsaPkcs1v15,
    RsaPss,
    Ecdsa,
    Ed25519,
}

impl SigAlgorithm {
    /// RSASSA-PKCS1-v1_5 with `hash`.
    pub fn rsa_pkcs1v15(hash: HashAlgorithm) -> Result<Self, CryptoError> {
        Ok(match hash {
            HashAlgorithm::Sha1 => Self::RsaPkcs1v15Sha1,
            HashAlgorithm::Sha256 => Self::RsaPkcs1v15Sha256,
            HashAlgorithm::Sha384 => Self::RsaPkcs1v15Sha384,
            HashAlgorithm::Sha512 => Self::RsaPkcs1v15Sha512,
            _ => {
                return Err(CryptoError::Unsupported(
                    "RSA PKCS#1 v1.5 signatures with this hash",
                ));
            }
        })
    }

    /// RSASSA-PSS with `hash` (MGF1 with the same hash, salt length = hash length).
    pub fn rsa_pss(hash: HashAlgorithm) -> Result<Self, CryptoError> {
        Ok(match hash {
            HashAlgorithm::Sha1 => Self::RsaPssSha1,
            HashAlgorithm::Sha256 => Self::RsaPssSha256,
            HashAlgorithm::Sha384 => Self::RsaPssSha384,
            HashAlgorithm::Sha512 => Self::RsaPssSha512,
            _ => {
                return Err(CryptoError::Unsupported(
                    "RSA-PSS signatures with this hash",
                ));
            }
        })
    }

    /// ECDSA with `hash`.
    pub fn ecdsa(hash: HashAlgorithm) -> Result<Self, CryptoError> {
        Ok(match hash {
            HashAlgorithm::Sha1 => Self::EcdsaSha1,
            HashAlgorithm::Sha224 => Self::EcdsaSha224,
            HashAlgorithm::Sha256 => Self::EcdsaSha256,
            HashAlgorithm::Sha384 => Self::EcdsaSha384,
            HashAlgorithm::Sha512 => Self::EcdsaSha512,
            HashAlgorithm::Sha3_256 => Self::EcdsaSha3_256,
            HashAlgorithm::Sha3_384 => Self::EcdsaSha3_384,
            HashAlgorithm::Sha3_512 => Self::EcdsaSha3_512,
            HashAlgorithm::Sha512_256 => {
                return Err(CryptoError::Unsupported("ECDSA with SHA-512/256"));
            }
        })
    }

    pub fn scheme(self) -> SigScheme {
        use SigAlgorithm::*;
        match self {
            RsaPkcs1v15Sha1 | RsaPkcs1v15Sha256 | RsaPkcs1v15Sha384 | RsaPkcs1v15Sha512 => {
                SigScheme::RsaPkcs1v15
            }
            RsaPssSha1 | RsaPssSha256 | RsaPssSha384 | RsaPssSha512 => SigScheme::RsaPss,
            Ed25519 => SigScheme::Ed25519,
            _ => SigScheme::Ecdsa,
        }
    }

    /// The hash of the scheme (`None` for Ed25519, which hashes internally).
    pub fn hash(self) -> Option<HashAlgorithm> {
        use SigAlgorithm::*;
        Some(match self {
            RsaPkcs1v15Sha1 | RsaPssSha1 | EcdsaSha1 => HashAlgorithm::Sha1,
            EcdsaSha224 => HashAlgorithm::Sha224,
            RsaPkcs1v15Sha256 | RsaPssSha256 | EcdsaSha256 => HashAlgorithm::Sha256,
            RsaPkcs1v15Sha384 | RsaPssSha384 | EcdsaSha384 => HashAlgorithm::Sha384,
            RsaPkcs1v15Sha512 | RsaPssSha512 | EcdsaSha512 => HashAlgorithm::Sha512,
            EcdsaSha3_256 => HashAlgorithm::Sha3_256,
            EcdsaSha3_384 => HashAlgorithm::Sha3_384,
            EcdsaSha3_512 => HashAlgorithm::Sha3_512,
            Ed25519 => return None,
        })
    }
}

/// Signs `msg` with a private key in any format [`PrivateKey::parse`] reads (DER or PEM).
pub fn sign(private_key: &[u8], alg: SigAlgorithm, msg: &[u8]) -> Result<Vec<u8>, CryptoError> {
    PrivateKey::parse(private_key)?.sign(alg, msg)
}

/// Signs a pre-computed digest (not for Ed25519).
pub fn sign_digest(
    private_key: &[u8],
    alg: SigAlgorithm,
    digest: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    PrivateKey::parse(private_key)?.sign_digest(alg, digest)
}

/// Verifies `signature` over `msg` with a public key in any format [`PublicKey::parse`] reads.
pub fn verify(
    public_key: &[u8],
    alg: SigAlgorithm,
    msg: &[u8],
    signature: &[u8],
) -> Result<(), CryptoError> {
    PublicKey::parse(public_key)?.verify(alg, msg, signature)
}

/// Verifies `signature` over a pre-computed digest (not for Ed25519).
pub fn verify_digest(
    public_key: &[u8],
    alg: SigAlgorithm,
    digest: &[u8],
    signature: &[u8],
) -> Result<(), CryptoError> {
    PublicKey::parse(public_key)?.verify_digest(alg, digest, signature)
}
