//! Encrypt: AES-GCM or ChaCha20-Poly1305 with a detached tag. Without an IV the server draws a
//! fresh random 96-bit one and returns it.

use super::cipher::{check_usable, choose, crypto_failure, parse_parameters};
use super::object::ManagedObject;
use super::{Context, now, optional_bytes, required_uid, response};
use crate::error::KmipError;
use ekms_crypto::aead::NONCE_LEN;
use ekms_kmip::enums::{State, usage_mask};
use ekms_kmip::{CryptographicParameters, Tag, Ttlv};

pub struct Request {
    pub uid: String,
    pub params: Option<CryptographicParameters>,
    pub data: Vec<u8>,
    pub iv: Option<Vec<u8>>,
    pub aad: Option<Vec<u8>>,
}

pub fn parse(payload: &Ttlv) -> Result<Request, KmipError> {
    Ok(Request {
        uid: required_uid(payload)?,
        params: parse_parameters(payload)?,
        data: optional_bytes(payload, Tag::DATA, "Data")?
            .ok_or_else(|| KmipError::missing("Data"))?,
        iv: optional_bytes(payload, Tag::IV_COUNTER_NONCE, "IVCounterNonce")?,
        aad: optional_bytes(
            payload,
            Tag::AUTHENTICATED_ENCRYPTION_ADDITIONAL_DATA,
            "AuthenticatedEncryptionAdditionalData",
        )?,
    })
}

pub fn apply(ctx: &Context<'_>, req: Request) -> Result<Ttlv, KmipError> {
    let now = now();
    let obj = ctx.transact(|tx| ManagedObject::load(tx, &req.uid))?;
    check_usable(&obj, now, "encrypt", &[State::Active], usage_mask::ENCRYPT)?;
    let key = obj.key_material()?;
    let alg = choose(&obj, key.len(), req.params.as_ref())?;
    let iv = match req.iv {
        Some(iv) => iv,
        None => ekms_crypto::rand::array::<NONCE_LEN>()
            .map_err(crypto_failure)?
            .to_vec(),
    };
    let mut data = req.data;
    let tag = alg
        .seal_in_place(key, &iv, req.aad.as_deref().unwrap_or(&[]), &mut data)
        .map_err(crypto_failure)?;
    Ok(response(vec![
        Ttlv::text(Tag::UNIQUE_IDENTIFIER, req.uid),
        Ttlv::bytes(Tag::DATA, data),
        Ttlv::bytes(Tag::IV_COUNTER_NONCE, iv),
        Ttlv::bytes(Tag::AUTHENTICATED_ENCRYPTION_TAG, tag.to_vec()),
    ]))
}
