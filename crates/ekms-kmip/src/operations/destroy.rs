//! Destroy: the object's key material is erased.

use super::prelude::*;

payload! {
    /// The Destroy request.
    Request in request {
        /// Unique Identifier.
        uid: String = required(UNIQUE_IDENTIFIER),
        /// Cosmian's vendor field `Cascade`: the other half of a key pair is destroyed too.
        /// Sent by Cosmian's clients in KMIP 2.1 JSON only (it has no tag number of theirs).
        cascade: Option<bool> = optional(COSMIAN_CASCADE),
    }
}

impl KmipRequest for Request {
    const OPERATION: Operation = Operation::Destroy;
    type Response = Response;
}

/// The response: the object's Unique Identifier.
pub type Response = super::UniqueIdentifier;
