//! Serde helpers: fixed-size byte arrays as lowercase hex strings.
//!
//! Owns nothing public. SGX structures carry many fixed arrays (measurements, report data,
//! SVNs); serialized for people and for the JSON the CLI and services print, they read best as
//! hex. Deserializing checks the exact length.

use serde::{Deserialize, Deserializer, Serializer, de::Error as _};

/// Serialize `[u8; N]` as lowercase hex.
pub(crate) fn serialize<S: Serializer, const N: usize>(
    value: &[u8; N],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&hex::encode(value))
}

/// Deserialize `[u8; N]` from hex (either case), refusing any other length.
pub(crate) fn deserialize<'de, D: Deserializer<'de>, const N: usize>(
    deserializer: D,
) -> Result<[u8; N], D::Error> {
    let text = String::deserialize(deserializer)?;
    let bytes = hex::decode(text.as_bytes()).map_err(D::Error::custom)?;
    let len = bytes.len();
    bytes
        .try_into()
        .map_err(|_| D::Error::custom(format!("expected {N} bytes of hex, found {len}")))
}
