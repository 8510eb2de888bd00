//! MAC Verify: a message authentication code under a symmetric key.

use super::prelude::*;
use super::refuse_streaming;

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
