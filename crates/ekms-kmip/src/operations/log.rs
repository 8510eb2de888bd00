//! Log (KMIP 2.0+): a client asks the server to write a message to its log.

use super::prelude::*;

/// The Log request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// Log Message.
    pub message: String,
}

impl FromTtlv for Request {
    fn from_ttlv(t: Ttlv) -> Result<Self, Error> {
        let mut f = Fields::payload(t)?;
        Ok(Request {
            message: f.required(Tag::LOG_MESSAGE)?,
        })
    }
}

impl ToTtlv for Request {
    fn to_ttlv(self) -> Ttlv {
        request(vec![Ttlv::text(Tag::LOG_MESSAGE, self.message)])
    }
}

impl KmipRequest for Request {
    const OPERATION: Operation = Operation::Log;
    type Response = Response;
}

/// The response: an empty payload, as Interop answers.
pub type Response = super::interop::Response;
