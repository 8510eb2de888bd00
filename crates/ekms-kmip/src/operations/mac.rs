//! MAC: a message authentication code under a symmetric key.

use super::prelude::*;
use super::refuse_streaming;

payload! {
    /// The MAC request.
    Request in request, check refuse_streaming {
        /// Unique Identifier of the key.
        uid: String = required(UNIQUE_IDENTIFIER),
        /// Cryptographic Parameters (without: the key's own).
        params: Option<CryptographicParameters> = parameters(CRYPTOGRAPHIC_PARAMETERS),
        /// The message.
        data: Vec<u8> = required(DATA),
    }
}

impl KmipRequest for Request {
    const OPERATION: Operation = Operation::Mac;
    type Response = Response;
}

payload! {
    /// The MAC response.
    Response in response {
        /// Unique Identifier of the key.
        uid: String = required(UNIQUE_IDENTIFIER),
        /// MAC Data.
        mac: Vec<u8> = required(MAC_DATA),
    }
}
