//! DiscoverVersions: the KMIP versions this server speaks (1.0 to 1.4, 2.0, 2.1), in its order
//! of preference (highest first); if the client lists versions, only those of its list.

use super::Context;
use crate::error::KmipError;
use ekms_kmip::ProtocolVersion;
use ekms_kmip::operations::discover_versions::{Request, Response};

pub fn apply(_ctx: &Context<'_>, req: Request) -> Result<Response, KmipError> {
    // Highest (the server's preference) first; with a client list, only those of it.
    let versions: Vec<ProtocolVersion> = ProtocolVersion::SUPPORTED
        .iter()
        .rev()
        .filter(|v| req.0.versions.is_empty() || req.0.versions.contains(v))
        .copied()
        .collect();
    Ok(Response { versions })
}
