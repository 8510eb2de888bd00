//! Re-key Key Pair: a new asymmetric key pair replacing an existing one.

use super::prelude::*;
use super::{Items, create_key_pair, optional, optional_interval};

/// The Re-key Key Pair request: the private key to replace, the Offset, and the attributes of
/// the new keys in the containers Create Key Pair reads (Common, Private Key, Public Key
/// Attributes, or the 1.x Template-Attributes).
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    /// Private Key Unique Identifier of the pair to replace (absent: the ID Placeholder's).
    pub private_uid: Option<String>,
    /// Offset: seconds between the new keys' Initial Date and their Activation Date.
    pub offset: Option<u32>,
    /// The attributes for the new keys, as a Create Key Pair request holds them.
    pub attributes: create_key_pair::Request,
}

impl FromTtlv for Request {
    fn from_ttlv(t: Ttlv) -> Result<Self, Error> {
        let mut f = Fields::payload(t.clone())?;
        Ok(Request {
            private_uid: optional(&mut f, Tag::PRIVATE_KEY_UNIQUE_IDENTIFIER)?,
            offset: optional_interval(&mut f, Tag::OFFSET)?,
            attributes: create_key_pair::Request::from_ttlv(t)?,
        })
    }
}

impl ToTtlv for Request {
    fn to_ttlv(self) -> Ttlv {
        let mut items = Vec::new();
        Items::push_into(
            self.private_uid,
            Tag::PRIVATE_KEY_UNIQUE_IDENTIFIER,
            &mut items,
        );
        Items::push_into(self.offset, Tag::OFFSET, &mut items);
        items.extend(self.attributes.to_ttlv().into_items());
        request(items)
    }
}

impl KmipRequest for Request {
    const OPERATION: Operation = Operation::ReKeyKeyPair;
    type Response = Response;
}

/// The response: the new pair, as Create Key Pair answers it.
pub type Response = create_key_pair::Response;
