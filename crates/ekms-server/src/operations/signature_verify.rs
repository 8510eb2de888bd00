//! SignatureVerify: checks SignatureData over Data (or DigestedData) with a public key or a
//! certificate (its subject key), Active or Deactivated, whose usage mask allows Verify. A
//! signature that does not verify is a success with Validity Indicator Invalid.

use super::Context;
use crate::error::KmipError;
use crate::objects::asym;
use crate::objects::key_use::{Direction, KeyUse, validity};
use ekms_kmip::enums::{ObjectType, usage_mask};
use ekms_kmip::operations::signature_verify::{Request, Response};

/// The keys SignatureVerify takes: a Deactivated one still verifies what it signed.
const KEY_USE: KeyUse = KeyUse {
    operation: "SignatureVerify",
    direction: Direction::Process,
    types: &[ObjectType::PublicKey, ObjectType::Certificate],
    verb: "verify signatures",
    mask: usage_mask::VERIFY,
};

pub fn apply(ctx: &Context<'_>, req: Request) -> Result<Response, KmipError> {
    let (obj, params) = KEY_USE.load(ctx, &req.uid, req.params)?;
    let key = asym::kept_public_key(ctx, &obj)?;
    let valid = key.verify(params.as_ref(), &req.data.0, req.data.1, &req.signature)?;
    Ok(Response {
        uid: req.uid,
        indicator: validity(valid),
    })
}
