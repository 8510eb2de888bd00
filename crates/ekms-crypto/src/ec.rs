//! ECDSA over P-256, P-384 and P-521 from aws-lc-rs: key generation, signing and verification
//! with ASN.1 DER signatures or fixed-width `r || s`, over a message or a pre-computed digest.
//!
//! The hashes each curve takes are those aws-lc-rs pairs it with:
//!
//! | curve | sign | verify |
//! |---|---|---|
//! | P-256 | SHA-256 | SHA-1, SHA-256, SHA-384, SHA-512 |
//! | P-384 | SHA-384, SHA3-384 | SHA-256, SHA-384, SHA-512, SHA3-384 |
//! | P-521 | SHA-224, SHA-256, SHA-384, SHA-512, SHA3-512 | the same and SHA-1 |
//!
//! Other pairs are [`CryptoError::Unsupported`]. Signatures are made in DER by aws-lc-rs and
//! re-encoded to `r || s` (and back, for verification) with the `der` crate: an encoding step,
//! no arithmetic.

use crate::digest::HashAlgorithm;
use crate::signature::SigAlgorithm;
use crate::{CryptoError, SecretBytes};
use aws_lc_rs::agreement;
use aws_lc_rs::encoding::{AsBigEndian, AsDer};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    self as aws_sig, EcdsaKeyPair, EcdsaSigningAlgorithm, EcdsaVerificationAlgorithm, KeyPair as _,
    ParsedPublicKey,
};
use der::asn1::{ObjectIdentifier, UintRef};
use std::sync::{Arc, OnceLock};

/// id-ecPublicKey.
pub(crate) const OID_EC_PUBLIC_KEY: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");

const OID_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const OID_P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const OID_P521: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.35");

/// The NIST curves offered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EcCurve {
    P256,
    P384,
    P521,
}

/// How an ECDSA signature is encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EcdsaSigFormat {
    /// ASN.1 DER `ECDSA-Sig-Value` (X.509, most KMIP clients).
    Der,
    /// `r || s`, each left-padded to the field size (IEEE P1363, JOSE, PKCS#11).
    Fixed,
}

impl EcCurve {
    pub const ALL: [EcCurve; 3] = [Self::P256, Self::P384, Self::P521];

    /// Bytes of a field element / scalar (32, 48, 66).
    pub fn field_len(self) -> usize {
        match self {
            Self::P256 => 32,
            Self::P384 => 48,
            Self::P521 => 66,
        }
    }

    /// Bits of the curve order (256, 384, 521).
    pub fn bits(self) -> usize {
        match self {
            Self::P256 => 256,
            Self::P384 => 384,
            Self::P521 => 521,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::P256 => "P-256",
            Self::P384 => "P-384",
            Self::P521 => "P-521",
        }
    }

    /// The hash usually paired with the curve (SHA-256, SHA-384, SHA-512).
    pub fn default_hash(self) -> HashAlgorithm {
        match self {
            Self::P256 => HashAlgorithm::Sha256,
            Self::P384 => HashAlgorithm::Sha384,
            Self::P521 => HashAlgorithm::Sha512,
        }
    }

    /// The curve's object identifier (secp256r1, secp384r1, secp521r1).
    pub fn oid(self) -> ObjectIdentifier {
        match self {
            Self::P256 => OID_P256,
            Self::P384 => OID_P384,
            Self::P521 => OID_P521,
        }
    }

    pub fn from_oid(oid: &ObjectIdentifier) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.oid() == *oid)
    }

    /// The named curve in the parameters of an EC key's algorithm identifier (SPKI, PKCS#8).
    pub(crate) fn of_algorithm(
        algorithm: &spki::AlgorithmIdentifierRef<'_>,
    ) -> Result<Self, CryptoError> {
        let curve_oid = algorithm
            .parameters_oid()
            .map_err(|_| CryptoError::InvalidKey("EC key without a named curve"))?;
        Self::from_oid(&curve_oid).ok_or(CryptoError::Unsupported(
            "EC curve other than P-256, P-384, P-521",
        ))
    }

    /// Uncompressed point length (1 + 2 × field length).
    pub fn point_len(self) -> usize {
        1 + 2 * self.field_len()
    }

    fn ecdh(self) -> &'static agreement::Algorithm {
        match self {
            Self::P256 => &agreement::ECDH_P256,
            Self::P384 => &agreement::ECDH_P384,
            Self::P521 => &agreement::ECDH_P521,
        }
    }

    /// Any signing algorithm of the curve (to parse keys).
    fn any_signing(self) -> &'static EcdsaSigningAlgorithm {
        match self {
            Self::P256 => &aws_sig::ECDSA_P256_SHA256_ASN1_SIGNING,
            Self::P384 => &aws_sig::ECDSA_P384_SHA384_ASN1_SIGNING,
            Self::P521 => &aws_sig::ECDSA_P521_SHA512_ASN1_SIGNING,
        }
    }

    fn signing(self, hash: HashAlgorithm) -> Result<&'static EcdsaSigningAlgorithm, CryptoError> {
        use HashAlgorithm as H;
        Ok(match (self, hash) {
            (Self::P256, H::Sha256) => &aws_sig::ECDSA_P256_SHA256_ASN1_SIGNING,
            (Self::P384, H::Sha384) => &aws_sig::ECDSA_P384_SHA384_ASN1_SIGNING,
            (Self::P384, H::Sha3_384) => &aws_sig::ECDSA_P384_SHA3_384_ASN1_SIGNING,
            (Self::P521, H::Sha224) => &aws_sig::ECDSA_P521_SHA224_ASN1_SIGNING,
            (Self::P521, H::Sha256) => &aws_sig::ECDSA_P521_SHA256_ASN1_SIGNING,
            (Self::P521, H::Sha384) => &aws_sig::ECDSA_P521_SHA384_ASN1_SIGNING,
            (Self::P521, H::Sha512) => &aws_sig::ECDSA_P521_SHA512_ASN1_SIGNING,
            (Self::P521, H::Sha3_512) => &aws_sig::ECDSA_P521_SHA3_512_ASN1_SIGNING,
            _ => {
                return Err(CryptoError::Unsupported(
                    "ECDSA signing with this curve and hash (not in aws-lc-rs)",
                ));
            }
        })
    }

    fn verification(
        self,
        hash: HashAlgorithm,
    ) -> Result<&'static EcdsaVerificationAlgorithm, CryptoError> {
        use HashAlgorithm as H;
        Ok(match (self, hash) {
            (Self::P256, H::Sha1) => &aws_sig::ECDSA_P256_SHA1_ASN1,
            (Self::P256, H::Sha256) => &aws_sig::ECDSA_P256_SHA256_ASN1,
            (Self::P256, H::Sha384) => &aws_sig::ECDSA_P256_SHA384_ASN1,
            (Self::P256, H::Sha512) => &aws_sig::ECDSA_P256_SHA512_ASN1,
            (Self::P384, H::Sha256) => &aws_sig::ECDSA_P384_SHA256_ASN1,
            (Self::P384, H::Sha384) => &aws_sig::ECDSA_P384_SHA384_ASN1,
            (Self::P384, H::Sha512) => &aws_sig::ECDSA_P384_SHA512_ASN1,
            (Self::P384, H::Sha3_384) => &aws_sig::ECDSA_P384_SHA3_384_ASN1,
            (Self::P521, H::Sha1) => &aws_sig::ECDSA_P521_SHA1_ASN1,
            (Self::P521, H::Sha224) => &aws_sig::ECDSA_P521_SHA224_ASN1,
            (Self::P521, H::Sha256) => &aws_sig::ECDSA_P521_SHA256_ASN1,
            (Self::P521, H::Sha384) => &aws_sig::ECDSA_P521_SHA384_ASN1,
            (Self::P521, H::Sha512) => &aws_sig::ECDSA_P521_SHA512_ASN1,
            (Self::P521, H::Sha3_512) => &aws_sig::ECDSA_P521_SHA3_512_ASN1,
            _ => {
                return Err(CryptoError::Unsupported(
                    "ECDSA verification with this curve and hash (not in aws-lc-rs)",
                ));
            }
        })
    }
}

fn ecdsa_hash(alg: SigAlgorithm) -> Result<HashAlgorithm, CryptoError> {
    match alg.scheme() {
        crate::signature::SigScheme::Ecdsa => alg.hash().ok_or(CryptoError::InvalidKey(
            "an EC key cannot use this algorithm",
        )),
        _ => Err(CryptoError::InvalidKey(
            "an EC key cannot use this algorithm",
        )),
    }
}

fn hash_index(hash: HashAlgorithm) -> usize {
    HashAlgorithm::ALL
        .iter()
        .position(|h| *h == hash)
        .unwrap_or(0)
}

/// Re-encodes a DER `ECDSA-Sig-Value` as fixed-width `r || s`.
pub fn der_to_fixed(curve: EcCurve, der_sig: &[u8]) -> Result<Vec<u8>, CryptoError> {
    use der::{Decode, Reader, SliceReader};
    let bad = || CryptoError::Encoding("not a DER ECDSA signature for this curve");
    let mut reader = SliceReader::new(der_sig).map_err(|_| bad())?;
    let (r, s) = reader
        .sequence(|seq: &mut SliceReader<'_>| {
            let r = UintRef::decode(seq)?;
            let s = UintRef::decode(seq)?;
            Ok::<_, der::Error>((r, s))
        })
        .map_err(|_| bad())?;
    reader.finish().map_err(|_| bad())?;
    let n = curve.field_len();
    let (r, s) = (r.as_bytes(), s.as_bytes());
    if r.len() > n || s.len() > n {
        return Err(bad());
    }
    let mut out = vec![0u8; 2 * n];
    out[n - r.len()..n].copy_from_slice(r);
    out[2 * n - s.len()..].copy_from_slice(s);
    Ok(out)
}

struct SigValue<'a> {
    r: UintRef<'a>,
    s: UintRef<'a>,
}

impl der::EncodeValue for SigValue<'_> {
    fn value_len(&self) -> der::Result<der::Length> {
        use der::Encode;
        self.r.encoded_len()? + self.s.encoded_len()?
    }

    fn encode_value(&self, writer: &mut impl der::Writer) -> der::Result<()> {
        use der::Encode;
        self.r.encode(writer)?;
        self.s.encode(writer)
    }
}

impl der::FixedTag for SigValue<'_> {
    const TAG: der::Tag = der::Tag::Sequence;
}

/// Re-encodes a fixed-width `r || s` signature as DER.
pub fn fixed_to_der(curve: EcCurve, fixed: &[u8]) -> Result<Vec<u8>, CryptoError> {
    use der::Encode;
    let n = curve.field_len();
    if fixed.len() != 2 * n {
        return Err(CryptoError::Encoding(
            "a fixed ECDSA signature is twice the field length",
        ));
    }
    let bad = |_| CryptoError::Encoding("ECDSA signature re-encoding");
    let r = UintRef::new(crate::rsa::strip_leading_zeros(&fixed[..n])).map_err(bad)?;
    let s = UintRef::new(crate::rsa::strip_leading_zeros(&fixed[n..])).map_err(bad)?;
    SigValue { r, s }.to_der().map_err(bad)
}

/// An EC public key (uncompressed point and its SubjectPublicKeyInfo), parsed once.
#[derive(Clone)]
pub struct EcPublicKey {
    curve: EcCurve,
    point: Vec<u8>,
    spki: Vec<u8>,
    verifiers: [OnceLock<Arc<ParsedPublicKey>>; HashAlgorithm::ALL.len()],
}

impl std::fmt::Debug for EcPublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EcPublicKey")
            .field("curve", &self.curve)
            .field("point", &hex::encode(&self.point))
            .finish()
    }
}

impl PartialEq for EcPublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.curve == other.curve && self.point == other.point
    }
}

impl EcPublicKey {
    /// From a SEC1 point (uncompressed `04 || x || y`, or compressed) on `curve`.
    pub fn from_point(curve: EcCurve, point: &[u8]) -> Result<Self, CryptoError> {
        let parsed = ParsedPublicKey::new(curve.verification(curve.default_hash())?, point)
            .map_err(|_| CryptoError::InvalidKey("not a point on this curve"))?;
        let spki = parsed
            .as_der()
            .map_err(|_| CryptoError::Failed("EC public key encoding"))?
            .as_ref()
            .to_vec();
        Self::from_spki_der(&spki)
    }

    /// From a SubjectPublicKeyInfo (DER) with id-ecPublicKey and a named curve.
    pub fn from_spki_der(der_bytes: &[u8]) -> Result<Self, CryptoError> {
        use der::Decode;
        let info = spki::SubjectPublicKeyInfoRef::from_der(der_bytes)
            .map_err(|_| CryptoError::Encoding("not a SubjectPublicKeyInfo"))?;
        if info.algorithm.oid != OID_EC_PUBLIC_KEY {
            return Err(CryptoError::InvalidKey("not an EC public key"));
        }
        let curve = EcCurve::of_algorithm(&info.algorithm)?;
        let raw = info
            .subject_public_key
            .as_bytes()
            .ok_or(CryptoError::Encoding("EC public key bit string"))?;
        // Validate the point and normalize to the uncompressed SPKI aws-lc-rs writes.
        let parsed = ParsedPublicKey::new(curve.verification(curve.default_hash())?, der_bytes)
            .map_err(|_| CryptoError::InvalidKey("not a point on this curve"))?;
        let canonical = parsed
            .as_der()
            .map_err(|_| CryptoError::Failed("EC public key encoding"))?
            .as_ref()
            .to_vec();
        let point = if raw.len() == curve.point_len() && raw[0] == 4 {
            raw.to_vec()
        } else {
            let info = spki::SubjectPublicKeyInfoRef::from_der(&canonical)
                .map_err(|_| CryptoError::Failed("EC public key encoding"))?;
            info.subject_public_key
                .as_bytes()
                .ok_or(CryptoError::Failed("EC public key encoding"))?
                .to_vec()
        };
        if point.len() != curve.point_len() {
            return Err(CryptoError::Failed("EC public key encoding"));
        }
        Ok(Self {
            curve,
            point,
            spki: canonical,
            verifiers: Default::default(),
        })
    }

    pub fn curve(&self) -> EcCurve {
        self.curve
    }

    /// The uncompressed SEC1 point `04 || x || y` (KMIP "Q String").
    pub fn point(&self) -> &[u8] {
        &self.point
    }

    /// SubjectPublicKeyInfo DER.
    pub fn to_spki_der(&self) -> Vec<u8> {
        self.spki.clone()
    }

    fn verifier(&self, hash: HashAlgorithm) -> Result<&ParsedPublicKey, CryptoError> {
        let alg = self.curve.verification(hash)?;
        let cell = &self.verifiers[hash_index(hash)];
        if cell.get().is_none() {
            let parsed = ParsedPublicKey::new(alg, &self.point)
                .map_err(|_| CryptoError::InvalidKey("not a point on this curve"))?;
            let _ = cell.set(Arc::new(parsed));
        }
        cell.get()
            .map(|a| a.as_ref())
            .ok_or(CryptoError::Failed("EC verifier cache"))
    }

    fn to_der_sig(&self, format: EcdsaSigFormat, sig: &[u8]) -> Result<Vec<u8>, CryptoError> {
        match format {
            EcdsaSigFormat::Der => Ok(sig.to_vec()),
            EcdsaSigFormat::Fixed => {
                fixed_to_der(self.curve, sig).map_err(|_| CryptoError::Signature)
            }
        }
    }

    /// Verifies an ECDSA signature over `msg` with `hash`.
    pub fn verify(
        &self,
        hash: HashAlgorithm,
        format: EcdsaSigFormat,
        msg: &[u8],
        signature: &[u8],
    ) -> Result<(), CryptoError> {
        let v = self.verifier(hash)?;
        let sig = self.to_der_sig(format, signature)?;
        v.verify_sig(msg, &sig).map_err(|_| CryptoError::Signature)
    }

    /// Verifies an ECDSA signature over a pre-computed `digest` made with `hash`.
    pub fn verify_digest(
        &self,
        hash: HashAlgorithm,
        format: EcdsaSigFormat,
        digest: &[u8],
        signature: &[u8],
    ) -> Result<(), CryptoError> {
        let v = self.verifier(hash)?;
        let d = hash.import_digest(digest)?;
        let sig = self.to_der_sig(format, signature)?;
        v.verify_digest_sig(&d, &sig)
            .map_err(|_| CryptoError::Signature)
    }
}

/// An EC private key, parsed once; it signs and holds its public key.
pub struct EcPrivateKey {
    curve: EcCurve,
    pkcs8: SecretBytes,
    public: EcPublicKey,
    signers: [OnceLock<Arc<EcdsaKeyPair>>; HashAlgorithm::ALL.len()],
}

impl std::fmt::Debug for EcPrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EcPrivateKey")
            .field("curve", &self.curve)
            .finish_non_exhaustive()
    }
}

impl Clone for EcPrivateKey {
    fn clone(&self) -> Self {
        Self {
            curve: self.curve,
            pkcs8: self.pkcs8.clone(),
            public: self.public.clone(),
            signers: self.signers.clone(),
        }
    }
}

/// The private scalar `d` as the curve's field length in bytes: leading zeros dropped, then
/// left-padded (KMIP and PKCS#1-style encodings may give it shorter or with a sign byte).
fn padded_scalar(curve: EcCurve, d: &[u8]) -> Result<SecretBytes, CryptoError> {
    let n = curve.field_len();
    let d = crate::rsa::strip_leading_zeros(d);
    if d.len() > n {
        return Err(CryptoError::InvalidKey(
            "EC private scalar too long for the curve",
        ));
    }
    let mut padded = SecretBytes::new(vec![0u8; n]);
    padded[n - d.len()..].copy_from_slice(d);
    Ok(padded)
}

impl EcPrivateKey {
    /// A new random key on `curve`.
    pub fn generate(curve: EcCurve) -> Result<Self, CryptoError> {
        let pair = EcdsaKeyPair::generate(curve.any_signing())
            .map_err(|_| CryptoError::Failed("EC key generation"))?;
        Self::from_pair(curve, pair)
    }

    fn from_pair(curve: EcCurve, pair: EcdsaKeyPair) -> Result<Self, CryptoError> {
        let pkcs8 = SecretBytes::new(
            pair.to_pkcs8v1()
                .map_err(|_| CryptoError::Failed("EC private key encoding"))?
                .as_ref()
                .to_vec(),
        );
        let public = EcPublicKey::from_point(curve, pair.public_key().as_ref())?;
        let key = Self {
            curve,
            pkcs8,
            public,
            signers: Default::default(),
        };
        let _ = key.signers[hash_index(curve.default_hash())].set(Arc::new(pair));
        Ok(key)
    }

    /// Parses a PKCS#8 or SEC1 (RFC 5915 `ECPrivateKey`) DER key on any of the three curves.
    pub fn from_der(der: &[u8]) -> Result<Self, CryptoError> {
        for curve in EcCurve::ALL {
            if let Ok(k) = Self::from_der_on(curve, der) {
                return Ok(k);
            }
        }
        Err(CryptoError::InvalidKey(
            "not a PKCS#8 or SEC1 private key on P-256, P-384 or P-521",
        ))
    }

    /// Parses a PKCS#8 or SEC1 DER key that must be on `curve`.
    pub fn from_der_on(curve: EcCurve, der: &[u8]) -> Result<Self, CryptoError> {
        let pair = EcdsaKeyPair::from_private_key_der(curve.any_signing(), der)
            .map_err(|_| CryptoError::InvalidKey("not an EC private key on this curve"))?;
        Self::from_pair(curve, pair)
    }

    /// Parses a PKCS#8 `PrivateKeyInfo` (DER) only.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, CryptoError> {
        for curve in EcCurve::ALL {
            if let Ok(pair) = EcdsaKeyPair::from_pkcs8(curve.any_signing(), der) {
                return Self::from_pair(curve, pair);
            }
        }
        Err(CryptoError::InvalidKey("not a PKCS#8 EC private key"))
    }

    /// From the private scalar `d` (big-endian; shorter values are left-padded). The public
    /// point is computed by aws-lc-rs.
    pub fn from_scalar(curve: EcCurve, d: &[u8]) -> Result<Self, CryptoError> {
        let padded = padded_scalar(curve, d)?;
        let ecdh = agreement::PrivateKey::from_private_key(curve.ecdh(), &padded)
            .map_err(|_| CryptoError::InvalidKey("not a valid private scalar for this curve"))?;
        let q = ecdh
            .compute_public_key()
            .map_err(|_| CryptoError::InvalidKey("not a valid private scalar for this curve"))?;
        Self::from_scalar_and_point(curve, &padded, q.as_ref())
    }

    /// From `d` and the public point `Q` (checked to match).
    pub fn from_scalar_and_point(curve: EcCurve, d: &[u8], q: &[u8]) -> Result<Self, CryptoError> {
        let padded = padded_scalar(curve, d)?;
        let pair = EcdsaKeyPair::from_private_key_and_public_key(curve.any_signing(), &padded, q)
            .map_err(|_| {
            CryptoError::InvalidKey("EC private scalar and public point do not match")
        })?;
        Self::from_pair(curve, pair)
    }

    pub fn curve(&self) -> EcCurve {
        self.curve
    }

    pub fn public_key(&self) -> &EcPublicKey {
        &self.public
    }

    /// PKCS#8 `PrivateKeyInfo` DER.
    pub fn to_pkcs8_der(&self) -> SecretBytes {
        self.pkcs8.clone()
    }

    fn any_pair(&self) -> Result<&EcdsaKeyPair, CryptoError> {
        self.pair(self.curve.default_hash(), self.curve.any_signing())
    }

    /// SEC1 / RFC 5915 `ECPrivateKey` DER (with the curve and the public key).
    pub fn to_sec1_der(&self) -> Result<SecretBytes, CryptoError> {
        let der = self
            .any_pair()?
            .private_key()
            .as_der()
            .map_err(|_| CryptoError::Failed("EC private key encoding"))?;
        Ok(SecretBytes::new(der.as_ref().to_vec()))
    }

    /// The private scalar `d`, big-endian, field length (KMIP "D").
    pub fn scalar(&self) -> Result<SecretBytes, CryptoError> {
        let d = self
            .any_pair()?
            .private_key()
            .as_be_bytes()
            .map_err(|_| CryptoError::Failed("EC private key encoding"))?;
        Ok(SecretBytes::new(d.as_ref().to_vec()))
    }

    fn pair(
        &self,
        hash: HashAlgorithm,
        alg: &'static EcdsaSigningAlgorithm,
    ) -> Result<&EcdsaKeyPair, CryptoError> {
        let cell = &self.signers[hash_index(hash)];
        if cell.get().is_none() {
            let pair = EcdsaKeyPair::from_pkcs8(alg, &self.pkcs8)
                .map_err(|_| CryptoError::Failed("EC signing key setup"))?;
            let _ = cell.set(Arc::new(pair));
        }
        cell.get()
            .map(|a| a.as_ref())
            .ok_or(CryptoError::Failed("EC signing key setup"))
    }

    fn finish_sig(&self, format: EcdsaSigFormat, der_sig: &[u8]) -> Result<Vec<u8>, CryptoError> {
        match format {
            EcdsaSigFormat::Der => Ok(der_sig.to_vec()),
            EcdsaSigFormat::Fixed => der_to_fixed(self.curve, der_sig),
        }
    }

    /// Signs `msg` with `hash` (see the module table for the pairs aws-lc-rs offers).
    pub fn sign(
        &self,
        hash: HashAlgorithm,
        format: EcdsaSigFormat,
        msg: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        let alg = self.curve.signing(hash)?;
        let sig = self
            .pair(hash, alg)?
            .sign(&SystemRandom::new(), msg)
            .map_err(|_| CryptoError::Failed("ECDSA signing"))?;
        self.finish_sig(format, sig.as_ref())
    }

    /// Signs a pre-computed `digest` made with `hash`.
    pub fn sign_digest(
        &self,
        hash: HashAlgorithm,
        format: EcdsaSigFormat,
        digest: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        let alg = self.curve.signing(hash)?;
        let d = hash.import_digest(digest)?;
        let sig = self
            .pair(hash, alg)?
            .sign_digest(&d)
            .map_err(|_| CryptoError::Failed("ECDSA signing"))?;
        self.finish_sig(format, sig.as_ref())
    }

    /// Signs with a [`SigAlgorithm`] (ECDSA variants only).
    pub fn sign_alg(
        &self,
        alg: SigAlgorithm,
        format: EcdsaSigFormat,
        msg: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        self.sign(ecdsa_hash(alg)?, format, msg)
    }
}

impl EcPublicKey {
    /// Verifies with a [`SigAlgorithm`] (ECDSA variants only).
    pub fn verify_alg(
        &self,
        alg: SigAlgorithm,
        format: EcdsaSigFormat,
        msg: &[u8],
        signature: &[u8],
    ) -> Result<(), CryptoError> {
        self.verify(ecdsa_hash(alg)?, format, msg, signature)
    }
}

pub(crate) fn ecdsa_hash_of(alg: SigAlgorithm) -> Result<HashAlgorithm, CryptoError> {
    ecdsa_hash(alg)
}

/// Generates a key on `curve` and returns it as PKCS#8 DER.
pub fn generate(curve: EcCurve) -> Result<SecretBytes, CryptoError> {
    Ok(EcPrivateKey::generate(curve)?.to_pkcs8_der())
}

/// Signs `msg` with a PKCS#8 or SEC1 (DER) EC private key.
pub fn sign(
    private_key_der: &[u8],
    alg: SigAlgorithm,
    format: EcdsaSigFormat,
    msg: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    EcPrivateKey::from_der(private_key_der)?.sign_alg(alg, format, msg)
}

/// Verifies with a SubjectPublicKeyInfo (DER) EC public key.
pub fn verify(
    public_key_spki: &[u8],
    alg: SigAlgorithm,
    format: EcdsaSigFormat,
    msg: &[u8],
    signature: &[u8],
) -> Result<(), CryptoError> {
    EcPublicKey::from_spki_der(public_key_spki)?.verify_alg(alg, format, msg, signature)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest;
    use crate::test_vectors as tv;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    #[test]
    fn rfc_6979_keys_and_signatures() {
        // RFC 6979 A.2.5 (P-256) and A.2.6 (P-384): the private key gives the listed public
        // point, and the listed (r, s) for "sample" verify with the listed hash.
        let cases = [
            (
                EcCurve::P256,
                "C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721",
                "60FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB6",
                "7903FE1008B8BC99A41AE9E95628BC64F2F1B20C2D7E9F5177A3C294D4462299",
                HashAlgorithm::Sha256,
                "EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716",
                "F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8",
            ),
            (
                EcCurve::P384,
                "6B9D3DAD2E1B8C1C05B19875B6659F4DE23C3B667BF297BA9AA47740787137D896D5724E4C70A825F872C9EA60D2EDF5",
                "EC3A4E415B4E19A4568618029F427FA5DA9A8BC4AE92E02E06AAE5286B300C64DEF8F0EA9055866064A254515480BC13",
                "8015D9B72D7D57244EA8EF9AC0C621896708A59367F9DFB9F54CA84B3F1C9DB1288B231C3AE0D4FE7344FD2533264720",
                HashAlgorithm::Sha384,
                "94EDBB92A5ECB8AAD4736E56C691916B3F88140666CE9FA73D64C4EA95AD133C81A648152E44ACF96E36DD1E80FABE46",
                "99EF4AEB15F178CEA1FE40DB2603138F130E740A19624526203B6351D0A3A94FA329C145786E679E7B82C71A38628AC8",
            ),
        ];
        for (curve, d, ux, uy, hash, r, s) in cases {
            let key = EcPrivateKey::from_scalar(curve, &h(d)).unwrap();
            let mut q = vec![4u8];
            q.extend(h(ux));
            q.extend(h(uy));
            assert_eq!(key.public_key().point(), &q[..]);
            assert_eq!(hex::encode_upper(&key.scalar().unwrap()[..]), d);
            let mut fixed = h(r);
            fixed.extend(h(s));
            let public = key.public_key();
            public
                .verify(hash, EcdsaSigFormat::Fixed, b"sample", &fixed)
                .unwrap();
            let der_sig = fixed_to_der(curve, &fixed).unwrap();
            public
                .verify(hash, EcdsaSigFormat::Der, b"sample", &der_sig)
                .unwrap();
            assert_eq!(der_to_fixed(curve, &der_sig).unwrap(), fixed);
            let dg = digest::digest(hash, b"sample");
            public
                .verify_digest(hash, EcdsaSigFormat::Fixed, &dg, &fixed)
                .unwrap();
            assert_eq!(
                public.verify(hash, EcdsaSigFormat::Fixed, b"samplf", &fixed),
                Err(CryptoError::Signature)
            );
            assert_eq!(
                EcPrivateKey::from_scalar_and_point(curve, &h(d), &q)
                    .unwrap()
                    .public_key(),
                public
            );
        }
    }

    #[test]
    fn wycheproof_verification() {
        for (curve, hash, format, spki, point, msg, sig) in [
            (
                EcCurve::P256,
                HashAlgorithm::Sha256,
                EcdsaSigFormat::Der,
                tv::ECDSA_P256_SHA256_DER_SPKI,
                tv::ECDSA_P256_SHA256_DER_POINT,
                tv::ECDSA_P256_SHA256_DER_MSG,
                tv::ECDSA_P256_SHA256_DER_SIG,
            ),
            (
                EcCurve::P256,
                HashAlgorithm::Sha256,
                EcdsaSigFormat::Fixed,
                tv::ECDSA_P256_SHA256_FIXED_SPKI,
                tv::ECDSA_P256_SHA256_FIXED_POINT,
                tv::ECDSA_P256_SHA256_FIXED_MSG,
                tv::ECDSA_P256_SHA256_FIXED_SIG,
            ),
            (
                EcCurve::P384,
                HashAlgorithm::Sha384,
                EcdsaSigFormat::Der,
                tv::ECDSA_P384_SHA384_DER_SPKI,
                tv::ECDSA_P384_SHA384_DER_POINT,
                tv::ECDSA_P384_SHA384_DER_MSG,
                tv::ECDSA_P384_SHA384_DER_SIG,
            ),
            (
                EcCurve::P521,
                HashAlgorithm::Sha512,
                EcdsaSigFormat::Der,
                tv::ECDSA_P521_SHA512_DER_SPKI,
                tv::ECDSA_P521_SHA512_DER_POINT,
                tv::ECDSA_P521_SHA512_DER_MSG,
                tv::ECDSA_P521_SHA512_DER_SIG,
            ),
            (
                EcCurve::P521,
                HashAlgorithm::Sha512,
                EcdsaSigFormat::Fixed,
                tv::ECDSA_P521_SHA512_FIXED_SPKI,
                tv::ECDSA_P521_SHA512_FIXED_POINT,
                tv::ECDSA_P521_SHA512_FIXED_MSG,
                tv::ECDSA_P521_SHA512_FIXED_SIG,
            ),
        ] {
            let from_spki = EcPublicKey::from_spki_der(&h(spki)).unwrap();
            let from_point = EcPublicKey::from_point(curve, &h(point)).unwrap();
            assert_eq!(from_spki, from_point);
            assert_eq!(from_spki.curve(), curve);
            assert_eq!(hex::encode(from_spki.point()), point);
            from_spki.verify(hash, format, &h(msg), &h(sig)).unwrap();
            let mut bad = h(sig);
            let last = bad.len() - 1;
            bad[last] ^= 1;
            assert_eq!(
                from_spki.verify(hash, format, &h(msg), &bad),
                Err(CryptoError::Signature)
            );
        }
    }

    #[test]
    fn sign_and_verify_every_offered_pair() {
        for curve in EcCurve::ALL {
            let key = EcPrivateKey::generate(curve).unwrap();
            for hash in HashAlgorithm::ALL {
                let signing = curve.signing(hash).is_ok();
                for format in [EcdsaSigFormat::Der, EcdsaSigFormat::Fixed] {
                    let res = key.sign(hash, format, b"msg");
                    if !signing {
                        assert!(
                            matches!(res, Err(CryptoError::Unsupported(_))),
                            "{curve:?} {hash:?}"
                        );
                        continue;
                    }
                    let sig = res.unwrap();
                    if format == EcdsaSigFormat::Fixed {
                        assert_eq!(sig.len(), 2 * curve.field_len());
                    }
                    let public = key.public_key();
                    public.verify(hash, format, b"msg", &sig).unwrap();
                    assert_eq!(
                        public.verify(hash, format, b"msh", &sig),
                        Err(CryptoError::Signature)
                    );
                    let dg = digest::digest(hash, b"msg");
                    let sig2 = key.sign_digest(hash, format, &dg).unwrap();
                    public.verify(hash, format, b"msg", &sig2).unwrap();
                    public.verify_digest(hash, format, &dg, &sig).unwrap();
                }
            }
            // The curve's default pairing always works, and another key's signature fails.
            let other = EcPrivateKey::generate(curve).unwrap();
            let sig = other
                .sign(curve.default_hash(), EcdsaSigFormat::Der, b"m")
                .unwrap();
            assert_eq!(
                key.public_key()
                    .verify(curve.default_hash(), EcdsaSigFormat::Der, b"m", &sig),
                Err(CryptoError::Signature)
            );
        }
    }

    #[test]
    fn encodings_round_trip() {
        for curve in EcCurve::ALL {
            let key = EcPrivateKey::generate(curve).unwrap();
            let pkcs8 = key.to_pkcs8_der();
            let sec1 = key.to_sec1_der().unwrap();
            let d = key.scalar().unwrap();
            assert_eq!(d.len(), curve.field_len());
            for k in [
                EcPrivateKey::from_der(&pkcs8).unwrap(),
                EcPrivateKey::from_der(&sec1).unwrap(),
                EcPrivateKey::from_pkcs8_der(&pkcs8).unwrap(),
                EcPrivateKey::from_scalar(curve, &d).unwrap(),
            ] {
                assert_eq!(k.curve(), curve);
                assert_eq!(k.public_key(), key.public_key());
                assert_eq!(&k.scalar().unwrap()[..], &d[..]);
            }
            assert!(EcPrivateKey::from_pkcs8_der(&sec1).is_err());
            let spki = key.public_key().to_spki_der();
            assert_eq!(
                EcPublicKey::from_spki_der(&spki).unwrap(),
                *key.public_key()
            );
            // A key of one curve is refused as another.
            let wrong = EcCurve::ALL.into_iter().find(|c| *c != curve).unwrap();
            assert!(EcPrivateKey::from_der_on(wrong, &pkcs8).is_err());
            assert!(EcPublicKey::from_point(wrong, key.public_key().point()).is_err());
        }
        // Bad scalars and points.
        assert!(EcPrivateKey::from_scalar(EcCurve::P256, &[0u8; 32]).is_err());
        assert!(EcPrivateKey::from_scalar(EcCurve::P256, &[1u8; 33]).is_err());
        assert!(EcPrivateKey::from_scalar(EcCurve::P256, &[0xffu8; 32]).is_err());
        let mut p = EcPrivateKey::generate(EcCurve::P256)
            .unwrap()
            .public_key()
            .point()
            .to_vec();
        p[40] ^= 1;
        assert!(EcPublicKey::from_point(EcCurve::P256, &p).is_err());
        assert!(EcPrivateKey::from_der(b"junk").is_err());
        assert!(matches!(
            fixed_to_der(EcCurve::P256, &[1u8; 63]),
            Err(CryptoError::Encoding(_))
        ));
        assert!(der_to_fixed(EcCurve::P256, b"\x30\x00").is_err());
    }
}
