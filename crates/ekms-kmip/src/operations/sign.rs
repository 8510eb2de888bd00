//! Sign: a message or a digest under a private key.

use super::prelude::*;
use super::refuse_streaming;

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
