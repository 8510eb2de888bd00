//! Set Endpoint Role (KMIP 2.0 and later): ekms is a server and only ever a server, so asking
//! it to be one is answered with success and changes nothing, and asking it to act as a
//! client (to send requests to the asker) is refused with the reason.

use super::Context;
use crate::error::KmipError;
use ekms_kmip::enums::{EndpointRole, ResultReason};
use ekms_kmip::operations::set_endpoint_role::{Request, Response};

/// Why the Client role is refused.
pub const CLIENT_REFUSED: &str = "ekms is always a server: it never sends requests to its clients, so it cannot take the Client role";

pub fn apply(_ctx: &Context<'_>, req: Request) -> Result<Response, KmipError> {
    match req.role {
        EndpointRole::Server => Ok(Response {
            role: EndpointRole::Server,
        }),
        EndpointRole::Client => Err(KmipError::new(
            ResultReason::FeatureNotSupported,
            CLIENT_REFUSED,
        )),
    }
}
