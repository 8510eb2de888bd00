//! One request's view of a group store: [`PgRequest`], which knows the group version the
//! request's first query read (with the group's key slots, [`PgPool::entry`]; concurrent
//! requests of a group share that query, each using only one that started after it arrived:
//! [`super::coalesce`]).
//!
//! That version is what lets a request be served from the store's caches without reading the
//! group again: a transaction whose store holds a group record at least that new uses it, and
//! an object whose cached row version is the one that record lists is used as cached. So an
//! Encrypt with a cached key costs the one query that read the slots and the version, plus its
//! share of a group commit of audit rows ([`super::audit`]), and still serves no state older
//! than one committed (on any node) before the request began.
//!
//! A transaction of the request that loses a race with another writer
//! ([`StoreError::Changed`]: it read, then another writer committed before it could write)
//! makes every later transaction of the request take the group's lock first: the rerun of the
//! operation waits for the writers before it instead of failing again.

use super::tx::PgTx;
use super::{PgPool, PgStore};
use crate::{End, GroupState, ObjectStore, StoreError, StoreTx};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// See the module documentation.
pub struct PgRequest {
    store: Arc<PgStore>,
    fresh: Option<u64>,
    /// Set once a transaction of this request lost a race with another writer: the later
    /// ones lock the group first.
    lock_first: AtomicBool,
    /// Whether a transaction of this request found the database unavailable: the later ones
    /// (the audit row of the failure) wait for a connection only briefly.
    met_outage: AtomicBool,
}

impl std::fmt::Debug for PgRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PgRequest({}, {:?})", self.store.group_id(), self.fresh)
    }
}

/// What one query reads of a group before its request is served ([`PgPool::entry`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GroupEntry {
    /// The group's key slots; `None` if there is no such group.
    pub slots: Option<Vec<u8>>,
    /// The group's version as the database states it (not yet authenticated: the group
    /// record sealed with it is, when it is read).
    pub version: Option<u64>,
}

impl PgStore {
    /// A request's view of this store, `fresh` being the group version its first query read
    /// (`None`: not read, every transaction reads it).
    pub fn request(self: &Arc<Self>, fresh: Option<u64>) -> PgRequest {
        PgRequest {
            store: self.clone(),
            fresh,
            lock_first: AtomicBool::new(false),
            met_outage: AtomicBool::new(false),
        }
    }
}

impl PgRequest {
    /// The store this request runs on.
    pub fn store(&self) -> &Arc<PgStore> {
        &self.store
    }

    /// How long a transaction waits for a connection: shortly once this request met an outage,
    /// so that its later steps (the audit row of the failure) do not each wait the full time.
    fn wait(&self) -> std::time::Duration {
        if self.met_outage.load(Ordering::SeqCst) {
            super::SHORT_CHECKOUT
        } else {
            super::CHECKOUT_TIMEOUT
        }
    }

    /// Runs `tx`, noting an outage it met.
    fn run(
        &self,
        tx: PgTx<'_>,
        body: &mut dyn FnMut(&mut dyn StoreTx) -> End,
    ) -> Result<Option<u64>, StoreError> {
        let ran = tx.run(body);
        if let Err(StoreError::Unavailable(_)) = ran {
            self.met_outage.store(true, Ordering::SeqCst);
        }
        ran
    }
}

impl ObjectStore for PgRequest {
    fn run_transaction(
        &self,
        body: &mut dyn FnMut(&mut dyn StoreTx) -> End,
    ) -> Result<Option<u64>, StoreError> {
        let wait = self.wait();
        self.run(
            PgTx::new(&self.store).serving(self.fresh, &self.lock_first, wait),
            body,
        )
    }

    fn run_transaction_locked(
        &self,
        body: &mut dyn FnMut(&mut dyn StoreTx) -> End,
    ) -> Result<Option<u64>, StoreError> {
        let wait = self.wait();
        let tx = PgTx::new(&self.store).serving(self.fresh, &self.lock_first, wait);
        self.run(tx.locking(), body)
    }

    fn version(&self) -> Result<u64, StoreError> {
        self.store.version()
    }

    fn state(&self) -> Result<GroupState, StoreError> {
        self.store.state()
    }

    fn attach(&self, uid: &str, material: &[u8], derived: Arc<dyn std::any::Any + Send + Sync>) {
        self.store.attach(uid, material, derived);
    }

    fn audit_count(&self) -> Option<&crate::retention::AuditCount> {
        self.store.audit_count()
    }

    fn prune_audit(&self, through: i64) -> Result<u64, StoreError> {
        self.store.prune_audit(through)
    }
}

impl PgPool {
    /// The key slots and the version of `group_id`, in one query answering one row whether
    /// the group exists or not (NULLs then), so that an unknown group costs the database and
    /// the wire what a known one does, but for the slots' bytes. The query is shared with the
    /// concurrent callers for the same group, and always one that started after this call
    /// began ([`super::coalesce`]): what any node committed before is read.
    pub fn entry(&self, group_id: &str) -> Result<GroupEntry, StoreError> {
        self.entries.read(group_id, || self.read_entry(group_id))
    }

    /// How many version reads ([`PgPool::entry`]) this pool and its clones sent to the
    /// database: fewer than the calls when concurrent requests shared them.
    pub fn entry_reads(&self) -> u64 {
        self.entry_reads.load(Ordering::Relaxed)
    }

    fn read_entry(&self, group_id: &str) -> Result<GroupEntry, StoreError> {
        use postgres::types::Type;
        self.entry_reads.fetch_add(1, Ordering::Relaxed);
        let (_, row) = self.with_first(|c| {
            Ok(c.query_prepared_opt(
                "SELECT s.slots, g.version FROM (VALUES (1)) AS one(n)
                 LEFT JOIN ekms_key_slots s ON s.group_id = $1
                 LEFT JOIN ekms_groups g ON g.group_id = $1",
                &[(&group_id, Type::TEXT)],
            )?)
        })?;
        let row =
            row.ok_or_else(|| StoreError::Commit("the version read answered no row".into()))?;
        let version: Option<i64> = row.get(1);
        Ok(GroupEntry {
            slots: row.get(0),
            version: version.and_then(|v| u64::try_from(v).ok()),
        })
    }
}
