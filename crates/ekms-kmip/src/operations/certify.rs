//! Certify: the server issues an X.509 certificate for a public key (or a certificate
//! request), signed by a private key of the caller's group.

use super::prelude::*;
use crate::enums::CertificateRequestType;

payload! {
    /// The Certify request.
    Request in request {
        /// The Public Key (or, KMIP 2.x, the Certificate Request object) to certify.
        uid: Option<String> = optional(UNIQUE_IDENTIFIER),
        /// KMIP 2.1: the Certificate Request object to certify.
        request_uid: Option<String> = optional(CERTIFICATE_REQUEST_UNIQUE_IDENTIFIER),
        /// The type of the certificate request given in the request.
        request_type: Option<CertificateRequestType> = optional(CERTIFICATE_REQUEST_TYPE),
        /// A certificate request given in the request (PKCS#10 DER or PEM).
        request_value: Option<Vec<u8>> = optional(CERTIFICATE_REQUEST_VALUE),
        /// The attributes of the certificate; its Links name the issuer.
        attributes: Attributes = template_attributes(ATTRIBUTES),
    }
}

impl KmipRequest for Request {
    const OPERATION: Operation = Operation::Certify;
    type Response = Response;
}

/// The response: the new certificate's Unique Identifier.
pub type Response = super::UniqueIdentifier;
