//! The embedded engine: one SQLCipher database file per group, keyed with the group's raw
//! 256-bit key, in WAL mode with `synchronous=FULL`, overwriting freed pages (`secure_delete`)
//! so destroyed key material does not linger in the file.
//!
//! By concern:
//! - [`schema`]: keying and configuring the file, the schema and its versioned migrations, the
//!   group's version counter;
//! - [`commit`]: group commit, the transactions of a group sharing one connection and its
//!   commits;
//! - [`tx`]: a transaction's reads and writes in SQL ([`crate::StoreTx`], [`crate::AccessTx`]);
//! - [`audit`]: the audit trail's compact rows;
//! - [`cache`]: the read cache that lets the hot operations read no database page;
//! - [`reader`]: the read-only second connection that answers a Locate on the async worker;
//! - [`checkpoint`]: copying the WAL into the file on a connection of its own, off the writer's
//!   commits.
//!
//! This module holds the store itself: opening and creating a group file, the operations on
//! the whole file (metadata outside a transaction, rekey) and the [`ObjectStore`]
//! implementation that ties a transaction to the group commit.

mod audit;
pub mod cache;
mod checkpoint;
mod commit;
mod reader;
pub mod schema;
mod tx;

use crate::{Derived, End, GroupState, ObjectStore, StoreError, StoreTx};
use cache::ReadCache;
use commit::{Batch, Shared, data_version};
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use std::path::Path;
use std::sync::Arc;
use tx::SqlTx;

pub use schema::SCHEMA_VERSION;

/// A group database opened with its key.
///
/// One connection serves every request of the group, and its transactions are grouped
/// ([`commit`]): a transaction returns Ok only once its writes are on disk (or, inside
/// [`crate::ticket::deferring`], with a ticket that settles then), and while requests
/// queue up, one `fsync` serves many of them. Reads the [`ReadCache`] answers take no
/// connection ([`tx`]), so an Encrypt with a cached key reads no database page. Its state is
/// shared ([`Shared`]) with the committers of queued audit rows, which run on other threads.
pub struct SqlCipherStore(Arc<Shared>);

impl std::ops::Deref for SqlCipherStore {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The connection and what is open on it.
struct State {
    conn: Connection,
    /// The open SQLite transaction, if any.
    batch: Option<Batch>,
    /// SQLite's `data_version` when last read: a commit by another connection changes it.
    data_version: i64,
}

impl std::fmt::Debug for SqlCipherStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SqlCipherStore")
    }
}

fn connect(path: &Path, key: &[u8; 32]) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    schema::apply_key(&conn, key)?;
    schema::configure(&conn)?;
    schema::migrate(&conn)?;
    Ok(conn)
}

/// A group metadata entry, if set.
fn read_meta(conn: &Connection, key: &str) -> Result<Option<String>, StoreError> {
    Ok(conn
        .query_row("SELECT value FROM meta WHERE key = ?1", params![key], |r| {
            r.get(0)
        })
        .optional()?)
}

impl SqlCipherStore {
    /// Creates a new group database at `path` (which must not exist) keyed with `key`. The
    /// file is made first, owner-only (0600), whatever the umask; SQLite gives its `-wal` and
    /// `-shm` the database file's mode.
    pub fn create(path: &Path, key: &[u8; 32], group_id: &str) -> Result<Self, StoreError> {
        use std::os::unix::fs::OpenOptionsExt;
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
        {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(StoreError::Conflict(path.display().to_string()));
            }
            Err(e) => return Err(StoreError::Io(e)),
        }
        let made = Self::initialise(path, key, group_id);
        if made.is_err() {
            // No half-made group stays behind (nor counts as one).
            for suffix in ["", "-wal", "-shm"] {
                let mut name = path.as_os_str().to_owned();
                name.push(suffix);
                let _ = std::fs::remove_file(name);
            }
        }
        made
    }

    /// Makes the empty file at `path` a keyed group database.
    fn initialise(path: &Path, key: &[u8; 32], group_id: &str) -> Result<Self, StoreError> {
        let conn = connect(path, key)?;
        conn.execute(
            "INSERT INTO meta(key, value) VALUES ('group_id', ?1)",
            params![group_id],
        )?;
        Self::with(conn, path, key)
    }

    /// Opens an existing group database, migrating it to [`SCHEMA_VERSION`]:
    /// [`StoreError::WrongKey`] if `key` does not open it, [`StoreError::NewerSchema`] if a
    /// newer release wrote it.
    pub fn open(path: &Path, key: &[u8; 32]) -> Result<Self, StoreError> {
        if !path.is_file() {
            return Err(StoreError::NotFound);
        }
        Self::with(connect(path, key)?, path, key)
    }

    fn with(conn: Connection, path: &Path, key: &[u8; 32]) -> Result<Self, StoreError> {
        let data_version = data_version(&conn)?;
        let committed = schema::read_state(&conn)?;
        let audit_count = crate::retention::AuditCount::new(audit::count(&conn)?);
        audit_count.set_policy(
            read_meta(&conn, crate::retention::MAX_ROWS_META_KEY)?.as_deref(),
            read_meta(&conn, crate::retention::MAX_AGE_META_KEY)?.as_deref(),
        );
        let state = State {
            conn,
            batch: None,
            data_version,
        };
        let reader = reader::Reader::new(path.to_path_buf(), key);
        Ok(Self(Arc::new_cyclic(|me: &std::sync::Weak<Shared>| {
            // The lane's runner commits what its jobs left open once none is left; a store
            // gone by then committed on close.
            let me = me.clone();
            let lane = crate::lane::Lane::new(move || {
                if let Some(store) = me.upgrade() {
                    store.commit_open();
                }
            });
            Shared::new(
                state,
                committed,
                ReadCache::new(cache::DEFAULT_CAPACITY_BYTES),
                audit_count,
                reader,
                Arc::new(lane),
                checkpoint::Checkpointer::new(path.to_path_buf(), key),
            )
        })))
    }

    /// The group id written at creation.
    pub fn group_id(&self) -> Result<String, StoreError> {
        let held = self.hold_idle();
        Ok(held
            .st
            .conn
            .query_row("SELECT value FROM meta WHERE key = 'group_id'", [], |r| {
                r.get(0)
            })?)
    }

    /// Sets a group metadata entry (for example `admin`, the user who registered the group),
    /// replacing any previous value, in a transaction of its own that takes the group's next
    /// version. Durable on return.
    pub fn set_meta(&self, key: &str, value: &str) -> Result<(), StoreError> {
        let held = self.hold_idle();
        self.cache().forget_meta();
        let conn = &held.st.conn;
        conn.execute_batch("BEGIN IMMEDIATE")?;
        let written = conn
            .execute(
                "INSERT INTO meta(key, value) VALUES (?1, ?2)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )
            .map_err(StoreError::from)
            .and_then(|_| schema::next_version(conn))
            .and_then(|s| Ok(conn.execute_batch("COMMIT").map(|()| s)?));
        match written {
            Ok(s) => {
                self.publish(s);
                Ok(())
            }
            Err(e) => {
                if !conn.is_autocommit() {
                    let _ = conn.execute_batch("ROLLBACK");
                }
                Err(e)
            }
        }
    }

    /// A group metadata entry, if set.
    pub fn get_meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        read_meta(&self.hold_idle().st.conn, key)
    }

    /// Re-encrypts the whole database under `new_key` (`PRAGMA rekey`) on this open
    /// connection; once it returns, the old key no longer opens the file.
    pub fn rekey(&self, new_key: &[u8; 32]) -> Result<(), StoreError> {
        let held = self.hold_idle();
        self.cache().clear();
        self.checkpointer.rekeying(new_key, || {
            self.reader
                .rekeying(new_key, || schema::rekey(&held.st.conn, new_key))
        })
    }

    /// Bytes held by the read cache (see [`cache`]).
    pub fn cached_bytes(&self) -> usize {
        self.cache().bytes()
    }
}

impl ObjectStore for SqlCipherStore {
    fn audit_count(&self) -> Option<&crate::retention::AuditCount> {
        Some(&self.audit_count)
    }

    fn prune_audit(&self, through: i64) -> Result<u64, StoreError> {
        self.prune_audit_steps(through)
    }

    fn lane(&self) -> Option<Arc<crate::lane::Lane>> {
        Some(self.0.lane.clone())
    }

    fn attach(&self, uid: &str, material: &[u8], derived: Arc<dyn std::any::Any + Send + Sync>) {
        self.cache().attach(uid, material, Derived(Some(derived)));
    }

    fn version(&self) -> Result<u64, StoreError> {
        schema::read_version(&self.hold_idle().st.conn)
    }

    fn state(&self) -> Result<GroupState, StoreError> {
        Ok(*self.committed.lock().unwrap_or_else(|e| e.into_inner()))
    }

    fn run_transaction(
        &self,
        body: &mut dyn FnMut(&mut dyn StoreTx) -> End,
    ) -> Result<Option<u64>, StoreError> {
        if !crate::ticket::on_worker() {
            self.reader.open_if_wanted();
        }
        let mut tx = SqlTx::new(self);
        let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| body(&mut tx)));
        let SqlTx {
            held,
            dirty,
            wrote,
            queued_audit,
            ..
        } = tx;
        let Some(mut held) = held else {
            // The transaction needed no connection: it wrote nothing but audit rows.
            return match ran {
                Err(panic) => std::panic::resume_unwind(panic),
                Ok(End::RollBack) => Ok(None),
                Ok(End::Commit) if queued_audit.is_empty() => Ok(None),
                Ok(End::Commit) => self.0.commit_audit(queued_audit).map(|()| None),
            };
        };
        if dirty && let Some(b) = held.st.batch.as_mut() {
            b.dirty = true;
        }
        match ran {
            Ok(end) => self.end(held, end == End::Commit, wrote, None),
            Err(panic) => {
                let _ = self.end(held, false, wrote, None);
                std::panic::resume_unwind(panic)
            }
        }
    }
}

#[cfg(test)]
mod tests;
