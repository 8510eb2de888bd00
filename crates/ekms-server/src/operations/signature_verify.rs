//! SignatureVerify: checks SignatureData over Data (or DigestedData) with a public key or a
//! certificate (its subject key), Active or Deactivated, whose usage mask allows Verify. A
//! signature that does not verify is a success with Validity Indicator Invalid.

use super::encrypt::refuse_streaming;
use super::sign::data_or_digest;
use super::{Context, optional_bytes, required_uid, response};
use crate::error::KmipError;
use crate::objects::asym;
use crate::objects::cipher::parse_parameters;
use crate::objects::key_use::{KeyUse, validity_answer};
use ekms_kmip::enums::{ObjectType, State, usage_mask};
use ekms_kmip::{CryptographicParameters, Tag, Ttlv};

pub struct Request {
    pub uid: String,
    pub params: Option<CryptographicParameters>,
    pub data: (Vec<u8>, bool),
    pub signature: Vec<u8>,
}

pub fn parse(payload: &Ttlv) -> Result<Request, KmipError> {
    refuse_streaming(payload)?;
    Ok(Request {
        uid: required_uid(payload)?,
        params: parse_parameters(payload)?,
        data: data_or_digest(payload)?,
        signature: optional_bytes(payload, Tag::SIGNATURE_DATA, "SignatureData")?
            .ok_or_else(|| KmipError::missing("SignatureData"))?,
    })
}

/// The keys SignatureVerify takes: a Deactivated one still verifies what it signed.
const KEY_USE: KeyUse = KeyUse {
    operation: "SignatureVerify",
    types: &[ObjectType::PublicKey, ObjectType::Certificate],
    verb: "verify signatures",
    states: &[State::Active, State::Deactivated],
    mask: usage_mask::VERIFY,
};

pub fn apply(ctx: &Context<'_>, req: Request) -> Result<Ttlv, KmipError> {
    let (obj, params) = KEY_USE.load(ctx, &req.uid, req.params)?;
    let key = asym::public_key(&obj)?;
    let valid = key.verify(params.as_ref(), &req.data.0, req.data.1, &req.signature)?;
    Ok(response(validity_answer(req.uid, valid)))
}
