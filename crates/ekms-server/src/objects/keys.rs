//! Key Blocks: reading key bytes out of stored object values, and building the values of new
//! keys.
//!
//! This module owns the KMIP side of key material: the Key Block structure (Key Format Type,
//! Key Value with its Key Material, Cryptographic Algorithm and Length, Key Wrapping Data) of
//! SymmetricKey, PublicKey, PrivateKey, SplitKey and SecretData values; the raw bytes of a
//! symmetric key or secret; and the DER form of an asymmetric key that [`super::formats`]
//! converts and the crypto layer uses. Key bytes leave it in wiped-on-drop buffers. It also
//! computes the Digest attribute of a value ([`value_digest`]).

use super::object::ManagedObject;
use crate::error::KmipError;
use ekms_kmip::attributes::Digest;
use ekms_kmip::enums::HashingAlgorithm;
use ekms_kmip::enums::{CryptographicAlgorithm, KeyFormatType, ObjectType, ResultReason};
use ekms_kmip::{Tag, Ttlv};
use zeroize::Zeroizing;

/// The refusal of an object that is not `what` the caller needs ("a private key").
pub fn not_a(obj: &ManagedObject, what: &str) -> KmipError {
    KmipError::new(
        ResultReason::IllegalObjectType,
        format!(
            "object {} is a {}, not {what}",
            obj.uid,
            obj.object_type.name()
        ),
    )
}

/// The Key Block of an object value (SymmetricKey, PublicKey, PrivateKey, SplitKey,
/// SecretData), if it has one.
pub fn key_block(value: &Ttlv) -> Option<&Ttlv> {
    value.child(Tag::KEY_BLOCK)
}

/// What a Key Block says about its key.
#[derive(Clone, Debug)]
pub struct BlockInfo {
    pub format: KeyFormatType,
    pub algorithm: Option<CryptographicAlgorithm>,
    pub length: Option<i32>,
    pub wrapped: bool,
}

fn bad_block(msg: impl Into<String>) -> KmipError {
    KmipError::new(ResultReason::InvalidField, msg)
}

/// Reads and checks a Key Block's fields.
pub fn block_info(block: &Ttlv) -> Result<BlockInfo, KmipError> {
    if block.items().is_empty() {
        return Err(bad_block("KeyBlock must be a non-empty Structure"));
    }
    let format = block
        .child(Tag::KEY_FORMAT_TYPE)
        .ok_or_else(|| KmipError::missing("KeyBlock KeyFormatType"))?
        .as_enum()
        .and_then(KeyFormatType::from_u32)
        .ok_or_else(|| bad_block("KeyFormatType must be a known enumeration"))?;
    let value = block
        .child(Tag::KEY_VALUE)
        .ok_or_else(|| KmipError::missing("KeyBlock KeyValue"))?;
    let wrapped = block.child(Tag::KEY_WRAPPING_DATA).is_some();
    if !wrapped && value.child(Tag::KEY_MATERIAL).is_none() {
        return Err(KmipError::missing("KeyValue KeyMaterial"));
    }
    let algorithm = match block.child(Tag::CRYPTOGRAPHIC_ALGORITHM) {
        None => None,
        Some(a) => Some(
            a.as_enum()
                .and_then(CryptographicAlgorithm::from_u32)
                .ok_or_else(|| bad_block("CryptographicAlgorithm must be a known enumeration"))?,
        ),
    };
    let length = match block.child(Tag::CRYPTOGRAPHIC_LENGTH) {
        None => None,
        Some(l) => Some(
            l.as_i32()
                .filter(|l| *l > 0)
                .ok_or_else(|| bad_block("CryptographicLength must be a positive Integer"))?,
        ),
    };
    Ok(BlockInfo {
        format,
        algorithm,
        length,
        wrapped,
    })
}

/// The Key Material item of an unwrapped Key Block.
pub fn key_material(block: &Ttlv) -> Result<&Ttlv, KmipError> {
    if block.child(Tag::KEY_WRAPPING_DATA).is_some() {
        return Err(KmipError::new(
            ResultReason::FeatureNotSupported,
            "the key is stored wrapped, as it was registered: ekms cannot use it",
        ));
    }
    block
        .child(Tag::KEY_VALUE)
        .and_then(|v| v.child(Tag::KEY_MATERIAL))
        .ok_or_else(|| KmipError::missing("KeyValue KeyMaterial"))
}

/// A Key Block with `material` (a `KeyMaterial` item) in `format`.
pub fn build_block(
    format: KeyFormatType,
    material: Ttlv,
    algorithm: Option<CryptographicAlgorithm>,
    length: Option<i32>,
) -> Ttlv {
    let mut items = vec![
        Ttlv::enumeration(Tag::KEY_FORMAT_TYPE, format.as_u32()),
        Ttlv::structure(Tag::KEY_VALUE, vec![material]),
    ];
    if let Some(a) = algorithm {
        items.push(Ttlv::enumeration(Tag::CRYPTOGRAPHIC_ALGORITHM, a.as_u32()));
    }
    if let Some(l) = length {
        items.push(Ttlv::integer(Tag::CRYPTOGRAPHIC_LENGTH, l));
    }
    Ttlv::structure(Tag::KEY_BLOCK, items)
}

/// The Cryptographic Length of a symmetric key of `len` bytes: its bits, but for DES3 the key
/// bits only (7 of each byte; the eighth is parity), as KMIP counts them (168).
pub fn key_bits(algorithm: CryptographicAlgorithm, len: usize) -> Option<i32> {
    let bits = match algorithm {
        CryptographicAlgorithm::Des3 => len * 7,
        _ => len * 8,
    };
    i32::try_from(bits).ok()
}

/// The value of a new symmetric key: `SymmetricKey { KeyBlock (Raw) }`.
pub fn symmetric_value(key: &[u8], algorithm: CryptographicAlgorithm) -> Ttlv {
    Ttlv::structure(
        Tag::SYMMETRIC_KEY,
        vec![build_block(
            KeyFormatType::Raw,
            Ttlv::bytes(Tag::KEY_MATERIAL, key.to_vec()),
            Some(algorithm),
            key_bits(algorithm, key.len()),
        )],
    )
}

/// The value of a new secret: `SecretData { SecretDataType, KeyBlock (Opaque) }`.
pub fn secret_data_value(data: &[u8], secret_type: u32) -> Ttlv {
    Ttlv::structure(
        Tag::SECRET_DATA,
        vec![
            Ttlv::enumeration(Tag::SECRET_DATA_TYPE, secret_type),
            build_block(
                KeyFormatType::Opaque,
                Ttlv::bytes(Tag::KEY_MATERIAL, data.to_vec()),
                None,
                None,
            ),
        ],
    )
}

/// The raw bytes of a symmetric key, secret data or split key held by `obj`, for
/// cryptography: Raw and Opaque Key Material, or the Key of a TransparentSymmetricKey.
pub fn secret_bytes(obj: &ManagedObject) -> Result<Zeroizing<Vec<u8>>, KmipError> {
    if !matches!(
        obj.object_type,
        ObjectType::SymmetricKey | ObjectType::SecretData | ObjectType::SplitKey
    ) {
        return Err(not_a(obj, "a symmetric key or secret"));
    }
    let value = obj.value()?;
    let block = key_block(&value).ok_or_else(|| KmipError::missing("KeyBlock"))?;
    let info = block_info(block)?;
    let material = key_material(block)?;
    let bytes = match info.format {
        KeyFormatType::Raw | KeyFormatType::Opaque => material.as_bytes(),
        KeyFormatType::TransparentSymmetricKey => material.child(Tag::KEY).and_then(Ttlv::as_bytes),
        other => {
            return Err(KmipError::new(
                ResultReason::KeyFormatTypeNotSupported,
                format!(
                    "object {} holds its key as {}, which ekms cannot use as a secret",
                    obj.uid,
                    other.name()
                ),
            ));
        }
    }
    .ok_or_else(|| bad_block(format!("the key material of {} is malformed", obj.uid)))?;
    Ok(Zeroizing::new(bytes.to_vec()))
}

/// The Digest attribute of an object value (KMIP 1.4 §3.17): SHA-256 over the key material in
/// its Key Format Type, over the certificate's DER, or over the opaque data. None when the
/// material has no byte form (a Transparent format) or is stored wrapped, where the
/// specification leaves the digest optional.
pub fn value_digest(value: &Ttlv) -> Option<Digest> {
    let (bytes, format) = match key_block(value) {
        Some(block) => {
            if block.child(Tag::KEY_WRAPPING_DATA).is_some() {
                return None;
            }
            let format = block
                .child(Tag::KEY_FORMAT_TYPE)?
                .as_enum()
                .and_then(KeyFormatType::from_u32)?;
            let material = block.child(Tag::KEY_VALUE)?.child(Tag::KEY_MATERIAL)?;
            (material.as_bytes()?, Some(format))
        }
        None => {
            let data = value
                .child(Tag::CERTIFICATE_VALUE)
                .or_else(|| value.child(Tag::OPAQUE_DATA_VALUE))?;
            (data.as_bytes()?, None)
        }
    };
    Some(material_digest(bytes, format))
}

/// The SHA-256 Digest of key material `bytes` in `format`.
pub fn material_digest(bytes: &[u8], format: Option<KeyFormatType>) -> Digest {
    Digest {
        hashing_algorithm: HashingAlgorithm::Sha256,
        digest_value: Some(ekms_crypto::digest::digest(
            ekms_crypto::HashAlgorithm::Sha256,
            bytes,
        )),
        key_format_type: format,
    }
}
