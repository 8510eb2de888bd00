//! Hash: a digest of data (no key).

use super::prelude::*;
use super::{parameters, refuse_streaming};
use crate::enums::{HashingAlgorithm, ResultReason};

/// The Hash request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// The Hashing Algorithm of the Cryptographic Parameters.
    pub hash: HashingAlgorithm,
    /// The data.
    pub data: Vec<u8>,
}

impl FromTtlv for Request {
    fn from_ttlv(t: Ttlv) -> Result<Self, Error> {
        let mut f = Fields::payload(t)?;
        refuse_streaming(&f)?;
        let hash = parameters(&mut f, Tag::CRYPTOGRAPHIC_PARAMETERS)?
            .and_then(|p| p.hashing_algorithm)
            .ok_or_else(|| {
                Error::refused(
                    ResultReason::MissingData,
                    "CryptographicParameters HashingAlgorithm is missing",
                )
            })?;
        Ok(Request {
            hash,
            data: f.required(Tag::DATA)?,
        })
    }
}

impl ToTtlv for Request {
    fn to_ttlv(self) -> Ttlv {
        let params = CryptographicParameters {
            hashing_algorithm: Some(self.hash),
            ..Default::default()
        };
        request(vec![params.to_ttlv(), Ttlv::bytes(Tag::DATA, self.data)])
    }
}

impl KmipRequest for Request {
    const OPERATION: Operation = Operation::Hash;
    type Response = Response;
}

/// The Hash response: the digest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// The digest.
    pub data: Vec<u8>,
}

impl FromTtlv for Response {
    fn from_ttlv(t: Ttlv) -> Result<Self, Error> {
        let mut f = Fields::payload(t)?;
        Ok(Response {
            data: f.required(Tag::DATA)?,
        })
    }
}

impl ToTtlv for Response {
    fn to_ttlv(self) -> Ttlv {
        response(vec![Ttlv::bytes(Tag::DATA, self.data)])
    }
}
