//! Create: a new symmetric key generated inside the server: AES 128/192/256, ChaCha20 256,
//! HMAC keys (HMAC-SHA1/224/256/384/512, any whole number of bytes up to 512 bits, by default
//! the hash length), and the legacy IDEA (128), DES3 (168) and Blowfish (32 to 448 bits) keys
//! that stock KMIP test suites create; and Secret Data, random bytes the server draws (what
//! Cosmian's `ckms secret-data create` asks for).

use super::Context;
use crate::error::KmipError;
use crate::objects::attrs;
use crate::objects::keys::{key_bits, secret_data_value, symmetric_value};
use crate::objects::object::{ManagedObject, SecretTtlv};
use crate::objects::{chosen_uid, insert_new, new_uid, now};
use ekms_kmip::Attributes;
use ekms_kmip::enums::{
    CryptographicAlgorithm, KeyFormatType, ObjectType, ResultReason, SecretDataType,
};
use ekms_kmip::operations::create::{Request, Response};
use zeroize::Zeroizing;

/// The key length in bytes for an algorithm and a requested length in bits.
pub fn key_len(alg: CryptographicAlgorithm, bits: Option<i32>) -> Result<usize, KmipError> {
    use CryptographicAlgorithm as A;
    let bad = |msg: String| KmipError::new(ResultReason::InvalidField, msg);
    let hmac_len = |default: i32| -> Result<usize, KmipError> {
        let b = bits.unwrap_or(default);
        if !(8..=512).contains(&b) || b % 8 != 0 {
            return Err(bad(format!(
                "{} keys are 8 to 512 bits in whole bytes, not {b}",
                alg.name()
            )));
        }
        Ok(b as usize / 8)
    };
    match alg {
        A::Aes => match bits.unwrap_or(256) {
            b @ (128 | 192 | 256) => Ok(b as usize / 8),
            b => Err(bad(format!("AES keys are 128, 192 or 256 bits, not {b}"))),
        },
        A::ChaCha20 | A::ChaCha20Poly1305 => match bits.unwrap_or(256) {
            256 => Ok(32),
            b => Err(bad(format!("ChaCha20 keys are 256 bits, not {b}"))),
        },
        A::HmacSha1 => hmac_len(160),
        A::HmacSha224 => hmac_len(224),
        A::HmacSha256 => hmac_len(256),
        A::HmacSha384 => hmac_len(384),
        A::HmacSha512 => hmac_len(512),
        // Three-key DES3: 168 bits (192 counting the parity bits), 24 bytes.
        A::Des3 => match bits.unwrap_or(168) {
            168 | 192 => Ok(ekms_crypto::legacy::DES3_KEY_LEN),
            b => Err(bad(format!(
                "DES3 keys are three-key keys of 168 bits (192 with parity), not {b}"
            ))),
        },
        A::Idea => match bits.unwrap_or(128) {
            128 => Ok(16),
            b => Err(bad(format!("IDEA keys are 128 bits, not {b}"))),
        },
        A::Blowfish => {
            let b = bits.unwrap_or(128);
            if !(32..=448).contains(&b) || b % 8 != 0 {
                return Err(bad(format!(
                    "Blowfish keys are 32 to 448 bits in whole bytes, not {b}"
                )));
            }
            Ok(b as usize / 8)
        }
        other => Err(KmipError::new(
            ResultReason::FeatureNotSupported,
            format!(
                "Create does not make {} keys; supported: AES, ChaCha20, HMAC-SHA1/224/256/384/512, IDEA, DES3, Blowfish",
                other.name()
            ),
        )),
    }
}

/// Generates a symmetric key of `len` bytes for `alg`.
pub fn generate(alg: CryptographicAlgorithm, len: usize) -> Result<Zeroizing<Vec<u8>>, KmipError> {
    let failed = |e: ekms_crypto::CryptoError| {
        KmipError::new(ResultReason::CryptographicFailure, e.to_string())
    };
    match alg {
        CryptographicAlgorithm::Idea => ekms_crypto::legacy::generate_idea_key().map_err(failed),
        CryptographicAlgorithm::Des3 => ekms_crypto::legacy::generate_des3_key().map_err(failed),
        CryptographicAlgorithm::Blowfish => {
            ekms_crypto::legacy::generate_blowfish_key(len).map_err(failed)
        }
        _ => ekms_crypto::rand::secret(len).map_err(failed),
    }
}

/// The length in bytes of the Secret Data a Create draws: Cryptographic Length bits, 256 by
/// default, in whole bytes up to 4096 bits.
pub fn secret_data_len(bits: Option<i32>) -> Result<usize, KmipError> {
    let b = bits.unwrap_or(256);
    if !(8..=4096).contains(&b) || b % 8 != 0 {
        return Err(KmipError::new(
            ResultReason::InvalidField,
            format!("Secret Data is 8 to 4096 bits in whole bytes, not {b}"),
        ));
    }
    Ok(b as usize / 8)
}

/// What a new object's value implies, set over whatever the template says.
pub(super) struct Implied {
    pub algorithm: Option<CryptographicAlgorithm>,
    pub length: Option<i32>,
    pub format: KeyFormatType,
}

pub fn apply(ctx: &Context<'_>, req: Request) -> Result<Response, KmipError> {
    let attributes = req.attributes;
    let (object_type, value, implied) = match req.object_type {
        ObjectType::SymmetricKey => {
            let algorithm = attributes
                .cryptographic_algorithm
                .ok_or_else(|| KmipError::missing("CryptographicAlgorithm"))?;
            let len = key_len(algorithm, attributes.cryptographic_length)?;
            attrs::check_quantum_safe(&attributes, algorithm, key_bits(algorithm, len))?;
            let material = generate(algorithm, len)?;
            let implied = Implied {
                algorithm: Some(algorithm),
                length: key_bits(algorithm, len),
                format: KeyFormatType::Raw,
            };
            let value = symmetric_value(&material, algorithm);
            (ObjectType::SymmetricKey, value, implied)
        }
        // Random bytes are KMIP's Seed; kept in an Opaque key block as Register keeps Secret
        // Data. Secret Data has no algorithm: one the template names is not recorded.
        ObjectType::SecretData => {
            let len = secret_data_len(attributes.cryptographic_length)?;
            let material = ekms_crypto::rand::secret(len)
                .map_err(|e| KmipError::new(ResultReason::CryptographicFailure, e.to_string()))?;
            let implied = Implied {
                algorithm: None,
                length: i32::try_from(len * 8).ok(),
                format: KeyFormatType::Opaque,
            };
            let value = secret_data_value(&material, SecretDataType::Seed.as_u32());
            (ObjectType::SecretData, value, implied)
        }
        other => {
            return Err(KmipError::new(
                ResultReason::InvalidObjectType,
                format!(
                    "Create makes symmetric keys and Secret Data; use CreateKeyPair for key pairs and Register for {}",
                    other.name()
                ),
            ));
        }
    };
    let uid = store(
        ctx,
        object_type,
        attributes,
        implied,
        &SecretTtlv(value),
        true,
    )?;
    Ok(Response { object_type, uid })
}

/// Stores a new object made of the template's `attributes`, what its value implies, and
/// `value` (`generated`: drawn by the server's generator); its Unique Identifier.
pub(super) fn store(
    ctx: &Context<'_>,
    object_type: ObjectType,
    mut attributes: Attributes,
    implied: Implied,
    value: &SecretTtlv,
    generated: bool,
) -> Result<String, KmipError> {
    let now = now();
    // A uid the client chose may be taken; one drawn here (a UUIDv7, 74 random bits) is not
    // looked up first: the store's unique key still refuses a duplicate, and the lookup was a
    // statement of every Create in the group's lane.
    let chosen = chosen_uid(&attributes).is_some();
    let uid = new_uid(&attributes);
    attrs::drop_server_only(&mut attributes);
    attrs::init_new_object(&mut attributes, &uid, object_type, now);
    if generated {
        attrs::mark_generated(&mut attributes);
    }
    attributes.cryptographic_algorithm = implied.algorithm;
    attributes.cryptographic_length = implied.length;
    attributes.key_format_type = Some(implied.format);
    let mut object =
        ManagedObject::new(uid.clone(), object_type, ctx.user, attributes, value, now)?;
    object.settle_state(now);
    ctx.transact(|tx| {
        if chosen {
            insert_new(tx, &object)
        } else {
            object.insert(tx)
        }
    })?;
    Ok(uid)
}
