//! Decrypt: data under a symmetric key or an RSA private key.

use zeroize::Zeroizing;

use super::prelude::*;
use super::refuse_streaming;

payload! {
    /// The Decrypt request.
    Request in request, check refuse_streaming {
        /// Unique Identifier of the key.
        uid: String = required(UNIQUE_IDENTIFIER),
        /// Cryptographic Parameters (without: the key's own).
        params: Option<CryptographicParameters> = parameters(CRYPTOGRAPHIC_PARAMETERS),
        /// The ciphertext.
        data: Vec<u8> = required(DATA),
        /// IV/Counter/Nonce.
        iv: Option<Vec<u8>> = optional(IV_COUNTER_NONCE),
        /// Authenticated Encryption Additional Data.
        aad: Option<Vec<u8>> = optional(AUTHENTICATED_ENCRYPTION_ADDITIONAL_DATA),
        /// Authenticated Encryption Tag.
        tag: Option<Vec<u8>> = optional(AUTHENTICATED_ENCRYPTION_TAG),
    }
}

impl KmipRequest for Request {
    const OPERATION: Operation = Operation::Decrypt;
    type Response = Response;
}

payload! {
    /// The Decrypt response.
    Response in response {
        /// Unique Identifier of the key.
        uid: String = required(UNIQUE_IDENTIFIER),
        /// The plaintext, wiped when dropped.
        data: Zeroizing<Vec<u8>> = required(DATA),
    }
}
