//! The stored form of a managed object and the Locate query.

use std::any::Any;
use std::sync::Arc;
use zeroize::Zeroizing;

/// What a caller prepared from an object's material (a cipher's key schedule, say), kept with
/// the cached object and dropped with it, so it never outlives a change of the object. Not part
/// of the object's value: never stored, and ignored by `==`.
#[derive(Clone, Default)]
pub struct Derived(pub Option<Arc<dyn Any + Send + Sync>>);

impl std::fmt::Debug for Derived {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Derived(..)"
        } else {
            "Derived(None)"
        })
    }
}

impl PartialEq for Derived {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// The attributes of an object as a caller parsed them from [`StoredObject::attributes`], kept
/// with the object's cached copy and dropped with it, like [`Derived`]: a cached Encrypt then
/// reads no JSON (parsing the attributes was 4% of its CPU, BENCHMARKS.md). Not part of the
/// object's value: never stored, and ignored by `==`.
#[derive(Clone, Default)]
pub enum Parsed {
    /// Not read from a cache: there is nowhere to keep a parsed form.
    #[default]
    Uncached,
    /// Read from a cache that holds no parsed form of it yet: the caller may attach one
    /// ([`crate::StoreTx::attach_parsed`]).
    Missing,
    /// Parsed earlier from these very bytes.
    Kept(Arc<dyn Any + Send + Sync>),
}

impl std::fmt::Debug for Parsed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Parsed::Uncached => "Parsed::Uncached",
            Parsed::Missing => "Parsed::Missing",
            Parsed::Kept(_) => "Parsed::Kept(..)",
        })
    }
}

impl PartialEq for Parsed {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

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
    /// What a caller prepared from the material, when the object came from the read cache.
    pub derived: Derived,
    /// The attributes as a caller parsed them, when the object came from the read cache.
    pub parsed: Parsed,
}

impl StoredObject {
    /// The bytes the object's variable-length fields hold in memory: what a cache counts
    /// against its bound, beside its own per-entry overhead.
    pub fn heap_len(&self) -> usize {
        self.uid.len()
            + self.owner.len()
            + self.attributes.len()
            + self.material.as_ref().map_or(0, |m| m.len())
            + self.names.iter().map(String::len).sum::<usize>()
    }

    /// The bytes a cache counts for the parsed attributes attached to this copy: none unless
    /// one is kept; then [`PARSED_ALLOWANCE`] beside the length of their text.
    pub fn parsed_len(&self) -> usize {
        match self.parsed {
            Parsed::Kept(_) => PARSED_ALLOWANCE + self.attributes.len(),
            Parsed::Uncached | Parsed::Missing => 0,
        }
    }

    /// Keeps `parsed` with this cached copy if it is a parsed form ([`Parsed::Kept`]) of these
    /// very `attributes` and the copy holds none yet; returns the bytes now counted for it
    /// ([`StoredObject::parsed_len`]), 0 when nothing was attached. The one rule both stores'
    /// caches follow.
    pub fn attach_parsed(&mut self, attributes: &[u8], parsed: Parsed) -> usize {
        let fits = matches!(parsed, Parsed::Kept(_))
            && matches!(self.parsed, Parsed::Missing)
            && self.attributes == attributes;
        if !fits {
            return 0;
        }
        self.parsed = parsed;
        self.parsed_len()
    }
}

/// Room a cache counts for a parsed form of an object's attributes once attached, beside the
/// length of their text: the parsed struct is under 1 KiB, its strings no longer than the text.
pub const PARSED_ALLOWANCE: usize = 1024;

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
    /// The id of the HTTPS request that made the row (its `X-Request-Id`), to find the
    /// request's log lines; none for the KMIP socket and for rows written before ids existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
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
