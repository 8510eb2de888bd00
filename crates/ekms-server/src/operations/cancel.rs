//! Cancel: ekms runs every operation synchronously and never answers Operation Pending, so it
//! has issued no Asynchronous Correlation Value and no operation is ever pending: whatever
//! value a client names, the answer is the Cancellation Result Unavailable (no such operation
//! to cancel), with the value echoed.

use super::Context;
use crate::error::KmipError;
use ekms_kmip::enums::CancellationResult;
use ekms_kmip::operations::cancel::{Request, Response};

pub fn apply(_ctx: &Context<'_>, req: Request) -> Result<Response, KmipError> {
    Ok(Response {
        correlation: req.correlation,
        result: CancellationResult::Unavailable,
    })
}
