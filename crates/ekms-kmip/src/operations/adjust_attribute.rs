//! Adjust Attribute (KMIP 2.0 and later): changes a numeric attribute's value by an Adjustment
//! Type (Increment, Decrement, Negate) and, for Increment and Decrement, an Adjustment Value.

use super::attribute::Reference;
use super::prelude::*;
use crate::enums::AdjustmentType;

/// The Adjust Attribute request.
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    /// Unique Identifier of the object.
    pub uid: String,
    /// Attribute Reference: the attribute to adjust (its first instance).
    pub reference: Reference,
    /// Adjustment Value, kept as sent (its type is checked against the attribute's).
    pub value: Option<Ttlv>,
    /// Adjustment Type.
    pub adjustment: AdjustmentType,
}

impl FromTtlv for Request {
    fn from_ttlv(t: Ttlv) -> Result<Self, Error> {
        let mut f = Fields::payload(t)?;
        Ok(Request {
            adjustment: f.required(Tag::ADJUSTMENT_TYPE)?,
            value: f.take(Tag::ADJUSTMENT_VALUE)?,
            uid: f.required(Tag::UNIQUE_IDENTIFIER)?,
            reference: f.required_with(Tag::ATTRIBUTE_REFERENCE, Reference::from_ttlv)?,
        })
    }
}

impl ToTtlv for Request {
    fn to_ttlv(self) -> Ttlv {
        let mut v = vec![
            Ttlv::text(Tag::UNIQUE_IDENTIFIER, self.uid),
            (&self.reference).to_ttlv(),
            Ttlv::enumeration(Tag::ADJUSTMENT_TYPE, self.adjustment.as_u32()),
        ];
        v.extend(self.value.map(|t| t.retagged(Tag::ADJUSTMENT_VALUE)));
        request(v)
    }
}

impl KmipRequest for Request {
    const OPERATION: Operation = Operation::AdjustAttribute;
    type Response = Response;
}

payload! {
    /// The Adjust Attribute response: the object adjusted.
    Response in response {
        /// Unique Identifier of the object.
        uid: String = required(UNIQUE_IDENTIFIER),
    }
}
