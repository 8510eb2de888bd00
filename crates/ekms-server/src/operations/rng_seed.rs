//! RNG Seed: the server accepts the client's seed and does not use it.
//!
//! "Accepted" means read, counted in the answer's Data Length, and wiped. The bytes do not
//! reach the generator: aws-lc's DRBG is seeded from the operating system's entropy source and
//! reseeds itself, and it offers no way to add a caller's entropy; a client's bytes could not
//! make it stronger and must never be able to make it predictable.

use super::Context;
use crate::error::KmipError;
use ekms_kmip::enums::ResultReason;
use ekms_kmip::operations::rng_seed::{Request, Response};

pub fn apply(_ctx: &Context<'_>, req: Request) -> Result<Response, KmipError> {
    let accepted = i32::try_from(req.data.len()).map_err(|_| {
        KmipError::new(
            ResultReason::InvalidField,
            "the seed is longer than a Data Length can count",
        )
    })?;
    // `req.data` is Zeroizing: dropped here, wiped.
    Ok(Response { accepted })
}
