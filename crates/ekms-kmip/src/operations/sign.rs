//! Sign: a message or a digest under a private key.

use super::{KmipRequest, payload, refuse_streaming};
use crate::attributes::CryptographicParameters;
use crate::codec::{Fields, FromTtlv, ToTtlv};
use crate::enums::Operation;
use crate::error::Error;
use crate::tags::Tag;
use crate::ttlv::Ttlv;

payload! {
    /// The Sign request.
    Request in request, check refuse_streaming {
        /// Unique Identifier of the private key.
        uid: String = required(UNIQUE_IDENTIFIER),
        /// Cryptographic Parameters (without: the key's own).
        params: Option<CryptographicParameters> = parameters(CRYPTOGRAPHIC_PARAMETERS),
        /// The message (Data), or (second: true) its digest (Digested Data).
        data: (Vec<u8>, bool) = data_or_digest(DATA),
    }
}

impl KmipRequest for Request {
    const OPERATION: Operation = Operation::Sign;
    type Response = Response;
}

payload! {
    /// The Sign response.
    Response in response {
        /// Unique Identifier of the private key.
        uid: String = required(UNIQUE_IDENTIFIER),
        /// Signature Data.
        signature: Vec<u8> = required(SIGNATURE_DATA),
    }
}
