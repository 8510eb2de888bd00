//! MACVerify: checks MACData over Data with a symmetric key (Active or Deactivated, usage mask
//! MAC Verify), in constant time. A tag that does not match is a success with Validity
//! Indicator Invalid.

use super::Context;
use super::mac::mac_key;
use crate::error::KmipError;
use crate::objects::cipher::{check_type, check_usable, crypto_failure, effective_parameters};
use crate::objects::now;
use crate::objects::object::ManagedObject;
use ekms_crypto::CryptoError;
use ekms_kmip::enums::{ObjectType, State, ValidityIndicator, usage_mask};
use ekms_kmip::operations::mac_verify::{Request, Response};

pub fn apply(ctx: &Context<'_>, req: Request) -> Result<Response, KmipError> {
    let obj = ctx.transact(|tx| ManagedObject::load(tx, &req.uid))?;
    check_type(&obj, &[ObjectType::SymmetricKey], "MACVerify")?;
    check_usable(
        &obj,
        now(),
        "verify MACs",
        &[State::Active, State::Deactivated],
        usage_mask::MAC_VERIFY,
    )?;
    let params = effective_parameters(&obj, req.params);
    let (alg, key) = mac_key(&obj, params.as_ref())?;
    let valid = match ekms_crypto::mac::verify(alg, &key, &req.data, &req.mac) {
        Ok(()) => true,
        Err(CryptoError::Authentication | CryptoError::TagLength { .. }) => false,
        Err(e) => return Err(crypto_failure(e)),
    };
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
