//! SignatureVerify: checks SignatureData over Data (or DigestedData) with a public key or a
//! certificate (its subject key), Active or Deactivated, whose usage mask allows Verify. A
//! signature that does not verify is a success with Validity Indicator Invalid.

use super::encrypt::refuse_streaming;
use super::sign::data_or_digest;
use super::{Context, optional_bytes, required_uid, response};
use crate::error::KmipError;
use crate::objects::cipher::{check_type, check_usable, effective_parameters, parse_parameters};
use crate::objects::object::ManagedObject;
use crate::objects::{asym, now};
use ekms_kmip::enums::{ObjectType, State, ValidityIndicator, usage_mask};
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

pub fn apply(ctx: &Context<'_>, req: Request) -> Result<Ttlv, KmipError> {
    let obj = ctx.transact(|tx| ManagedObject::load(tx, &req.uid))?;
    check_type(
        &obj,
        &[ObjectType::PublicKey, ObjectType::Certificate],
        "SignatureVerify",
    )?;
    check_usable(
        &obj,
        now(),
        "verify signatures",
        &[State::Active, State::Deactivated],
        usage_mask::VERIFY,
    )?;
    let params = effective_parameters(&obj, req.params);
    let key = asym::public_key(&obj)?;
    let valid = key.verify(params.as_ref(), &req.data.0, req.data.1, &req.signature)?;
    let indicator = if valid {
        ValidityIndicator::Valid
    } else {
        ValidityIndicator::Invalid
    };
    Ok(response(vec![
        Ttlv::text(Tag::UNIQUE_IDENTIFIER, req.uid),
        Ttlv::enumeration(Tag::VALIDITY_INDICATOR, indicator.as_u32()),
    ]))
}
