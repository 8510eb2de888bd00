//! What the attribute operations (Add, Modify, Delete and Set Attribute) carry: one attribute,
//! read from a KMIP 2.x wrapper (`NewAttribute`, `CurrentAttribute`) or a 1.x `Attribute`
//! (name, index, value) and written back in the shape it came in; and an attribute named by a
//! 2.x `AttributeReference` or a 1.x `AttributeName`.

use super::prelude::*;
use crate::attributes::{attribute_tag, v1_to_v2, v2_to_v1};
use crate::enums::ResultReason;
use crate::ttlv::Value;

/// One attribute of an attribute operation.
#[derive(Clone, Debug, PartialEq)]
pub struct OneAttribute {
    /// The attribute item, in 2.x form.
    pub item: Ttlv,
    /// The 1.x Attribute Index, if one was given.
    pub index: Option<i32>,
    /// Read from, and written as, a 1.x `Attribute`; else a 2.x wrapper.
    pub v1: bool,
}

impl OneAttribute {
    /// A 2.x attribute (written in a wrapper).
    pub fn v2(item: Ttlv) -> Self {
        OneAttribute {
            item,
            index: None,
            v1: false,
        }
    }

    /// A 1.x `Attribute` with its index.
    pub fn v1(item: Ttlv, index: Option<i32>) -> Self {
        OneAttribute {
            item,
            index,
            v1: true,
        }
    }

    /// Reads a 2.x wrapper: exactly one attribute item inside.
    pub fn from_wrapper(t: Ttlv) -> Result<Self, Error> {
        let name = t.tag.name().unwrap_or("the attribute wrapper");
        let item = match t.value {
            Value::Structure(mut items) if items.len() == 1 => items.pop(),
            _ => None,
        };
        let item = item.ok_or_else(|| {
            Error::refused(
                ResultReason::InvalidMessage,
                format!("{name} must hold exactly one attribute"),
            )
        })?;
        Self::v2(item).validated()
    }

    /// Reads a 1.x `Attribute` structure (name, optional index, value).
    pub fn from_v1(t: Ttlv) -> Result<Self, Error> {
        let (item, index) = v1_to_v2(t).map_err(|e| {
            Error::refused(ResultReason::InvalidField, format!("bad attributes: {e}"))
        })?;
        Self::v1(item, index).validated()
    }

    /// Checks that the item is a well-formed attribute value (by applying it to empty
    /// attributes).
    fn validated(self) -> Result<Self, Error> {
        Attributes::default().add(&self.item).map_err(|e| {
            Error::refused(
                ResultReason::InvalidAttributeValue,
                format!("bad value for {}: {e}", self.item.tag),
            )
        })?;
        Ok(self)
    }

    /// The attribute as a 1.x `Attribute`, or as a 2.x item inside `wrapper`.
    pub fn to_ttlv_in(self, wrapper: Tag) -> Ttlv {
        if self.v1 {
            v2_to_v1(&self.item, self.index)
        } else {
            Ttlv::structure(wrapper, vec![self.item])
        }
    }
}

impl FromTtlv for OneAttribute {
    /// A 1.x `Attribute`, or any 2.x wrapper.
    fn from_ttlv(t: Ttlv) -> Result<Self, Error> {
        if t.tag == Tag::ATTRIBUTE {
            Self::from_v1(t)
        } else {
            Self::from_wrapper(t)
        }
    }
}

impl ToTtlv for OneAttribute {
    /// A 1.x `Attribute`, or a 2.x `NewAttribute`.
    fn to_ttlv(self) -> Ttlv {
        self.to_ttlv_in(Tag::NEW_ATTRIBUTE)
    }
}

/// The attribute an Add, Set or Modify request carries: a 2.x `NewAttribute` or a 1.x
/// `Attribute`.
pub(super) fn new_attribute(f: &mut Fields, _: Tag) -> Result<OneAttribute, Error> {
    if let Some(n) = f.take(Tag::NEW_ATTRIBUTE)? {
        return OneAttribute::from_wrapper(n);
    }
    if let Some(a) = f.take(Tag::ATTRIBUTE)? {
        return OneAttribute::from_v1(a);
    }
    Err(Error::refused(
        ResultReason::MissingData,
        "NewAttribute (or a KMIP 1.x Attribute) is missing",
    ))
}

/// The `Request` and `Response` of an operation whose request is an object and the attribute
/// it takes (Add and Set Attribute).
macro_rules! new_attribute_request {
    ($operation:ident, $response:ty) => {
        super::payload! {
            /// The request: the object and the attribute it takes.
            Request in request {
                /// Unique Identifier of the object.
                uid: String = required(UNIQUE_IDENTIFIER),
                /// The attribute: a 2.x `NewAttribute` or a 1.x `Attribute`.
                attribute: super::attribute::OneAttribute = new_attribute(NEW_ATTRIBUTE),
            }
        }

        impl KmipRequest for Request {
            const OPERATION: Operation = Operation::$operation;
            type Response = Response;
        }

        /// The response.
        pub type Response = $response;
    };
}
pub(super) use new_attribute_request;

/// An attribute named by a 1.x `AttributeName` or a 2.x `AttributeReference`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reference {
    /// A standard attribute.
    Tag(Tag),
    /// A vendor or custom attribute: vendor identification (may be empty) and name.
    Vendor(String, String),
}

impl Reference {
    /// Reads a 1.x attribute name ("Cryptographic Algorithm", "x-my-attr").
    pub fn from_v1_name(name: &str) -> Result<Self, Error> {
        let tag = attribute_tag(name).ok_or_else(|| {
            Error::refused(
                ResultReason::InvalidField,
                format!("{name:?} is not a KMIP attribute name"),
            )
        })?;
        if tag == Tag::ATTRIBUTE {
            let (vendor, n) = name.split_once('-').unwrap_or(("", name));
            return Ok(Reference::Vendor(vendor.to_string(), n.to_string()));
        }
        Ok(Reference::Tag(tag))
    }

    /// The 1.x attribute name.
    pub fn v1_name(&self) -> String {
        match self {
            Reference::Tag(t) => t
                .text_name()
                .map_or_else(|| format!("0x{:06X}", t.0), str::to_string),
            Reference::Vendor(vendor, n) if vendor.is_empty() => n.clone(),
            Reference::Vendor(vendor, n) => format!("{vendor}-{n}"),
        }
    }
}

impl FromTtlv for Reference {
    /// Reads a 2.x AttributeReference: an enumeration of the tag, a structure naming a vendor
    /// attribute, or the tag name as text.
    fn from_ttlv(r: Ttlv) -> Result<Self, Error> {
        if let Some(v) = r.as_enum() {
            return Ok(Reference::Tag(Tag(v)));
        }
        if let Some(name) = r.as_text() {
            return Tag::from_name(name)
                .or_else(|| attribute_tag(name))
                .map(Reference::Tag)
                .ok_or_else(|| {
                    Error::refused(
                        ResultReason::InvalidField,
                        format!("{name:?} is not a KMIP attribute"),
                    )
                });
        }
        if !r.items().is_empty() {
            let vendor = r
                .child(Tag::VENDOR_IDENTIFICATION)
                .and_then(Ttlv::as_text)
                .unwrap_or("");
            let name = r
                .child(Tag::ATTRIBUTE_NAME)
                .and_then(Ttlv::as_text)
                .ok_or_else(|| {
                    Error::refused(
                        ResultReason::MissingData,
                        "AttributeReference AttributeName is missing",
                    )
                })?;
            return Ok(Reference::Vendor(vendor.to_string(), name.to_string()));
        }
        Err(Error::refused(
            ResultReason::InvalidMessage,
            "AttributeReference must name an attribute",
        ))
    }
}

impl ToTtlv for &Reference {
    fn to_ttlv(self) -> Ttlv {
        match self {
            Reference::Tag(t) => Ttlv::enumeration(Tag::ATTRIBUTE_REFERENCE, t.0),
            Reference::Vendor(vendor, n) => Ttlv::structure(
                Tag::ATTRIBUTE_REFERENCE,
                vec![
                    Ttlv::text(Tag::VENDOR_IDENTIFICATION, vendor.clone()),
                    Ttlv::text(Tag::ATTRIBUTE_NAME, n.clone()),
                ],
            ),
        }
    }
}

payload! {
    /// The answer of Add, Modify and Delete Attribute: the object, and for a 1.x client the
    /// attribute added, modified or deleted, with its index.
    Edited in response {
        /// Unique Identifier of the object.
        uid: String = required(UNIQUE_IDENTIFIER),
        /// The 1.x `Attribute` (none for a 2.x client).
        attribute: Option<OneAttribute> = optional(ATTRIBUTE),
    }
}

impl super::Items for OneAttribute {
    fn push_into(self, _: Tag, out: &mut Vec<Ttlv>) {
        out.push(self.to_ttlv());
    }
}
