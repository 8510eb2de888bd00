//! Delete Attribute: removes attribute instances. KMIP 1.x names one by `AttributeName` and
//! `AttributeIndex`; KMIP 2.x sends the `CurrentAttribute` to delete, or an
//! `AttributeReference` to delete every instance.

use super::attribute::{Edited, OneAttribute, Reference};
use super::prelude::*;
use crate::enums::ResultReason;

/// What to delete.
#[derive(Clone, Debug, PartialEq)]
pub enum Target {
    /// 1.x: the attribute named, at this index (default 0).
    Indexed(Reference, usize),
    /// 2.x: the instance equal to this one.
    Instance(OneAttribute),
    /// 2.x: every instance.
    All(Reference),
}

/// The Delete Attribute request.
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    /// Unique Identifier of the object.
    pub uid: String,
    /// What to delete.
    pub target: Target,
}

impl FromTtlv for Request {
    fn from_ttlv(t: Ttlv) -> Result<Self, Error> {
        let mut f = Fields::payload(t)?;
        let target = if let Some(c) = f.take(Tag::CURRENT_ATTRIBUTE)? {
            Target::Instance(OneAttribute::from_wrapper(c)?)
        } else if let Some(r) = f.take(Tag::ATTRIBUTE_REFERENCE)? {
            Target::All(Reference::from_ttlv(r)?)
        } else if let Some(n) = f.take(Tag::ATTRIBUTE_NAME)? {
            let name = n.as_text().ok_or_else(|| {
                Error::refused(
                    ResultReason::InvalidMessage,
                    "AttributeName must be a TextString",
                )
            })?;
            let index = match f.take(Tag::ATTRIBUTE_INDEX)? {
                None => 0,
                Some(i) => i
                    .as_i32()
                    .and_then(|i| usize::try_from(i).ok())
                    .ok_or_else(|| {
                        Error::refused(
                            ResultReason::IndexOutOfBounds,
                            "AttributeIndex must be a non-negative Integer",
                        )
                    })?,
            };
            Target::Indexed(Reference::from_v1_name(name)?, index)
        } else {
            return Err(Error::refused(
                ResultReason::MissingData,
                "CurrentAttribute, AttributeReference or AttributeName is missing",
            ));
        };
        Ok(Request {
            uid: f.required(Tag::UNIQUE_IDENTIFIER)?,
            target,
        })
    }
}

impl ToTtlv for Request {
    fn to_ttlv(self) -> Ttlv {
        let mut v = vec![Ttlv::text(Tag::UNIQUE_IDENTIFIER, self.uid)];
        match self.target {
            Target::Indexed(r, index) => {
                v.push(Ttlv::text(Tag::ATTRIBUTE_NAME, r.v1_name()));
                v.push(Ttlv::integer(
                    Tag::ATTRIBUTE_INDEX,
                    i32::try_from(index).unwrap_or(i32::MAX),
                ));
            }
            Target::Instance(c) => v.push(c.to_ttlv_in(Tag::CURRENT_ATTRIBUTE)),
            Target::All(r) => v.push(r.to_ttlv()),
        }
        request(v)
    }
}

impl KmipRequest for Request {
    const OPERATION: Operation = Operation::DeleteAttribute;
    type Response = Response;
}

/// The response: the object, and for a 1.x client the deleted instance with its index.
pub type Response = Edited;
