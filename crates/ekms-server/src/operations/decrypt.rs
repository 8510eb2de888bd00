//! Decrypt: AES-GCM or ChaCha20-Poly1305. A Deactivated key may still decrypt (KMIP lets it
//! process data protected earlier); no plaintext is returned unless the tag verifies.

use super::cipher::{check_usable, choose, crypto_failure, parse_parameters};
use super::object::ManagedObject;
use super::{Context, now, optional_bytes, required_uid, response};
use crate::error::KmipError;
use ekms_kmip::enums::{ResultReason, State, usage_mask};
use ekms_kmip::{CryptographicParameters, Tag, Ttlv};

pub struct Request {
    pub uid: String,
    pub params: Option<CryptographicParameters>,
    pub data: Vec<u8>,
    pub iv: Vec<u8>,
    pub aad: Option<Vec<u8>>,
    pub tag: Vec<u8>,
}

pub fn parse(payload: &Ttlv) -> Result<Request, KmipError> {
    Ok(Request {
        uid: required_uid(payload)?,
        params: parse_parameters(payload)?,
        data: optional_bytes(payload, Tag::DATA, "Data")?
            .ok_or_else(|| KmipError::missing("Data"))?,
        iv: optional_bytes(payload, Tag::IV_COUNTER_NONCE, "IVCounterNonce")?.ok_or_else(|| {
            KmipError::new(
                ResultReason::MissingInitializationVector,
                "IVCounterNonce is missing",
            )
        })?,
        aad: optional_bytes(
            payload,
            Tag::AUTHENTICATED_ENCRYPTION_ADDITIONAL_DATA,
            "AuthenticatedEncryptionAdditionalData",
        )?,
        tag: optional_bytes(
            payload,
            Tag::AUTHENTICATED_ENCRYPTION_TAG,
            "AuthenticatedEncryptionTag",
        )?
        .ok_or_else(|| KmipError::missing("AuthenticatedEncryptionTag"))?,
    })
}

pub fn apply(ctx: &Context<'_>, req: Request) -> Result<Ttlv, KmipError> {
    let now = now();
    let obj = ctx.transact(|tx| ManagedObject::load(tx, &req.uid))?;
    check_usable(
        &obj,
        now,
        "decrypt",
        &[State::Active, State::Deactivated],
        usage_mask::DECRYPT,
    )?;
    let key = obj.key_material()?;
    let alg = choose(&obj, key.len(), req.params.as_ref())?;
    let mut data = req.data;
    alg.open_in_place(
        key,
        &req.iv,
        req.aad.as_deref().unwrap_or(&[]),
        &mut data,
        &req.tag,
    )
    .map_err(crypto_failure)?;
    Ok(response(vec![
        Ttlv::text(Tag::UNIQUE_IDENTIFIER, req.uid),
        Ttlv::bytes(Tag::DATA, data),
    ]))
}
