//! ekms-store: the per-group encrypted object stores.
//!
//! Every group (tenant) has its own database, encrypted under a key only the group holds.
//! Callers see the [`ObjectStore`] trait: one call to [`ObjectStore::transact`] is one atomic,
//! durable transaction, so a KMIP operation maps to exactly one of them. The embedded
//! implementation is [`sqlcipher::SqlCipherStore`]; a PostgreSQL one for several nodes can
//! implement the same trait later.
//!
//! The store does not interpret KMIP: attributes are an opaque serialized blob, and only the
//! fields Locate filters on (type, state, algorithm, names, owner) are columns.

#![forbid(unsafe_code)]

pub mod cache;
pub mod error;
pub mod failpoint;
pub mod object;
pub mod sqlcipher;

pub use error::StoreError;
pub use object::{AuditFilter, AuditRow, Derived, Grant, LocateQuery, StoredObject};
pub use sqlcipher::SqlCipherStore;

use std::any::Any;
use std::sync::Arc;

/// The group metadata entry naming the group's administrator (the user who registered it).
/// The store only keeps it; who may do what with it is decided by the server's access rules.
pub const ADMIN_META_KEY: &str = "admin";

/// Access rights and the audit trail, inside a transaction.
pub trait AccessTx {
    /// A group metadata entry ([`ADMIN_META_KEY`]: the group's administrator).
    fn meta(&mut self, key: &str) -> Result<Option<String>, StoreError>;
    /// Adds a grant (no effect if it exists).
    fn grant(&mut self, grant: &Grant) -> Result<(), StoreError>;
    /// Removes a grant; whether it existed.
    fn revoke(&mut self, grant: &Grant) -> Result<bool, StoreError>;
    /// The grants on this uid (`*` for the group rights).
    fn grants_on(&mut self, uid: &str) -> Result<Vec<Grant>, StoreError>;
    /// The grants to this user or to `*`.
    fn grants_to(&mut self, user: &str) -> Result<Vec<Grant>, StoreError>;
    /// The uids of the objects this user owns, newest first.
    fn owned_by(&mut self, user: &str) -> Result<Vec<String>, StoreError>;
    /// Appends a row to the audit trail.
    fn audit(&mut self, row: &AuditRow) -> Result<(), StoreError>;
    /// Audit rows matching the filter, newest first.
    fn audit_list(&mut self, filter: &AuditFilter) -> Result<Vec<AuditRow>, StoreError>;
}

/// A transaction in progress: every call sees the writes made earlier in it.
pub trait StoreTx: AccessTx {
    /// Adds a new object; fails with [`StoreError::Conflict`] if the uid exists.
    fn insert(&mut self, obj: &StoredObject) -> Result<(), StoreError>;
    /// The object with this uid, if any.
    fn get(&mut self, uid: &str) -> Result<Option<StoredObject>, StoreError>;
    /// Replaces an existing object (all columns, names included).
    fn update(&mut self, obj: &StoredObject) -> Result<(), StoreError>;
    /// The uids matching the query, newest first.
    fn locate(&mut self, query: &LocateQuery) -> Result<Vec<String>, StoreError>;
}

/// A group's object store.
pub trait ObjectStore: Send + Sync {
    /// Runs `f` in one transaction: committed durably if `f` returns Ok, rolled back otherwise.
    fn transact(
        &self,
        f: &mut dyn FnMut(&mut dyn StoreTx) -> Result<(), StoreError>,
    ) -> Result<(), StoreError>;

    /// Keeps `derived`, prepared from `material`, with the cached copy of object `uid` while
    /// that copy still holds this very material; later reads of it carry `derived` in
    /// [`StoredObject::derived`]. A store without a cache keeps nothing.
    fn attach(&self, uid: &str, material: &[u8], derived: Arc<dyn Any + Send + Sync>) {
        let _ = (uid, material, derived);
    }
}
