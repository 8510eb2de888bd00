//! Re-key: a new key replacing an existing symmetric key.

use super::{Items, KmipRequest, UniqueIdentifier, attributes_of, request};
use crate::attributes::Attributes;
use crate::codec::{Fields, FromTtlv, ToTtlv, interval};
use crate::enums::Operation;
use crate::error::Error;
use crate::tags::Tag;
use crate::ttlv::Ttlv;

/// The Re-key request.
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    /// Unique Identifier of the key to replace.
    pub uid: String,
    /// Offset: seconds between the new key's Initial Date and its Activation Date.
    pub offset: Option<u32>,
    /// Attributes of the new key (2.x `Attributes` or 1.x `TemplateAttribute`; absent: none).
    pub attributes: Attributes,
}

impl FromTtlv for Request {
    fn from_ttlv(t: Ttlv) -> Result<Self, Error> {
        let mut f = Fields::payload(t)?;
        let offset = f.optional_with(Tag::OFFSET, interval)?;
        Ok(Request {
            uid: f.required(Tag::UNIQUE_IDENTIFIER)?,
            offset,
            attributes: attributes_of(&mut f, &[Tag::ATTRIBUTES, Tag::TEMPLATE_ATTRIBUTE])?
                .unwrap_or_default(),
        })
    }
}

impl ToTtlv for Request {
    fn to_ttlv(self) -> Ttlv {
        let mut v = Vec::new();
        self.uid.push_into(Tag::UNIQUE_IDENTIFIER, &mut v);
        if let Some(o) = self.offset {
            v.push(Ttlv::interval(Tag::OFFSET, o));
        }
        // No attributes: none written, as clients send it.
        if self.attributes != Attributes::default() {
            v.push(self.attributes.to_ttlv());
        }
        request(v)
    }
}

impl KmipRequest for Request {
    const OPERATION: Operation = Operation::ReKey;
    type Response = Response;
}

/// The response: the new key's Unique Identifier.
pub type Response = UniqueIdentifier;
