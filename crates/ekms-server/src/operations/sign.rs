//! Sign: a signature over Data (or over a client-computed digest, DigestedData) with an Active
//! private key whose usage mask allows Sign: RSA PKCS#1 v1.5 or PSS, ECDSA (DER signatures),
//! Ed25519; see [`crate::objects::asym::sig_algorithm`] for how the parameters choose.

use super::Context;
use crate::error::KmipError;
use crate::objects::asym;
use crate::objects::key_use::{Direction, KeyUse};
use ekms_kmip::enums::{ObjectType, usage_mask};
use ekms_kmip::operations::sign::{Request, Response};

/// The keys Sign takes.
const KEY_USE: KeyUse = KeyUse {
    operation: "Sign",
    direction: Direction::Protect,
    types: &[ObjectType::PrivateKey],
    verb: "sign",
    mask: usage_mask::SIGN,
};

pub fn apply(ctx: &Context<'_>, req: Request) -> Result<Response, KmipError> {
    let (obj, params) = KEY_USE.load(ctx, &req.uid, req.params)?;
    crate::objects::key_use::charge_usage(ctx, &obj, req.data.0.len())?;
    let key = asym::kept_private_key(ctx, &obj)?;
    let signature = key.sign(params.as_ref(), &req.data.0, req.data.1)?;
    Ok(Response {
        uid: req.uid,
        signature,
    })
}
