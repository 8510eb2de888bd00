//! Cancel: the client asks the server to cancel an asynchronous operation it left pending.

use super::prelude::*;
use crate::enums::CancellationResult;

super::correlation_request!(Cancel);

payload! {
    /// The Cancel response: the correlation value and what became of the operation.
    Response in response {
        /// Asynchronous Correlation Value.
        correlation: Vec<u8> = required(ASYNCHRONOUS_CORRELATION_VALUE),
        /// Cancellation Result.
        result: CancellationResult = required(CANCELLATION_RESULT),
    }
}
