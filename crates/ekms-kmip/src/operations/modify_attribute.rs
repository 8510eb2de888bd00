//! Modify Attribute: replaces one existing instance of an attribute. KMIP 1.x names it with the
//! `Attribute`'s name and index; KMIP 2.x sends `NewAttribute` and optionally the
//! `CurrentAttribute` to replace.

use super::attribute::{Edited, OneAttribute, new_attribute};
use super::prelude::*;
use crate::attributes::same_attribute;
use crate::enums::ResultReason;

/// The Modify Attribute request.
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    /// Unique Identifier of the object.
    pub uid: String,
    /// The 2.x `CurrentAttribute` to replace (none: the 1.x index, else the first instance).
    pub current: Option<OneAttribute>,
    /// The new value (2.x `NewAttribute` or 1.x `Attribute`).
    pub new: OneAttribute,
}

impl FromTtlv for Request {
    fn from_ttlv(t: Ttlv) -> Result<Self, Error> {
        let mut f = Fields::payload(t)?;
        let current = f.optional_with(Tag::CURRENT_ATTRIBUTE, OneAttribute::from_wrapper)?;
        let new = new_attribute(&mut f, Tag::NEW_ATTRIBUTE)?;
        if let Some(c) = &current
            && !same_attribute(&c.item, &new.item)
        {
            return Err(Error::refused(
                ResultReason::InvalidField,
                "CurrentAttribute and NewAttribute must be the same attribute",
            ));
        }
        Ok(Request {
            uid: f.required(Tag::UNIQUE_IDENTIFIER)?,
            current,
            new,
        })
    }
}

impl ToTtlv for Request {
    fn to_ttlv(self) -> Ttlv {
        let mut v = vec![Ttlv::text(Tag::UNIQUE_IDENTIFIER, self.uid)];
        if let Some(c) = self.current {
            v.push(c.to_ttlv_in(Tag::CURRENT_ATTRIBUTE));
        }
        v.push(self.new.to_ttlv());
        request(v)
    }
}

impl KmipRequest for Request {
    const OPERATION: Operation = Operation::ModifyAttribute;
    type Response = Response;
}

/// The response: the object, and for a 1.x client the new instance with its index.
pub type Response = Edited;
