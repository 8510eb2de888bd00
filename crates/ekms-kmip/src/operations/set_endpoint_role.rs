//! Set Endpoint Role (KMIP 2.0 and later): a client asks the endpoint to act as a client or as
//! a server.

use super::prelude::*;
use crate::enums::EndpointRole;

payload! {
    /// The Set Endpoint Role request.
    Request in request {
        /// Endpoint Role: the role asked of the endpoint.
        role: EndpointRole = required(ENDPOINT_ROLE),
    }
}

impl KmipRequest for Request {
    const OPERATION: Operation = Operation::SetEndpointRole;
    type Response = Response;
}

payload! {
    /// The Set Endpoint Role response: the role the endpoint now has.
    Response in response {
        /// Endpoint Role.
        role: EndpointRole = required(ENDPOINT_ROLE),
    }
}
