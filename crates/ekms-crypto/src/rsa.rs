//! RSA from aws-lc-rs: key generation (2048, 3072, 4096, 8192 bits, e = 65537), RSA-OAEP
//! (SHA-1/256/384/512 with MGF1 over the same hash), PKCS#1 v1.5 encryption, and signatures
//! RSASSA-PKCS1-v1_5 and RSASSA-PSS over a message or a pre-computed digest.
//!
//! Keys are 2048 to 8192 bits (the range aws-lc-rs accepts). Parse a key once into
//! [`RsaPrivateKey`] / [`RsaPublicKey`] and reuse it: each keeps its parsed aws-lc-rs handles.
//!
//! RSA-PSS verification accepts the two salt lengths signers use: the hash length (what
//! [`RsaPrivateKey::sign`] makes) and the largest the key allows (`emLen - hLen - 2`, the
//! default of OpenSSL and of Python's `cryptography` `PSS.MAX_LENGTH`): the signature does not
//! say which was used, and KMIP 1.x has no field for it.
//!
//! What aws-lc-rs does not offer: RSA-OAEP with an MGF1 hash other than the message hash and
//! RSA-PSS verification with SHA-1 come from RustCrypto's `rsa` ([`crate::rsa_ext`]); RSA-PSS
//! *signing* with SHA-1, PKCS#1 v1.5 *signing* with SHA-1 (verification is there, as a legacy
//! algorithm), and keys below 2048 bits are [`CryptoError::Unsupported`].

use crate::digest::HashAlgorithm;
use crate::signature::SigAlgorithm;
use crate::{CryptoError, SecretBytes};
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{
    self as aws_rsa, KeyPairComponents, KeySize, OAEP_SHA1_MGF1SHA1, OAEP_SHA256_MGF1SHA256,
    OAEP_SHA384_MGF1SHA384, OAEP_SHA512_MGF1SHA512, OaepAlgorithm, OaepPrivateDecryptingKey,
    OaepPublicEncryptingKey, Pkcs1PrivateDecryptingKey, Pkcs1PublicEncryptingKey,
    PrivateDecryptingKey, PublicEncryptingKey, PublicKeyComponents,
};
use aws_lc_rs::signature::{self as aws_sig, KeyPair as _, ParsedPublicKey, RsaEncoding};
use std::sync::OnceLock;
use zeroize::Zeroizing;

/// The key sizes [`RsaPrivateKey::generate`] accepts.
pub const KEY_SIZES: [usize; 4] = [2048, 3072, 4096, 8192];

/// RSA encryption schemes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RsaEncryptionPadding {
    /// RSAES-OAEP with SHA-1 and MGF1-SHA-1.
    OaepSha1,
    /// RSAES-OAEP with SHA-256 and MGF1-SHA-256.
    OaepSha256,
    OaepSha384,
    OaepSha512,
    /// RSAES-PKCS1-v1_5 (legacy; decryption errors are uniform).
    Pkcs1v15,
    /// RSAES-OAEP with `hash` (SHA-1/256/384/512) and MGF1 over another of them: not in
    /// aws-lc-rs, so from RustCrypto's `rsa` ([`crate::rsa_ext`]). Made by
    /// [`RsaEncryptionPadding::oaep_with_mgf1`] only for differing hashes.
    OaepMgf1 {
        hash: HashAlgorithm,
        mgf1: HashAlgorithm,
    },
}

impl RsaEncryptionPadding {
    /// OAEP with `hash` for both the label hash and MGF1.
    pub fn oaep(hash: HashAlgorithm) -> Result<Self, CryptoError> {
        Ok(match hash {
            HashAlgorithm::Sha1 => Self::OaepSha1,
            HashAlgorithm::Sha256 => Self::OaepSha256,
            HashAlgorithm::Sha384 => Self::OaepSha384,
            HashAlgorithm::Sha512 => Self::OaepSha512,
            _ => return Err(CryptoError::Unsupported("RSA-OAEP with this hash")),
        })
    }

    /// OAEP with `hash` for the label and `mgf1` for MGF1: aws-lc-rs's scheme when they match,
    /// else [`RsaEncryptionPadding::OaepMgf1`].
    pub fn oaep_with_mgf1(hash: HashAlgorithm, mgf1: HashAlgorithm) -> Result<Self, CryptoError> {
        let matching = Self::oaep(hash)?;
        if hash == mgf1 {
            return Ok(matching);
        }
        Self::oaep(mgf1)?;
        Ok(Self::OaepMgf1 { hash, mgf1 })
    }

    fn oaep_alg(self) -> Option<&'static OaepAlgorithm> {
        match self {
            Self::OaepSha1 => Some(&OAEP_SHA1_MGF1SHA1),
            Self::OaepSha256 => Some(&OAEP_SHA256_MGF1SHA256),
            Self::OaepSha384 => Some(&OAEP_SHA384_MGF1SHA384),
            Self::OaepSha512 => Some(&OAEP_SHA512_MGF1SHA512),
            Self::Pkcs1v15 | Self::OaepMgf1 { .. } => None,
        }
    }
}

fn signing_encoding(alg: SigAlgorithm) -> Result<&'static dyn RsaEncoding, CryptoError> {
    Ok(match alg {
        SigAlgorithm::RsaPkcs1v15Sha256 => &aws_sig::RSA_PKCS1_SHA256,
        SigAlgorithm::RsaPkcs1v15Sha384 => &aws_sig::RSA_PKCS1_SHA384,
        SigAlgorithm::RsaPkcs1v15Sha512 => &aws_sig::RSA_PKCS1_SHA512,
        SigAlgorithm::RsaPssSha256 => &aws_sig::RSA_PSS_SHA256,
        SigAlgorithm::RsaPssSha384 => &aws_sig::RSA_PSS_SHA384,
        SigAlgorithm::RsaPssSha512 => &aws_sig::RSA_PSS_SHA512,
        SigAlgorithm::RsaPkcs1v15Sha1 => {
            return Err(CryptoError::Unsupported(
                "RSA PKCS#1 v1.5 signing with SHA-1 (aws-lc-rs verifies it only)",
            ));
        }
        SigAlgorithm::RsaPssSha1 => {
            return Err(CryptoError::Unsupported(
                "RSA-PSS with SHA-1 (not in aws-lc-rs)",
            ));
        }
        _ => {
            return Err(CryptoError::InvalidKey(
                "an RSA key cannot make this signature",
            ));
        }
    })
}

/// Index into the per-algorithm verifier cache, and the aws-lc-rs verification parameters.
fn verification(
    alg: SigAlgorithm,
) -> Result<(usize, &'static aws_sig::RsaParameters), CryptoError> {
    Ok(match alg {
        SigAlgorithm::RsaPkcs1v15Sha1 => {
            (0, &aws_sig::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY)
        }
        SigAlgorithm::RsaPkcs1v15Sha256 => (1, &aws_sig::RSA_PKCS1_2048_8192_SHA256),
        SigAlgorithm::RsaPkcs1v15Sha384 => (2, &aws_sig::RSA_PKCS1_2048_8192_SHA384),
        SigAlgorithm::RsaPkcs1v15Sha512 => (3, &aws_sig::RSA_PKCS1_2048_8192_SHA512),
        SigAlgorithm::RsaPssSha256 => (4, &aws_sig::RSA_PSS_2048_8192_SHA256),
        SigAlgorithm::RsaPssSha384 => (5, &aws_sig::RSA_PSS_2048_8192_SHA384),
        SigAlgorithm::RsaPssSha512 => (6, &aws_sig::RSA_PSS_2048_8192_SHA512),
        SigAlgorithm::RsaPssSha1 => {
            return Err(CryptoError::Unsupported(
                "RSA-PSS with SHA-1 (not in aws-lc-rs)",
            ));
        }
        _ => {
            return Err(CryptoError::InvalidKey(
                "an RSA key cannot verify this signature",
            ));
        }
    })
}

/// The RSA-PSS verification parameters with the largest salt, per hash.
const PSS_MAX_SHA256: aws_sig::RsaParameters =
    aws_sig::RSA_PSS_2048_8192_SHA256.with_pss_salt_length(aws_sig::RsaPssSaltLength::Max);
const PSS_MAX_SHA384: aws_sig::RsaParameters =
    aws_sig::RSA_PSS_2048_8192_SHA384.with_pss_salt_length(aws_sig::RsaPssSaltLength::Max);
const PSS_MAX_SHA512: aws_sig::RsaParameters =
    aws_sig::RSA_PSS_2048_8192_SHA512.with_pss_salt_length(aws_sig::RsaPssSaltLength::Max);

/// Index into the verifier cache, and the parameters, of RSA-PSS with the largest salt; None
/// for other algorithms.
fn max_salt_verification(alg: SigAlgorithm) -> Option<(usize, &'static aws_sig::RsaParameters)> {
    match alg {
        SigAlgorithm::RsaPssSha256 => Some((7, &PSS_MAX_SHA256)),
        SigAlgorithm::RsaPssSha384 => Some((8, &PSS_MAX_SHA384)),
        SigAlgorithm::RsaPssSha512 => Some((9, &PSS_MAX_SHA512)),
        _ => None,
    }
}

const VERIFIERS: usize = 10;

/// Strips leading zero bytes of a big-endian integer (keeps one byte for zero).
pub(crate) fn strip_leading_zeros(b: &[u8]) -> &[u8] {
    let first = b
        .iter()
        .position(|x| *x != 0)
        .unwrap_or(b.len().saturating_sub(1));
    &b[first..]
}

/// The public components of an RSA key, big-endian without leading zeros.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RsaPublicComponents {
    pub n: Vec<u8>,
    pub e: Vec<u8>,
}

/// The components of an RSA private key (KMIP "Transparent RSA Private Key"), big-endian.
/// The private ones are wiped on drop; `Debug` shows the modulus only.
#[derive(Clone, PartialEq, Eq)]
pub struct RsaPrivateComponents {
    pub n: Vec<u8>,
    pub e: Vec<u8>,
    pub d: SecretBytes,
    pub p: SecretBytes,
    pub q: SecretBytes,
    pub dp: SecretBytes,
    pub dq: SecretBytes,
    pub qinv: SecretBytes,
}

impl std::fmt::Debug for RsaPrivateComponents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RsaPrivateComponents")
            .field("n", &hex::encode(&self.n))
            .field("e", &hex::encode(&self.e))
            .finish_non_exhaustive()
    }
}

/// An RSA public key, parsed once.
#[derive(Clone)]
pub struct RsaPublicKey {
    pkcs1: Vec<u8>,
    spki: Vec<u8>,
    n: Vec<u8>,
    e: Vec<u8>,
    encrypting: PublicEncryptingKey,
    verifiers: [OnceLock<std::sync::Arc<ParsedPublicKey>>; VERIFIERS],
}

impl std::fmt::Debug for RsaPublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RsaPublicKey")
            .field("bits", &self.modulus_bits())
            .finish_non_exhaustive()
    }
}

impl RsaPublicKey {
    /// Parses a SubjectPublicKeyInfo or a PKCS#1 `RSAPublicKey` (DER).
    pub fn from_der(der: &[u8]) -> Result<Self, CryptoError> {
        let k = aws_rsa::PublicKey::from_der(der)
            .map_err(|_| CryptoError::InvalidKey("not an RSA public key of 2048 to 8192 bits"))?;
        Self::from_aws(&k)
    }

    /// Parses a SubjectPublicKeyInfo (DER) holding an RSA key.
    pub fn from_spki_der(der: &[u8]) -> Result<Self, CryptoError> {
        PublicEncryptingKey::from_der(der)
            .map_err(|_| CryptoError::InvalidKey("not an RSA SubjectPublicKeyInfo"))?;
        Self::from_der(der)
    }

    /// Parses a PKCS#1 `RSAPublicKey` (DER).
    pub fn from_pkcs1_der(der: &[u8]) -> Result<Self, CryptoError> {
        if PublicEncryptingKey::from_der(der).is_ok() {
            return Err(CryptoError::InvalidKey(
                "a SubjectPublicKeyInfo, not a PKCS#1 RSAPublicKey",
            ));
        }
        Self::from_der(der)
    }

    /// Builds the key from its modulus and public exponent (big-endian; leading zeros allowed).
    pub fn from_components(n: &[u8], e: &[u8]) -> Result<Self, CryptoError> {
        let c = PublicKeyComponents {
            n: strip_leading_zeros(n),
            e: strip_leading_zeros(e),
        };
        let spki = c
            .as_der()
            .map_err(|_| CryptoError::InvalidKey("not a valid RSA modulus and exponent"))?;
        Self::from_der(spki.as_ref())
    }

    fn from_aws(k: &aws_rsa::PublicKey) -> Result<Self, CryptoError> {
        let spki = k
            .as_der()
            .map_err(|_| CryptoError::Failed("RSA public key encoding"))?
            .as_ref()
            .to_vec();
        let encrypting = PublicEncryptingKey::from_der(&spki)
            .map_err(|_| CryptoError::InvalidKey("not an RSA public key of 2048 to 8192 bits"))?;
        Ok(Self {
            pkcs1: k.as_ref().to_vec(),
            spki,
            n: k.modulus().big_endian_without_leading_zero().to_vec(),
            e: k.exponent().big_endian_without_leading_zero().to_vec(),
            encrypting,
            verifiers: Default::default(),
        })
    }

    /// SubjectPublicKeyInfo DER.
    pub fn to_spki_der(&self) -> Vec<u8> {
        self.spki.clone()
    }

    /// PKCS#1 `RSAPublicKey` DER.
    pub fn to_pkcs1_der(&self) -> Vec<u8> {
        self.pkcs1.clone()
    }

    /// Modulus and public exponent.
    pub fn components(&self) -> RsaPublicComponents {
        RsaPublicComponents {
            n: self.n.clone(),
            e: self.e.clone(),
        }
    }

    /// Size of the modulus in bits.
    pub fn modulus_bits(&self) -> usize {
        self.encrypting.key_size_bits()
    }

    /// Size of the modulus (and of signatures and ciphertexts) in bytes.
    pub fn modulus_len(&self) -> usize {
        self.encrypting.key_size_bytes()
    }

    fn verifier(&self, alg: SigAlgorithm) -> Result<&ParsedPublicKey, CryptoError> {
        let (i, params) = verification(alg)?;
        self.cached_verifier(i, params)
    }

    fn cached_verifier(
        &self,
        i: usize,
        params: &'static aws_sig::RsaParameters,
    ) -> Result<&ParsedPublicKey, CryptoError> {
        let cell = &self.verifiers[i];
        if cell.get().is_none() {
            let parsed = ParsedPublicKey::new(params, &self.pkcs1)
                .map_err(|_| CryptoError::InvalidKey("RSA key refused for this algorithm"))?;
            let _ = cell.set(std::sync::Arc::new(parsed));
        }
        cell.get()
            .map(|a| a.as_ref())
            .ok_or(CryptoError::Failed("RSA verifier cache"))
    }

    /// Verifies `signature` over `msg`.
    pub fn verify(
        &self,
        alg: SigAlgorithm,
        msg: &[u8],
        signature: &[u8],
    ) -> Result<(), CryptoError> {
        if alg == SigAlgorithm::RsaPssSha1 {
            // Not in aws-lc-rs: RustCrypto's `rsa` (a public-key operation).
            return crate::rsa_ext::pss_sha1_verify(&self.pkcs1, msg, signature);
        }
        self.verify_with(alg, |v| v.verify_sig(msg, signature))
    }

    /// Runs `check` with the verifier of `alg`, and for RSA-PSS again with the largest salt
    /// when the hash-length salt does not verify (see the module documentation).
    fn verify_with(
        &self,
        alg: SigAlgorithm,
        check: impl Fn(&ParsedPublicKey) -> Result<(), aws_lc_rs::error::Unspecified>,
    ) -> Result<(), CryptoError> {
        if check(self.verifier(alg)?).is_ok() {
            return Ok(());
        }
        match max_salt_verification(alg) {
            Some((i, params)) => {
                check(self.cached_verifier(i, params)?).map_err(|_| CryptoError::Signature)
            }
            None => Err(CryptoError::Signature),
        }
    }

    /// Verifies `signature` over a pre-computed `digest` of the algorithm's hash.
    pub fn verify_digest(
        &self,
        alg: SigAlgorithm,
        digest: &[u8],
        signature: &[u8],
    ) -> Result<(), CryptoError> {
        let hash = alg
            .hash()
            .ok_or(CryptoError::InvalidKey("not an RSA algorithm"))?;
        let d = hash.import_digest(digest)?;
        self.verify_with(alg, |v| v.verify_digest_sig(&d, signature))
    }

    /// Encrypts `plaintext` (RSA-OAEP or PKCS#1 v1.5), e.g. to wrap a symmetric key.
    pub fn encrypt(
        &self,
        padding: RsaEncryptionPadding,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        self.encrypt_with_label(padding, None, plaintext)
    }

    /// Encrypts with an OAEP label (`None` = empty label; a label with PKCS#1 v1.5 is refused).
    pub fn encrypt_with_label(
        &self,
        padding: RsaEncryptionPadding,
        label: Option<&[u8]>,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        if let RsaEncryptionPadding::OaepMgf1 { hash, mgf1 } = padding {
            return crate::rsa_ext::oaep_encrypt(&self.pkcs1, hash, mgf1, label, plaintext);
        }
        let mut out = vec![0u8; self.modulus_len()];
        let len = match padding.oaep_alg() {
            Some(alg) => {
                let k = OaepPublicEncryptingKey::new(self.encrypting.clone())
                    .map_err(|_| CryptoError::Failed("RSA-OAEP key setup"))?;
                if plaintext.len() > k.max_plaintext_size(alg) {
                    return Err(CryptoError::InvalidInput(
                        "plaintext too long for RSA-OAEP with this key and hash",
                    ));
                }
                k.encrypt(alg, plaintext, &mut out, label)
                    .map_err(|_| CryptoError::Failed("RSA-OAEP encryption"))?
                    .len()
            }
            None => {
                if label.is_some() {
                    return Err(CryptoError::InvalidInput(
                        "PKCS#1 v1.5 encryption has no label",
                    ));
                }
                let k = Pkcs1PublicEncryptingKey::new(self.encrypting.clone())
                    .map_err(|_| CryptoError::Failed("RSA PKCS#1 key setup"))?;
                if plaintext.len() > k.max_plaintext_size() {
                    return Err(CryptoError::InvalidInput(
                        "plaintext too long for RSA PKCS#1 v1.5 with this key",
                    ));
                }
                k.encrypt(plaintext, &mut out)
                    .map_err(|_| CryptoError::Failed("RSA PKCS#1 v1.5 encryption"))?
                    .len()
            }
        };
        out.truncate(len);
        Ok(out)
    }
}

struct Decrypters {
    oaep: OaepPrivateDecryptingKey,
    pkcs1: Pkcs1PrivateDecryptingKey,
}

/// An RSA private key, parsed once; it signs and decrypts, and holds its public key.
pub struct RsaPrivateKey {
    pair: aws_rsa::KeyPair,
    pkcs8: SecretBytes,
    public: RsaPublicKey,
    decrypters: OnceLock<Decrypters>,
}

impl std::fmt::Debug for RsaPrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RsaPrivateKey")
            .field("bits", &self.public.modulus_bits())
            .finish_non_exhaustive()
    }
}

impl Clone for RsaPrivateKey {
    fn clone(&self) -> Self {
        Self {
            pair: self.pair.clone(),
            pkcs8: self.pkcs8.clone(),
            public: self.public.clone(),
            decrypters: OnceLock::new(),
        }
    }
}

impl RsaPrivateKey {
    /// A new key of `bits` (2048, 3072, 4096 or 8192) with e = 65537.
    pub fn generate(bits: usize) -> Result<Self, CryptoError> {
        let size = match bits {
            2048 => KeySize::Rsa2048,
            3072 => KeySize::Rsa3072,
            4096 => KeySize::Rsa4096,
            8192 => KeySize::Rsa8192,
            _ => {
                return Err(CryptoError::KeyLength {
                    algorithm: "RSA",
                    got: bits,
                    expected: "2048, 3072, 4096 or 8192 bits",
                });
            }
        };
        let pair = aws_rsa::KeyPair::generate(size)
            .map_err(|_| CryptoError::Failed("RSA key generation"))?;
        Self::from_pair(pair)
    }

    fn from_pair(pair: aws_rsa::KeyPair) -> Result<Self, CryptoError> {
        let pkcs8 = SecretBytes::new(
            pair.as_der()
                .map_err(|_| CryptoError::Failed("RSA private key encoding"))?
                .as_ref()
                .to_vec(),
        );
        let public = RsaPublicKey::from_aws(pair.public_key())?;
        Ok(Self {
            pair,
            pkcs8,
            public,
            decrypters: OnceLock::new(),
        })
    }

    /// Parses an unencrypted PKCS#8 `PrivateKeyInfo` (DER).
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, CryptoError> {
        let pair = aws_rsa::KeyPair::from_pkcs8(der).map_err(|_| {
            CryptoError::InvalidKey("not a PKCS#8 RSA private key of 2048 to 8192 bits")
        })?;
        Self::from_pair(pair)
    }

    /// Parses a PKCS#1 `RSAPrivateKey` (DER).
    pub fn from_pkcs1_der(der: &[u8]) -> Result<Self, CryptoError> {
        let pair = aws_rsa::KeyPair::from_der(der).map_err(|_| {
            CryptoError::InvalidKey("not a PKCS#1 RSA private key of 2048 to 8192 bits")
        })?;
        Self::from_pair(pair)
    }

    /// Parses PKCS#8 or PKCS#1 (DER).
    pub fn from_der(der: &[u8]) -> Result<Self, CryptoError> {
        Self::from_pkcs8_der(der).or_else(|_| Self::from_pkcs1_der(der))
    }

    /// Builds the key from all its components (aws-lc-rs checks that they are consistent).
    /// A key given as n, e, d only (without the primes) is not supported: aws-lc-rs has no
    /// constructor for it, and recovering the primes is arithmetic this crate does not do.
    pub fn from_components(c: &RsaPrivateComponents) -> Result<Self, CryptoError> {
        let comps = KeyPairComponents {
            public_key: PublicKeyComponents {
                n: strip_leading_zeros(&c.n),
                e: strip_leading_zeros(&c.e),
            },
            d: &c.d[..],
            p: &c.p[..],
            q: &c.q[..],
            dP: &c.dp[..],
            dQ: &c.dq[..],
            qInv: &c.qinv[..],
        };
        let pair = aws_rsa::KeyPair::from_components(&comps)
            .map_err(|_| CryptoError::InvalidKey("inconsistent or unsupported RSA components"))?;
        Self::from_pair(pair)
    }

    /// PKCS#8 `PrivateKeyInfo` DER.
    pub fn to_pkcs8_der(&self) -> SecretBytes {
        self.pkcs8.clone()
    }

    /// PKCS#1 `RSAPrivateKey` DER (the inner structure of the PKCS#8 encoding).
    pub fn to_pkcs1_der(&self) -> Result<SecretBytes, CryptoError> {
        use der::Decode;
        let info = pkcs8::PrivateKeyInfoRef::from_der(&self.pkcs8)
            .map_err(|_| CryptoError::Failed("RSA PKCS#8 re-parse"))?;
        Ok(SecretBytes::new(info.private_key.as_bytes().to_vec()))
    }

    /// All components (KMIP "Transparent RSA Private Key").
    pub fn components(&self) -> Result<RsaPrivateComponents, CryptoError> {
        use der::Decode;
        let pkcs1 = self.to_pkcs1_der()?;
        let k = pkcs1::RsaPrivateKeyRef::from_der(&pkcs1)
            .map_err(|_| CryptoError::Failed("RSA PKCS#1 re-parse"))?;
        let s = |u: &der::asn1::UintRef<'_>| {
            SecretBytes::new(strip_leading_zeros(u.as_bytes()).to_vec())
        };
        Ok(RsaPrivateComponents {
            n: strip_leading_zeros(k.modulus.as_bytes()).to_vec(),
            e: strip_leading_zeros(k.public_exponent.as_bytes()).to_vec(),
            d: s(&k.private_exponent),
            p: s(&k.prime1),
            q: s(&k.prime2),
            dp: s(&k.exponent1),
            dq: s(&k.exponent2),
            qinv: s(&k.coefficient),
        })
    }

    /// The public key.
    pub fn public_key(&self) -> &RsaPublicKey {
        &self.public
    }

    pub fn modulus_bits(&self) -> usize {
        self.public.modulus_bits()
    }

    /// Signs `msg` (PKCS#1 v1.5 or PSS with SHA-256/384/512).
    pub fn sign(&self, alg: SigAlgorithm, msg: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let enc = signing_encoding(alg)?;
        let mut sig = vec![0u8; self.pair.public_modulus_len()];
        self.pair
            .sign(enc, &SystemRandom::new(), msg, &mut sig)
            .map_err(|_| CryptoError::Failed("RSA signing"))?;
        Ok(sig)
    }

    /// Signs a pre-computed `digest` of the algorithm's hash.
    pub fn sign_digest(&self, alg: SigAlgorithm, digest: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let enc = signing_encoding(alg)?;
        let hash = alg
            .hash()
            .ok_or(CryptoError::InvalidKey("not an RSA algorithm"))?;
        let d = hash.import_digest(digest)?;
        let mut sig = vec![0u8; self.pair.public_modulus_len()];
        self.pair
            .sign_digest(enc, &d, &mut sig)
            .map_err(|_| CryptoError::Failed("RSA signing"))?;
        Ok(sig)
    }

    fn decrypters(&self) -> Result<&Decrypters, CryptoError> {
        if self.decrypters.get().is_none() {
            let k = PrivateDecryptingKey::from_pkcs8(&self.pkcs8)
                .map_err(|_| CryptoError::Failed("RSA decryption key setup"))?;
            let d = Decrypters {
                oaep: OaepPrivateDecryptingKey::new(k.clone())
                    .map_err(|_| CryptoError::Failed("RSA decryption key setup"))?,
                pkcs1: Pkcs1PrivateDecryptingKey::new(k)
                    .map_err(|_| CryptoError::Failed("RSA decryption key setup"))?,
            };
            let _ = self.decrypters.set(d);
        }
        self.decrypters
            .get()
            .ok_or(CryptoError::Failed("RSA decryption key setup"))
    }

    /// Decrypts `ciphertext`; every failure is [`CryptoError::Decryption`].
    pub fn decrypt(
        &self,
        padding: RsaEncryptionPadding,
        ciphertext: &[u8],
    ) -> Result<SecretBytes, CryptoError> {
        self.decrypt_with_label(padding, None, ciphertext)
    }

    /// Decrypts with an OAEP label (`None` = empty label).
    pub fn decrypt_with_label(
        &self,
        padding: RsaEncryptionPadding,
        label: Option<&[u8]>,
        ciphertext: &[u8],
    ) -> Result<SecretBytes, CryptoError> {
        if let RsaEncryptionPadding::OaepMgf1 { hash, mgf1 } = padding {
            let der = self.to_pkcs1_der()?;
            return crate::rsa_ext::oaep_decrypt(&der, hash, mgf1, label, ciphertext);
        }
        let d = self.decrypters()?;
        let mut out = Zeroizing::new(vec![0u8; self.public.modulus_len()]);
        let len = match padding.oaep_alg() {
            Some(alg) => d
                .oaep
                .decrypt(alg, ciphertext, &mut out, label)
                .map_err(|_| CryptoError::Decryption)?
                .len(),
            None => {
                if label.is_some() {
                    return Err(CryptoError::InvalidInput(
                        "PKCS#1 v1.5 encryption has no label",
                    ));
                }
                d.pkcs1
                    .decrypt(ciphertext, &mut out)
                    .map_err(|_| CryptoError::Decryption)?
                    .len()
            }
        };
        Ok(SecretBytes::new(out[..len].to_vec()))
    }
}

/// Generates a key and returns it as PKCS#8 DER.
pub fn generate(bits: usize) -> Result<SecretBytes, CryptoError> {
    Ok(RsaPrivateKey::generate(bits)?.to_pkcs8_der())
}

/// Signs `msg` with a PKCS#8 or PKCS#1 (DER) RSA private key.
pub fn sign(private_key_der: &[u8], alg: SigAlgorithm, msg: &[u8]) -> Result<Vec<u8>, CryptoError> {
    RsaPrivateKey::from_der(private_key_der)?.sign(alg, msg)
}

/// Verifies with a SubjectPublicKeyInfo or PKCS#1 (DER) RSA public key.
pub fn verify(
    public_key_der: &[u8],
    alg: SigAlgorithm,
    msg: &[u8],
    signature: &[u8],
) -> Result<(), CryptoError> {
    RsaPublicKey::from_der(public_key_der)?.verify(alg, msg, signature)
}

/// Encrypts with a SubjectPublicKeyInfo or PKCS#1 (DER) RSA public key.
pub fn encrypt(
    public_key_der: &[u8],
    padding: RsaEncryptionPadding,
    plaintext: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    RsaPublicKey::from_der(public_key_der)?.encrypt(padding, plaintext)
}

/// Decrypts with a PKCS#8 or PKCS#1 (DER) RSA private key.
pub fn decrypt(
    private_key_der: &[u8],
    padding: RsaEncryptionPadding,
    ciphertext: &[u8],
) -> Result<SecretBytes, CryptoError> {
    RsaPrivateKey::from_der(private_key_der)?.decrypt(padding, ciphertext)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest;
    use crate::test_vectors as tv;
    use std::sync::LazyLock;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    /// One generated 2048-bit key shared by the tests (generation is slow).
    static KEY: LazyLock<RsaPrivateKey> = LazyLock::new(|| RsaPrivateKey::generate(2048).unwrap());

    #[test]
    fn wycheproof_pkcs1v15_signature_generation() {
        for (pkcs8, msg, sig, alg) in [
            (
                tv::RSA_SIGGEN_SHA256_PKCS8,
                tv::RSA_SIGGEN_SHA256_MSG,
                tv::RSA_SIGGEN_SHA256_SIG,
                SigAlgorithm::RsaPkcs1v15Sha256,
            ),
            (
                tv::RSA_SIGGEN_SHA384_PKCS8,
                tv::RSA_SIGGEN_SHA384_MSG,
                tv::RSA_SIGGEN_SHA384_SIG,
                SigAlgorithm::RsaPkcs1v15Sha384,
            ),
            (
                tv::RSA_SIGGEN_SHA512_PKCS8,
                tv::RSA_SIGGEN_SHA512_MSG,
                tv::RSA_SIGGEN_SHA512_SIG,
                SigAlgorithm::RsaPkcs1v15Sha512,
            ),
        ] {
            let key = RsaPrivateKey::from_pkcs8_der(&h(pkcs8)).unwrap();
            // PKCS#1 v1.5 is deterministic: the signature must be the vector's.
            assert_eq!(hex::encode(key.sign(alg, &h(msg)).unwrap()), sig);
            let digest = digest::digest(alg.hash().unwrap(), &h(msg));
            assert_eq!(hex::encode(key.sign_digest(alg, &digest).unwrap()), sig);
            key.public_key().verify(alg, &h(msg), &h(sig)).unwrap();
            key.public_key()
                .verify_digest(alg, &digest, &h(sig))
                .unwrap();
            let mut bad = h(sig);
            bad[10] ^= 1;
            assert_eq!(
                key.public_key().verify(alg, &h(msg), &bad),
                Err(CryptoError::Signature)
            );
        }
    }

    #[test]
    fn sha1_pkcs1v15_verifies_but_does_not_sign() {
        let key = RsaPrivateKey::from_pkcs8_der(&h(tv::RSA_SIGGEN_SHA1_PKCS8)).unwrap();
        let alg = SigAlgorithm::RsaPkcs1v15Sha1;
        key.public_key()
            .verify(
                alg,
                &h(tv::RSA_SIGGEN_SHA1_MSG),
                &h(tv::RSA_SIGGEN_SHA1_SIG),
            )
            .unwrap();
        assert!(matches!(
            key.sign(alg, b"m"),
            Err(CryptoError::Unsupported(_))
        ));
        assert!(matches!(
            key.sign(SigAlgorithm::RsaPssSha1, b"m"),
            Err(CryptoError::Unsupported(_))
        ));
        // PSS with SHA-1 verifies (crate::rsa_ext): an invalid signature is refused as such.
        assert_eq!(
            key.public_key()
                .verify(SigAlgorithm::RsaPssSha1, b"m", &[0u8; 256]),
            Err(CryptoError::Signature)
        );
    }

    #[test]
    fn wycheproof_pss_verification() {
        for (spki, msg, sig, alg) in [
            (
                tv::RSA_PSS_SHA256_SPKI,
                tv::RSA_PSS_SHA256_MSG,
                tv::RSA_PSS_SHA256_SIG,
                SigAlgorithm::RsaPssSha256,
            ),
            (
                tv::RSA_PSS_SHA384_SPKI,
                tv::RSA_PSS_SHA384_MSG,
                tv::RSA_PSS_SHA384_SIG,
                SigAlgorithm::RsaPssSha384,
            ),
            (
                tv::RSA_PSS_SHA512_SPKI,
                tv::RSA_PSS_SHA512_MSG,
                tv::RSA_PSS_SHA512_SIG,
                SigAlgorithm::RsaPssSha512,
            ),
        ] {
            let key = RsaPublicKey::from_spki_der(&h(spki)).unwrap();
            key.verify(alg, &h(msg), &h(sig)).unwrap();
            let digest = digest::digest(alg.hash().unwrap(), &h(msg));
            key.verify_digest(alg, &digest, &h(sig)).unwrap();
            assert_eq!(
                key.verify(alg, b"other message", &h(sig)),
                Err(CryptoError::Signature)
            );
            verify(&h(spki), alg, &h(msg), &h(sig)).unwrap();
        }
    }

    #[test]
    fn pss_verifies_the_largest_salt_of_another_implementation() {
        let key = RsaPublicKey::from_pkcs1_der(&h(tv::PSS_MAX_SALT_PUBLIC_PKCS1)).unwrap();
        let alg = SigAlgorithm::RsaPssSha256;
        let msg = b"signed by python cryptography";
        let sig = h(tv::PSS_MAX_SALT_SIG);
        key.verify(alg, msg, &sig).unwrap();
        let digest = digest::digest(digest::HashAlgorithm::Sha256, msg);
        key.verify_digest(alg, &digest, &sig).unwrap();
        assert_eq!(
            key.verify(alg, b"other message", &sig),
            Err(CryptoError::Signature)
        );
        let mut bad = sig.clone();
        bad[7] ^= 1;
        assert_eq!(key.verify(alg, msg, &bad), Err(CryptoError::Signature));
        // Only the two conventional salt lengths are tried.
        assert_eq!(
            key.verify(alg, msg, &h(tv::PSS_SALT_20_SIG)),
            Err(CryptoError::Signature)
        );
        // Our own signatures (hash-length salt) still verify.
        let own = KEY.sign(alg, msg).unwrap();
        KEY.public_key().verify(alg, msg, &own).unwrap();
    }

    #[test]
    fn wycheproof_oaep_and_pkcs1_decryption() {
        for (pkcs8, msg, ct, pad) in [
            (
                tv::RSA_OAEP_SHA1_PKCS8,
                tv::RSA_OAEP_SHA1_MSG,
                tv::RSA_OAEP_SHA1_CT,
                RsaEncryptionPadding::OaepSha1,
            ),
            (
                tv::RSA_OAEP_SHA256_PKCS8,
                tv::RSA_OAEP_SHA256_MSG,
                tv::RSA_OAEP_SHA256_CT,
                RsaEncryptionPadding::OaepSha256,
            ),
            (
                tv::RSA_OAEP_SHA384_PKCS8,
                tv::RSA_OAEP_SHA384_MSG,
                tv::RSA_OAEP_SHA384_CT,
                RsaEncryptionPadding::OaepSha384,
            ),
            (
                tv::RSA_OAEP_SHA512_PKCS8,
                tv::RSA_OAEP_SHA512_MSG,
                tv::RSA_OAEP_SHA512_CT,
                RsaEncryptionPadding::OaepSha512,
            ),
            (
                tv::RSA_PKCS1_ENC_PKCS8,
                tv::RSA_PKCS1_ENC_MSG,
                tv::RSA_PKCS1_ENC_CT,
                RsaEncryptionPadding::Pkcs1v15,
            ),
        ] {
            let key = RsaPrivateKey::from_pkcs8_der(&h(pkcs8)).unwrap();
            assert_eq!(hex::encode(&key.decrypt(pad, &h(ct)).unwrap()[..]), msg);
            // Round trip through the public key (randomized: compare plaintexts).
            let ct2 = key.public_key().encrypt(pad, &h(msg)).unwrap();
            assert_ne!(hex::encode(&ct2), ct);
            assert_eq!(hex::encode(&key.decrypt(pad, &ct2).unwrap()[..]), msg);
            let mut bad = h(ct);
            bad[100] ^= 1;
            assert_eq!(key.decrypt(pad, &bad), Err(CryptoError::Decryption));
        }
        let key = RsaPrivateKey::from_pkcs8_der(&h(tv::RSA_OAEP_SHA256_PKCS8)).unwrap();
        let label = h(tv::RSA_OAEP_SHA256_LABEL);
        let pt = key
            .decrypt_with_label(
                RsaEncryptionPadding::OaepSha256,
                Some(&label),
                &h(tv::RSA_OAEP_SHA256_LABEL_CT),
            )
            .unwrap();
        assert_eq!(hex::encode(&pt[..]), tv::RSA_OAEP_SHA256_LABEL_MSG);
        assert_eq!(
            key.decrypt(
                RsaEncryptionPadding::OaepSha256,
                &h(tv::RSA_OAEP_SHA256_LABEL_CT)
            ),
            Err(CryptoError::Decryption)
        );
        // The wrong OAEP hash fails too.
        assert_eq!(
            key.decrypt(RsaEncryptionPadding::OaepSha1, &h(tv::RSA_OAEP_SHA256_CT)),
            Err(CryptoError::Decryption)
        );
    }

    #[test]
    fn generated_key_signs_verifies_and_wraps() {
        let key = &*KEY;
        assert_eq!(key.modulus_bits(), 2048);
        assert_eq!(key.public_key().components().e, vec![1, 0, 1]);
        for alg in [
            SigAlgorithm::RsaPkcs1v15Sha256,
            SigAlgorithm::RsaPkcs1v15Sha384,
            SigAlgorithm::RsaPkcs1v15Sha512,
            SigAlgorithm::RsaPssSha256,
            SigAlgorithm::RsaPssSha384,
            SigAlgorithm::RsaPssSha512,
        ] {
            let sig = key.sign(alg, b"message").unwrap();
            assert_eq!(sig.len(), 256);
            key.public_key().verify(alg, b"message", &sig).unwrap();
            assert_eq!(
                key.public_key().verify(alg, b"messagf", &sig),
                Err(CryptoError::Signature)
            );
            let digest = digest::digest(alg.hash().unwrap(), b"message");
            let sig = key.sign_digest(alg, &digest).unwrap();
            key.public_key().verify(alg, b"message", &sig).unwrap();
            assert!(matches!(
                key.sign_digest(alg, &digest[1..]),
                Err(CryptoError::InvalidInput(_))
            ));
        }
        // A signature by another key does not verify.
        let other = RsaPrivateKey::from_pkcs8_der(&h(tv::RSA_OAEP_SHA256_PKCS8)).unwrap();
        let sig = other.sign(SigAlgorithm::RsaPssSha256, b"m").unwrap();
        assert_eq!(
            key.public_key()
                .verify(SigAlgorithm::RsaPssSha256, b"m", &sig),
            Err(CryptoError::Signature)
        );
        // Wrapping a 32-byte key with OAEP-SHA256, and decrypting with the wrong key.
        let ct = key
            .public_key()
            .encrypt(RsaEncryptionPadding::OaepSha256, &[7u8; 32])
            .unwrap();
        assert_eq!(
            &key.decrypt(RsaEncryptionPadding::OaepSha256, &ct).unwrap()[..],
            &[7u8; 32]
        );
        assert_eq!(
            other.decrypt(RsaEncryptionPadding::OaepSha256, &ct),
            Err(CryptoError::Decryption)
        );
        // Too long for OAEP-SHA512 (max 256 - 2*64 - 2 = 126 bytes).
        assert!(matches!(
            key.public_key()
                .encrypt(RsaEncryptionPadding::OaepSha512, &[0u8; 127]),
            Err(CryptoError::InvalidInput(_))
        ));
        assert!(
            key.public_key()
                .encrypt(RsaEncryptionPadding::OaepSha512, &[0u8; 126])
                .is_ok()
        );
        // ECDSA algorithms are refused by RSA keys.
        assert!(matches!(
            key.sign(SigAlgorithm::EcdsaSha256, b"m"),
            Err(CryptoError::InvalidKey(_))
        ));
    }

    #[test]
    fn key_sizes() {
        assert!(matches!(
            RsaPrivateKey::generate(1024),
            Err(CryptoError::KeyLength { .. })
        ));
        for bits in [3072, 4096] {
            let k = RsaPrivateKey::generate(bits).unwrap();
            assert_eq!(k.modulus_bits(), bits);
            let sig = k.sign(SigAlgorithm::RsaPssSha384, b"x").unwrap();
            k.public_key()
                .verify(SigAlgorithm::RsaPssSha384, b"x", &sig)
                .unwrap();
        }
    }

    #[test]
    fn encodings_and_components_round_trip() {
        let key = RsaPrivateKey::from_pkcs8_der(&h(tv::RSA_OAEP_SHA256_PKCS8)).unwrap();
        assert_eq!(&key.to_pkcs8_der()[..], &h(tv::RSA_OAEP_SHA256_PKCS8)[..]);
        let pkcs1 = key.to_pkcs1_der().unwrap();
        let again = RsaPrivateKey::from_pkcs1_der(&pkcs1).unwrap();
        assert_eq!(again.to_pkcs8_der(), key.to_pkcs8_der());
        assert!(RsaPrivateKey::from_der(&pkcs1).is_ok());
        assert!(RsaPrivateKey::from_pkcs8_der(&pkcs1).is_err());
        let c = key.components().unwrap();
        assert_eq!(c.n, strip_leading_zeros(&h(tv::RSA_OAEP_SHA256_N)));
        assert_eq!(c.e, h(tv::RSA_OAEP_SHA256_E));
        assert_eq!(&c.d[..], strip_leading_zeros(&h(tv::RSA_OAEP_SHA256_D)));
        assert_eq!(&c.p[..], strip_leading_zeros(&h(tv::RSA_OAEP_SHA256_P)));
        assert_eq!(&c.q[..], strip_leading_zeros(&h(tv::RSA_OAEP_SHA256_Q)));
        assert_eq!(&c.dp[..], strip_leading_zeros(&h(tv::RSA_OAEP_SHA256_DP)));
        assert_eq!(&c.dq[..], strip_leading_zeros(&h(tv::RSA_OAEP_SHA256_DQ)));
        assert_eq!(
            &c.qinv[..],
            strip_leading_zeros(&h(tv::RSA_OAEP_SHA256_QINV))
        );
        let rebuilt = RsaPrivateKey::from_components(&c).unwrap();
        assert_eq!(rebuilt.to_pkcs8_der(), key.to_pkcs8_der());
        let mut broken = c.clone();
        broken.dp[5] ^= 1;
        assert!(matches!(
            RsaPrivateKey::from_components(&broken),
            Err(CryptoError::InvalidKey(_))
        ));
        assert!(!format!("{c:?}").contains(&hex::encode(&c.d[..8])));

        let public = key.public_key();
        let spki = public.to_spki_der();
        let pkcs1_pub = public.to_pkcs1_der();
        assert_eq!(
            RsaPublicKey::from_spki_der(&spki).unwrap().to_pkcs1_der(),
            pkcs1_pub
        );
        assert_eq!(
            RsaPublicKey::from_pkcs1_der(&pkcs1_pub)
                .unwrap()
                .to_spki_der(),
            spki
        );
        assert!(RsaPublicKey::from_pkcs1_der(&spki).is_err());
        assert!(RsaPublicKey::from_spki_der(&pkcs1_pub).is_err());
        let from_c = RsaPublicKey::from_components(&h(tv::RSA_OAEP_SHA256_N), &c.e).unwrap();
        assert_eq!(from_c.to_spki_der(), spki);
        assert!(RsaPublicKey::from_der(b"garbage").is_err());
        assert!(RsaPrivateKey::from_der(b"garbage").is_err());
    }
}
