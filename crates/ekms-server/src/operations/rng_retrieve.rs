//! RNGRetrieve: DataLength random bytes from the aws-lc-rs DRBG (at most 1 MiB per request).

use super::{Context, response};
use crate::error::KmipError;
use ekms_kmip::enums::ResultReason;
use ekms_kmip::{Tag, Ttlv};

/// Largest DataLength served.
pub const MAX_RANDOM: usize = 1 << 20;

pub struct Request {
    pub len: usize,
}

pub fn parse(payload: &Ttlv) -> Result<Request, KmipError> {
    let len = payload
        .child(Tag::DATA_LENGTH)
        .ok_or_else(|| KmipError::missing("DataLength"))?
        .as_i32()
        .ok_or_else(|| KmipError::invalid("DataLength must be an Integer"))?;
    let len = usize::try_from(len)
        .ok()
        .filter(|l| (1..=MAX_RANDOM).contains(l))
        .ok_or_else(|| {
            KmipError::new(
                ResultReason::InvalidField,
                format!("DataLength must be between 1 and {MAX_RANDOM}"),
            )
        })?;
    Ok(Request { len })
}

pub fn apply(_ctx: &Context<'_>, req: Request) -> Result<Ttlv, KmipError> {
    let mut data = vec![0u8; req.len];
    ekms_crypto::rand::fill(&mut data)
        .map_err(|e| KmipError::new(ResultReason::CryptographicFailure, e.to_string()))?;
    Ok(response(vec![Ttlv::bytes(Tag::DATA, data)]))
}
