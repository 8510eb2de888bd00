//! The stored form of a managed object and the Locate query.

use zeroize::Zeroizing;

/// A managed object as the store keeps it.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredObject {
    /// The KMIP Unique Identifier.
    pub uid: String,
    /// KMIP ObjectType value.
    pub object_type: u32,
    /// KMIP State value.
    pub state: u32,
    /// KMIP CryptographicAlgorithm value, if the object has one.
    pub algorithm: Option<u32>,
    /// The user who owns the object.
    pub owner: String,
    /// Name attribute values, for Locate by name.
    pub names: Vec<String>,
    /// The serialized attributes; opaque to the store.
    pub attributes: Vec<u8>,
    /// The key material or object value; `None` once destroyed. Wiped from memory on drop.
    pub material: Option<Zeroizing<Vec<u8>>>,
    /// Creation time, unix seconds.
    pub created_at: i64,
}

/// Filters of a Locate: every given field must match.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LocateQuery {
    pub object_type: Option<u32>,
    pub state: Option<u32>,
    pub algorithm: Option<u32>,
    pub name: Option<String>,
    pub owner: Option<String>,
    /// Results to skip (KMIP OffsetItems).
    pub offset: usize,
    /// At most this many results (KMIP MaximumItems).
    pub max: Option<usize>,
}
