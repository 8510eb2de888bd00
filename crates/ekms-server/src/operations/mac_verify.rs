//! MACVerify: checks MACData over Data with a symmetric key (Active or Deactivated, usage mask
//! MAC Verify), in constant time. A tag that does not match is a success with Validity
//! Indicator Invalid.

use super::encrypt::refuse_streaming;

use super::{Context, optional_bytes, required_uid, response};
use crate::error::KmipError;
use crate::objects::cipher::{crypto_failure, parse_parameters};
use crate::objects::key_use::{KeyUse, load_mac_key, validity_answer};
use ekms_crypto::CryptoError;
use ekms_kmip::enums::{ObjectType, State, usage_mask};
use ekms_kmip::{CryptographicParameters, Tag, Ttlv};

pub struct Request {
    pub uid: String,
    pub params: Option<CryptographicParameters>,
    pub data: Vec<u8>,
    pub mac: Vec<u8>,
}

pub fn parse(payload: &Ttlv) -> Result<Request, KmipError> {
    refuse_streaming(payload)?;
    Ok(Request {
        uid: required_uid(payload)?,
        params: parse_parameters(payload)?,
        data: optional_bytes(payload, Tag::DATA, "Data")?
            .ok_or_else(|| KmipError::missing("Data"))?,
        mac: optional_bytes(payload, Tag::MAC_DATA, "MACData")?
            .ok_or_else(|| KmipError::missing("MACData"))?,
    })
}

/// The keys MACVerify takes: a Deactivated one still verifies what it protected.
const KEY_USE: KeyUse = KeyUse {
    operation: "MACVerify",
    types: &[ObjectType::SymmetricKey],
    verb: "verify MACs",
    states: &[State::Active, State::Deactivated],
    mask: usage_mask::MAC_VERIFY,
};

pub fn apply(ctx: &Context<'_>, req: Request) -> Result<Ttlv, KmipError> {
    let (alg, key) = load_mac_key(ctx, &req.uid, req.params, &KEY_USE)?;
    let valid = match ekms_crypto::mac::verify(alg, &key, &req.data, &req.mac) {
        Ok(()) => true,
        Err(CryptoError::Authentication | CryptoError::TagLength { .. }) => false,
        Err(e) => return Err(crypto_failure(e)),
    };
    Ok(response(validity_answer(req.uid, valid)))
}
