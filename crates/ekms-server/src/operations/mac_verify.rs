//! MACVerify: checks MACData over Data with a symmetric key (Active or Deactivated, usage mask
//! MAC Verify), in constant time. A tag that does not match is a success with Validity
//! Indicator Invalid.

use super::Context;
use crate::error::KmipError;
use crate::objects::cipher::crypto_failure;
use crate::objects::key_use::{Direction, KeyUse, load_mac_key, validity};
use ekms_crypto::CryptoError;
use ekms_kmip::enums::{ObjectType, usage_mask};
use ekms_kmip::operations::mac_verify::{Request, Response};

/// The keys MACVerify takes: a Deactivated one still verifies what it protected.
const KEY_USE: KeyUse = KeyUse {
    operation: "MACVerify",
    direction: Direction::Process,
    types: &[ObjectType::SymmetricKey],
    verb: "verify MACs",
    mask: usage_mask::MAC_VERIFY,
};

pub fn apply(ctx: &Context<'_>, req: Request) -> Result<Response, KmipError> {
    let (alg, key) = load_mac_key(ctx, &req.uid, req.params, &KEY_USE)?;
    let valid = match ekms_crypto::mac::verify(alg, &key, &req.data, &req.mac) {
        Ok(()) => true,
        Err(CryptoError::Authentication | CryptoError::TagLength { .. }) => false,
        Err(e) => return Err(crypto_failure(e)),
    };
    Ok(Response {
        uid: req.uid,
        indicator: validity(valid),
    })
}
