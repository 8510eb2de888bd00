//! Register: an object the client provides (a key, a certificate, secret data…), stored by
//! the server.

use super::get::{object_value, typed_payload};
use super::prelude::*;
use super::template_attributes;
use crate::enums::{CryptographicAlgorithm, KeyFormatType, ObjectType, ResultReason};

/// The Register request.
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    /// Object Type.
    pub object_type: ObjectType,
    /// The attributes, read from KMIP 2.x `Attributes` or 1.x `TemplateAttribute` (none:
    /// empty) and written as 2.x `Attributes`.
    pub attributes: Attributes,
    /// The object's value structure (Symmetric Key, Certificate…), under its type's tag.
    pub value: Ttlv,
}

impl FromTtlv for Request {
    fn from_ttlv(t: Ttlv) -> Result<Self, Error> {
        let (mut f, object_type) = typed_payload(t)?;
        let attributes = template_attributes(&mut f, Tag::ATTRIBUTES)?;
        let value = object_value(&mut f, object_type, |tag| {
            Error::refused(
                ResultReason::MissingData,
                format!(
                    "the {} object is missing",
                    tag.name().unwrap_or(object_type.name())
                ),
            )
        })?;
        Ok(Request {
            object_type,
            attributes,
            value,
        })
    }
}

impl ToTtlv for Request {
    fn to_ttlv(self) -> Ttlv {
        request(vec![
            Ttlv::enumeration(Tag::OBJECT_TYPE, self.object_type.as_u32()),
            self.attributes.to_ttlv(),
            self.value,
        ])
    }
}

impl KmipRequest for Request {
    const OPERATION: Operation = Operation::Register;
    type Response = Response;
}

/// The response: the new object's Unique Identifier.
pub type Response = super::UniqueIdentifier;

/// A key's value structure under `tag` (Symmetric Key, Private Key, Public Key): one Key Block
/// of `format` holding `material`, with the key's algorithm and length in bits when given.
pub fn key_value(
    tag: Tag,
    format: KeyFormatType,
    material: Vec<u8>,
    algorithm: Option<(CryptographicAlgorithm, i32)>,
) -> Ttlv {
    let mut block = vec![
        Ttlv::enumeration(Tag::KEY_FORMAT_TYPE, format.as_u32()),
        Ttlv::structure(
            Tag::KEY_VALUE,
            vec![Ttlv::bytes(Tag::KEY_MATERIAL, material)],
        ),
    ];
    if let Some((algorithm, bits)) = algorithm {
        block.push(Ttlv::enumeration(
            Tag::CRYPTOGRAPHIC_ALGORITHM,
            algorithm.as_u32(),
        ));
        block.push(Ttlv::integer(Tag::CRYPTOGRAPHIC_LENGTH, bits));
    }
    Ttlv::structure(tag, vec![Ttlv::structure(Tag::KEY_BLOCK, block)])
}
