//! ekms-store: the per-group encrypted object stores.
//!
//! Every group (tenant) has its own database, encrypted under a key only the group holds.
//! Callers see the [`ObjectStore`] trait, usable as `&dyn ObjectStore`:
//!
//! - [`ObjectStoreExt::transact`] runs a closure in one atomic, durable transaction and returns
//!   the closure's own result and error type: committed if it returns `Ok`, rolled back if it
//!   returns `Err` (or panics). A KMIP operation maps to exactly one of them.
//! - [`StoreTxExt::nested`] runs part of a transaction in a savepoint that rolls back alone,
//!   and [`ObjectStoreExt::transact_batch`] runs several items (the items of one KMIP batch) in
//!   one transaction, each in its own savepoint, committed or rolled back whole.
//! - Every committed transaction that wrote objects, grants or metadata gives the group a new
//!   version, one more than the last ([`ObjectStoreExt::transact_versioned`] returns it,
//!   [`ObjectStore::version`] reads the latest), so a client can later check what it saw;
//!   the same commit extends the group's hash chain ([`ObjectStore::state`] reads both; the
//!   chain's rule is in `ekms_crypto::group_state`), so two histories that part at one version
//!   show different chains there.
//!
//! What an engine implements is the object-safe core: [`ObjectStore::run_transaction`] (the
//! transaction), [`StoreTx`] and [`AccessTx`] (what a transaction can do, including
//! [`StoreTx::savepoint`]) and [`ObjectStore::version`]; the generic methods above come from
//! the blanket extension traits. The embedded engine is [`sqlcipher::SqlCipherStore`], the
//! engine of several nodes [`postgres::PgStore`] (feature `postgres`); the
//! behaviour every engine must show is the module `conformance` (feature `test-suite`), which
//! an engine runs with one line: `ekms_store::store_tests!(my_engine, MyFixture::new);`.
//!
//! The store does not interpret KMIP: attributes are an opaque serialized blob, and only the
//! fields Locate filters on (type, state, algorithm, names, owner) are columns.

#![forbid(unsafe_code)]

#[cfg(any(test, feature = "test-suite"))]
pub mod conformance;
pub mod error;
pub mod failpoint;
pub mod lane;
pub mod object;
pub mod observe;
#[cfg(feature = "postgres")]
pub mod postgres;
pub mod retention;
pub mod sqlcipher;
pub mod ticket;

pub use ekms_crypto::group_state::{GENESIS_CHAIN, GroupState};
pub use error::StoreError;
pub use object::{AuditFilter, AuditRow, Derived, Grant, LocateQuery, Parsed, StoredObject};
#[cfg(feature = "postgres")]
pub use postgres::{PgPool, PgStore};
pub use sqlcipher::SqlCipherStore;

use std::any::Any;
use std::sync::Arc;

/// The group metadata entry naming the group's administrator (the user who registered it).
/// The store only keeps it; who may do what with it is decided by the server's access rules.
pub const ADMIN_META_KEY: &str = "admin";

/// How the body of a transaction or savepoint ends: what the engine does with its writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// Keep the writes (commit the transaction, release the savepoint).
    Commit,
    /// Undo the writes.
    RollBack,
}

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
    /// Appends a row to the audit trail. Audit rows are a log, not the group's state: they
    /// do not count as a write for the group's version.
    fn audit(&mut self, row: &AuditRow) -> Result<(), StoreError>;
    /// Audit rows matching the filter, newest first.
    fn audit_list(&mut self, filter: &AuditFilter) -> Result<Vec<AuditRow>, StoreError>;
    /// Up to `limit` audit rows after sequence number `after`, oldest first, each with its
    /// sequence number, ending before the first row written at or after `before` (unix
    /// seconds), if given: the rows an export writes before a prune
    /// ([`ObjectStore::prune_audit`]).
    fn audit_oldest(
        &mut self,
        after: i64,
        before: Option<i64>,
        limit: usize,
    ) -> Result<Vec<(i64, AuditRow)>, StoreError>;
}

/// A transaction in progress: every call sees the writes made earlier in it.
pub trait StoreTx: AccessTx {
    /// Adds a new object; fails with [`StoreError::Conflict`] if the uid exists.
    fn insert(&mut self, obj: &StoredObject) -> Result<(), StoreError>;
    /// The object with this uid, if any.
    fn get(&mut self, uid: &str) -> Result<Option<StoredObject>, StoreError>;
    /// Keeps `parsed`, parsed from `attributes`, with the cached copy of object `uid` while
    /// that copy still holds these very attributes; later reads of it carry it in
    /// [`StoredObject::parsed`]. A store without a cache keeps nothing.
    fn attach_parsed(&mut self, uid: &str, attributes: &[u8], parsed: Parsed) {
        let _ = (uid, attributes, parsed);
    }
    /// Replaces an existing object (all columns, names included); fails with
    /// [`StoreError::MissingObject`] if there is none.
    fn update(&mut self, obj: &StoredObject) -> Result<(), StoreError>;
    /// The uids matching the query, newest first.
    fn locate(&mut self, query: &LocateQuery) -> Result<Vec<String>, StoreError>;
    /// Runs `body` once in a savepoint of this transaction: its writes are kept (until the
    /// transaction ends) if it returns [`End::Commit`], undone otherwise, and the writes made
    /// before it stay either way. The object-safe core of [`StoreTxExt::nested`]; a wrapper of
    /// a transaction forwards it to the transaction it wraps, and wraps the transaction the
    /// body gets the same way (so its checks or counts hold inside the savepoint too).
    fn savepoint(
        &mut self,
        body: &mut dyn FnMut(&mut dyn StoreTx) -> End,
    ) -> Result<(), StoreError>;
}

/// A group's object store. Object-safe: the server holds stores as `&dyn ObjectStore`; the
/// generic methods are in [`ObjectStoreExt`].
pub trait ObjectStore: Send + Sync {
    /// Runs `body` exactly once in one transaction, and commits durably if it returns
    /// [`End::Commit`] (rolls back if it returns [`End::RollBack`] or panics; a panic goes on
    /// to the caller). Returns, once the commit is durable, the group version the transaction
    /// got if it wrote objects, grants or metadata, `None` if it wrote none of them or rolled
    /// back. Inside [`ticket::deferring`] it may return before the commit, leaving a ticket the
    /// caller awaits before answering. The object-safe core of [`ObjectStoreExt::transact`],
    /// which callers use.
    fn run_transaction(
        &self,
        body: &mut dyn FnMut(&mut dyn StoreTx) -> End,
    ) -> Result<Option<u64>, StoreError>;

    /// As [`ObjectStore::run_transaction`], for a body that will write whatever it reads
    /// first: an engine whose reads run optimistically and may end in [`StoreError::Changed`]
    /// (PostgreSQL) takes the group's write lock before the body runs, so the transaction
    /// cannot fail that way; the caller's rerun after a `Changed` then always progresses. An
    /// engine whose transactions never fail with `Changed` runs the body as usual.
    fn run_transaction_locked(
        &self,
        body: &mut dyn FnMut(&mut dyn StoreTx) -> End,
    ) -> Result<Option<u64>, StoreError> {
        self.run_transaction(body)
    }

    /// The group version of the last committed write (0 for a group never written since
    /// versions were introduced): monotonic and durable.
    fn version(&self) -> Result<u64, StoreError>;

    /// The group's version and hash chain as of its last committed write this store knows of:
    /// at least as new as every transaction of this store that has returned (inside
    /// [`ticket::deferring`]: once its tickets have settled). A group without
    /// a write since chains began has its version and [`GENESIS_CHAIN`]. Both engines keep
    /// them; a wrapper that does not forward this method has no state to tell.
    fn state(&self) -> Result<GroupState, StoreError> {
        Err(StoreError::Commit(
            "this store keeps no chain of its commits".into(),
        ))
    }

    /// The count of the group's audit rows against its cap, for an engine that keeps one
    /// ([`retention::AuditCount`]); `None`: no cap applies.
    fn audit_count(&self) -> Option<&retention::AuditCount> {
        None
    }

    /// Deletes the audit rows whose sequence number is at most `through`, durably, in a
    /// transaction of its own (audit rows are no part of the group's state: no version is
    /// taken), and returns how many went.
    fn prune_audit(&self, through: i64) -> Result<u64, StoreError> {
        let _ = through;
        Err(StoreError::Commit(
            "this store does not prune its audit trail".into(),
        ))
    }

    /// The lane that runs this group's blocking work one job after another ([`lane`]), for an
    /// engine whose writes share one connection; `None`: jobs run on the blocking pool, side by
    /// side.
    fn lane(&self) -> Option<Arc<lane::Lane>> {
        None
    }

    /// Keeps `derived`, prepared from `material`, with the cached copy of object `uid` while
    /// that copy still holds this very material; later reads of it carry `derived` in
    /// [`StoredObject::derived`]. A store without a cache keeps nothing.
    fn attach(&self, uid: &str, material: &[u8], derived: Arc<dyn Any + Send + Sync>) {
        let _ = (uid, material, derived);
    }
}

/// Runs `f` through an object-safe `run` taking a body that ends with an [`End`]: the body
/// keeps `f`'s result for the caller (a closure called through `&mut dyn FnMut` cannot return
/// a generic value itself). `f` runs at most once; `run` reports its own failures.
fn through<R, E: From<StoreError>, V>(
    f: impl FnOnce(&mut dyn StoreTx) -> Result<R, E>,
    run: impl FnOnce(&mut dyn FnMut(&mut dyn StoreTx) -> End) -> Result<V, StoreError>,
) -> Result<(R, V), E> {
    let mut f = Some(f);
    let mut out = None;
    let ran = run(&mut |tx| {
        let Some(f) = f.take() else {
            return End::RollBack;
        };
        let r = f(tx);
        let end = if r.is_ok() {
            End::Commit
        } else {
            End::RollBack
        };
        out = Some(r);
        end
    });
    match (out, ran) {
        // The caller's own error, whatever the rollback did.
        (Some(Err(e)), _) => Err(e),
        (Some(Ok(r)), Ok(v)) => Ok((r, v)),
        (_, Err(e)) => Err(e.into()),
        (None, Ok(_)) => Err(StoreError::Commit("the transaction body did not run".into()).into()),
    }
}

/// The generic face of every [`ObjectStore`] (`&dyn ObjectStore` included).
pub trait ObjectStoreExt: ObjectStore {
    /// Runs `f` in one transaction: committed durably if it returns `Ok` (the result returns
    /// once the commit is durable; inside [`ticket::deferring`], possibly before, with a
    /// ticket), rolled back if it returns `Err` (the error returns
    /// unchanged) or panics. A failure of the store itself returns as `E::from(StoreError)`.
    fn transact<R, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&mut dyn StoreTx) -> Result<R, E>,
    ) -> Result<R, E> {
        self.transact_versioned(f).map(|(r, _)| r)
    }

    /// As [`ObjectStoreExt::transact`], also returning the group version the transaction's
    /// writes got (`None` if it wrote no object, grant or metadata).
    fn transact_versioned<R, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&mut dyn StoreTx) -> Result<R, E>,
    ) -> Result<(R, Option<u64>), E> {
        through(f, |body| self.run_transaction(body))
    }

    /// As [`ObjectStoreExt::transact`], with the group's write lock taken before `f` runs
    /// ([`ObjectStore::run_transaction_locked`]): never fails with [`StoreError::Changed`].
    fn transact_locked<R, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&mut dyn StoreTx) -> Result<R, E>,
    ) -> Result<R, E> {
        through(f, |body| self.run_transaction_locked(body)).map(|(r, _)| r)
    }

    /// Runs `items` in order in one transaction, each in its own savepoint: if every one
    /// returns `Ok`, they commit together and their results return in order, with the group
    /// version of the commit; at the first that fails, the whole transaction rolls back (the
    /// items before it included) and that item's index and error return (the index is the
    /// number of items if the commit itself failed). This is what a KMIP batch under Batch
    /// Error Continuation Option Undo needs.
    fn transact_batch<T, R, E: From<StoreError>>(
        &self,
        items: impl IntoIterator<Item = T>,
        mut run: impl FnMut(&mut dyn StoreTx, T) -> Result<R, E>,
    ) -> Result<(Vec<R>, Option<u64>), (usize, E)> {
        let mut failed_at = 0;
        self.transact_versioned(|tx| {
            let mut results = Vec::new();
            for (i, item) in items.into_iter().enumerate() {
                failed_at = i;
                results.push(tx.nested(|tx| run(tx, item))?);
            }
            failed_at = results.len();
            Ok(results)
        })
        .map_err(|e| (failed_at, e))
    }
}

impl<S: ObjectStore + ?Sized> ObjectStoreExt for S {}

/// The generic face of every [`StoreTx`] (`&mut dyn StoreTx` included).
pub trait StoreTxExt: StoreTx {
    /// Runs `f` in a savepoint of this transaction: its writes are undone if it returns `Err`
    /// (the error returns unchanged), kept until the transaction ends otherwise.
    fn nested<R, E: From<StoreError>>(
        &mut self,
        f: impl FnOnce(&mut dyn StoreTx) -> Result<R, E>,
    ) -> Result<R, E> {
        through(f, |body| self.savepoint(body)).map(|(r, ())| r)
    }
}

impl<T: StoreTx + ?Sized> StoreTxExt for T {}
