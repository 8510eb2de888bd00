//! Sign: a signature over Data (or over a client-computed digest, DigestedData) with an Active
//! private key whose usage mask allows Sign: RSA PKCS#1 v1.5 or PSS, ECDSA (DER signatures),
//! Ed25519; see [`crate::objects::asym::sig_algorithm`] for how the parameters choose.

use super::encrypt::refuse_streaming;
use super::{Context, optional_bytes, required_uid, response};
use crate::error::KmipError;
use crate::objects::asym;
use crate::objects::cipher::parse_parameters;
use crate::objects::key_use::KeyUse;
use ekms_kmip::enums::{ObjectType, State, usage_mask};
use ekms_kmip::{CryptographicParameters, Tag, Ttlv};

pub struct Request {
    pub uid: String,
    pub params: Option<CryptographicParameters>,
    /// The message, or (second) true for a digest.
    pub data: (Vec<u8>, bool),
}

/// Reads Data or DigestedData.
pub fn data_or_digest(payload: &Ttlv) -> Result<(Vec<u8>, bool), KmipError> {
    match (
        optional_bytes(payload, Tag::DATA, "Data")?,
        optional_bytes(payload, Tag::DIGESTED_DATA, "DigestedData")?,
    ) {
        (Some(d), None) => Ok((d, false)),
        (None, Some(d)) => Ok((d, true)),
        (Some(_), Some(_)) => Err(KmipError::invalid("give Data or DigestedData, not both")),
        (None, None) => Err(KmipError::missing("Data")),
    }
}

pub fn parse(payload: &Ttlv) -> Result<Request, KmipError> {
    refuse_streaming(payload)?;
    Ok(Request {
        uid: required_uid(payload)?,
        params: parse_parameters(payload)?,
        data: data_or_digest(payload)?,
    })
}

/// The keys Sign takes.
const KEY_USE: KeyUse = KeyUse {
    operation: "Sign",
    types: &[ObjectType::PrivateKey],
    verb: "sign",
    states: &[State::Active],
    mask: usage_mask::SIGN,
};

pub fn apply(ctx: &Context<'_>, req: Request) -> Result<Ttlv, KmipError> {
    let (obj, params) = KEY_USE.load(ctx, &req.uid, req.params)?;
    let key = asym::private_key(&obj)?;
    let signature = key.sign(params.as_ref(), &req.data.0, req.data.1)?;
    Ok(response(vec![
        Ttlv::text(Tag::UNIQUE_IDENTIFIER, req.uid),
        Ttlv::bytes(Tag::SIGNATURE_DATA, signature),
    ]))
}
