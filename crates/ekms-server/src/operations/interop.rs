//! Interop: the start and end of an interoperability test (the OASIS profile test cases open
//! and close each case with it).
//!
//! Begin and End succeed and change nothing: a test needs no preparation, and the objects it
//! makes are its group's, like any other. Reset would ask to undo what the test did; ekms keeps
//! no record of which objects a test made, so it refuses Reset rather than claim a reset it did
//! not do (a fresh group is the clean start).

use super::Context;
use crate::error::KmipError;
use ekms_kmip::enums::{InteropFunction, ResultReason};
use ekms_kmip::operations::interop::{Request, Response};

pub fn apply(_ctx: &Context<'_>, req: Request) -> Result<Response, KmipError> {
    if req.identifier.is_empty() {
        return Err(KmipError::new(
            ResultReason::InvalidField,
            "Interop Identifier is empty: name the test that begins or ends",
        ));
    }
    match req.function {
        InteropFunction::Begin | InteropFunction::End => {
            tracing::info!(test = %req.identifier, function = req.function.name(), "interop test");
            Ok(Response)
        }
        InteropFunction::Reset => Err(KmipError::new(
            ResultReason::FeatureNotSupported,
            "Interop Reset is not supported: ekms does not record which objects a test made, so it cannot undo them; run the test again in a fresh group (POST /register)",
        )),
    }
}
