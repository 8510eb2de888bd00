//! RNG Seed: seed material a client offers the server's generator.

use super::prelude::*;

/// The RNG Seed request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// Data: the seed material.
    pub data: zeroize::Zeroizing<Vec<u8>>,
}

impl FromTtlv for Request {
    fn from_ttlv(t: Ttlv) -> Result<Self, Error> {
        let mut f = Fields::payload(t)?;
        let data: Vec<u8> = f.required(Tag::DATA)?;
        Ok(Request {
            data: zeroize::Zeroizing::new(data),
        })
    }
}

impl ToTtlv for Request {
    fn to_ttlv(self) -> Ttlv {
        request(vec![Ttlv::bytes(Tag::DATA, self.data.to_vec())])
    }
}

impl KmipRequest for Request {
    const OPERATION: Operation = Operation::RngSeed;
    type Response = Response;
}

/// The RNG Seed response: how many bytes of seed the server accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// Data Length.
    pub accepted: i32,
}

impl FromTtlv for Response {
    fn from_ttlv(t: Ttlv) -> Result<Self, Error> {
        let mut f = Fields::payload(t)?;
        Ok(Response {
            accepted: f.required(Tag::DATA_LENGTH)?,
        })
    }
}

impl ToTtlv for Response {
    fn to_ttlv(self) -> Ttlv {
        response(vec![Ttlv::integer(Tag::DATA_LENGTH, self.accepted)])
    }
}
