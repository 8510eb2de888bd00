//! Poll: ekms runs every operation synchronously and never answers Operation Pending, so no
//! Asynchronous Correlation Value it could be polled for exists: every Poll fails with Item
//! Not Found, saying so.

use super::Context;
use crate::error::KmipError;
use ekms_kmip::enums::ResultReason;
use ekms_kmip::operations::poll::{Request, Response};

pub fn apply(_ctx: &Context<'_>, _req: Request) -> Result<Response, KmipError> {
    Err(KmipError::new(
        ResultReason::ItemNotFound,
        "no operation is pending under this Asynchronous Correlation Value: ekms answers every operation synchronously and issues none",
    ))
}
