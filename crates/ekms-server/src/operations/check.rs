//! Check: whether the object may be used as the request describes: it must exist, be Active, and
//! have every bit of the requested Cryptographic Usage Mask. A Usage Limits Count or Lease Time in
//! the request always passes: the uses ekms makes spend the Usage Limits as they happen (Get Usage
//! Allocation reserves them), and the Lease Time is the server's setting. On success the Unique
//! Identifier is answered; a denial is a failure naming what was refused.

use super::Context;
use crate::error::KmipError;
use crate::objects::now;
use crate::objects::object::ManagedObject;
use ekms_kmip::enums::{ResultReason, State};
use ekms_kmip::operations::check::{Request, Response};

/// Object `uid`, refused unless it is Active: Wrong Key Lifecycle State saying that only an
/// Active object `may` what was asked ("be used", "be leased").
pub(super) fn load_active(
    ctx: &Context<'_>,
    uid: &str,
    may: &str,
) -> Result<ManagedObject, KmipError> {
    let obj = ctx.transact(|tx| ManagedObject::load(tx, uid))?;
    if obj.is_destroyed() {
        return Err(obj.destroyed_error());
    }
    let state = obj.state(now());
    if state != State::Active {
        return Err(KmipError::wrong_state(format!(
            "object {} is {}: only an Active object may {may}",
            obj.uid,
            state.name()
        )));
    }
    Ok(obj)
}

pub fn apply(ctx: &Context<'_>, req: Request) -> Result<Response, KmipError> {
    let obj = load_active(ctx, &req.uid, "be used")?;
    // The mask travels as a KMIP Integer; its bits are compared unsigned.
    if let Some(m) = req.mask.map(|m| m as u32) {
        let have = obj.attributes.cryptographic_usage_mask.unwrap_or(0);
        if have & m != m {
            return Err(KmipError::new(
                ResultReason::IncompatibleCryptographicUsageMask,
                format!(
                    "the usage mask of {} (0x{have:08X}) lacks bits 0x{:08X} of the requested mask",
                    obj.uid,
                    m & !have
                ),
            ));
        }
    }
    Ok(Response {
        uid: obj.uid.clone(),
    })
}
