//! Key formats: import and export of private and public keys between PKCS#8, PKCS#1 (RSA),
//! SEC1 (EC), SubjectPublicKeyInfo, raw bytes (EC scalar / point, Ed25519 seed / key), PEM or
//! DER, and the "Transparent" component views KMIP uses (RSA n, e, d, p, q, dp, dq, qinv; EC
//! curve, d, Q). KMIP Get with a KeyFormatType conversion is `parse` then `export`.
//!
//! The cryptographic work (validating keys, computing an EC public point from `d`, consistency
//! of RSA components) is aws-lc-rs's; the DER containers aws-lc-rs does not read or write
//! (the algorithm identifier of a PKCS#8 or SubjectPublicKeyInfo, the PKCS#1 structure inside a
//! PKCS#8 RSA key) are read with the RustCrypto `pkcs8`, `spki` and `pkcs1` crates, and PEM
//! with `pem-rfc7468` (through `der`). No arithmetic happens here.

use crate::ec::{EcCurve, EcPrivateKey, EcPublicKey, EcdsaSigFormat, OID_EC_PUBLIC_KEY};
use crate::ed25519::{Ed25519PrivateKey, Ed25519PublicKey};
use crate::rsa::{RsaPrivateComponents, RsaPrivateKey, RsaPublicComponents, RsaPublicKey};
use crate::signature::{SigAlgorithm, SigScheme};
use crate::{CryptoError, SecretBytes, pem};
use der::asn1::ObjectIdentifier;
use zeroize::Zeroizing;

/// rsaEncryption (PKCS#1).
pub(crate) const OID_RSA_ENCRYPTION: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
/// id-Ed25519 (RFC 8410).
pub(crate) const OID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");

const LABEL_PKCS8: &str = "PRIVATE KEY";
const LABEL_RSA_PRIVATE: &str = "RSA PRIVATE KEY";
const LABEL_EC_PRIVATE: &str = "EC PRIVATE KEY";
const LABEL_SPKI: &str = "PUBLIC KEY";
const LABEL_RSA_PUBLIC: &str = "RSA PUBLIC KEY";

/// The kind of an asymmetric key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyType {
    Rsa,
    Ec(EcCurve),
    Ed25519,
}

/// Encodings of a private key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PrivateKeyFormat {
    /// PKCS#8 `PrivateKeyInfo` (RFC 5208 / 5958), any key type.
    Pkcs8,
    /// PKCS#1 `RSAPrivateKey` (RFC 8017), RSA only.
    Pkcs1,
    /// SEC1 `ECPrivateKey` (RFC 5915), EC only.
    Sec1,
    /// Raw bytes: the EC scalar `d` (field length, big-endian) or the 32-byte Ed25519 seed.
    /// Not for RSA (use the transparent view). No PEM form.
    Raw,
}

/// Encodings of a public key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PublicKeyFormat {
    /// SubjectPublicKeyInfo (X.509), any key type.
    Spki,
    /// PKCS#1 `RSAPublicKey`, RSA only.
    Pkcs1,
    /// Raw bytes: the uncompressed EC point `04 || x || y` or the 32-byte Ed25519 key.
    /// Not for RSA. No PEM form.
    Raw,
}

/// DER bytes or PEM text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Encoding {
    Der,
    Pem,
}

/// A private key seen as its components (KMIP Transparent*PrivateKey). `Debug` shows no
/// private component.
#[derive(Clone, PartialEq, Eq)]
pub enum TransparentPrivateKey {
    Rsa(RsaPrivateComponents),
    /// `d` big-endian, field length.
    Ec {
        curve: EcCurve,
        d: SecretBytes,
    },
    /// The 32-byte seed.
    Ed25519 {
        seed: SecretBytes,
    },
}

impl std::fmt::Debug for TransparentPrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Rsa(c) => f.debug_tuple("Rsa").field(c).finish(),
            Self::Ec { curve, .. } => f
                .debug_struct("Ec")
                .field("curve", curve)
                .finish_non_exhaustive(),
            Self::Ed25519 { .. } => f.debug_struct("Ed25519").finish_non_exhaustive(),
        }
    }
}

/// A public key seen as its components (KMIP Transparent*PublicKey).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TransparentPublicKey {
    Rsa(RsaPublicComponents),
    /// `q` is the uncompressed point `04 || x || y`.
    Ec {
        curve: EcCurve,
        q: Vec<u8>,
    },
    /// The 32-byte public key.
    Ed25519 {
        q: Vec<u8>,
    },
}

fn private_label(format: PrivateKeyFormat) -> Result<&'static str, CryptoError> {
    match format {
        PrivateKeyFormat::Pkcs8 => Ok(LABEL_PKCS8),
        PrivateKeyFormat::Pkcs1 => Ok(LABEL_RSA_PRIVATE),
        PrivateKeyFormat::Sec1 => Ok(LABEL_EC_PRIVATE),
        PrivateKeyFormat::Raw => Err(CryptoError::Unsupported("PEM of a raw key")),
    }
}

fn public_label(format: PublicKeyFormat) -> Result<&'static str, CryptoError> {
    match format {
        PublicKeyFormat::Spki => Ok(LABEL_SPKI),
        PublicKeyFormat::Pkcs1 => Ok(LABEL_RSA_PUBLIC),
        PublicKeyFormat::Raw => Err(CryptoError::Unsupported("PEM of a raw key")),
    }
}

/// A private key of any supported type, parsed once (handles reusable for signing and, for
/// RSA, decryption).
#[derive(Clone, Debug)]
pub enum PrivateKey {
    Rsa(RsaPrivateKey),
    Ec(EcPrivateKey),
    Ed25519(Ed25519PrivateKey),
}

impl PrivateKey {
    /// Parses DER or PEM (detected), in PKCS#8, PKCS#1 or SEC1.
    pub fn parse(input: &[u8]) -> Result<Self, CryptoError> {
        if pem::is_pem(input) {
            Self::from_pem(input)
        } else {
            Self::from_der(input)
        }
    }

    /// Parses PEM labelled `PRIVATE KEY`, `RSA PRIVATE KEY` or `EC PRIVATE KEY`. The body is
    /// recognized by its content (some tools write PKCS#1 under the PKCS#8 label).
    pub fn from_pem(text: &[u8]) -> Result<Self, CryptoError> {
        let (label, der) = pem::decode(text)?;
        match label.as_str() {
            LABEL_PKCS8 | LABEL_RSA_PRIVATE | LABEL_EC_PRIVATE => Self::from_der(&der),
            "ENCRYPTED PRIVATE KEY" => Err(CryptoError::Unsupported(
                "encrypted PKCS#8 (decrypt it before importing)",
            )),
            _ => Err(CryptoError::Encoding("PEM label is not a private key")),
        }
    }

    /// Parses DER in PKCS#8, PKCS#1 (RSA) or SEC1 (EC), detected.
    pub fn from_der(der: &[u8]) -> Result<Self, CryptoError> {
        if let Ok(k) = Self::from_pkcs8_der(der) {
            return Ok(k);
        }
        if let Ok(k) = RsaPrivateKey::from_pkcs1_der(der) {
            return Ok(Self::Rsa(k));
        }
        if let Ok(k) = EcPrivateKey::from_der(der) {
            return Ok(Self::Ec(k));
        }
        Err(CryptoError::InvalidKey(
            "not a PKCS#8, PKCS#1 or SEC1 private key of a supported type",
        ))
    }

    /// Parses a PKCS#8 `PrivateKeyInfo` (DER), dispatching on its algorithm identifier.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, CryptoError> {
        use der::Decode;
        let info = pkcs8::PrivateKeyInfoRef::from_der(der)
            .map_err(|_| CryptoError::Encoding("not a PKCS#8 PrivateKeyInfo"))?;
        let oid = info.algorithm.oid;
        if oid == OID_RSA_ENCRYPTION {
            Ok(Self::Rsa(RsaPrivateKey::from_pkcs8_der(der)?))
        } else if oid == OID_EC_PUBLIC_KEY {
            let curve = EcCurve::of_algorithm(&info.algorithm)?;
            Ok(Self::Ec(EcPrivateKey::from_der_on(curve, der)?))
        } else if oid == OID_ED25519 {
            Ok(Self::Ed25519(Ed25519PrivateKey::from_pkcs8_der(der)?))
        } else {
            Err(CryptoError::Unsupported("private key algorithm"))
        }
    }

    /// Parses DER in the given format.
    pub fn from_der_format(format: PrivateKeyFormat, der: &[u8]) -> Result<Self, CryptoError> {
        match format {
            PrivateKeyFormat::Pkcs8 => Self::from_pkcs8_der(der),
            PrivateKeyFormat::Pkcs1 => Ok(Self::Rsa(RsaPrivateKey::from_pkcs1_der(der)?)),
            PrivateKeyFormat::Sec1 => {
                if pkcs8::PrivateKeyInfoRef::try_from(der).is_ok() {
                    return Err(CryptoError::InvalidKey("a PKCS#8 key, not SEC1"));
                }
                Ok(Self::Ec(EcPrivateKey::from_der(der)?))
            }
            PrivateKeyFormat::Raw => Err(CryptoError::InvalidInput(
                "raw keys need their type: use PrivateKey::from_raw",
            )),
        }
    }

    // jscpd:ignore-start (private and public keys mirror each other: see docs/design.md)
    /// From raw bytes: the EC scalar `d` or the Ed25519 seed.
    pub fn from_raw(key_type: KeyType, raw: &[u8]) -> Result<Self, CryptoError> {
        match key_type {
            KeyType::Ec(curve) => Ok(Self::Ec(EcPrivateKey::from_scalar(curve, raw)?)),
            KeyType::Ed25519 => Ok(Self::Ed25519(Ed25519PrivateKey::from_seed(raw)?)),
            KeyType::Rsa => Err(CryptoError::Unsupported(
                "raw RSA private keys (use PKCS#1 or the transparent components)",
            )),
        }
    }

    pub fn key_type(&self) -> KeyType {
        match self {
            Self::Rsa(_) => KeyType::Rsa,
            Self::Ec(k) => KeyType::Ec(k.curve()),
            Self::Ed25519(_) => KeyType::Ed25519,
        }
    }
    // jscpd:ignore-end

    /// DER (or raw bytes for [`PrivateKeyFormat::Raw`]) in `format`.
    pub fn to_der(&self, format: PrivateKeyFormat) -> Result<SecretBytes, CryptoError> {
        match (self, format) {
            (Self::Rsa(k), PrivateKeyFormat::Pkcs8) => Ok(k.to_pkcs8_der()),
            (Self::Rsa(k), PrivateKeyFormat::Pkcs1) => k.to_pkcs1_der(),
            (Self::Ec(k), PrivateKeyFormat::Pkcs8) => Ok(k.to_pkcs8_der()),
            (Self::Ec(k), PrivateKeyFormat::Sec1) => k.to_sec1_der(),
            (Self::Ec(k), PrivateKeyFormat::Raw) => k.scalar(),
            (Self::Ed25519(k), PrivateKeyFormat::Pkcs8) => k.to_pkcs8_der(),
            (Self::Ed25519(k), PrivateKeyFormat::Raw) => k.seed(),
            (Self::Rsa(_), _) => Err(CryptoError::Unsupported(
                "RSA private keys export as PKCS#8, PKCS#1 or transparent components",
            )),
            (Self::Ec(_), _) => Err(CryptoError::Unsupported(
                "EC private keys export as PKCS#8, SEC1, raw or transparent components",
            )),
            (Self::Ed25519(_), _) => Err(CryptoError::Unsupported(
                "Ed25519 private keys export as PKCS#8 or raw seed",
            )),
        }
    }

    /// PEM text in `format` (not for raw).
    pub fn to_pem(&self, format: PrivateKeyFormat) -> Result<Zeroizing<String>, CryptoError> {
        let label = private_label(format)?;
        let der = self.to_der(format)?;
        pem::encode(label, &der)
    }

    /// `format` in `encoding`, as bytes (PEM text as UTF-8).
    pub fn export(
        &self,
        format: PrivateKeyFormat,
        encoding: Encoding,
    ) -> Result<SecretBytes, CryptoError> {
        match encoding {
            Encoding::Der => self.to_der(format),
            Encoding::Pem => {
                let text = self.to_pem(format)?;
                Ok(SecretBytes::new(text.as_bytes().to_vec()))
            }
        }
    }

    /// The matching public key.
    pub fn public_key(&self) -> PublicKey {
        match self {
            Self::Rsa(k) => PublicKey::Rsa(k.public_key().clone()),
            Self::Ec(k) => PublicKey::Ec(k.public_key().clone()),
            Self::Ed25519(k) => PublicKey::Ed25519(k.public_key().clone()),
        }
    }

    /// The components view.
    pub fn to_transparent(&self) -> Result<TransparentPrivateKey, CryptoError> {
        Ok(match self {
            Self::Rsa(k) => TransparentPrivateKey::Rsa(k.components()?),
            Self::Ec(k) => TransparentPrivateKey::Ec {
                curve: k.curve(),
                d: k.scalar()?,
            },
            Self::Ed25519(k) => TransparentPrivateKey::Ed25519 { seed: k.seed()? },
        })
    }

    /// From the components view (validated by aws-lc-rs).
    pub fn from_transparent(t: &TransparentPrivateKey) -> Result<Self, CryptoError> {
        Ok(match t {
            TransparentPrivateKey::Rsa(c) => Self::Rsa(RsaPrivateKey::from_components(c)?),
            TransparentPrivateKey::Ec { curve, d } => {
                Self::Ec(EcPrivateKey::from_scalar(*curve, d)?)
            }
            TransparentPrivateKey::Ed25519 { seed } => {
                Self::Ed25519(Ed25519PrivateKey::from_seed(seed)?)
            }
        })
    }

    /// Signs `msg`; ECDSA signatures are DER (see [`crate::ec`] for `r || s`).
    pub fn sign(&self, alg: SigAlgorithm, msg: &[u8]) -> Result<Vec<u8>, CryptoError> {
        match (self, alg.scheme()) {
            (Self::Rsa(k), SigScheme::RsaPkcs1v15 | SigScheme::RsaPss) => k.sign(alg, msg),
            (Self::Ec(k), SigScheme::Ecdsa) => k.sign_alg(alg, EcdsaSigFormat::Der, msg),
            (Self::Ed25519(k), SigScheme::Ed25519) => k.sign(msg),
            _ => Err(CryptoError::InvalidKey(
                "key type does not match the signature algorithm",
            )),
        }
    }

    /// Signs a pre-computed digest (RSA and ECDSA; Ed25519 signs messages only).
    pub fn sign_digest(&self, alg: SigAlgorithm, digest: &[u8]) -> Result<Vec<u8>, CryptoError> {
        match (self, alg.scheme()) {
            (Self::Rsa(k), SigScheme::RsaPkcs1v15 | SigScheme::RsaPss) => {
                k.sign_digest(alg, digest)
            }
            (Self::Ec(k), SigScheme::Ecdsa) => {
                k.sign_digest(crate::ec::ecdsa_hash_of(alg)?, EcdsaSigFormat::Der, digest)
            }
            (Self::Ed25519(_), SigScheme::Ed25519) => Err(CryptoError::Unsupported(
                "Ed25519 over a pre-computed digest (PureEdDSA signs the message)",
            )),
            _ => Err(CryptoError::InvalidKey(
                "key type does not match the signature algorithm",
            )),
        }
    }
}

/// A public key of any supported type, parsed once.
#[derive(Clone, Debug)]
pub enum PublicKey {
    Rsa(RsaPublicKey),
    Ec(EcPublicKey),
    Ed25519(Ed25519PublicKey),
}

impl PublicKey {
    /// Parses DER or PEM (detected): SubjectPublicKeyInfo, or PKCS#1 `RSAPublicKey`.
    pub fn parse(input: &[u8]) -> Result<Self, CryptoError> {
        if pem::is_pem(input) {
            Self::from_pem(input)
        } else {
            Self::from_der(input)
        }
    }

    /// Parses PEM labelled `PUBLIC KEY` or `RSA PUBLIC KEY`.
    pub fn from_pem(text: &[u8]) -> Result<Self, CryptoError> {
        let (label, der) = pem::decode(text)?;
        match label.as_str() {
            LABEL_SPKI | LABEL_RSA_PUBLIC => Self::from_der(&der),
            _ => Err(CryptoError::Encoding("PEM label is not a public key")),
        }
    }

    /// Parses a SubjectPublicKeyInfo (any supported type) or a PKCS#1 `RSAPublicKey` (DER).
    pub fn from_der(der: &[u8]) -> Result<Self, CryptoError> {
        use der::Decode;
        match spki::SubjectPublicKeyInfoRef::from_der(der) {
            Ok(info) => {
                let oid = info.algorithm.oid;
                if oid == OID_RSA_ENCRYPTION {
                    Ok(Self::Rsa(RsaPublicKey::from_spki_der(der)?))
                } else if oid == OID_EC_PUBLIC_KEY {
                    Ok(Self::Ec(EcPublicKey::from_spki_der(der)?))
                } else if oid == OID_ED25519 {
                    Ok(Self::Ed25519(Ed25519PublicKey::from_spki_der(der)?))
                } else {
                    Err(CryptoError::Unsupported("public key algorithm"))
                }
            }
            Err(_) => RsaPublicKey::from_pkcs1_der(der)
                .map(Self::Rsa)
                .map_err(|_| {
                    CryptoError::InvalidKey("not a SubjectPublicKeyInfo or PKCS#1 public key")
                }),
        }
    }

    /// Parses DER in the given format.
    pub fn from_der_format(format: PublicKeyFormat, der: &[u8]) -> Result<Self, CryptoError> {
        match format {
            PublicKeyFormat::Spki => {
                use der::Decode;
                spki::SubjectPublicKeyInfoRef::from_der(der)
                    .map_err(|_| CryptoError::Encoding("not a SubjectPublicKeyInfo"))?;
                Self::from_der(der)
            }
            PublicKeyFormat::Pkcs1 => Ok(Self::Rsa(RsaPublicKey::from_pkcs1_der(der)?)),
            PublicKeyFormat::Raw => Err(CryptoError::InvalidInput(
                "raw keys need their type: use PublicKey::from_raw",
            )),
        }
    }

    // jscpd:ignore-start (private and public keys mirror each other: see docs/design.md)
    /// From raw bytes: an EC point (uncompressed or compressed) or the 32-byte Ed25519 key.
    pub fn from_raw(key_type: KeyType, raw: &[u8]) -> Result<Self, CryptoError> {
        match key_type {
            KeyType::Ec(curve) => Ok(Self::Ec(EcPublicKey::from_point(curve, raw)?)),
            KeyType::Ed25519 => Ok(Self::Ed25519(Ed25519PublicKey::from_raw(raw)?)),
            KeyType::Rsa => Err(CryptoError::Unsupported(
                "raw RSA public keys (use PKCS#1 or the transparent components)",
            )),
        }
    }

    pub fn key_type(&self) -> KeyType {
        match self {
            Self::Rsa(_) => KeyType::Rsa,
            Self::Ec(k) => KeyType::Ec(k.curve()),
            Self::Ed25519(_) => KeyType::Ed25519,
        }
    }
    // jscpd:ignore-end

    /// DER (or raw bytes for [`PublicKeyFormat::Raw`]) in `format`.
    pub fn to_der(&self, format: PublicKeyFormat) -> Result<Vec<u8>, CryptoError> {
        match (self, format) {
            (Self::Rsa(k), PublicKeyFormat::Spki) => Ok(k.to_spki_der()),
            (Self::Rsa(k), PublicKeyFormat::Pkcs1) => Ok(k.to_pkcs1_der()),
            (Self::Ec(k), PublicKeyFormat::Spki) => Ok(k.to_spki_der()),
            (Self::Ec(k), PublicKeyFormat::Raw) => Ok(k.point().to_vec()),
            (Self::Ed25519(k), PublicKeyFormat::Spki) => k.to_spki_der(),
            (Self::Ed25519(k), PublicKeyFormat::Raw) => Ok(k.to_raw().to_vec()),
            (Self::Rsa(_), _) => Err(CryptoError::Unsupported(
                "RSA public keys export as SubjectPublicKeyInfo, PKCS#1 or components",
            )),
            (_, _) => Err(CryptoError::Unsupported(
                "EC and Ed25519 public keys export as SubjectPublicKeyInfo or raw",
            )),
        }
    }

    /// PEM text in `format` (not for raw).
    pub fn to_pem(&self, format: PublicKeyFormat) -> Result<String, CryptoError> {
        let label = public_label(format)?;
        let der = self.to_der(format)?;
        Ok(pem::encode(label, &der)?.to_string())
    }

    /// `format` in `encoding`, as bytes (PEM text as UTF-8).
    pub fn export(
        &self,
        format: PublicKeyFormat,
        encoding: Encoding,
    ) -> Result<Vec<u8>, CryptoError> {
        match encoding {
            Encoding::Der => self.to_der(format),
            Encoding::Pem => Ok(self.to_pem(format)?.into_bytes()),
        }
    }

    /// The components view.
    pub fn to_transparent(&self) -> TransparentPublicKey {
        match self {
            Self::Rsa(k) => TransparentPublicKey::Rsa(k.components()),
            Self::Ec(k) => TransparentPublicKey::Ec {
                curve: k.curve(),
                q: k.point().to_vec(),
            },
            Self::Ed25519(k) => TransparentPublicKey::Ed25519 {
                q: k.to_raw().to_vec(),
            },
        }
    }

    /// From the components view (validated by aws-lc-rs).
    pub fn from_transparent(t: &TransparentPublicKey) -> Result<Self, CryptoError> {
        Ok(match t {
            TransparentPublicKey::Rsa(c) => Self::Rsa(RsaPublicKey::from_components(&c.n, &c.e)?),
            TransparentPublicKey::Ec { curve, q } => Self::Ec(EcPublicKey::from_point(*curve, q)?),
            TransparentPublicKey::Ed25519 { q } => Self::Ed25519(Ed25519PublicKey::from_raw(q)?),
        })
    }

    /// Verifies a signature over `msg` (ECDSA signatures in DER).
    pub fn verify(
        &self,
        alg: SigAlgorithm,
        msg: &[u8],
        signature: &[u8],
    ) -> Result<(), CryptoError> {
        match (self, alg.scheme()) {
            (Self::Rsa(k), SigScheme::RsaPkcs1v15 | SigScheme::RsaPss) => {
                k.verify(alg, msg, signature)
            }
            (Self::Ec(k), SigScheme::Ecdsa) => {
                k.verify_alg(alg, EcdsaSigFormat::Der, msg, signature)
            }
            (Self::Ed25519(k), SigScheme::Ed25519) => k.verify(msg, signature),
            _ => Err(CryptoError::InvalidKey(
                "key type does not match the signature algorithm",
            )),
        }
    }

    /// Verifies a signature over a pre-computed digest (RSA and ECDSA).
    pub fn verify_digest(
        &self,
        alg: SigAlgorithm,
        digest: &[u8],
        signature: &[u8],
    ) -> Result<(), CryptoError> {
        match (self, alg.scheme()) {
            (Self::Rsa(k), SigScheme::RsaPkcs1v15 | SigScheme::RsaPss) => {
                k.verify_digest(alg, digest, signature)
            }
            (Self::Ec(k), SigScheme::Ecdsa) => k.verify_digest(
                crate::ec::ecdsa_hash_of(alg)?,
                EcdsaSigFormat::Der,
                digest,
                signature,
            ),
            (Self::Ed25519(_), SigScheme::Ed25519) => Err(CryptoError::Unsupported(
                "Ed25519 over a pre-computed digest (PureEdDSA signs the message)",
            )),
            _ => Err(CryptoError::InvalidKey(
                "key type does not match the signature algorithm",
            )),
        }
    }
}

/// Re-encodes a private key (DER or PEM in any supported format) as `format` in `encoding`.
pub fn convert_private_key(
    input: &[u8],
    format: PrivateKeyFormat,
    encoding: Encoding,
) -> Result<SecretBytes, CryptoError> {
    PrivateKey::parse(input)?.export(format, encoding)
}

/// Re-encodes a public key (DER or PEM, SubjectPublicKeyInfo or PKCS#1).
pub fn convert_public_key(
    input: &[u8],
    format: PublicKeyFormat,
    encoding: Encoding,
) -> Result<Vec<u8>, CryptoError> {
    PublicKey::parse(input)?.export(format, encoding)
}

/// The public key of a private key (DER or PEM in any supported format), as `format`.
pub fn public_key_of(
    private_input: &[u8],
    format: PublicKeyFormat,
    encoding: Encoding,
) -> Result<Vec<u8>, CryptoError> {
    PrivateKey::parse(private_input)?
        .public_key()
        .export(format, encoding)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::HashAlgorithm;
    use crate::test_vectors as tv;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    fn pem_body(text: &str) -> String {
        text.lines().filter(|l| !l.starts_with("-----")).collect()
    }

    #[test]
    fn rsa_every_format_both_ways() {
        let pkcs8 = h(tv::RSA_OAEP_SHA256_PKCS8);
        let key = PrivateKey::parse(&pkcs8).unwrap();
        assert_eq!(key.key_type(), KeyType::Rsa);
        // Wycheproof's PEM of the same key reads back, and our PKCS#8 PEM has the same body.
        let wp_pem = tv::RSA_OAEP_SHA256_PEM_BODY.replace("\\n", "\n");
        let from_pem = PrivateKey::parse(wp_pem.as_bytes()).unwrap();
        assert_eq!(
            &from_pem.to_der(PrivateKeyFormat::Pkcs8).unwrap()[..],
            &pkcs8[..]
        );
        let pkcs8_pem = key.to_pem(PrivateKeyFormat::Pkcs8).unwrap();
        assert_eq!(pem_body(&pkcs8_pem), pem_body(&wp_pem));
        let pkcs1_pem = key.to_pem(PrivateKeyFormat::Pkcs1).unwrap();
        assert!(pkcs1_pem.starts_with("-----BEGIN RSA PRIVATE KEY-----\n"));
        // Some tools write a PKCS#1 body under the PKCS#8 label: it still reads.
        let mislabelled = pkcs1_pem.replace("RSA PRIVATE KEY", "PRIVATE KEY");
        let from_mislabelled = PrivateKey::parse(mislabelled.as_bytes()).unwrap();
        assert_eq!(
            &from_mislabelled.to_der(PrivateKeyFormat::Pkcs8).unwrap()[..],
            &pkcs8[..]
        );
        for format in [PrivateKeyFormat::Pkcs8, PrivateKeyFormat::Pkcs1] {
            for encoding in [Encoding::Der, Encoding::Pem] {
                let out = key.export(format, encoding).unwrap();
                let back = PrivateKey::parse(&out).unwrap();
                assert_eq!(
                    &back.to_der(PrivateKeyFormat::Pkcs8).unwrap()[..],
                    &pkcs8[..]
                );
                let converted =
                    convert_private_key(&out, PrivateKeyFormat::Pkcs8, Encoding::Der).unwrap();
                assert_eq!(&converted[..], &pkcs8[..]);
            }
        }
        assert!(matches!(
            key.to_der(PrivateKeyFormat::Sec1),
            Err(CryptoError::Unsupported(_))
        ));
        assert!(matches!(
            key.to_der(PrivateKeyFormat::Raw),
            Err(CryptoError::Unsupported(_))
        ));
        // Transparent both ways, checked against the vector's components.
        let t = key.to_transparent().unwrap();
        match &t {
            TransparentPrivateKey::Rsa(c) => {
                assert_eq!(
                    c.n,
                    crate::rsa::strip_leading_zeros(&h(tv::RSA_OAEP_SHA256_N))
                );
                assert_eq!(
                    &c.qinv[..],
                    crate::rsa::strip_leading_zeros(&h(tv::RSA_OAEP_SHA256_QINV))
                );
            }
            _ => panic!("not RSA"),
        }
        let back = PrivateKey::from_transparent(&t).unwrap();
        assert_eq!(
            &back.to_der(PrivateKeyFormat::Pkcs8).unwrap()[..],
            &pkcs8[..]
        );
        // Public key: derived, every format, transparent.
        let public = key.public_key();
        let spki = public.to_der(PublicKeyFormat::Spki).unwrap();
        let pkcs1 = public.to_der(PublicKeyFormat::Pkcs1).unwrap();
        assert_eq!(
            public_key_of(&pkcs8, PublicKeyFormat::Spki, Encoding::Der).unwrap(),
            spki
        );
        assert_eq!(
            PublicKey::parse(&pkcs1)
                .unwrap()
                .to_der(PublicKeyFormat::Spki)
                .unwrap(),
            spki
        );
        let pem = public.to_pem(PublicKeyFormat::Pkcs1).unwrap();
        assert!(pem.starts_with("-----BEGIN RSA PUBLIC KEY-----\n"));
        assert_eq!(
            convert_public_key(pem.as_bytes(), PublicKeyFormat::Spki, Encoding::Der).unwrap(),
            spki
        );
        let tp = public.to_transparent();
        assert_eq!(
            PublicKey::from_transparent(&tp)
                .unwrap()
                .to_der(PublicKeyFormat::Spki)
                .unwrap(),
            spki
        );
        assert!(matches!(
            public.to_der(PublicKeyFormat::Raw),
            Err(CryptoError::Unsupported(_))
        ));
        assert!(PrivateKey::from_der_format(PrivateKeyFormat::Pkcs1, &pkcs8).is_err());
        assert!(PublicKey::from_der_format(PublicKeyFormat::Spki, &pkcs1).is_err());
    }

    #[test]
    fn ec_every_format_both_ways() {
        // RFC 6979 A.2.5 key (P-256).
        let d = h("C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721");
        let q = h(
            "0460FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB67903FE1008B8BC99A41AE9E95628BC64F2F1B20C2D7E9F5177A3C294D4462299",
        );
        let curve = EcCurve::P256;
        let key = PrivateKey::from_raw(KeyType::Ec(curve), &d).unwrap();
        assert_eq!(key.key_type(), KeyType::Ec(curve));
        let pkcs8 = key.to_der(PrivateKeyFormat::Pkcs8).unwrap();
        for format in [PrivateKeyFormat::Pkcs8, PrivateKeyFormat::Sec1] {
            for encoding in [Encoding::Der, Encoding::Pem] {
                let out = key.export(format, encoding).unwrap();
                let back = PrivateKey::parse(&out).unwrap();
                assert_eq!(back.to_der(PrivateKeyFormat::Pkcs8).unwrap(), pkcs8);
            }
        }
        assert!(
            key.to_pem(PrivateKeyFormat::Sec1)
                .unwrap()
                .starts_with("-----BEGIN EC PRIVATE KEY-----\n")
        );
        assert_eq!(&key.to_der(PrivateKeyFormat::Raw).unwrap()[..], &d[..]);
        let sec1 = key.to_der(PrivateKeyFormat::Sec1).unwrap();
        assert!(PrivateKey::from_der_format(PrivateKeyFormat::Sec1, &sec1).is_ok());
        assert!(PrivateKey::from_der_format(PrivateKeyFormat::Sec1, &pkcs8).is_err());
        assert!(PrivateKey::from_der_format(PrivateKeyFormat::Pkcs8, &sec1).is_err());
        match key.to_transparent().unwrap() {
            TransparentPrivateKey::Ec { curve: c, d: dd } => {
                assert_eq!(c, curve);
                assert_eq!(&dd[..], &d[..]);
            }
            _ => panic!("not EC"),
        }
        let public = key.public_key();
        assert_eq!(public.to_der(PublicKeyFormat::Raw).unwrap(), q);
        assert_eq!(
            public.to_transparent(),
            TransparentPublicKey::Ec {
                curve,
                q: q.clone()
            }
        );
        let spki = public.to_der(PublicKeyFormat::Spki).unwrap();
        let pem = public.to_pem(PublicKeyFormat::Spki).unwrap();
        assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----\n"));
        assert_eq!(
            PublicKey::parse(pem.as_bytes())
                .unwrap()
                .to_der(PublicKeyFormat::Raw)
                .unwrap(),
            q
        );
        assert_eq!(
            PublicKey::from_raw(KeyType::Ec(curve), &q)
                .unwrap()
                .to_der(PublicKeyFormat::Spki)
                .unwrap(),
            spki
        );
        assert!(matches!(
            public.to_der(PublicKeyFormat::Pkcs1),
            Err(CryptoError::Unsupported(_))
        ));
        // Other curves: generated keys survive every format.
        for curve in [EcCurve::P384, EcCurve::P521] {
            let k = PrivateKey::Ec(EcPrivateKey::generate(curve).unwrap());
            let t = k.to_transparent().unwrap();
            let back = PrivateKey::from_transparent(&t).unwrap();
            assert_eq!(
                back.to_der(PrivateKeyFormat::Pkcs8).unwrap(),
                k.to_der(PrivateKeyFormat::Pkcs8).unwrap()
            );
            let sec1_pem = k.export(PrivateKeyFormat::Sec1, Encoding::Pem).unwrap();
            assert_eq!(
                PrivateKey::parse(&sec1_pem).unwrap().key_type(),
                KeyType::Ec(curve)
            );
            let tp = k.public_key().to_transparent();
            assert_eq!(
                PublicKey::from_transparent(&tp).unwrap().key_type(),
                KeyType::Ec(curve)
            );
        }
    }

    #[test]
    fn ed25519_rfc_8410_example() {
        // RFC 8410 §10.3 private key and §10.1 public key (the same pair).
        let pem = b"-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC\n-----END PRIVATE KEY-----\n";
        let key = PrivateKey::parse(pem).unwrap();
        assert_eq!(key.key_type(), KeyType::Ed25519);
        assert_eq!(
            key.to_pem(PrivateKeyFormat::Pkcs8).unwrap().as_bytes(),
            &pem[..]
        );
        assert_eq!(
            hex::encode(&key.to_der(PrivateKeyFormat::Raw).unwrap()[..]),
            "d4ee72dbf913584ad5b6d8f1f769f8ad3afe7c28cbf1d4fbe097a88f44755842"
        );
        let public_pem = key.public_key().to_pem(PublicKeyFormat::Spki).unwrap();
        assert_eq!(
            public_pem,
            "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n"
        );
        let raw = key.public_key().to_der(PublicKeyFormat::Raw).unwrap();
        assert_eq!(
            hex::encode(&raw),
            "19bf44096984cdfe8541bac167dc3b96c85086aa30b6b6cb0c5c38ad703166e1"
        );
        let t = key.to_transparent().unwrap();
        assert_eq!(
            PrivateKey::from_transparent(&t)
                .unwrap()
                .to_der(PrivateKeyFormat::Pkcs8)
                .unwrap(),
            key.to_der(PrivateKeyFormat::Pkcs8).unwrap()
        );
        let tp = key.public_key().to_transparent();
        assert_eq!(
            PublicKey::from_transparent(&tp)
                .unwrap()
                .to_der(PublicKeyFormat::Raw)
                .unwrap(),
            raw
        );
        assert!(matches!(
            key.to_der(PrivateKeyFormat::Pkcs1),
            Err(CryptoError::Unsupported(_))
        ));
        let sig = key.sign(SigAlgorithm::Ed25519, b"m").unwrap();
        crate::signature::verify(public_pem.as_bytes(), SigAlgorithm::Ed25519, b"m", &sig).unwrap();
    }

    #[test]
    fn sign_and_verify_through_the_generic_entry_points() {
        let keys = [
            (
                PrivateKey::parse(&h(tv::RSA_SIGGEN_SHA256_PKCS8)).unwrap(),
                SigAlgorithm::RsaPssSha256,
            ),
            (
                PrivateKey::Ec(EcPrivateKey::generate(EcCurve::P384).unwrap()),
                SigAlgorithm::EcdsaSha384,
            ),
            (
                PrivateKey::Ed25519(Ed25519PrivateKey::generate().unwrap()),
                SigAlgorithm::Ed25519,
            ),
        ];
        for (key, alg) in keys {
            let pkcs8 = key.to_der(PrivateKeyFormat::Pkcs8).unwrap();
            let spki = key.public_key().to_der(PublicKeyFormat::Spki).unwrap();
            let sig = crate::signature::sign(&pkcs8, alg, b"message").unwrap();
            crate::signature::verify(&spki, alg, b"message", &sig).unwrap();
            assert_eq!(
                crate::signature::verify(&spki, alg, b"massage", &sig),
                Err(CryptoError::Signature)
            );
            if let Some(hash) = alg.hash() {
                let dg = crate::digest::digest(hash, b"message");
                let sig = crate::signature::sign_digest(&pkcs8, alg, &dg).unwrap();
                crate::signature::verify_digest(&spki, alg, &dg, &sig).unwrap();
                crate::signature::verify(&spki, alg, b"message", &sig).unwrap();
            } else {
                assert!(crate::signature::sign_digest(&pkcs8, alg, &[0u8; 32]).is_err());
            }
            // A mismatched algorithm family is refused, not attempted.
            let wrong = if alg == SigAlgorithm::Ed25519 {
                SigAlgorithm::EcdsaSha256
            } else {
                SigAlgorithm::Ed25519
            };
            assert!(matches!(
                key.sign(wrong, b"m"),
                Err(CryptoError::InvalidKey(_))
            ));
        }
        assert_eq!(
            SigAlgorithm::rsa_pss(HashAlgorithm::Sha256).unwrap(),
            SigAlgorithm::RsaPssSha256
        );
        assert_eq!(
            SigAlgorithm::ecdsa(HashAlgorithm::Sha3_384).unwrap(),
            SigAlgorithm::EcdsaSha3_384
        );
        assert!(SigAlgorithm::rsa_pkcs1v15(HashAlgorithm::Sha224).is_err());
    }

    #[test]
    fn garbage_and_wrong_labels() {
        assert!(PrivateKey::parse(b"").is_err());
        assert!(PrivateKey::parse(&[0x30, 0x03, 0x02, 0x01, 0x00]).is_err());
        assert!(PublicKey::parse(b"\x30\x00").is_err());
        let spki_pem = PrivateKey::Ed25519(Ed25519PrivateKey::generate().unwrap())
            .public_key()
            .to_pem(PublicKeyFormat::Spki)
            .unwrap();
        assert!(matches!(
            PrivateKey::parse(spki_pem.as_bytes()),
            Err(CryptoError::Encoding(_))
        ));
        assert!(matches!(
            PrivateKey::parse(b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nMAA=\n-----END ENCRYPTED PRIVATE KEY-----\n"),
            Err(CryptoError::Unsupported(_))
        ));
        assert!(matches!(
            PrivateKey::from_raw(KeyType::Rsa, &[1, 2, 3]),
            Err(CryptoError::Unsupported(_))
        ));
        assert!(PrivateKey::from_raw(KeyType::Ed25519, &[1u8; 31]).is_err());
        assert!(PublicKey::from_raw(KeyType::Ec(EcCurve::P256), &[4u8; 65]).is_err());
        // Neither errors nor Debug output carry key bytes.
        let t = TransparentPrivateKey::Ec {
            curve: EcCurve::P256,
            d: SecretBytes::new(vec![0xAB; 32]),
        };
        assert!(!format!("{t:?}").to_lowercase().contains("ab, "));
        assert!(!format!("{t:?}").contains("171"));
        let err = PrivateKey::from_raw(KeyType::Ec(EcCurve::P256), &[0xAB; 40]).unwrap_err();
        assert!(!err.to_string().contains("ab"));
    }
}
