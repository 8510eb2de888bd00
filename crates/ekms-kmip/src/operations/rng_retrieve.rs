//! RNG Retrieve: random bytes from the server's generator.

use super::prelude::*;
use crate::enums::ResultReason;

/// The most bytes one RNG Retrieve returns.
pub const MAX_RANDOM: usize = 1 << 20;

/// The RNG Retrieve request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// Data Length: how many bytes (1 to [`MAX_RANDOM`]).
    pub len: usize,
}

impl FromTtlv for Request {
    fn from_ttlv(t: Ttlv) -> Result<Self, Error> {
        let mut f = Fields::payload(t)?;
        let len: i32 = f.required(Tag::DATA_LENGTH)?;
        let len = usize::try_from(len)
            .ok()
            .filter(|l| (1..=MAX_RANDOM).contains(l))
            .ok_or_else(|| {
                Error::refused(
                    ResultReason::InvalidField,
                    format!("DataLength must be between 1 and {MAX_RANDOM}"),
                )
            })?;
        Ok(Request { len })
    }
}

impl ToTtlv for Request {
    fn to_ttlv(self) -> Ttlv {
        let len = i32::try_from(self.len).unwrap_or(i32::MAX);
        request(vec![Ttlv::integer(Tag::DATA_LENGTH, len)])
    }
}

impl KmipRequest for Request {
    const OPERATION: Operation = Operation::RngRetrieve;
    type Response = super::hash::Response;
}

/// The response: the random bytes (Data), as Hash answers its digest.
pub type Response = super::hash::Response;
