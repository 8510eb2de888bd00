//! DiscoverVersions: the KMIP versions this server speaks (1.0 to 1.4, 2.0, 2.1), in its order
//! of preference (highest first); if the client lists versions, only those of its list.

use super::{Context, response};
use crate::error::KmipError;
use ekms_kmip::{FromTtlv, ProtocolVersion, Tag, Ttlv};

pub struct Request {
    pub client: Vec<ProtocolVersion>,
}

pub fn parse(payload: &Ttlv) -> Result<Request, KmipError> {
    let mut client = Vec::new();
    for v in payload.children(Tag::PROTOCOL_VERSION) {
        client.push(
            ProtocolVersion::from_ttlv(v.clone())
                .map_err(|e| KmipError::invalid(format!("bad ProtocolVersion: {e}")))?,
        );
    }
    Ok(Request { client })
}

pub fn apply(_ctx: &Context<'_>, req: Request) -> Result<Ttlv, KmipError> {
    // Highest (the server's preference) first; with a client list, only those of it.
    let versions: Vec<ProtocolVersion> = ProtocolVersion::SUPPORTED
        .iter()
        .rev()
        .filter(|v| req.client.is_empty() || req.client.contains(v))
        .copied()
        .collect();
    Ok(response(
        versions
            .into_iter()
            .map(|v| {
                Ttlv::structure(
                    Tag::PROTOCOL_VERSION,
                    vec![
                        Ttlv::integer(Tag::PROTOCOL_VERSION_MAJOR, v.major),
                        Ttlv::integer(Tag::PROTOCOL_VERSION_MINOR, v.minor),
                    ],
                )
            })
            .collect(),
    ))
}
