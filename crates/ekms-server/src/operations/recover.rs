//! Recover: the client asks for an archived object to be on-line again. ekms never takes an
//! object off-line ([`super::archive`]), so Recover answers at once, synchronously, and
//! deletes the Archive Date, as KMIP says Recover does.

use super::Context;
use crate::error::KmipError;
use crate::objects::object::change_state;
use ekms_kmip::operations::recover::{Request, Response};

pub fn apply(ctx: &Context<'_>, req: Request) -> Result<Response, KmipError> {
    let uid = change_state(ctx, req.uid, |obj, _| {
        obj.attributes.archive_date = None;
        Ok(())
    })?;
    Ok(Response { uid })
}
