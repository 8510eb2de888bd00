//! Query: what the server supports (the answer's fields are the client's version's).

use super::Payload;
use super::prelude::*;
use crate::codec::enum_raw;
use crate::enums::ResultReason;

/// The Query request: the Query Functions asked, as their values (an unknown one is the
/// server's to refuse).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// Query Function values, in order.
    pub functions: Vec<u32>,
}

impl FromTtlv for Request {
    fn from_ttlv(t: Ttlv) -> Result<Self, Error> {
        let functions = Fields::payload(t)?
            .all_with(Tag::QUERY_FUNCTION, enum_raw)
            .map_err(|_| {
                Error::refused(
                    ResultReason::InvalidMessage,
                    "QueryFunction must be an Enumeration",
                )
            })?;
        Ok(Request { functions })
    }
}

impl ToTtlv for Request {
    fn to_ttlv(self) -> Ttlv {
        request(
            self.functions
                .into_iter()
                .map(|f| Ttlv::enumeration(Tag::QUERY_FUNCTION, f))
                .collect(),
        )
    }
}

impl KmipRequest for Request {
    const OPERATION: Operation = Operation::Query;
    type Response = Payload;
}

/// The response: its fields as the server wrote them.
pub type Response = Payload;
