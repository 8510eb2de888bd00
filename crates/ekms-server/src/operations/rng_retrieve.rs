//! RNGRetrieve: DataLength random bytes from the aws-lc-rs DRBG (at most 1 MiB per request).

use super::Context;
use crate::error::KmipError;
use ekms_kmip::enums::ResultReason;
use ekms_kmip::operations::rng_retrieve::{Request, Response};

pub fn apply(_ctx: &Context<'_>, req: Request) -> Result<Response, KmipError> {
    let mut data = vec![0u8; req.len];
    ekms_crypto::rand::fill(&mut data)
        .map_err(|e| KmipError::new(ResultReason::CryptographicFailure, e.to_string()))?;
    Ok(Response { data })
}
