//! Re-certify: the server issues a new certificate replacing an existing one.

use super::prelude::*;
use crate::enums::CertificateRequestType;

payload! {
    /// The Re-certify request.
    Request in request {
        /// The certificate to replace.
        uid: Option<String> = optional(UNIQUE_IDENTIFIER),
        /// The type of the certificate request given in the request.
        request_type: Option<CertificateRequestType> = optional(CERTIFICATE_REQUEST_TYPE),
        /// A certificate request given in the request (PKCS#10 DER or PEM).
        request_value: Option<Vec<u8>> = optional(CERTIFICATE_REQUEST_VALUE),
        /// Offset: seconds between the new certificate's Initial Date and its Activation Date.
        offset: Option<u32> = optional_interval(OFFSET),
        /// The attributes of the new certificate.
        attributes: Attributes = template_attributes(ATTRIBUTES),
    }
}

impl KmipRequest for Request {
    const OPERATION: Operation = Operation::ReCertify;
    type Response = Response;
}

/// The response: the new certificate's Unique Identifier.
pub type Response = super::UniqueIdentifier;
