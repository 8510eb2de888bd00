//! The KMS key behind the stream routes (`/v1/encrypt/{uid}`, `/v1/decrypt/{uid}`): the same
//! checks as KMIP Encrypt and Decrypt (object type, state, usage mask), and the AEAD that wraps
//! the per-stream data key (docs/stream-format.md).

use super::cipher::{check_type, check_usable};
use super::object::ManagedObject;
use super::{keys, now};
use crate::error::KmipError;
use crate::operations::Context;
use ekms_crypto::aead::AeadAlgorithm;
use ekms_kmip::enums::{CryptographicAlgorithm, ObjectType, ResultReason, State, usage_mask};
use zeroize::Zeroizing;

/// A usable KMS key and the AEAD it wraps data keys with.
pub struct StreamKey {
    pub algorithm: AeadAlgorithm,
    pub key: Zeroizing<Vec<u8>>,
}

/// The key for encrypting a stream: Active, usage mask allowing Encrypt.
/// The caller needs the `encrypt` right on it; the request is audited as Encrypt.
pub fn for_encrypt(ctx: &Context<'_>, uid: &str) -> Result<StreamKey, KmipError> {
    let op = ekms_kmip::enums::Operation::Encrypt;
    ctx.access.begin(op, crate::access::right_for(op));
    let res = load(ctx, uid, "encrypt", &[State::Active], usage_mask::ENCRYPT);
    crate::operations::audit_outcome(ctx, &res);
    res
}

/// The key for decrypting a stream: Active or Deactivated, usage mask allowing Decrypt.
/// The caller needs the `decrypt` right on it; the request is audited as Decrypt.
pub fn for_decrypt(ctx: &Context<'_>, uid: &str) -> Result<StreamKey, KmipError> {
    let op = ekms_kmip::enums::Operation::Decrypt;
    ctx.access.begin(op, crate::access::right_for(op));
    let res = load(
        ctx,
        uid,
        "decrypt",
        &[State::Active, State::Deactivated],
        usage_mask::DECRYPT,
    );
    crate::operations::audit_outcome(ctx, &res);
    res
}

fn load(
    ctx: &Context<'_>,
    uid: &str,
    op: &str,
    states: &[State],
    mask: u32,
) -> Result<StreamKey, KmipError> {
    let obj = ctx.transact(|tx| ManagedObject::load(tx, uid))?;
    check_type(&obj, &[ObjectType::SymmetricKey], op)?;
    check_usable(&obj, now(), op, states, mask)?;
    let key = keys::secret_bytes(&obj)?;
    let algorithm = match obj.attributes.cryptographic_algorithm {
        Some(CryptographicAlgorithm::Aes) => AeadAlgorithm::aes_gcm_for_key(key.len())
            .map_err(|e| KmipError::new(ResultReason::InvalidField, e.to_string()))?,
        Some(CryptographicAlgorithm::ChaCha20 | CryptographicAlgorithm::ChaCha20Poly1305) => {
            AeadAlgorithm::ChaCha20Poly1305
        }
        other => {
            return Err(KmipError::new(
                ResultReason::FeatureNotSupported,
                format!(
                    "object {uid} ({}) cannot protect a stream: use an AES or ChaCha20 key",
                    other.map_or("no algorithm", |a| a.name())
                ),
            ));
        }
    };
    Ok(StreamKey { algorithm, key })
}
