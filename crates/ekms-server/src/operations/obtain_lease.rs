//! Obtain Lease: how long a client may use an object's key material before it asks again.
//! ekms's leases are the `--lease-time-seconds` setting, the Lease Time every object states:
//! the answer is that time and the object's Last Change Date (so a client knows whether its
//! copy is current). Only an Active object is leased; with the setting 0, ekms grants none.
//! A lease is not recorded: ekms does the cryptography itself, and every use it does is checked
//! against the object's state and dates as it happens.

use super::Context;
use crate::error::KmipError;
use crate::objects::now;
use ekms_kmip::enums::ResultReason;
use ekms_kmip::operations::DateTime;
use ekms_kmip::operations::obtain_lease::{Lease, Request};

pub fn apply(ctx: &Context<'_>, req: Request) -> Result<Lease, KmipError> {
    let lease_time = ctx.limits.lease_time_seconds;
    if lease_time == 0 {
        return Err(KmipError::new(
            ResultReason::PermissionDenied,
            "this server grants no leases (--lease-time-seconds is 0)",
        ));
    }
    let obj = super::check::load_active(ctx, &req.uid, "be leased")?;
    Ok(Lease {
        uid: obj.uid.clone(),
        lease_time,
        last_change_date: DateTime(
            obj.attributes
                .last_change_date
                .or(obj.attributes.initial_date)
                .unwrap_or_else(now),
        ),
    })
}
