//! MAC Verify: a message authentication code under a symmetric key.

use super::{KmipRequest, payload, refuse_streaming};
use crate::attributes::CryptographicParameters;
use crate::codec::{Fields, FromTtlv, ToTtlv};
use crate::enums::Operation;
use crate::error::Error;
use crate::tags::Tag;
use crate::ttlv::Ttlv;

payload! {
    /// The MAC Verify request.
    Request in request, check refuse_streaming {
        /// Unique Identifier of the key.
        uid: String = required(UNIQUE_IDENTIFIER),
        /// Cryptographic Parameters (without: the key's own).
        params: Option<CryptographicParameters> = parameters(CRYPTOGRAPHIC_PARAMETERS),
        /// The message.
        data: Vec<u8> = required(DATA),
        /// MAC Data.
        mac: Vec<u8> = required(MAC_DATA),
    }
}

impl KmipRequest for Request {
    const OPERATION: Operation = Operation::MacVerify;
    type Response = Response;
}

/// The response: the key and the Validity Indicator.
pub type Response = super::Verified;
