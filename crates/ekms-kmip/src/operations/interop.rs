//! Interop (KMIP 2.0+): a client tells the server an interoperability test begins, ends or is
//! to be reset.

use super::prelude::*;
use crate::enums::InteropFunction;

/// The Interop request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// Begin, End or Reset.
    pub function: InteropFunction,
    /// The test's name (for instance `BL-M-1-21`).
    pub identifier: String,
}

impl FromTtlv for Request {
    fn from_ttlv(t: Ttlv) -> Result<Self, Error> {
        let mut f = Fields::payload(t)?;
        Ok(Request {
            function: f.required_enum(Tag::INTEROP_FUNCTION, InteropFunction::from_u32)?,
            identifier: f.required(Tag::INTEROP_IDENTIFIER)?,
        })
    }
}

impl ToTtlv for Request {
    fn to_ttlv(self) -> Ttlv {
        request(vec![
            Ttlv::enumeration(Tag::INTEROP_FUNCTION, self.function.as_u32()),
            Ttlv::text(Tag::INTEROP_IDENTIFIER, self.identifier),
        ])
    }
}

impl KmipRequest for Request {
    const OPERATION: Operation = Operation::Interop;
    type Response = Response;
}

/// The Interop response: an empty payload.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Response;

impl FromTtlv for Response {
    fn from_ttlv(t: Ttlv) -> Result<Self, Error> {
        Fields::payload(t)?;
        Ok(Response)
    }
}

impl ToTtlv for Response {
    fn to_ttlv(self) -> Ttlv {
        response(Vec::new())
    }
}
