//! Encrypt: data under a symmetric key or an RSA public key.

use zeroize::Zeroizing;

use super::prelude::*;
use super::refuse_streaming;

payload! {
    /// The Encrypt request.
    Request in request, check refuse_streaming {
        /// Unique Identifier of the key.
        uid: String = required(UNIQUE_IDENTIFIER),
        /// Cryptographic Parameters (without: the key's own).
        params: Option<CryptographicParameters> = parameters(CRYPTOGRAPHIC_PARAMETERS),
        /// The plaintext, wiped once used.
        data: Zeroizing<Vec<u8>> = required(DATA),
        /// IV/Counter/Nonce (without: the server draws one and returns it).
        iv: Option<Vec<u8>> = optional(IV_COUNTER_NONCE),
        /// Authenticated Encryption Additional Data.
        aad: Option<Vec<u8>> = optional(AUTHENTICATED_ENCRYPTION_ADDITIONAL_DATA),
    }
}

impl KmipRequest for Request {
    const OPERATION: Operation = Operation::Encrypt;
    type Response = Response;
}

payload! {
    /// The Encrypt response.
    Response in response {
        /// Unique Identifier of the key.
        uid: String = required(UNIQUE_IDENTIFIER),
        /// The ciphertext.
        data: Vec<u8> = required(DATA),
        /// The IV the server drew (none when the client gave one).
        iv: Option<Vec<u8>> = optional(IV_COUNTER_NONCE),
        /// The authentication tag of an authenticated mode.
        tag: Option<Vec<u8>> = optional(AUTHENTICATED_ENCRYPTION_TAG),
    }
}
