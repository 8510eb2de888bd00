//! The KMIP protocol version and the version a server answers a client with.

use std::fmt;

use crate::codec::{Fields, FromTtlv, ToTtlv, expect_tag};
use crate::error::Error;
use crate::tags::Tag;
use crate::ttlv::Ttlv;

/// A KMIP protocol version (`Protocol Version { Protocol Version Major, Protocol Version Minor }`).
///
/// Ordered by major, then minor. The fields are the wire Integers as received, so a
/// nonsensical version (negative, unknown) is representable and simply unsupported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProtocolVersion {
    /// Protocol Version Major.
    pub major: i32,
    /// Protocol Version Minor.
    pub minor: i32,
}

impl ProtocolVersion {
    /// KMIP 1.0.
    pub const V1_0: ProtocolVersion = ProtocolVersion::new(1, 0);
    /// KMIP 1.1.
    pub const V1_1: ProtocolVersion = ProtocolVersion::new(1, 1);
    /// KMIP 1.2.
    pub const V1_2: ProtocolVersion = ProtocolVersion::new(1, 2);
    /// KMIP 1.3.
    pub const V1_3: ProtocolVersion = ProtocolVersion::new(1, 3);
    /// KMIP 1.4.
    pub const V1_4: ProtocolVersion = ProtocolVersion::new(1, 4);
    /// KMIP 2.0.
    pub const V2_0: ProtocolVersion = ProtocolVersion::new(2, 0);
    /// KMIP 2.1.
    pub const V2_1: ProtocolVersion = ProtocolVersion::new(2, 1);

    /// Every version ekms speaks, lowest first.
    pub const SUPPORTED: [ProtocolVersion; 7] = [
        Self::V1_0,
        Self::V1_1,
        Self::V1_2,
        Self::V1_3,
        Self::V1_4,
        Self::V2_0,
        Self::V2_1,
    ];

    /// A version.
    pub const fn new(major: i32, minor: i32) -> Self {
        ProtocolVersion { major, minor }
    }

    /// True if ekms speaks exactly this version.
    pub fn is_supported(self) -> bool {
        Self::SUPPORTED.contains(&self)
    }

    /// True for KMIP 1.x (Template-Attribute and 1.x attribute names in payloads).
    pub fn is_v1(self) -> bool {
        self.major == 1
    }

    /// True for KMIP 2.x (the `Attributes` structure in payloads).
    pub fn is_v2(self) -> bool {
        self.major == 2
    }

    /// The version a server answers a request of version `self` with, or None if it must
    /// refuse the message.
    ///
    /// What the specification says (KMIP 1.x §6.1 and its error-handling table §11.1; KMIP
    /// 2.x keeps both rules):
    /// - "Servers and clients SHALL support backward compatibility with versions of the protocol
    ///   with the same major version"; backward compatibility across major versions is
    ///   optional. ekms supports both majors, 1 and 2.
    /// - Same major version, different minor version: fields the receiver does not know are
    ///   ignored and the message is processed normally. A client newer than the server within a
    ///   major version (1.5, 2.2) is therefore served, and answered with the highest version the
    ///   server knows below it (1.4, 2.1): the client understands it by the same rule.
    /// - Protocol major version mismatch: the server answers with a response message holding a
    ///   header and one batch item without Operation, Result Status Operation Failed, Result
    ///   Reason Invalid Message ([`super::ResponseMessage::unsupported_version`]).
    ///   KMIP 2.x also defines the Result Reason Unsupported Protocol Version; ekms uses Invalid
    ///   Message, which 1.x clients know too.
    ///
    /// So: the same version if supported; else the highest supported version of the same major
    /// below it; else None (an unknown major such as 0 or 3, or a minor below every supported
    /// one). Clients that do not know the server's versions are expected to ask with Discover
    /// Versions first; that operation answers with the list of [`Self::SUPPORTED`] versions.
    pub fn negotiate(self) -> Option<ProtocolVersion> {
        Self::SUPPORTED
            .iter()
            .rev()
            .find(|v| v.major == self.major && v.minor <= self.minor)
            .copied()
    }

    /// The version to put in an error response to a client of version `self` when no
    /// negotiated version exists: the highest supported version not above it, else the lowest
    /// supported version (1.0). The specification does not say which version such an answer
    /// carries; error responses have the same shape in every version.
    pub fn nearest_supported(self) -> ProtocolVersion {
        Self::SUPPORTED
            .iter()
            .rev()
            .find(|v| **v <= self)
            .copied()
            .unwrap_or(Self::V1_0)
    }

    /// True if the receiver must ignore fields it does not know: the message's minor version is
    /// above every supported minor of its (supported) major version (KMIP 1.x §11.1).
    pub(crate) fn ignores_unknown_fields(self) -> bool {
        !self.is_supported() && self.negotiate().is_some()
    }
}

impl FromTtlv for ProtocolVersion {
    fn from_ttlv(t: Ttlv) -> Result<Self, Error> {
        expect_tag(&t, Tag::PROTOCOL_VERSION)?;
        Fields::new(t, Tag::PROTOCOL_VERSION)?.decode(|f| {
            Ok(ProtocolVersion {
                major: f.required(Tag::PROTOCOL_VERSION_MAJOR)?,
                minor: f.required(Tag::PROTOCOL_VERSION_MINOR)?,
            })
        })
    }
}

impl ToTtlv for &ProtocolVersion {
    fn to_ttlv(self) -> Ttlv {
        Ttlv::structure(
            Tag::PROTOCOL_VERSION,
            vec![
                Ttlv::integer(Tag::PROTOCOL_VERSION_MAJOR, self.major),
                Ttlv::integer(Tag::PROTOCOL_VERSION_MINOR, self.minor),
            ],
        )
    }
}

impl fmt::Display for ProtocolVersion {
    /// `1.4`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}
