//! Signature Verify: a signature over a message or a digest, under a public key.

use super::prelude::*;
use super::refuse_streaming;

payload! {
    /// The Signature Verify request.
    Request in request, check refuse_streaming {
        /// Unique Identifier of the public key.
        uid: String = required(UNIQUE_IDENTIFIER),
        /// Cryptographic Parameters (without: the key's own).
        params: Option<CryptographicParameters> = parameters(CRYPTOGRAPHIC_PARAMETERS),
        /// The message (Data), or (second: true) its digest (Digested Data).
        data: (Vec<u8>, bool) = data_or_digest(DATA),
        /// Signature Data.
        signature: Vec<u8> = required(SIGNATURE_DATA),
    }
}

impl KmipRequest for Request {
    const OPERATION: Operation = Operation::SignatureVerify;
    type Response = Response;
}

/// The response: the key and the Validity Indicator.
pub type Response = super::Verified;
