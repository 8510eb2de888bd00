//! Log: a client's message written to the server's log (info level, with the user).
//!
//! The text is the client's: it is logged escaped (control characters and quotes cannot forge
//! log lines) and cut at [`MAX_LOGGED`] characters, so one message cannot flood the log more
//! than any request can.

use super::Context;
use crate::error::KmipError;
use ekms_kmip::operations::log::{Request, Response};

/// The most characters of one Log Message that reach the log.
pub const MAX_LOGGED: usize = 1024;

pub fn apply(ctx: &Context<'_>, req: Request) -> Result<Response, KmipError> {
    let message: String = req.message.chars().take(MAX_LOGGED).collect();
    let cut = message.len() < req.message.len();
    // `?`: Debug formatting escapes the client's text.
    tracing::info!(user = ctx.user, message = ?message, cut, "KMIP Log message from a client");
    Ok(Response::default())
}
