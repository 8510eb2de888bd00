//! Check: whether an object may be used as the request describes.

use super::UniqueIdentifier;
use super::prelude::*;

/// Usage Limits Count: a non-negative LongInteger. The server's Check does not weigh it
/// against an object's Usage Limits (only Encrypt, Sign, MAC and Get Usage Allocation spend
/// them), so it passes whenever it is well formed.
fn usage_limits_count(f: &Fields) -> Result<(), Error> {
    match f.first(Tag::USAGE_LIMITS_COUNT) {
        Some(c) if c.as_i64().is_none_or(|c| c < 0) => Err(Error::WrongType {
            tag: Tag::USAGE_LIMITS_COUNT,
            expected: "non-negative LongInteger",
            found: c.value.type_name(),
        }),
        _ => Ok(()),
    }
}

payload! {
    /// The Check request (Lease Time always passes: ekms sets no leases).
    Request in request, check usage_limits_count {
        /// Cryptographic Usage Mask: the bits the use needs.
        mask: Option<i32> = optional(CRYPTOGRAPHIC_USAGE_MASK),
        /// Unique Identifier.
        uid: String = required(UNIQUE_IDENTIFIER),
    }
}

impl KmipRequest for Request {
    const OPERATION: Operation = Operation::Check;
    type Response = Response;
}

/// The response: the object's Unique Identifier.
pub type Response = UniqueIdentifier;
