//! Check: whether an object may be used as the request describes.

use super::{Items, KmipRequest, UniqueIdentifier, request};
use crate::codec::{Fields, FromTtlv, ToTtlv};
use crate::enums::Operation;
use crate::error::Error;
use crate::tags::Tag;
use crate::ttlv::Ttlv;

/// The Check request (Usage Limits Count and Lease Time always pass: ekms sets neither, so
/// they are checked for their shape only).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// Unique Identifier.
    pub uid: String,
    /// Cryptographic Usage Mask: the bits the use needs.
    pub mask: Option<u32>,
}

impl FromTtlv for Request {
    fn from_ttlv(t: Ttlv) -> Result<Self, Error> {
        let mut f = Fields::payload(t)?;
        let mask = f.optional::<i32>(Tag::CRYPTOGRAPHIC_USAGE_MASK)?;
        if let Some(c) = f.take(Tag::USAGE_LIMITS_COUNT)?
            && c.as_i64().is_none_or(|c| c < 0)
        {
            return Err(Error::WrongType {
                tag: Tag::USAGE_LIMITS_COUNT,
                expected: "non-negative LongInteger",
                found: c.value.type_name(),
            });
        }
        Ok(Request {
            uid: f.required(Tag::UNIQUE_IDENTIFIER)?,
            mask: mask.map(|m| m as u32),
        })
    }
}

impl ToTtlv for Request {
    fn to_ttlv(self) -> Ttlv {
        let mut v = Vec::new();
        self.uid.push_into(Tag::UNIQUE_IDENTIFIER, &mut v);
        if let Some(m) = self.mask {
            v.push(Ttlv::integer(Tag::CRYPTOGRAPHIC_USAGE_MASK, m as i32));
        }
        request(v)
    }
}

impl KmipRequest for Request {
    const OPERATION: Operation = Operation::Check;
    type Response = Response;
}

/// The response: the object's Unique Identifier.
pub type Response = UniqueIdentifier;
