//! Get Attributes: an object's attributes, all of them or those named by Attribute Reference
//! (2.x) or Attribute Name (1.x); the answer's shape is the client's version's.

use super::prelude::*;

/// The Get Attributes request.
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    /// Unique Identifier.
    pub uid: String,
    /// The 2.x Attribute References asked for, as sent (an enumeration of the attribute's
    /// tag, its name as text, or a structure naming a vendor attribute): which attribute each
    /// names is the server's to read.
    pub references: Vec<Ttlv>,
    /// The 1.x Attribute Names asked for.
    pub names: Vec<String>,
}

impl FromTtlv for Request {
    fn from_ttlv(t: Ttlv) -> Result<Self, Error> {
        let mut f = Fields::payload(t)?;
        Ok(Request {
            uid: f.required(Tag::UNIQUE_IDENTIFIER)?,
            references: f.all(Tag::ATTRIBUTE_REFERENCE)?,
            names: f.all(Tag::ATTRIBUTE_NAME)?,
        })
    }
}

impl ToTtlv for Request {
    fn to_ttlv(self) -> Ttlv {
        let mut v = vec![Ttlv::text(Tag::UNIQUE_IDENTIFIER, self.uid)];
        v.extend(self.references);
        v.extend(
            self.names
                .into_iter()
                .map(|n| Ttlv::text(Tag::ATTRIBUTE_NAME, n)),
        );
        request(v)
    }
}

impl KmipRequest for Request {
    const OPERATION: Operation = Operation::GetAttributes;
    type Response = Response;
}

/// The Get Attributes response.
#[derive(Clone, Debug, PartialEq)]
pub struct Response {
    /// Unique Identifier.
    pub uid: String,
    /// The attributes as the server wrote them for the client's version: one 2.x
    /// `Attributes`, or one 1.x `Attribute` per value.
    pub attributes: Vec<Ttlv>,
}

impl FromTtlv for Response {
    fn from_ttlv(t: Ttlv) -> Result<Self, Error> {
        let mut f = Fields::payload(t)?;
        let uid = f.required(Tag::UNIQUE_IDENTIFIER)?;
        let mut attributes = f.all(Tag::ATTRIBUTES)?;
        attributes.extend(f.all::<Ttlv>(Tag::ATTRIBUTE)?);
        Ok(Response { uid, attributes })
    }
}

impl ToTtlv for Response {
    fn to_ttlv(self) -> Ttlv {
        let mut v = vec![Ttlv::text(Tag::UNIQUE_IDENTIFIER, self.uid)];
        v.extend(self.attributes);
        response(v)
    }
}
