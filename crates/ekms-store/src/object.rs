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
    /// Only objects this user owns or holds a grant on (directly or through `*`).
    pub visible_to: Option<String>,
    /// Results to skip (KMIP OffsetItems).
    pub offset: usize,
    /// At most this many results (KMIP MaximumItems).
    pub max: Option<usize>,
}

/// One right granted on an object (or on the group, uid `*`) to a user (or `*`, everyone).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Grant {
    pub uid: String,
    pub user: String,
    pub right: String,
}

/// One row of a group's audit trail: no secrets, no payloads.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AuditRow {
    /// Unix seconds.
    pub time: i64,
    pub user: String,
    pub operation: String,
    pub object: Option<String>,
    /// `ok`, or the refusal or failure reason.
    pub result: String,
}

/// Filters of an audit listing: every given field must match.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub user: Option<String>,
    pub operation: Option<String>,
    pub object: Option<String>,
    /// Rows at or after this time (unix seconds).
    pub since: Option<i64>,
    pub limit: Option<usize>,
}
