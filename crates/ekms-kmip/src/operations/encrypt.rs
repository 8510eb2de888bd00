//! Encrypt: data under a symmetric key or an RSA public key, in one request or (read by the
//! server as [`PartRequest`]) in parts.

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
        /// The Correlation Value of a multi-part Encrypt that goes on (see [`PartRequest`]).
        correlation: Option<Vec<u8>> = optional(CORRELATION_VALUE),
        /// The authentication tag of an authenticated mode.
        tag: Option<Vec<u8>> = optional(AUTHENTICATED_ENCRYPTION_TAG),
    }
}

/// The multi-part fields of an Encrypt request (KMIP 1.3+).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Parts {
    /// The Correlation Value the server answered the first part with.
    pub correlation: Option<Vec<u8>>,
    /// Init Indicator: the first part.
    pub init: bool,
    /// Final Indicator: the last part.
    pub last: bool,
}

impl Parts {
    /// True when the request is a part of a multi-part operation (a first part that is also
    /// the last is a whole one).
    pub fn is_multi_part(&self) -> bool {
        self.correlation.is_some() || self.init != self.last
    }
}

/// An Encrypt request as the server reads it: [`Request`] and its multi-part fields, which
/// [`Request`] alone refuses (a client of ekms never sends them).
#[derive(Debug)]
pub struct PartRequest {
    /// The request.
    pub request: Request,
    /// Its multi-part fields.
    pub parts: Parts,
}

impl FromTtlv for PartRequest {
    fn from_ttlv(mut t: Ttlv) -> Result<Self, Error> {
        let mut parts = Parts::default();
        if let Some(items) = t.items_mut() {
            let flag = |i: &Ttlv| i.as_bool() == Some(true);
            for i in items.iter() {
                match i.tag {
                    Tag::CORRELATION_VALUE if parts.correlation.is_none() => {
                        parts.correlation = i.as_bytes().map(<[u8]>::to_vec);
                    }
                    Tag::INIT_INDICATOR => parts.init |= flag(i),
                    Tag::FINAL_INDICATOR => parts.last |= flag(i),
                    _ => {}
                }
            }
            items.retain(|i| {
                ![
                    Tag::CORRELATION_VALUE,
                    Tag::INIT_INDICATOR,
                    Tag::FINAL_INDICATOR,
                ]
                .contains(&i.tag)
            });
        }
        Ok(Self {
            request: Request::from_ttlv(t)?,
            parts,
        })
    }
}
