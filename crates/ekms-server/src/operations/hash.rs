//! Hash: the digest of Data with the Hashing Algorithm of the Cryptographic Parameters
//! (SHA-1, SHA-224/256/384/512, SHA-512/256, SHA3-256/384/512). No key is involved.

use super::Context;
use crate::error::KmipError;
use crate::objects::asym;
use ekms_kmip::operations::hash::{Request, Response};

pub fn apply(_ctx: &Context<'_>, req: Request) -> Result<Response, KmipError> {
    let alg = asym::hash_of(req.hash)?;
    Ok(Response {
        data: ekms_crypto::digest::digest(alg, &req.data),
    })
}
