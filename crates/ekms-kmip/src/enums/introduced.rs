//! Which KMIP version defined each operation: the specification's Operation enumeration, as
//! data. KMIP 1.0 defines 0x01 (Create) to 0x1C (Put); 1.1 adds Re-key Key Pair and Discover
//! Versions (0x1D, 0x1E); 1.2 the cryptographic services, Encrypt (0x1F) to Join Split Key
//! (0x29); 1.3 adds no operation; 1.4 adds Import and Export (0x2A, 0x2B); 2.0 adds Log (0x2C)
//! to Re-Provision (0x35), the last value PyKMIP 0.11.0's KMIP 2.0 table holds; 2.1 adds Set
//! Defaults (0x36) to Ping (0x3B). No version removes an operation (KMIP 2.0 marks none
//! reserved), so an operation is defined in every version from the one that added it.

use super::Operation;
use crate::message::ProtocolVersion;

/// The first value of each version's new operations, in version order.
const FIRST_VALUE: &[(u32, ProtocolVersion)] = &[
    (0x01, ProtocolVersion::V1_0),
    (0x1D, ProtocolVersion::V1_1),
    (0x1F, ProtocolVersion::V1_2),
    (0x2A, ProtocolVersion::V1_4),
    (0x2C, ProtocolVersion::V2_0),
    (0x36, ProtocolVersion::V2_1),
];

impl Operation {
    /// The KMIP version that added this operation.
    pub fn introduced(self) -> ProtocolVersion {
        FIRST_VALUE
            .iter()
            .rev()
            .find(|(first, _)| self.as_u32() >= *first)
            .map_or(ProtocolVersion::V1_0, |(_, v)| *v)
    }

    /// True if KMIP `version` defines this operation.
    pub fn defined_in(self, version: ProtocolVersion) -> bool {
        self.introduced() <= version
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_version_adds_the_operations_of_the_specification() {
        let added = |v: ProtocolVersion| -> Vec<&str> {
            Operation::ALL
                .iter()
                .filter(|o| o.introduced() == v)
                .map(|o| o.name())
                .collect()
        };
        assert_eq!(added(ProtocolVersion::V1_0).len(), 28);
        assert_eq!(added(ProtocolVersion::V1_0)[27], "Put");
        assert_eq!(
            added(ProtocolVersion::V1_1),
            ["ReKeyKeyPair", "DiscoverVersions"]
        );
        assert_eq!(added(ProtocolVersion::V1_2).len(), 11);
        assert!(added(ProtocolVersion::V1_3).is_empty());
        assert_eq!(added(ProtocolVersion::V1_4), ["Import", "Export"]);
        assert_eq!(added(ProtocolVersion::V2_0).first(), Some(&"Log"));
        assert_eq!(added(ProtocolVersion::V2_0).last(), Some(&"ReProvision"));
        assert_eq!(
            added(ProtocolVersion::V2_1),
            [
                "SetDefaults",
                "SetConstraints",
                "GetConstraints",
                "QueryAsynchronousRequests",
                "Process",
                "Ping"
            ]
        );
        assert!(Operation::Put.defined_in(ProtocolVersion::V2_1));
        assert!(!Operation::Export.defined_in(ProtocolVersion::V1_3));
    }
}
