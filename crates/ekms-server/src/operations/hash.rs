//! Hash: the digest of Data with the Hashing Algorithm of the Cryptographic Parameters
//! (SHA-1, SHA-224/256/384/512, SHA-512/256, SHA3-256/384/512). No key is involved.

use super::encrypt::refuse_streaming;
use super::{Context, optional_bytes, response};
use crate::error::KmipError;
use crate::objects::asym;
use crate::objects::cipher::parse_parameters;
use ekms_kmip::enums::HashingAlgorithm;
use ekms_kmip::{Tag, Ttlv};

pub struct Request {
    pub hash: HashingAlgorithm,
    pub data: Vec<u8>,
}

pub fn parse(payload: &Ttlv) -> Result<Request, KmipError> {
    refuse_streaming(payload)?;
    let hash = parse_parameters(payload)?
        .and_then(|p| p.hashing_algorithm)
        .ok_or_else(|| KmipError::missing("CryptographicParameters HashingAlgorithm"))?;
    Ok(Request {
        hash,
        data: optional_bytes(payload, Tag::DATA, "Data")?
            .ok_or_else(|| KmipError::missing("Data"))?,
    })
}

pub fn apply(_ctx: &Context<'_>, req: Request) -> Result<Ttlv, KmipError> {
    let alg = asym::hash_of(req.hash)?;
    Ok(response(vec![Ttlv::bytes(
        Tag::DATA,
        ekms_crypto::digest::digest(alg, &req.data),
    )]))
}
