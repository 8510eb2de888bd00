//! Create Split Key: the server splits a key (the one named, or a new one it generates) into
//! Split Key objects, one per part.

use super::prelude::*;
use crate::enums::{ObjectType, SplitKeyMethod};

payload! {
    /// The Create Split Key request.
    Request in request {
        /// Object Type: the type of the key split (KMIP 1.2 and later state it).
        object_type: ObjectType = required(OBJECT_TYPE),
        /// The key to split; none: the server generates one from the attributes.
        uid: Option<String> = optional(UNIQUE_IDENTIFIER),
        /// Split Key Parts: how many parts.
        parts: i32 = required(SPLIT_KEY_PARTS),
        /// Split Key Threshold: how many parts rebuild the key.
        threshold: i32 = required(SPLIT_KEY_THRESHOLD),
        /// Split Key Method.
        method: SplitKeyMethod = required(SPLIT_KEY_METHOD),
        /// The attributes of the parts (and of a generated key), 2.x `Attributes` or 1.x
        /// `TemplateAttribute`.
        attributes: Attributes = template_attributes(ATTRIBUTES),
    }
}

impl KmipRequest for Request {
    const OPERATION: Operation = Operation::CreateSplitKey;
    type Response = Response;
}

/// The Create Split Key response: the parts' Unique Identifiers, in part order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// One Unique Identifier per part (Key Part Identifier 1 first).
    pub uids: Vec<String>,
}

impl FromTtlv for Response {
    fn from_ttlv(t: Ttlv) -> Result<Self, Error> {
        let mut f = Fields::payload(t)?;
        Ok(Response {
            uids: f.all(Tag::UNIQUE_IDENTIFIER)?,
        })
    }
}

impl ToTtlv for Response {
    fn to_ttlv(self) -> Ttlv {
        response(
            self.uids
                .into_iter()
                .map(|u| Ttlv::text(Tag::UNIQUE_IDENTIFIER, u))
                .collect(),
        )
    }
}
