//! Poll: the client asks for the answer of an asynchronous operation it left pending; the
//! answer is that operation's own response payload.

use super::Payload;
use super::prelude::*;

super::correlation_request!(Poll);

/// The response: the polled operation's payload, whatever its operation.
pub type Response = Payload;
