//! Result Reasons as each KMIP version knows them.
//!
//! Operations fail with the most precise reason of KMIP 2.1 (Object Not Found, Wrong Key
//! Lifecycle State, …). Many of those values appeared in KMIP 1.4 or 2.0, and a client of an
//! older version may refuse a whole response that carries an enumeration value its version does
//! not define. So each failure is answered with the reason the client's version has for it,
//! while the Result Message keeps the precise explanation.

use ekms_kmip::ProtocolVersion;
use ekms_kmip::enums::ResultReason;

/// The KMIP version that introduced `reason` (1.0 for the original set).
fn introduced_in(reason: ResultReason) -> ProtocolVersion {
    use ResultReason as R;
    match reason.as_u32() {
        // Item Not Found … Encoding Option Error, and General Failure.
        0x01..=0x12 | 0x100 => ProtocolVersion::V1_0,
        // Key Value Not Present.
        0x13 => ProtocolVersion::V1_1,
        // Attestation Required, Attestation Failed.
        0x14 | 0x15 => ProtocolVersion::V1_2,
        // Sensitive, Not Extractable, Object Already Exists.
        0x16..=0x18 => ProtocolVersion::V1_4,
        _ if matches!(reason, R::ConstraintViolation | R::DuplicateProcessRequest) => {
            ProtocolVersion::V2_1
        }
        _ => ProtocolVersion::V2_0,
    }
}

/// The nearest reason of an older version for one it does not define. The choices follow the
/// error tables of KMIP 1.x: a missing object is Item Not Found, an object in the wrong state
/// or not allowed is Permission Denied, a bad value is Invalid Field, an unreadable message is
/// Invalid Message, and what the server cannot do is Feature Not Supported.
fn older_equivalent(reason: ResultReason) -> ResultReason {
    use ResultReason as R;
    match reason {
        R::ObjectNotFound
        | R::WrappingObjectNotFound
        | R::ObjectDestroyed
        | R::WrappingObjectDestroyed
        | R::AttributeNotFound
        | R::AttributeInstanceNotFound
        | R::UnknownObjectGroup => R::ItemNotFound,
        R::WrongKeyLifecycleState
        | R::NotAuthorised
        | R::Sensitive
        | R::NotExtractable
        | R::ReadOnlyAttribute
        | R::AttributeReadOnly
        | R::IncompatibleCryptographicUsageMask
        | R::UsageLimitExceeded
        | R::ObjectArchived
        | R::WrappingObjectArchived
        | R::ConstraintViolation => R::PermissionDenied,
        R::CodecError
        | R::UnknownTag
        | R::UnknownEnumeration
        | R::UnknownMessageExtension
        | R::UnsupportedProtocolVersion
        | R::InvalidDataType
        | R::Pkcs11CodecError => R::InvalidMessage,
        R::KeyWrapTypeNotSupported
        | R::UnsupportedCryptographicParameters
        | R::UnsupportedAttribute
        | R::Pkcs11InvalidFunction
        | R::Pkcs11InvalidInterface
        | R::AttestationRequired
        | R::AttestationFailed => R::FeatureNotSupported,
        R::MissingInitializationVector => R::MissingData,
        R::BadPassword | R::InvalidTicket => R::AuthenticationNotSuccessful,
        R::KeyValueNotPresent => R::ItemNotFound,
        R::InternalServerError
        | R::ServerLimitExceeded
        | R::ProtectionStorageUnavailable
        | R::PrivateProtectionStorageUnavailable
        | R::PublicProtectionStorageUnavailable
        | R::InvalidAsynchronousCorrelationValue
        | R::DuplicateProcessRequest => R::GeneralFailure,
        R::BadCryptographicParameters => R::CryptographicFailure,
        // Object Already Exists, Numeric Range, Multi-Valued Attribute, Attribute Single
        // Valued, Illegal Object Type, Invalid Attribute (Value), Invalid Correlation Value,
        // Invalid CSR, Invalid Object Type, Non-Unique Name Attribute, and any later value.
        _ => R::InvalidField,
    }
}

/// The reason to send a client of `version` for a failure whose precise reason is `reason`.
pub fn reason_for_version(reason: ResultReason, version: ProtocolVersion) -> ResultReason {
    let mut r = reason;
    // Each step goes to a reason of an older version, so this ends within a few steps; the
    // bound only guards against a mapping mistake.
    for _ in 0..4 {
        if introduced_in(r) <= version {
            return r;
        }
        r = older_equivalent(r);
    }
    ResultReason::GeneralFailure
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_maps_to_one_the_version_knows() {
        for &r in ResultReason::ALL {
            for v in ProtocolVersion::SUPPORTED {
                let mapped = reason_for_version(r, v);
                assert!(introduced_in(mapped) <= v, "{r} in {v} gave {mapped}");
            }
            assert_eq!(reason_for_version(r, ProtocolVersion::V2_1), r);
        }
    }

    #[test]
    fn common_reasons_in_kmip_1() {
        use ResultReason as R;
        let v = ProtocolVersion::V1_2;
        assert_eq!(reason_for_version(R::ObjectNotFound, v), R::ItemNotFound);
        assert_eq!(reason_for_version(R::ObjectDestroyed, v), R::ItemNotFound);
        assert_eq!(
            reason_for_version(R::WrongKeyLifecycleState, v),
            R::PermissionDenied
        );
        assert_eq!(reason_for_version(R::ItemNotFound, v), R::ItemNotFound);
        assert_eq!(
            reason_for_version(R::ObjectAlreadyExists, ProtocolVersion::V1_4),
            R::ObjectAlreadyExists
        );
        assert_eq!(
            reason_for_version(R::ObjectAlreadyExists, ProtocolVersion::V1_3),
            R::InvalidField
        );
        assert_eq!(
            reason_for_version(R::KeyValueNotPresent, ProtocolVersion::V1_0),
            R::ItemNotFound
        );
        assert_eq!(
            reason_for_version(R::ConstraintViolation, ProtocolVersion::V2_0),
            R::PermissionDenied
        );
    }
}
