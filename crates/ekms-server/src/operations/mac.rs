//! MAC: an HMAC tag over Data with an Active symmetric key whose usage mask allows MAC
//! Generate. The HMAC hash comes from the Cryptographic Parameters (HMAC_SHA* algorithm or
//! Hashing Algorithm) or the key's algorithm: HMAC-SHA1/224/256/384/512.

use super::encrypt::refuse_streaming;
use super::{Context, optional_bytes, required_uid, response};
use crate::error::KmipError;
use crate::objects::cipher::{crypto_failure, parse_parameters};
use crate::objects::key_use::{KeyUse, load_mac_key};
use ekms_kmip::enums::{ObjectType, State, usage_mask};
use ekms_kmip::{CryptographicParameters, Tag, Ttlv};

pub struct Request {
    pub uid: String,
    pub params: Option<CryptographicParameters>,
    pub data: Vec<u8>,
}

pub fn parse(payload: &Ttlv) -> Result<Request, KmipError> {
    refuse_streaming(payload)?;
    Ok(Request {
        uid: required_uid(payload)?,
        params: parse_parameters(payload)?,
        data: optional_bytes(payload, Tag::DATA, "Data")?
            .ok_or_else(|| KmipError::missing("Data"))?,
    })
}

/// The keys MAC takes.
const KEY_USE: KeyUse = KeyUse {
    operation: "MAC",
    types: &[ObjectType::SymmetricKey],
    verb: "compute MACs",
    states: &[State::Active],
    mask: usage_mask::MAC_GENERATE,
};

pub fn apply(ctx: &Context<'_>, req: Request) -> Result<Ttlv, KmipError> {
    let (alg, key) = load_mac_key(ctx, &req.uid, req.params, &KEY_USE)?;
    let tag = ekms_crypto::mac::mac(alg, &key, &req.data).map_err(crypto_failure)?;
    Ok(response(vec![
        Ttlv::text(Tag::UNIQUE_IDENTIFIER, req.uid),
        Ttlv::bytes(Tag::MAC_DATA, tag),
    ]))
}
