//! Obtain Lease: a lease to use an object's key material for the object's Lease Time.

use super::DateTime;
use super::prelude::*;

super::uid_request!(ObtainLease, Lease);

payload! {
    /// The Obtain Lease response.
    Lease in response {
        /// Unique Identifier.
        uid: String = required(UNIQUE_IDENTIFIER),
        /// Lease Time: seconds the client may use the material before it asks again.
        lease_time: u32 = required_interval(LEASE_TIME),
        /// Last Change Date: the object's, so the client knows whether its copy is current.
        last_change_date: DateTime = required_datetime(LAST_CHANGE_DATE),
    }
}
