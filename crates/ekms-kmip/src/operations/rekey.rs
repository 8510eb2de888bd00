//! Re-key: a new key replacing an existing symmetric key.

use super::UniqueIdentifier;
use super::prelude::*;

payload! {
    /// The Re-key request.
    Request in request {
        /// Offset: seconds between the new key's Initial Date and its Activation Date.
        offset: Option<u32> = optional_interval(OFFSET),
        /// Unique Identifier of the key to replace.
        uid: String = required(UNIQUE_IDENTIFIER),
        /// Attributes of the new key (2.x `Attributes` or 1.x `TemplateAttribute`; absent:
        /// none, and none are written).
        attributes: Attributes = template_attributes(ATTRIBUTES),
    }
}

impl KmipRequest for Request {
    const OPERATION: Operation = Operation::ReKey;
    type Response = Response;
}

/// The response: the new key's Unique Identifier.
pub type Response = UniqueIdentifier;
