//! Asymmetric keys as operations use them: parsing the key a PublicKey, PrivateKey or
//! Certificate object holds (any Key Format Type ekms reads: Raw, PKCS#1, PKCS#8, X.509
//! SubjectPublicKeyInfo, SEC1 ECPrivateKey, and the Transparent RSA and EC structures) into
//! ekms-crypto keys, encoding them back in any of those formats, generating key pairs, and
//! RSA encryption with the padding KMIP Cryptographic Parameters name.
//!
//! Algorithms: RSA, EC (P-256, P-384, P-521; CryptographicAlgorithm EC, ECDSA or ECDH) and
//! Ed25519.

use super::keys::{block_info, key_block, key_material, not_a};
use super::object::ManagedObject;
use crate::error::KmipError;
use ekms_crypto::ec::{EcCurve, EcPrivateKey, EcPublicKey, EcdsaSigFormat};
use ekms_crypto::ed25519::{Ed25519PrivateKey, Ed25519PublicKey};
use ekms_crypto::rsa::{RsaEncryptionPadding, RsaPrivateComponents, RsaPrivateKey, RsaPublicKey};
use ekms_crypto::{CryptoError, HashAlgorithm, SigAlgorithm};
use ekms_kmip::enums::{
    CryptographicAlgorithm, HashingAlgorithm, KeyFormatType, ObjectType, PaddingMethod,
    RecommendedCurve, ResultReason,
};
use ekms_kmip::{CryptographicParameters, Tag, Ttlv};
use zeroize::Zeroizing;

/// A private key ekms can use.
pub enum PrivKey {
    Rsa(RsaPrivateKey),
    Ec(EcPrivateKey),
    Ed25519(Ed25519PrivateKey),
}

/// A public key ekms can use.
pub enum PubKey {
    Rsa(RsaPublicKey),
    Ec(EcPublicKey),
    Ed25519(Ed25519PublicKey),
}

/// The family of an asymmetric algorithm.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    Rsa,
    Ec,
    Ed25519,
}

impl Family {
    pub fn of(alg: CryptographicAlgorithm) -> Option<Self> {
        match alg {
            CryptographicAlgorithm::Rsa => Some(Self::Rsa),
            CryptographicAlgorithm::Ec
            | CryptographicAlgorithm::Ecdsa
            | CryptographicAlgorithm::Ecdh => Some(Self::Ec),
            CryptographicAlgorithm::Ed25519 => Some(Self::Ed25519),
            _ => None,
        }
    }
}

/// Maps a crypto error to the KMIP failure a client can act on.
pub fn failure(e: CryptoError) -> KmipError {
    super::cipher::crypto_failure(e)
}

fn bad_key(uid: &str, what: &str) -> KmipError {
    KmipError::new(
        ResultReason::InvalidField,
        format!("object {uid} does not hold a usable {what}"),
    )
}

/// The EC curve of a KMIP Recommended Curve.
pub fn curve_of(c: RecommendedCurve) -> Option<EcCurve> {
    match c {
        RecommendedCurve::P256 => Some(EcCurve::P256),
        RecommendedCurve::P384 => Some(EcCurve::P384),
        RecommendedCurve::P521 => Some(EcCurve::P521),
        _ => None,
    }
}

/// The KMIP Recommended Curve of an EC curve.
pub fn recommended(c: EcCurve) -> RecommendedCurve {
    match c {
        EcCurve::P256 => RecommendedCurve::P256,
        EcCurve::P384 => RecommendedCurve::P384,
        EcCurve::P521 => RecommendedCurve::P521,
    }
}

/// The hash of a KMIP Hashing Algorithm, where ekms-crypto has it.
pub fn hash_of(h: HashingAlgorithm) -> Result<HashAlgorithm, KmipError> {
    Ok(match h {
        HashingAlgorithm::Sha1 => HashAlgorithm::Sha1,
        HashingAlgorithm::Sha224 => HashAlgorithm::Sha224,
        HashingAlgorithm::Sha256 => HashAlgorithm::Sha256,
        HashingAlgorithm::Sha384 => HashAlgorithm::Sha384,
        HashingAlgorithm::Sha512 => HashAlgorithm::Sha512,
        HashingAlgorithm::Sha512_256 => HashAlgorithm::Sha512_256,
        HashingAlgorithm::Sha3_256 => HashAlgorithm::Sha3_256,
        HashingAlgorithm::Sha3_384 => HashAlgorithm::Sha3_384,
        HashingAlgorithm::Sha3_512 => HashAlgorithm::Sha3_512,
        other => {
            return Err(KmipError::new(
                ResultReason::FeatureNotSupported,
                format!("hashing algorithm {} is not supported", other.name()),
            ));
        }
    })
}

/// Strips the sign byte and leading zeros of a positive BigInteger.
fn unsigned(b: &[u8]) -> &[u8] {
    let first = b.iter().position(|x| *x != 0).unwrap_or(b.len());
    b.get(first..).unwrap_or(&[])
}

/// A positive integer as a KMIP BigInteger (two's complement, big-endian).
fn big(tag: Tag, b: &[u8]) -> Ttlv {
    let b = unsigned(b);
    let mut v = Vec::with_capacity(b.len() + 1);
    if b.first().is_none_or(|x| x & 0x80 != 0) {
        v.push(0);
    }
    v.extend_from_slice(b);
    Ttlv::big_integer(tag, v)
}

fn big_field(s: &Ttlv, tag: Tag) -> Result<&[u8], KmipError> {
    s.child(tag)
        .and_then(Ttlv::as_big_integer)
        .map(unsigned)
        .ok_or_else(|| KmipError::missing(tag.name().unwrap_or("a key component")))
}

fn curve_field(s: &Ttlv, fallback: Option<RecommendedCurve>) -> Result<EcCurve, KmipError> {
    let c = match s.child(Tag::RECOMMENDED_CURVE) {
        Some(c) => c.as_enum().and_then(RecommendedCurve::from_u32),
        None => fallback,
    };
    c.and_then(curve_of).ok_or_else(|| {
        KmipError::new(
            ResultReason::FeatureNotSupported,
            "ekms uses the EC curves P-256, P-384 and P-521",
        )
    })
}

/// The algorithm family of an object, from its attributes or its Key Block.
fn family(obj: &ManagedObject, block: &Ttlv) -> Result<Option<Family>, KmipError> {
    let alg = obj
        .attributes
        .cryptographic_algorithm
        .or(block_info(block)?.algorithm);
    Ok(alg.and_then(Family::of))
}

/// What the key parsers read from an object's Key Block: its format, its Key Material and the
/// algorithm family (from the attributes, else the block).
fn parts<'a>(
    obj: &ManagedObject,
    block: &'a Ttlv,
) -> Result<(KeyFormatType, &'a Ttlv, Option<Family>), KmipError> {
    Ok((
        block_info(block)?.format,
        key_material(block)?,
        family(obj, block)?,
    ))
}

/// Parses the private key of a PrivateKey object.
pub fn private_key(obj: &ManagedObject) -> Result<PrivKey, KmipError> {
    if obj.object_type != ObjectType::PrivateKey {
        return Err(not_a(obj, "a private key"));
    }
    let value = obj.value()?;
    let block = key_block(&value).ok_or_else(|| KmipError::missing("KeyBlock"))?;
    let (format, material, fam) = parts(obj, block)?;
    let curve = obj.attributes.recommended_curve;
    let bad = || bad_key(&obj.uid, "private key");
    match format {
        KeyFormatType::TransparentRsaPrivateKey => {
            let c = RsaPrivateComponents {
                n: big_field(material, Tag::MODULUS)?.to_vec(),
                e: big_field(material, Tag::PUBLIC_EXPONENT)?.to_vec(),
                d: Zeroizing::new(big_field(material, Tag::PRIVATE_EXPONENT)?.to_vec()),
                p: Zeroizing::new(big_field(material, Tag::P)?.to_vec()),
                q: Zeroizing::new(big_field(material, Tag::Q)?.to_vec()),
                dp: Zeroizing::new(big_field(material, Tag::PRIME_EXPONENT_P)?.to_vec()),
                dq: Zeroizing::new(big_field(material, Tag::PRIME_EXPONENT_Q)?.to_vec()),
                qinv: Zeroizing::new(big_field(material, Tag::CRT_COEFFICIENT)?.to_vec()),
            };
            RsaPrivateKey::from_components(&c)
                .map(PrivKey::Rsa)
                .map_err(|_| bad())
        }
        KeyFormatType::TransparentEcPrivateKey
        | KeyFormatType::TransparentEcdsaPrivateKey
        | KeyFormatType::TransparentEcdhPrivateKey => {
            let c = curve_field(material, curve)?;
            let d = big_field(material, Tag::D)?;
            EcPrivateKey::from_scalar(c, d)
                .map(PrivKey::Ec)
                .map_err(|_| bad())
        }
        _ => {
            let bytes = material.as_bytes().ok_or_else(bad)?;
            let try_rsa = || RsaPrivateKey::from_der(bytes).ok().map(PrivKey::Rsa);
            let try_ec = || {
                EcPrivateKey::from_der(bytes)
                    .ok()
                    .or_else(|| EcPrivateKey::from_pkcs8_der(bytes).ok())
                    .or_else(|| {
                        curve
                            .and_then(curve_of)
                            .and_then(|c| EcPrivateKey::from_scalar(c, bytes).ok())
                    })
                    .map(PrivKey::Ec)
            };
            let try_ed = || {
                Ed25519PrivateKey::from_pkcs8_der(bytes)
                    .ok()
                    .or_else(|| Ed25519PrivateKey::from_seed(bytes).ok())
                    .map(PrivKey::Ed25519)
            };
            by_family(fam, try_rsa, try_ec, try_ed, || {
                try_rsa().or_else(try_ec).or_else(|| {
                    Ed25519PrivateKey::from_pkcs8_der(bytes)
                        .ok()
                        .map(PrivKey::Ed25519)
                })
            })
            .ok_or_else(bad)
        }
    }
}

/// Parses the public key of a PublicKey object, or of a Certificate (its subject key).
pub fn public_key(obj: &ManagedObject) -> Result<PubKey, KmipError> {
    match obj.object_type {
        ObjectType::PublicKey => {}
        ObjectType::Certificate => return certificate_key(obj),
        _ => return Err(not_a(obj, "a public key")),
    }
    let value = obj.value()?;
    let block = key_block(&value).ok_or_else(|| KmipError::missing("KeyBlock"))?;
    let (format, material, fam) = parts(obj, block)?;
    let curve = obj.attributes.recommended_curve;
    let bad = || bad_key(&obj.uid, "public key");
    match format {
        KeyFormatType::TransparentRsaPublicKey => RsaPublicKey::from_components(
            big_field(material, Tag::MODULUS)?,
            big_field(material, Tag::PUBLIC_EXPONENT)?,
        )
        .map(PubKey::Rsa)
        .map_err(|_| bad()),
        KeyFormatType::TransparentEcPublicKey
        | KeyFormatType::TransparentEcdsaPublicKey
        | KeyFormatType::TransparentEcdhPublicKey => {
            let c = curve_field(material, curve)?;
            let q = material
                .child(Tag::Q_STRING)
                .and_then(Ttlv::as_bytes)
                .ok_or_else(|| KmipError::missing("QString"))?;
            EcPublicKey::from_point(c, q)
                .map(PubKey::Ec)
                .map_err(|_| bad())
        }
        _ => {
            let bytes = material.as_bytes().ok_or_else(bad)?;
            parse_public_der(bytes, fam, curve).ok_or_else(bad)
        }
    }
}

/// Parses DER (SubjectPublicKeyInfo, PKCS#1) or raw (EC point, Ed25519 key) public key bytes.
fn parse_public_der(
    bytes: &[u8],
    fam: Option<Family>,
    curve: Option<RecommendedCurve>,
) -> Option<PubKey> {
    let try_rsa = || RsaPublicKey::from_der(bytes).ok().map(PubKey::Rsa);
    let try_ec = || {
        EcPublicKey::from_spki_der(bytes)
            .ok()
            .or_else(|| {
                curve
                    .and_then(curve_of)
                    .and_then(|c| EcPublicKey::from_point(c, bytes).ok())
            })
            .map(PubKey::Ec)
    };
    let try_ed = || {
        Ed25519PublicKey::from_der_or_raw(bytes)
            .ok()
            .map(PubKey::Ed25519)
    };
    by_family(fam, try_rsa, try_ec, try_ed, || {
        try_rsa()
            .or_else(|| EcPublicKey::from_spki_der(bytes).ok().map(PubKey::Ec))
            .or_else(|| {
                Ed25519PublicKey::from_spki_der(bytes)
                    .ok()
                    .map(PubKey::Ed25519)
            })
    })
}

/// Parses key bytes of an undeclared encoding with the parser of the key's family, or, when
/// the family is unknown, with `guess` (each parser in turn).
fn by_family<K>(
    fam: Option<Family>,
    rsa: impl FnOnce() -> Option<K>,
    ec: impl FnOnce() -> Option<K>,
    ed25519: impl FnOnce() -> Option<K>,
    guess: impl FnOnce() -> Option<K>,
) -> Option<K> {
    match fam {
        Some(Family::Rsa) => rsa(),
        Some(Family::Ec) => ec(),
        Some(Family::Ed25519) => ed25519(),
        None => guess(),
    }
}

/// The subject public key of an X.509 certificate object.
fn certificate_key(obj: &ManagedObject) -> Result<PubKey, KmipError> {
    let value = obj.value()?;
    let der = value
        .child(Tag::CERTIFICATE_VALUE)
        .and_then(Ttlv::as_bytes)
        .ok_or_else(|| KmipError::missing("CertificateValue"))?;
    let (_, cert) = x509_parser::parse_x509_certificate(der)
        .map_err(|_| bad_key(&obj.uid, "X.509 certificate"))?;
    let spki = cert.public_key().raw;
    parse_public_der(spki, None, None).ok_or_else(|| bad_key(&obj.uid, "certificate public key"))
}

impl PrivKey {
    pub fn family(&self) -> Family {
        match self {
            PrivKey::Rsa(_) => Family::Rsa,
            PrivKey::Ec(_) => Family::Ec,
            PrivKey::Ed25519(_) => Family::Ed25519,
        }
    }

    /// The public half.
    pub fn public(&self) -> PubKey {
        match self {
            PrivKey::Rsa(k) => PubKey::Rsa(k.public_key().clone()),
            PrivKey::Ec(k) => PubKey::Ec(k.public_key().clone()),
            PrivKey::Ed25519(k) => PubKey::Ed25519(k.public_key().clone()),
        }
    }

    /// The key size in bits (RSA modulus, EC field, 256 for Ed25519).
    pub fn bits(&self) -> usize {
        match self {
            PrivKey::Rsa(k) => k.modulus_bits(),
            PrivKey::Ec(k) => k.curve().bits(),
            PrivKey::Ed25519(_) => 256,
        }
    }

    /// PKCS#8 DER.
    pub fn to_pkcs8(&self) -> Result<Zeroizing<Vec<u8>>, KmipError> {
        match self {
            PrivKey::Rsa(k) => Ok(k.to_pkcs8_der()),
            PrivKey::Ec(k) => Ok(k.to_pkcs8_der()),
            PrivKey::Ed25519(k) => k.to_pkcs8_der().map_err(failure),
        }
    }

    /// The Key Material of this key in `format` (the KeyMaterial item), or None if the format
    /// does not apply to the key's algorithm.
    pub fn material(&self, format: KeyFormatType) -> Result<Option<Ttlv>, KmipError> {
        let bytes = |b: Zeroizing<Vec<u8>>| Some(Ttlv::bytes(Tag::KEY_MATERIAL, b.to_vec()));
        Ok(match (self, format) {
            (_, KeyFormatType::Pkcs8) => bytes(self.to_pkcs8()?),
            (PrivKey::Rsa(k), KeyFormatType::Pkcs1) => bytes(k.to_pkcs1_der().map_err(failure)?),
            (PrivKey::Rsa(k), KeyFormatType::TransparentRsaPrivateKey) => {
                let c = k.components().map_err(failure)?;
                Some(Ttlv::structure(
                    Tag::KEY_MATERIAL,
                    vec![
                        big(Tag::MODULUS, &c.n),
                        big(Tag::PRIVATE_EXPONENT, &c.d),
                        big(Tag::PUBLIC_EXPONENT, &c.e),
                        big(Tag::P, &c.p),
                        big(Tag::Q, &c.q),
                        big(Tag::PRIME_EXPONENT_P, &c.dp),
                        big(Tag::PRIME_EXPONENT_Q, &c.dq),
                        big(Tag::CRT_COEFFICIENT, &c.qinv),
                    ],
                ))
            }
            (PrivKey::Ec(k), KeyFormatType::EcPrivateKey) => {
                bytes(k.to_sec1_der().map_err(failure)?)
            }
            (
                PrivKey::Ec(k),
                KeyFormatType::TransparentEcPrivateKey
                | KeyFormatType::TransparentEcdsaPrivateKey
                | KeyFormatType::TransparentEcdhPrivateKey,
            ) => {
                let d = k.scalar().map_err(failure)?;
                Some(Ttlv::structure(
                    Tag::KEY_MATERIAL,
                    vec![
                        Ttlv::enumeration(Tag::RECOMMENDED_CURVE, recommended(k.curve()).as_u32()),
                        big(Tag::D, &d),
                    ],
                ))
            }
            (PrivKey::Ed25519(k), KeyFormatType::Raw) => bytes(k.seed().map_err(failure)?),
            _ => None,
        })
    }

    /// Decrypts with RSA (OAEP, with its label if any, or PKCS#1 v1.5).
    pub fn rsa_decrypt(
        &self,
        padding: RsaEncryptionPadding,
        label: Option<&[u8]>,
        data: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, KmipError> {
        match self {
            PrivKey::Rsa(k) => k.decrypt_with_label(padding, label, data).map_err(failure),
            _ => Err(KmipError::new(
                ResultReason::IllegalObjectType,
                "only RSA keys decrypt",
            )),
        }
    }
}

impl PubKey {
    pub fn family(&self) -> Family {
        match self {
            PubKey::Rsa(_) => Family::Rsa,
            PubKey::Ec(_) => Family::Ec,
            PubKey::Ed25519(_) => Family::Ed25519,
        }
    }

    /// The key size in bits.
    pub fn bits(&self) -> usize {
        match self {
            PubKey::Rsa(k) => k.modulus_bits(),
            PubKey::Ec(k) => k.curve().bits(),
            PubKey::Ed25519(_) => 256,
        }
    }

    /// SubjectPublicKeyInfo DER.
    pub fn to_spki(&self) -> Result<Vec<u8>, KmipError> {
        match self {
            PubKey::Rsa(k) => Ok(k.to_spki_der()),
            PubKey::Ec(k) => Ok(k.to_spki_der()),
            PubKey::Ed25519(k) => k.to_spki_der().map_err(failure),
        }
    }

    /// The Key Material of this key in `format`, or None if the format does not apply.
    pub fn material(&self, format: KeyFormatType) -> Result<Option<Ttlv>, KmipError> {
        let bytes = |b: Vec<u8>| Some(Ttlv::bytes(Tag::KEY_MATERIAL, b));
        Ok(match (self, format) {
            (_, KeyFormatType::X509) => bytes(self.to_spki()?),
            (PubKey::Rsa(k), KeyFormatType::Pkcs1) => bytes(k.to_pkcs1_der()),
            (PubKey::Rsa(k), KeyFormatType::TransparentRsaPublicKey) => {
                let c = k.components();
                Some(Ttlv::structure(
                    Tag::KEY_MATERIAL,
                    vec![big(Tag::MODULUS, &c.n), big(Tag::PUBLIC_EXPONENT, &c.e)],
                ))
            }
            (
                PubKey::Ec(k),
                KeyFormatType::TransparentEcPublicKey
                | KeyFormatType::TransparentEcdsaPublicKey
                | KeyFormatType::TransparentEcdhPublicKey,
            ) => Some(Ttlv::structure(
                Tag::KEY_MATERIAL,
                vec![
                    Ttlv::enumeration(Tag::RECOMMENDED_CURVE, recommended(k.curve()).as_u32()),
                    Ttlv::bytes(Tag::Q_STRING, k.point().to_vec()),
                ],
            )),
            (PubKey::Ec(k), KeyFormatType::Raw) => bytes(k.point().to_vec()),
            (PubKey::Ed25519(k), KeyFormatType::Raw) => bytes(k.to_raw().to_vec()),
            _ => None,
        })
    }

    /// Encrypts with RSA (OAEP, with its label if any, or PKCS#1 v1.5).
    pub fn rsa_encrypt(
        &self,
        padding: RsaEncryptionPadding,
        label: Option<&[u8]>,
        data: &[u8],
    ) -> Result<Vec<u8>, KmipError> {
        match self {
            PubKey::Rsa(k) => k.encrypt_with_label(padding, label, data).map_err(failure),
            _ => Err(KmipError::new(
                ResultReason::IllegalObjectType,
                "only RSA keys encrypt",
            )),
        }
    }
}

/// The RSA encryption padding of Cryptographic Parameters: OAEP (the default) with the
/// Hashing Algorithm (SHA-256 by default) and MGF1 over the Mask Generator Hashing Algorithm
/// (the Hashing Algorithm by default), or PKCS#1 v1.5.
pub fn rsa_padding(
    params: Option<&CryptographicParameters>,
) -> Result<RsaEncryptionPadding, KmipError> {
    let padding = params.and_then(|p| p.padding_method);
    match padding {
        None | Some(PaddingMethod::Oaep) => {
            let hash = match params.and_then(|p| p.hashing_algorithm) {
                Some(h) => hash_of(h)?,
                None => HashAlgorithm::Sha256,
            };
            // MGF1 over the message hash unless the client names another (ekms_crypto::rsa
            // takes a differing pair from RustCrypto's `rsa`, since aws-lc-rs pairs them).
            let mgf1 = match params.and_then(|p| p.mask_generator_hashing_algorithm) {
                Some(m) => hash_of(m)?,
                None => hash,
            };
            RsaEncryptionPadding::oaep_with_mgf1(hash, mgf1).map_err(failure)
        }
        Some(PaddingMethod::Pkcs1V1_5) => Ok(RsaEncryptionPadding::Pkcs1v15),
        Some(p) => Err(KmipError::new(
            ResultReason::BadCryptographicParameters,
            format!(
                "RSA encryption uses OAEP or PKCS1v1_5 padding, not {}",
                p.name()
            ),
        )),
    }
}

/// The OAEP label (P Source) of Cryptographic Parameters; none when absent or empty.
fn oaep_label(params: Option<&CryptographicParameters>) -> Option<&[u8]> {
    params
        .and_then(|p| p.p_source.as_deref())
        .filter(|l| !l.is_empty())
}

/// RSA encryption with a PublicKey object (key wrapping, Encrypt).
pub fn rsa_oaep_encrypt(
    key: &ManagedObject,
    params: Option<&CryptographicParameters>,
    data: &[u8],
) -> Result<Vec<u8>, KmipError> {
    public_key(key)?.rsa_encrypt(rsa_padding(params)?, oaep_label(params), data)
}

/// RSA decryption with a PrivateKey object (key unwrapping, Decrypt).
pub fn rsa_oaep_decrypt(
    key: &ManagedObject,
    params: Option<&CryptographicParameters>,
    data: &[u8],
) -> Result<Zeroizing<Vec<u8>>, KmipError> {
    private_key(key)?.rsa_decrypt(rsa_padding(params)?, oaep_label(params), data)
}

/// Generates a key pair of `family` of `bits` (RSA) or on `curve` (EC).
pub fn generate(family: Family, bits: usize, curve: Option<EcCurve>) -> Result<PrivKey, KmipError> {
    match family {
        Family::Rsa => RsaPrivateKey::generate(bits)
            .map(PrivKey::Rsa)
            .map_err(failure),
        Family::Ec => {
            let c = curve.ok_or_else(|| KmipError::missing("the EC curve"))?;
            EcPrivateKey::generate(c).map(PrivKey::Ec).map_err(failure)
        }
        Family::Ed25519 => Ed25519PrivateKey::generate()
            .map(PrivKey::Ed25519)
            .map_err(failure),
    }
}

/// The signature algorithm for a key of `family` (EC keys: on `curve`) under `params`:
/// the Digital Signature Algorithm if given, else the Padding Method (PSS or PKCS1v1_5, for
/// RSA) and the Hashing Algorithm. Defaults: RSA PKCS#1 v1.5 with SHA-256, ECDSA with the
/// curve's hash (SHA-256/384/512), Ed25519.
pub fn sig_algorithm(
    family: Family,
    curve: Option<EcCurve>,
    params: Option<&CryptographicParameters>,
) -> Result<SigAlgorithm, KmipError> {
    use ekms_kmip::enums::DigitalSignatureAlgorithm as D;
    let hash = params
        .and_then(|p| p.hashing_algorithm)
        .map(hash_of)
        .transpose()?;
    let mismatch = |what: &str| {
        KmipError::new(
            ResultReason::BadCryptographicParameters,
            format!("{what} does not match the key's algorithm"),
        )
    };
    if let Some(d) = params.and_then(|p| p.digital_signature_algorithm) {
        let (fam, alg) = match d {
            D::Sha1WithRsaEncryption => (Family::Rsa, SigAlgorithm::RsaPkcs1v15Sha1),
            D::Sha256WithRsaEncryption => (Family::Rsa, SigAlgorithm::RsaPkcs1v15Sha256),
            D::Sha384WithRsaEncryption => (Family::Rsa, SigAlgorithm::RsaPkcs1v15Sha384),
            D::Sha512WithRsaEncryption => (Family::Rsa, SigAlgorithm::RsaPkcs1v15Sha512),
            D::RsassaPss => (
                Family::Rsa,
                SigAlgorithm::rsa_pss(hash.unwrap_or(HashAlgorithm::Sha256)).map_err(failure)?,
            ),
            D::EcdsaWithSha1 => (Family::Ec, SigAlgorithm::EcdsaSha1),
            D::EcdsaWithSha224 => (Family::Ec, SigAlgorithm::EcdsaSha224),
            D::EcdsaWithSha256 => (Family::Ec, SigAlgorithm::EcdsaSha256),
            D::EcdsaWithSha384 => (Family::Ec, SigAlgorithm::EcdsaSha384),
            D::EcdsaWithSha512 => (Family::Ec, SigAlgorithm::EcdsaSha512),
            other => {
                return Err(KmipError::new(
                    ResultReason::FeatureNotSupported,
                    format!(
                        "digital signature algorithm {} is not supported",
                        other.name()
                    ),
                ));
            }
        };
        if fam != family {
            return Err(mismatch(d.name()));
        }
        return Ok(alg);
    }
    if let Some(a) = params.and_then(|p| p.cryptographic_algorithm)
        && Family::of(a) != Some(family)
    {
        return Err(mismatch(a.name()));
    }
    let padding = params.and_then(|p| p.padding_method);
    match family {
        Family::Rsa => {
            let h = hash.unwrap_or(HashAlgorithm::Sha256);
            match padding {
                None | Some(PaddingMethod::Pkcs1V1_5) => SigAlgorithm::rsa_pkcs1v15(h),
                Some(PaddingMethod::Pss) => SigAlgorithm::rsa_pss(h),
                Some(p) => {
                    return Err(KmipError::new(
                        ResultReason::BadCryptographicParameters,
                        format!(
                            "RSA signatures use PSS or PKCS1v1_5 padding, not {}",
                            p.name()
                        ),
                    ));
                }
            }
            .map_err(failure)
        }
        Family::Ec => {
            let h = hash
                .or(curve.map(EcCurve::default_hash))
                .unwrap_or(HashAlgorithm::Sha256);
            SigAlgorithm::ecdsa(h).map_err(failure)
        }
        Family::Ed25519 => Ok(SigAlgorithm::Ed25519),
    }
}

impl PrivKey {
    /// Signs `data` (or, with `prehashed`, a digest of the algorithm's hash). ECDSA signatures
    /// are DER (X9.62).
    pub fn sign(
        &self,
        params: Option<&CryptographicParameters>,
        data: &[u8],
        prehashed: bool,
    ) -> Result<Vec<u8>, KmipError> {
        let curve = match self {
            PrivKey::Ec(k) => Some(k.curve()),
            _ => None,
        };
        let alg = sig_algorithm(self.family(), curve, params)?;
        match (self, prehashed) {
            (PrivKey::Rsa(k), false) => k.sign(alg, data),
            (PrivKey::Rsa(k), true) => k.sign_digest(alg, data),
            (PrivKey::Ec(k), false) => k.sign_alg(alg, EcdsaSigFormat::Der, data),
            (PrivKey::Ec(k), true) => match alg.hash() {
                Some(hash) => k.sign_digest(hash, EcdsaSigFormat::Der, data),
                None => Err(CryptoError::InvalidInput("ECDSA needs a hash")),
            },
            (PrivKey::Ed25519(k), false) => k.sign(data),
            (PrivKey::Ed25519(_), true) => Err(CryptoError::Unsupported(
                "Ed25519 signs messages, not digests",
            )),
        }
        .map_err(failure)
    }
}

impl PubKey {
    /// Verifies `signature` over `data` (or a digest, with `prehashed`): Ok(false) when it
    /// does not verify.
    pub fn verify(
        &self,
        params: Option<&CryptographicParameters>,
        data: &[u8],
        prehashed: bool,
        signature: &[u8],
    ) -> Result<bool, KmipError> {
        let curve = match self {
            PubKey::Ec(k) => Some(k.curve()),
            _ => None,
        };
        let alg = sig_algorithm(self.family(), curve, params)?;
        let res = match (self, prehashed) {
            (PubKey::Rsa(k), false) => k.verify(alg, data, signature),
            (PubKey::Rsa(k), true) => k.verify_digest(alg, data, signature),
            (PubKey::Ec(k), false) => k.verify_alg(alg, EcdsaSigFormat::Der, data, signature),
            (PubKey::Ec(k), true) => match alg.hash() {
                Some(hash) => k.verify_digest(hash, EcdsaSigFormat::Der, data, signature),
                None => Err(CryptoError::InvalidInput("ECDSA needs a hash")),
            },
            (PubKey::Ed25519(k), false) => k.verify(data, signature),
            (PubKey::Ed25519(_), true) => Err(CryptoError::Unsupported(
                "Ed25519 verifies messages, not digests",
            )),
        };
        match res {
            Ok(()) => Ok(true),
            Err(CryptoError::Signature) => Ok(false),
            Err(e) => Err(failure(e)),
        }
    }
}
