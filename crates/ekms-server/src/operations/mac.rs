//! MAC: an HMAC tag over Data with an Active symmetric key whose usage mask allows MAC
//! Generate. The HMAC hash comes from the Cryptographic Parameters (HMAC_SHA* algorithm or
//! Hashing Algorithm) or the key's algorithm: HMAC-SHA1/224/256/384/512.

use super::Context;
use crate::error::KmipError;
use crate::objects::cipher::crypto_failure;
use crate::objects::key_use::{Direction, KeyUse, charge_usage, mac_key};
use ekms_kmip::enums::{ObjectType, usage_mask};
use ekms_kmip::operations::mac::{Request, Response};

/// The keys MAC takes.
const KEY_USE: KeyUse = KeyUse {
    operation: "MAC",
    direction: Direction::Protect,
    types: &[ObjectType::SymmetricKey],
    verb: "compute MACs",
    mask: usage_mask::MAC_GENERATE,
};

pub fn apply(ctx: &Context<'_>, req: Request) -> Result<Response, KmipError> {
    let (obj, params) = KEY_USE.load(ctx, &req.uid, req.params)?;
    charge_usage(ctx, &obj, req.data.len())?;
    let (alg, key) = mac_key(&obj, params.as_ref())?;
    let tag = ekms_crypto::mac::mac(alg, &key, &req.data).map_err(crypto_failure)?;
    Ok(Response {
        uid: req.uid,
        mac: tag,
    })
}
