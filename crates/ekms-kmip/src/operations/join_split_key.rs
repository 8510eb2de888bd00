//! Join Split Key: the server rebuilds a key from Split Key objects and stores it as a new
//! object.

use super::prelude::*;
use super::template_attributes;
use crate::enums::ObjectType;

/// The Join Split Key request.
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    /// Object Type of the rebuilt object (Symmetric Key or Secret Data).
    pub object_type: ObjectType,
    /// The parts to join (at least the threshold).
    pub uids: Vec<String>,
    /// Secret Data Type of a rebuilt Secret Data.
    pub secret_data_type: Option<u32>,
    /// The attributes of the rebuilt object.
    pub attributes: Attributes,
}

impl FromTtlv for Request {
    fn from_ttlv(t: Ttlv) -> Result<Self, Error> {
        let mut f = Fields::payload(t)?;
        let uids: Vec<String> = f.all(Tag::UNIQUE_IDENTIFIER)?;
        let object_type = f.required_enum(Tag::OBJECT_TYPE, ObjectType::from_u32)?;
        if uids.is_empty() {
            return Err(Error::MissingField {
                parent: Tag::REQUEST_PAYLOAD,
                field: Tag::UNIQUE_IDENTIFIER,
            });
        }
        Ok(Request {
            object_type,
            uids,
            // Any value: vendor Secret Data Types (0x8XXXXXXX) included.
            secret_data_type: f.optional_with(Tag::SECRET_DATA_TYPE, |t| {
                crate::codec::enumeration(t, Some)
            })?,
            attributes: template_attributes(&mut f, Tag::ATTRIBUTES)?,
        })
    }
}

impl ToTtlv for Request {
    fn to_ttlv(self) -> Ttlv {
        let mut v = vec![Ttlv::enumeration(
            Tag::OBJECT_TYPE,
            self.object_type.as_u32(),
        )];
        v.extend(
            self.uids
                .into_iter()
                .map(|u| Ttlv::text(Tag::UNIQUE_IDENTIFIER, u)),
        );
        if let Some(t) = self.secret_data_type {
            v.push(Ttlv::enumeration(Tag::SECRET_DATA_TYPE, t));
        }
        v.push(self.attributes.to_ttlv());
        request(v)
    }
}

impl KmipRequest for Request {
    const OPERATION: Operation = Operation::JoinSplitKey;
    type Response = Response;
}

/// The response: the rebuilt object's Unique Identifier.
pub type Response = super::UniqueIdentifier;
