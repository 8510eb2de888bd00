//! Import (KMIP 1.4+): an object stored under the Unique Identifier the client gives, with the
//! attributes it gives (an Export from elsewhere).

use super::get::{known_enum, object_value, typed_payload};
use super::prelude::*;
use super::template_attributes;
use crate::enums::{KeyWrapType, ObjectType, ResultReason};

/// The Import request.
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    /// Unique Identifier the object is stored under.
    pub uid: String,
    /// Object Type.
    pub object_type: ObjectType,
    /// The object's value structure, under its type's tag.
    pub value: Ttlv,
    /// Replace Existing: replace an object of that identifier (without: false).
    pub replace: Option<bool>,
    /// Key Wrap Type: Not Wrapped asks the server to unwrap a wrapped key.
    pub wrap_type: Option<KeyWrapType>,
    /// The attributes, read from KMIP 2.x `Attributes` or 1.x `TemplateAttribute` (none:
    /// empty) and written as 2.x `Attributes`.
    pub attributes: Attributes,
}

impl FromTtlv for Request {
    fn from_ttlv(t: Ttlv) -> Result<Self, Error> {
        let (mut f, object_type) = typed_payload(t)?;
        let value = object_value(&mut f, object_type, |tag| {
            Error::refused(
                ResultReason::MissingData,
                format!("{} is missing", tag.name().unwrap_or("the object")),
            )
        })?;
        let replace = f.optional(Tag::REPLACE_EXISTING)?;
        let uid = f.required(Tag::UNIQUE_IDENTIFIER)?;
        let wrap_type = known_enum(&mut f, Tag::KEY_WRAP_TYPE, KeyWrapType::from_u32)?;
        let attributes = template_attributes(&mut f, Tag::ATTRIBUTES)?;
        Ok(Request {
            uid,
            object_type,
            value,
            replace,
            wrap_type,
            attributes,
        })
    }
}

impl ToTtlv for Request {
    fn to_ttlv(self) -> Ttlv {
        let mut v = vec![
            Ttlv::text(Tag::UNIQUE_IDENTIFIER, self.uid),
            Ttlv::enumeration(Tag::OBJECT_TYPE, self.object_type.as_u32()),
        ];
        if let Some(r) = self.replace {
            v.push(Ttlv::boolean(Tag::REPLACE_EXISTING, r));
        }
        if let Some(w) = self.wrap_type {
            v.push(Ttlv::enumeration(Tag::KEY_WRAP_TYPE, w.as_u32()));
        }
        v.push(self.attributes.to_ttlv());
        v.push(self.value);
        request(v)
    }
}

impl KmipRequest for Request {
    const OPERATION: Operation = Operation::Import;
    type Response = Response;
}

/// The response: the object's Unique Identifier.
pub type Response = super::UniqueIdentifier;
