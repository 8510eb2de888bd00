//! Get Usage Allocation: the client reserves part of an object's Usage Limits for protection it
//! applies itself. The count, in the object's Usage Limits Unit, is taken from the Usage Limits
//! Count in one transaction (as ekms's own Encrypt, Sign and MAC spend it); more than is left
//! is refused with Permission Denied and spends nothing. Only an Active object with Usage
//! Limits gives allocations (KMIP: while protection is allowed); one without is Illegal
//! Operation.

use super::Context;
use crate::error::KmipError;
use crate::objects::key_use::spend_usage;
use ekms_kmip::enums::ResultReason;
use ekms_kmip::operations::get_usage_allocation::{Request, Response};

pub fn apply(ctx: &Context<'_>, req: Request) -> Result<Response, KmipError> {
    if req.count <= 0 {
        return Err(KmipError::new(
            ResultReason::InvalidField,
            format!(
                "Usage Limits Count {} is not a positive number of units",
                req.count
            ),
        ));
    }
    let obj = super::check::load_active(ctx, &req.uid, "give usage allocations")?;
    spend_usage(ctx, &obj, |_| req.count)?;
    Ok(Response {
        uid: obj.uid.clone(),
    })
}
