//! Sign: a signature over Data (or over a client-computed digest, DigestedData) with an Active
//! private key whose usage mask allows Sign: RSA PKCS#1 v1.5 or PSS, ECDSA (DER signatures),
//! Ed25519; see [`crate::objects::asym::sig_algorithm`] for how the parameters choose.

use super::Context;
use crate::error::KmipError;
use crate::objects::cipher::{check_type, check_usable, effective_parameters};
use crate::objects::object::ManagedObject;
use crate::objects::{asym, now};
use ekms_kmip::enums::{ObjectType, State, usage_mask};
use ekms_kmip::operations::sign::{Request, Response};

pub fn apply(ctx: &Context<'_>, req: Request) -> Result<Response, KmipError> {
    let obj = ctx.transact(|tx| ManagedObject::load(tx, &req.uid))?;
    check_type(&obj, &[ObjectType::PrivateKey], "Sign")?;
    check_usable(&obj, now(), "sign", &[State::Active], usage_mask::SIGN)?;
    let params = effective_parameters(&obj, req.params);
    let key = asym::private_key(&obj)?;
    let signature = key.sign(params.as_ref(), &req.data.0, req.data.1)?;
    Ok(Response {
        uid: req.uid,
        signature,
    })
}
