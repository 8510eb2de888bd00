//! Export (KMIP 1.4+): like Get, the object's value (in a requested format, optionally
//! wrapped), together with its attributes, so that Import can restore it elsewhere.

use super::get::{read_object, write_object};
use super::prelude::*;
use crate::enums::ObjectType;

/// The Export request: the fields of Get's.
#[derive(Clone, Debug, PartialEq)]
pub struct Request(pub super::get::Request);

impl FromTtlv for Request {
    fn from_ttlv(t: Ttlv) -> Result<Self, Error> {
        super::get::Request::from_ttlv(t).map(Request)
    }
}

impl ToTtlv for Request {
    fn to_ttlv(self) -> Ttlv {
        self.0.to_ttlv()
    }
}

impl KmipRequest for Request {
    const OPERATION: Operation = Operation::Export;
    type Response = Response;
}

/// The Export response.
#[derive(Clone, Debug, PartialEq)]
pub struct Response {
    /// Object Type.
    pub object_type: ObjectType,
    /// Unique Identifier.
    pub uid: String,
    /// The object's value structure.
    pub value: Ttlv,
    /// The attributes as the server wrote them for the client's version: one 2.x
    /// `Attributes`, or a 1.x `TemplateAttribute` (written before the value).
    pub attributes: Vec<Ttlv>,
}

impl FromTtlv for Response {
    fn from_ttlv(t: Ttlv) -> Result<Self, Error> {
        let mut f = Fields::payload(t)?;
        let mut attributes = f.all(Tag::ATTRIBUTES)?;
        attributes.extend(f.all::<Ttlv>(Tag::TEMPLATE_ATTRIBUTE)?);
        let (object_type, uid, value) = read_object(&mut f)?;
        Ok(Response {
            object_type,
            uid,
            attributes,
            value,
        })
    }
}

impl ToTtlv for Response {
    fn to_ttlv(self) -> Ttlv {
        write_object(self.object_type, self.uid, self.attributes, self.value)
    }
}
