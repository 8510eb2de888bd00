//! Archive: the client says the object may be archived. KMIP leaves when an object is
//! archived, where and how to the server; ekms records the request (Archive Date, the time of
//! the first Archive since the object was last recovered) and keeps the object in its group's
//! encrypted store, on-line and usable as before: there is no slower storage to move it to.

use super::Context;
use crate::error::KmipError;
use crate::objects::object::change_state;
use ekms_kmip::operations::archive::{Request, Response};

pub fn apply(ctx: &Context<'_>, req: Request) -> Result<Response, KmipError> {
    let uid = change_state(ctx, req.uid, |obj, now| {
        obj.attributes.archive_date.get_or_insert(now);
        Ok(())
    })?;
    Ok(Response { uid })
}
