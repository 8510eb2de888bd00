//! Key format conversions for Get and Export: the stored key re-encoded in the Key Format Type
//! the client asks for.
//!
//! - Symmetric keys, secret data, split keys: Raw, Opaque and (symmetric keys)
//!   TransparentSymmetricKey.
//! - RSA private keys: PKCS#1, PKCS#8, TransparentRSAPrivateKey; RSA public keys: PKCS#1,
//!   X.509 (SubjectPublicKeyInfo), TransparentRSAPublicKey.
//! - EC private keys: PKCS#8, ECPrivateKey (SEC1), TransparentEC(DSA/DH)PrivateKey; EC public
//!   keys: X.509, TransparentEC(DSA/DH)PublicKey, Raw (the uncompressed point).
//! - Ed25519 private keys: PKCS#8, Raw (the seed); public keys: X.509, Raw.
//! - Certificates are X.509 only.
//!
//! A key stored wrapped (registered so) is served only as registered.
//!
//! [`served_format`]: the format a Get without a Key Format Type answers, when it is not the
//! stored one (RSA private keys the server generated, to KMIP 2.x clients: PKCS#1).

use super::asym;
use super::keys::{block_info, key_block, key_material};
use super::object::{ManagedObject, SecretTtlv};
use crate::error::KmipError;
use ekms_kmip::enums::{
    CertificateType, CryptographicAlgorithm, KeyFormatType, ObjectType, ResultReason,
};
use ekms_kmip::{Attributes, ProtocolVersion, Tag, Ttlv, Value};

/// The Key Format Type a client of `version` is served an object in when it names none, if it
/// is not the stored one. An RSA private key the server generated (it has a Random Number
/// Generator) is stored as PKCS#8; KMIP 2.x clients see it, in its Key Format Type attribute
/// and in Get, as PKCS#1, KMIP's format of RSA private keys (the Asymmetric Key Lifecycle
/// cases read PKCS_1, and its Digest is over PKCS#1 already). KMIP 1.x has no Key Format Type
/// attribute, and its clients (PyKMIP) keep getting PKCS#8 as before. A key a client
/// registered is served as registered.
pub fn served_format(attrs: &Attributes, version: ProtocolVersion) -> Option<KeyFormatType> {
    let generated_rsa_pkcs8 = attrs.object_type == Some(ObjectType::PrivateKey)
        && attrs.cryptographic_algorithm == Some(CryptographicAlgorithm::Rsa)
        && attrs.key_format_type == Some(KeyFormatType::Pkcs8)
        && !attrs.get(Tag::RANDOM_NUMBER_GENERATOR).is_empty();
    (generated_rsa_pkcs8 && !version.is_v1()).then_some(KeyFormatType::Pkcs1)
}

fn unsupported(obj: &ManagedObject, from: KeyFormatType, to: KeyFormatType) -> KmipError {
    KmipError::new(
        ResultReason::KeyFormatTypeNotSupported,
        format!(
            "object {} ({}, stored as {}) cannot be served as {}",
            obj.uid,
            obj.object_type.name(),
            from.name(),
            to.name()
        ),
    )
}

/// `value` with its Key Block's Key Format Type and Key Material replaced.
fn with_material(value: &Ttlv, format: KeyFormatType, material: &Ttlv) -> SecretTtlv {
    let mut out = value.clone();
    if let Value::Structure(fields) = &mut out.value {
        for f in fields.iter_mut().filter(|f| f.tag == Tag::KEY_BLOCK) {
            if let Value::Structure(block) = &mut f.value {
                for b in block.iter_mut() {
                    match b.tag {
                        Tag::KEY_FORMAT_TYPE => {
                            *b = Ttlv::enumeration(Tag::KEY_FORMAT_TYPE, format.as_u32())
                        }
                        Tag::KEY_VALUE => {
                            *b = Ttlv::structure(Tag::KEY_VALUE, vec![material.clone()])
                        }
                        _ => {}
                    }
                }
            }
        }
    }
    SecretTtlv(out)
}

/// The value of `obj` in `format`.
pub fn convert(
    obj: &ManagedObject,
    value: SecretTtlv,
    format: KeyFormatType,
) -> Result<SecretTtlv, KmipError> {
    let Some(block) = key_block(&value) else {
        // Certificates and opaque objects have no Key Block.
        let is_x509 = value
            .child(Tag::CERTIFICATE_TYPE)
            .and_then(Ttlv::as_enum)
            .is_some_and(|t| t == CertificateType::X509.as_u32());
        if obj.object_type == ObjectType::Certificate && is_x509 && format == KeyFormatType::X509 {
            return Ok(value);
        }
        return Err(KmipError::new(
            ResultReason::KeyFormatTypeNotSupported,
            format!(
                "object {} is a {}: it has no key format to choose",
                obj.uid,
                obj.object_type.name()
            ),
        ));
    };
    let info = block_info(block)?;
    if info.format == format {
        return Ok(value);
    }
    if info.wrapped {
        return Err(KmipError::new(
            ResultReason::KeyFormatTypeNotSupported,
            format!(
                "object {} is stored wrapped as {}: it is served only as registered",
                obj.uid,
                info.format.name()
            ),
        ));
    }
    let material = key_material(block)?;
    let converted = SecretTtlv(
        match obj.object_type {
            ObjectType::SymmetricKey | ObjectType::SecretData | ObjectType::SplitKey => {
                let bytes = match info.format {
                    KeyFormatType::Raw | KeyFormatType::Opaque => material.as_bytes(),
                    KeyFormatType::TransparentSymmetricKey => {
                        material.child(Tag::KEY).and_then(Ttlv::as_bytes)
                    }
                    _ => None,
                }
                .ok_or_else(|| unsupported(obj, info.format, format))?;
                match format {
                    KeyFormatType::Raw | KeyFormatType::Opaque => {
                        Some(Ttlv::bytes(Tag::KEY_MATERIAL, bytes.to_vec()))
                    }
                    KeyFormatType::TransparentSymmetricKey
                        if obj.object_type == ObjectType::SymmetricKey =>
                    {
                        Some(Ttlv::structure(
                            Tag::KEY_MATERIAL,
                            vec![Ttlv::bytes(Tag::KEY, bytes.to_vec())],
                        ))
                    }
                    _ => None,
                }
            }
            ObjectType::PrivateKey => asym::private_key(obj)?.material(format)?,
            ObjectType::PublicKey => asym::public_key(obj)?.material(format)?,
            _ => None,
        }
        .ok_or_else(|| unsupported(obj, info.format, format))?,
    );
    Ok(with_material(&value, format, &converted))
}
