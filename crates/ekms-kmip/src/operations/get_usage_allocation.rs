//! Get Usage Allocation: reserves part of an object's Usage Limits for the client's own use.

use super::prelude::*;

payload! {
    /// The Get Usage Allocation request.
    Request in request {
        /// Unique Identifier.
        uid: String = required(UNIQUE_IDENTIFIER),
        /// Usage Limits Count: how many units (of the object's Usage Limits Unit) to reserve.
        count: i64 = required_long(USAGE_LIMITS_COUNT),
    }
}

impl KmipRequest for Request {
    const OPERATION: Operation = Operation::GetUsageAllocation;
    type Response = Response;
}

/// The response: the object's Unique Identifier.
pub type Response = super::UniqueIdentifier;
