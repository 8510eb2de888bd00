//! SignatureVerify: checks SignatureData over Data (or DigestedData) with a public key or a
//! certificate (its subject key), Active or Deactivated, whose usage mask allows Verify. A
//! signature that does not verify is a success with Validity Indicator Invalid.

use super::Context;
use crate::error::KmipError;
use crate::objects::cipher::{check_type, check_usable, effective_parameters};
use crate::objects::object::ManagedObject;
use crate::objects::{asym, now};
use ekms_kmip::enums::{ObjectType, State, ValidityIndicator, usage_mask};
use ekms_kmip::operations::signature_verify::{Request, Response};

pub fn apply(ctx: &Context<'_>, req: Request) -> Result<Response, KmipError> {
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
    Ok(Response {
        uid: req.uid,
        indicator,
    })
}
