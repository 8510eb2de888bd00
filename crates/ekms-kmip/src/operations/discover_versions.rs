//! Discover Versions: the KMIP versions the server speaks, of those the client lists.

use super::prelude::*;
use crate::enums::ResultReason;
use crate::message::ProtocolVersion;

/// A list of Protocol Versions: the request's (the client's, none for any) and the
/// response's (the server's, highest first).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Versions {
    /// The Protocol Versions, in order.
    pub versions: Vec<ProtocolVersion>,
}

impl FromTtlv for Versions {
    fn from_ttlv(t: Ttlv) -> Result<Self, Error> {
        let versions = Fields::payload(t)?
            .all(Tag::PROTOCOL_VERSION)
            .map_err(|e| {
                Error::refused(
                    ResultReason::InvalidMessage,
                    format!("bad ProtocolVersion: {e}"),
                )
            })?;
        Ok(Versions { versions })
    }
}

/// The versions as Protocol Version items.
fn items(v: &Versions) -> Vec<Ttlv> {
    v.versions.iter().map(ToTtlv::to_ttlv).collect()
}

/// The request: the versions the client speaks (empty: any).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request(pub Versions);

impl FromTtlv for Request {
    fn from_ttlv(t: Ttlv) -> Result<Self, Error> {
        Versions::from_ttlv(t).map(Request)
    }
}

impl ToTtlv for Request {
    fn to_ttlv(self) -> Ttlv {
        request(items(&self.0))
    }
}

impl KmipRequest for Request {
    const OPERATION: Operation = Operation::DiscoverVersions;
    type Response = Response;
}

/// The response: the versions the server speaks of the client's, highest first.
pub type Response = Versions;

impl ToTtlv for Versions {
    fn to_ttlv(self) -> Ttlv {
        response(items(&self))
    }
}
