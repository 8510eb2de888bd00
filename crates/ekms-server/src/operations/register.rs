//! Register: stores an object the client provides: SymmetricKey, PublicKey, PrivateKey,
//! SplitKey, SecretData (passwords, seeds), Certificate, OpaqueObject, PGPKey (KMIP 1.2+),
//! CertificateRequest (KMIP 2.x) or Template (KMIP 1.x), each of the versions that define it
//! ([`super::query::object_defined`]).
//!
//! The value is kept as sent (Key Format Type, key bytes, Key Wrapping Data of a key registered
//! wrapped), so Get answers it unchanged; its structure is checked, not its cryptography (a
//! key that cannot be used fails when it is used). The attributes the value implies
//! (Cryptographic Algorithm and Length, Key Format Type, Certificate Type and Length) are set
//! from the value, overriding what the template says.

use super::Context;
use crate::error::KmipError;
use crate::objects::attrs;
use crate::objects::keys::{block_info, key_block};
use crate::objects::object::{ManagedObject, SecretTtlv};
use crate::objects::{insert_new, new_uid, now};
use ekms_kmip::ProtocolVersion;
use ekms_kmip::enums::{
    CertificateRequestType, CertificateType, KeyFormatType, ObjectType, ResultReason,
    SecretDataType, SplitKeyMethod,
};
use ekms_kmip::operations::UniqueIdentifier;
use ekms_kmip::operations::register::Request;
use ekms_kmip::{Attributes, Tag, Ttlv};

fn bad(msg: impl Into<String>) -> KmipError {
    KmipError::new(ResultReason::InvalidField, msg)
}

fn required_int(value: &Ttlv, tag: Tag) -> Result<i32, KmipError> {
    value
        .child(tag)
        .ok_or_else(|| KmipError::missing(tag.name().unwrap_or("a field")))?
        .as_i32()
        .ok_or_else(|| bad(format!("{tag} must be an Integer")))
}

fn required_enum(value: &Ttlv, tag: Tag) -> Result<u32, KmipError> {
    value
        .child(tag)
        .ok_or_else(|| KmipError::missing(tag.name().unwrap_or("a field")))?
        .as_enum()
        .ok_or_else(|| bad(format!("{tag} must be an Enumeration")))
}

/// Copies the subject and issuer names of an X.509 certificate into KMIP 2.x's Certificate
/// Subject and Issuer attributes (CN, O, OU, Email, C, ST, L, UID, DC; one instance per value,
/// in the certificate's order). A certificate that does not parse as X.509 is stored without
/// them, as before: its bytes are the client's, and nothing here trusts them.
fn certificate_names(der: &[u8], attributes: &mut Attributes) {
    use x509_parser::oid_registry as oid;
    let Ok((_, cert)) = x509_parser::parse_x509_certificate(der) else {
        return;
    };
    let fields = [
        (
            oid::OID_X509_COMMON_NAME,
            Tag::CERTIFICATE_SUBJECT_CN,
            Tag::CERTIFICATE_ISSUER_CN,
        ),
        (
            oid::OID_X509_ORGANIZATION_NAME,
            Tag::CERTIFICATE_SUBJECT_O,
            Tag::CERTIFICATE_ISSUER_O,
        ),
        (
            oid::OID_X509_ORGANIZATIONAL_UNIT,
            Tag::CERTIFICATE_SUBJECT_OU,
            Tag::CERTIFICATE_ISSUER_OU,
        ),
        (
            oid::OID_PKCS9_EMAIL_ADDRESS,
            Tag::CERTIFICATE_SUBJECT_EMAIL,
            Tag::CERTIFICATE_ISSUER_EMAIL,
        ),
        (
            oid::OID_X509_COUNTRY_NAME,
            Tag::CERTIFICATE_SUBJECT_C,
            Tag::CERTIFICATE_ISSUER_C,
        ),
        (
            oid::OID_X509_STATE_OR_PROVINCE_NAME,
            Tag::CERTIFICATE_SUBJECT_ST,
            Tag::CERTIFICATE_ISSUER_ST,
        ),
        (
            oid::OID_X509_LOCALITY_NAME,
            Tag::CERTIFICATE_SUBJECT_L,
            Tag::CERTIFICATE_ISSUER_L,
        ),
        (
            oid::OID_USERID,
            Tag::CERTIFICATE_SUBJECT_UID,
            Tag::CERTIFICATE_ISSUER_UID,
        ),
        (
            oid::OID_DOMAIN_COMPONENT,
            Tag::CERTIFICATE_SUBJECT_DC,
            Tag::CERTIFICATE_ISSUER_DC,
        ),
    ];
    for (id, subject_tag, issuer_tag) in fields {
        for (name, tag) in [(cert.subject(), subject_tag), (cert.issuer(), issuer_tag)] {
            // The certificate's names only, once (Import checks a value more than once).
            attributes.delete(tag, None);
            for value in name.iter_by_oid(&id).filter_map(|v| v.as_str().ok()) {
                if let Err(e) = attributes.add(&Ttlv::text(tag, value)) {
                    tracing::warn!(error = %e, "a certificate name not recorded");
                }
            }
        }
    }
}

/// Checks the structure of a value and copies what it implies into the attributes.
pub fn check_value(
    object_type: ObjectType,
    value: &Ttlv,
    attributes: &mut Attributes,
) -> Result<(), KmipError> {
    if value.items().is_empty() {
        return Err(bad(format!(
            "the {} object must be a non-empty Structure",
            object_type.name()
        )));
    }
    match object_type {
        ObjectType::Certificate => {
            let t = required_enum(value, Tag::CERTIFICATE_TYPE)?;
            let t = CertificateType::from_u32(t)
                .ok_or_else(|| bad("CertificateType must be a known enumeration"))?;
            let der = value
                .child(Tag::CERTIFICATE_VALUE)
                .ok_or_else(|| KmipError::missing("CertificateValue"))?
                .as_bytes()
                .ok_or_else(|| bad("CertificateValue must be a ByteString"))?;
            attributes.certificate_type = Some(t);
            attributes.certificate_length = i32::try_from(der.len()).ok();
            if t == CertificateType::X509 {
                certificate_names(der, attributes);
            }
            return Ok(());
        }
        ObjectType::CertificateRequest => {
            let t = required_enum(value, Tag::CERTIFICATE_REQUEST_TYPE)?;
            CertificateRequestType::from_u32(t)
                .ok_or_else(|| bad("CertificateRequestType must be a known enumeration"))?;
            value
                .child(Tag::CERTIFICATE_REQUEST_VALUE)
                .ok_or_else(|| KmipError::missing("CertificateRequestValue"))?
                .as_bytes()
                .ok_or_else(|| bad("CertificateRequestValue must be a ByteString"))?;
            return Ok(());
        }
        // A KMIP 1.x Template: named attributes only, kept as sent.
        ObjectType::Template => {
            if value
                .items()
                .iter()
                .any(|a| a.tag != Tag::ATTRIBUTE || a.child(Tag::ATTRIBUTE_NAME).is_none())
            {
                return Err(bad("a Template holds Attribute structures only"));
            }
            return Ok(());
        }
        ObjectType::OpaqueObject => {
            required_enum(value, Tag::OPAQUE_DATA_TYPE)?;
            value
                .child(Tag::OPAQUE_DATA_VALUE)
                .ok_or_else(|| KmipError::missing("OpaqueDataValue"))?
                .as_bytes()
                .ok_or_else(|| bad("OpaqueDataValue must be a ByteString"))?;
            return Ok(());
        }
        ObjectType::SecretData => {
            let t = required_enum(value, Tag::SECRET_DATA_TYPE)?;
            // Vendor extension values (0x8XXXXXXX) are allowed as KMIP says.
            if SecretDataType::from_u32(t).is_none() && t < 0x8000_0000 {
                return Err(bad("SecretDataType must be a known enumeration"));
            }
        }
        ObjectType::SplitKey => {
            let parts = required_int(value, Tag::SPLIT_KEY_PARTS)?;
            let id = required_int(value, Tag::KEY_PART_IDENTIFIER)?;
            let threshold = required_int(value, Tag::SPLIT_KEY_THRESHOLD)?;
            let method = required_enum(value, Tag::SPLIT_KEY_METHOD)?;
            if SplitKeyMethod::from_u32(method).is_none() {
                return Err(bad("SplitKeyMethod must be a known enumeration"));
            }
            if parts < 1 || threshold < 1 || threshold > parts || id < 1 || id > parts {
                return Err(bad(
                    "a split key needs 1 <= KeyPartIdentifier <= SplitKeyParts and 1 <= SplitKeyThreshold <= SplitKeyParts",
                ));
            }
        }
        // The key block of a PGP key is kept as sent: ekms does not parse OpenPGP.
        ObjectType::PgpKey => {
            required_int(value, Tag::PGP_KEY_VERSION)?;
        }
        ObjectType::SymmetricKey | ObjectType::PublicKey | ObjectType::PrivateKey => {}
    }
    let block = key_block(value).ok_or_else(|| KmipError::missing("KeyBlock"))?;
    let info = block_info(block)?;
    if object_type == ObjectType::SymmetricKey
        && !info.wrapped
        && !matches!(
            info.format,
            KeyFormatType::Raw | KeyFormatType::Opaque | KeyFormatType::TransparentSymmetricKey
        )
    {
        return Err(KmipError::new(
            ResultReason::KeyFormatTypeNotSupported,
            format!(
                "a symmetric key is Raw, Opaque or TransparentSymmetricKey, not {}",
                info.format.name()
            ),
        ));
    }
    attributes.key_format_type = Some(info.format);
    if let Some(a) = info.algorithm {
        attributes.cryptographic_algorithm = Some(a);
    }
    let length = info.length.or_else(|| {
        // A bare symmetric key's length is its size.
        if object_type != ObjectType::SymmetricKey || info.wrapped {
            return None;
        }
        let material = block.child(Tag::KEY_VALUE)?.child(Tag::KEY_MATERIAL)?;
        let bytes = material
            .as_bytes()
            .or_else(|| material.child(Tag::KEY).and_then(Ttlv::as_bytes))?;
        i32::try_from(bytes.len() * 8).ok()
    });
    if let Some(l) = length {
        attributes.cryptographic_length = Some(l);
    }
    Ok(())
}

/// Refuses an object type the client's KMIP version does not define (Template in 2.x,
/// Certificate Request in 1.x, PGP Key before 1.2).
pub fn check_defined(object_type: ObjectType, v: ProtocolVersion) -> Result<(), KmipError> {
    if super::query::object_defined(object_type, v) {
        return Ok(());
    }
    Err(KmipError::new(
        ResultReason::InvalidObjectType,
        format!(
            "the {} object type is not part of KMIP {v}",
            object_type.name()
        ),
    ))
}

pub fn apply(ctx: &Context<'_>, req: Request) -> Result<UniqueIdentifier, KmipError> {
    check_defined(req.object_type, attrs::version(ctx))?;
    let value = SecretTtlv(req.value);
    let now = now();
    let mut attributes = req.attributes;
    let uid = new_uid(&attributes);
    // What the template says of the key is kept unless the value says otherwise.
    let described = (
        attributes.cryptographic_algorithm,
        attributes.cryptographic_length,
        attributes.recommended_curve,
        attributes.qlength,
    );
    attrs::drop_server_only(&mut attributes);
    (
        attributes.cryptographic_algorithm,
        attributes.cryptographic_length,
        attributes.recommended_curve,
        attributes.qlength,
    ) = described;
    check_value(req.object_type, &value, &mut attributes)?;
    attrs::init_new_object(&mut attributes, &uid, req.object_type, now);
    let mut object = ManagedObject::new(
        uid.clone(),
        req.object_type,
        ctx.user,
        attributes,
        &value,
        now,
    )?;
    if object.attributes.cryptographic_length.is_none() {
        // An asymmetric key registered without its size: read it from the key.
        let bits = match req.object_type {
            ObjectType::PrivateKey => crate::objects::asym::private_key(&object)
                .ok()
                .map(|k| k.bits()),
            ObjectType::PublicKey => crate::objects::asym::public_key(&object)
                .ok()
                .map(|k| k.bits()),
            _ => None,
        };
        object.attributes.cryptographic_length = bits.and_then(|b| i32::try_from(b).ok());
    }
    object.settle_state(now);
    ctx.transact(|tx| insert_new(tx, &object))?;
    Ok(UniqueIdentifier { uid })
}
