//! The embedded store: one SQLCipher database file per group.
//!
//! The file is keyed with the group's raw 256-bit key (`PRAGMA key = "x'…'"`, no KDF: the key
//! is already uniform), runs in WAL mode with `synchronous=FULL`, and overwrites freed pages
//! (`secure_delete`) so destroyed key material does not linger in the file.

use crate::cache::{self, ReadCache};
use crate::{
    AuditFilter, AuditRow, Derived, Grant, LocateQuery, ObjectStore, StoreError, StoreTx,
    StoredObject,
};
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use std::fmt::Write as _;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use zeroize::Zeroizing;

const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS objects (
    uid TEXT PRIMARY KEY,
    object_type INTEGER NOT NULL,
    state INTEGER NOT NULL,
    algorithm INTEGER,
    owner TEXT NOT NULL,
    attributes BLOB NOT NULL,
    material BLOB,
    created_at INTEGER NOT NULL,
    seq INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS objects_by_type ON objects(object_type, state);
-- The next seq and the newest-first orders read it, instead of every page of the table.
CREATE INDEX IF NOT EXISTS objects_by_seq ON objects(seq);
CREATE TABLE IF NOT EXISTS names (
    uid TEXT NOT NULL REFERENCES objects(uid) ON DELETE CASCADE,
    name TEXT NOT NULL,
    PRIMARY KEY (uid, name)
);
CREATE INDEX IF NOT EXISTS names_by_name ON names(name);
CREATE TABLE IF NOT EXISTS grants (
    uid TEXT NOT NULL,
    user TEXT NOT NULL,
    right TEXT NOT NULL,
    PRIMARY KEY (uid, user, right)
);
CREATE INDEX IF NOT EXISTS grants_by_user ON grants(user);
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    time INTEGER NOT NULL,
    user TEXT NOT NULL,
    operation TEXT NOT NULL,
    object TEXT,
    result TEXT NOT NULL
);
-- Every user of the group may create until the administrator revokes this grant.
INSERT OR IGNORE INTO meta(key, value) VALUES ('default_grants', 'pending');
INSERT INTO grants(uid, user, right)
    SELECT '*', '*', 'create' FROM meta WHERE key = 'default_grants' AND value = 'pending';
UPDATE meta SET value = 'done' WHERE key = 'default_grants';
";

/// The most operations one commit carries: bounds what a long queue adds to the latency of
/// the first operation of a batch.
const MAX_BATCH: usize = 256;

/// A group database opened with its key.
///
/// One connection serves every request of the group, and its transactions are grouped
/// (group commit): an operation runs in a savepoint of the open transaction; when it ends
/// and no other operation is waiting for the connection, the transaction commits, durably
/// (WAL, `synchronous=FULL`), and every operation of it returns. An operation therefore
/// returns Ok only once its writes are on disk, and while requests queue up, one `fsync`
/// serves many of them. An operation that fails rolls back to its savepoint and leaves the
/// others' work alone; a failed commit fails every operation of the batch.
///
/// An operation takes the connection only when it needs it: reads the [`ReadCache`] answers
/// do not, and the audit rows of an operation that needed nothing else are queued and written
/// by the next commit, which the operation waits for. So an Encrypt with a cached key reads
/// no database page, and its only database work is its share of a group commit.
pub struct SqlCipherStore {
    state: Mutex<State>,
    /// Threads about to take `state`: while any is, a finished operation leaves the
    /// transaction open for it to join.
    queued: AtomicUsize,
    cache: Mutex<ReadCache>,
    audit_queue: Mutex<AuditQueue>,
}

struct State {
    conn: Connection,
    /// The open transaction, if any.
    batch: Option<Batch>,
    /// SQLite's `data_version` when last read: a commit by another connection changes it.
    data_version: i64,
}

struct Batch {
    /// Operations that ended Ok in this transaction and wait for its commit.
    ops: usize,
    /// Whether the transaction wrote objects, grants or metadata: then reads do not fill
    /// the cache, which must only hold committed state.
    dirty: bool,
    outcome: Arc<Outcome>,
    /// Queued audit rows written in this transaction, whose writers wait on these.
    also: Vec<Arc<Outcome>>,
}

impl Batch {
    /// Hands `result` to every operation waiting on the batch.
    fn settle(&self, result: &Result<(), String>) {
        self.outcome.set(result.clone());
        for o in &self.also {
            o.set(result.clone());
        }
    }
}

/// Audit rows of operations that did not take the connection, waiting for a commit.
#[derive(Default)]
struct AuditQueue {
    rows: Vec<AuditRow>,
    outcome: Arc<Outcome>,
    /// Whether a thread has undertaken to write the queued rows.
    claimed: bool,
}

/// How a batch ended, for the operations waiting on it.
#[derive(Default)]
struct Outcome {
    result: Mutex<Option<Result<(), String>>>,
    done: Condvar,
}

impl Outcome {
    fn set(&self, result: Result<(), String>) {
        *self.result.lock().unwrap_or_else(|e| e.into_inner()) = Some(result);
        self.done.notify_all();
    }

    fn wait(&self) -> Result<(), StoreError> {
        let mut guard = self.result.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(r) = guard.as_ref() {
                return r.clone().map_err(StoreError::Commit);
            }
            guard = self.done.wait(guard).unwrap_or_else(|e| e.into_inner());
        }
    }
}

impl std::fmt::Debug for SqlCipherStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SqlCipherStore")
    }
}

fn apply_key(conn: &Connection, key: &[u8; 32]) -> Result<(), StoreError> {
    let mut stmt = Zeroizing::new(String::with_capacity(96));
    stmt.push_str("PRAGMA key = \"x'");
    for b in key {
        // Writing into a String cannot fail.
        let _ = write!(stmt, "{b:02X}");
    }
    stmt.push_str("'\";");
    conn.execute_batch(&stmt)?;
    Ok(())
}

fn configure(conn: &Connection) -> Result<(), StoreError> {
    // The first read decrypts page 1: a wrong key fails here ("file is not a database").
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    })
    .map_err(|_| StoreError::WrongKey)?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA secure_delete = ON;
         PRAGMA foreign_keys = ON;",
    )?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    Ok(())
}

fn data_version(conn: &Connection) -> Result<i64, StoreError> {
    Ok(conn
        .prepare_cached("PRAGMA data_version")?
        .query_row([], |r| r.get(0))?)
}

fn run(conn: &Connection, sql: &str) -> Result<(), StoreError> {
    conn.prepare_cached(sql)?.execute([])?;
    Ok(())
}

fn insert_audit(conn: &Connection, row: &AuditRow) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO audit(time, user, operation, object, result) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        row.time,
        row.user,
        row.operation,
        row.object,
        row.result
    ])?;
    Ok(())
}

/// The connection, held. Whoever holds it must, before letting go, commit the open batch
/// unless another thread is queued to join it; the drop does so on every path.
struct Held<'s> {
    store: &'s SqlCipherStore,
    st: MutexGuard<'s, State>,
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        if self.st.batch.is_some() && self.store.queued.load(Ordering::SeqCst) == 0 {
            let _ = self.store.finish(&mut self.st);
        }
    }
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
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        apply_key(&conn, key)?;
        configure(&conn)?;
        conn.execute_batch(SCHEMA)?;
        conn.execute(
            "INSERT INTO meta(key, value) VALUES ('schema_version', ?1), ('group_id', ?2)",
            params![SCHEMA_VERSION.to_string(), group_id],
        )?;
        Self::with(conn)
    }

    /// Opens an existing group database; [`StoreError::WrongKey`] if `key` does not open it.
    pub fn open(path: &Path, key: &[u8; 32]) -> Result<Self, StoreError> {
        if !path.is_file() {
            return Err(StoreError::NotFound);
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        apply_key(&conn, key)?;
        configure(&conn)?;
        conn.execute_batch(SCHEMA)?;
        Self::with(conn)
    }

    fn with(conn: Connection) -> Result<Self, StoreError> {
        let data_version = data_version(&conn)?;
        Ok(Self {
            state: Mutex::new(State {
                conn,
                batch: None,
                data_version,
            }),
            queued: AtomicUsize::new(0),
            cache: Mutex::new(ReadCache::new(cache::DEFAULT_CAPACITY_BYTES)),
            audit_queue: Mutex::default(),
        })
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
    /// replacing any previous value. Durable on return.
    pub fn set_meta(&self, key: &str, value: &str) -> Result<(), StoreError> {
        let held = self.hold_idle();
        self.cache().forget_meta();
        held.st.conn.execute(
            "INSERT INTO meta(key, value) VALUES (?1, ?2)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    /// A group metadata entry, if set.
    pub fn get_meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        let held = self.hold_idle();
        Ok(held
            .st
            .conn
            .query_row("SELECT value FROM meta WHERE key = ?1", params![key], |r| {
                r.get(0)
            })
            .optional()?)
    }

    /// Re-encrypts the whole database under `new_key` (`PRAGMA rekey`) on this open
    /// connection; once it returns, the old key no longer opens the file.
    pub fn rekey(&self, new_key: &[u8; 32]) -> Result<(), StoreError> {
        let held = self.hold_idle();
        self.cache().clear();
        let mut stmt = Zeroizing::new(String::with_capacity(96));
        stmt.push_str("PRAGMA rekey = \"x'");
        for b in new_key {
            // Writing into a String cannot fail.
            let _ = write!(stmt, "{b:02X}");
        }
        stmt.push_str("'\";");
        // Fold the WAL into the main file first, so no page stays under the old key.
        let conn = &held.st.conn;
        conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
        conn.execute_batch(&stmt)?;
        conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
        Ok(())
    }

    /// Bytes held by the read cache (see [`crate::cache`]).
    pub fn cached_bytes(&self) -> usize {
        self.cache().bytes()
    }

    fn cache(&self) -> MutexGuard<'_, ReadCache> {
        self.cache.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes the connection as the next in line.
    fn hold(&self) -> Held<'_> {
        self.queued.fetch_add(1, Ordering::SeqCst);
        // A panic while holding the lock cannot leave SQLite inconsistent (operations run in
        // savepoints, rolled back on failure), so a poisoned lock is still usable.
        let st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        self.queued.fetch_sub(1, Ordering::SeqCst);
        Held { store: self, st }
    }

    /// Takes the connection without standing in line for an open batch.
    fn hold_unqueued(&self) -> Held<'_> {
        let st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        Held { store: self, st }
    }

    /// Takes the connection with no transaction open (committing the open batch first).
    fn hold_idle(&self) -> Held<'_> {
        let mut held = self.hold();
        if held.st.batch.is_some() {
            // Its operations get the outcome through the batch; the caller's own work does
            // not depend on it.
            let _ = self.finish(&mut held.st);
        }
        held
    }

    /// Opens a batch if none is open.
    fn begin(&self, st: &mut State) -> Result<(), StoreError> {
        if st.batch.is_some() {
            return Ok(());
        }
        run(&st.conn, "BEGIN IMMEDIATE")?;
        let version = match data_version(&st.conn) {
            Ok(v) => v,
            Err(e) => {
                let _ = st.conn.execute_batch("ROLLBACK");
                return Err(e);
            }
        };
        if version != st.data_version {
            self.cache().clear();
            st.data_version = version;
        }
        st.batch = Some(Batch {
            ops: 0,
            dirty: false,
            outcome: Arc::default(),
            also: Vec::new(),
        });
        Ok(())
    }

    /// Opens the savepoint of one operation (or of one lot of queued audit rows) in the open
    /// batch, opening a batch if none is.
    fn enter(&self, st: &mut State) -> Result<(), StoreError> {
        self.begin(st)?;
        run(&st.conn, "SAVEPOINT ekms_op")
    }

    /// Ends the open batch: commits it if any operation of it succeeded (rolls it back
    /// otherwise) and hands the outcome to the operations waiting on it.
    fn finish(&self, st: &mut State) -> Result<(), String> {
        let Some(batch) = st.batch.take() else {
            return Ok(());
        };
        let sql = if batch.ops == 0 { "ROLLBACK" } else { "COMMIT" };
        let result = run(&st.conn, sql).map_err(|e| e.to_string());
        if result.is_err() {
            if !st.conn.is_autocommit() {
                let _ = st.conn.execute_batch("ROLLBACK");
            }
            self.cache().clear();
        }
        batch.settle(&result);
        result
    }

    /// Fails the open batch whose transaction the database ended on its own (a disk error
    /// rolls a transaction back): its operations' writes are lost and they must say so.
    fn abandon(&self, st: &mut State, why: &str) {
        if let Some(batch) = st.batch.take() {
            batch.settle(&Err(why.to_string()));
        }
        self.cache().clear();
    }

    /// Ends the savepoint of an operation that held the connection (kept if `res` is Ok,
    /// rolled back otherwise), then commits the batch or leaves it to the next in line, and
    /// returns once the operation's writes are durable. `rows_outcome` is the outcome of queued
    /// audit rows written in the savepoint, settled with the batch.
    fn end(
        &self,
        mut held: Held<'_>,
        res: Result<(), StoreError>,
        rows_outcome: Option<Arc<Outcome>>,
    ) -> Result<(), StoreError> {
        let st = &mut *held.st;
        let mut wait_on = None;
        let audit_only = rows_outcome.is_some();
        let lost = "the database rolled the transaction back";
        if st.conn.is_autocommit() {
            // The database rolled the whole transaction back (I/O error, disk full).
            self.abandon(st, lost);
            if let Some(a) = &rows_outcome {
                a.set(Err(lost.into()));
            }
            res?;
            return Err(StoreError::Commit(lost.into()));
        }
        if res.is_ok() && run(&st.conn, "RELEASE ekms_op").is_ok() {
            if let Some(b) = st.batch.as_mut() {
                b.ops += 1;
                wait_on = Some(match rows_outcome {
                    Some(a) => {
                        b.also.push(a.clone());
                        a
                    }
                    None => b.outcome.clone(),
                });
            }
        } else {
            if run(&st.conn, "ROLLBACK TO ekms_op")
                .and_then(|()| run(&st.conn, "RELEASE ekms_op"))
                .is_err()
            {
                let _ = st.conn.execute_batch("ROLLBACK");
                self.abandon(st, "the operation could not be rolled back");
            }
            if let Some(a) = &rows_outcome {
                a.set(Err("the queued audit rows could not be written".into()));
            }
            res?;
            return Err(StoreError::Commit("the savepoint could not be kept".into()));
        }
        let full = st.batch.as_ref().is_some_and(|b| b.ops >= MAX_BATCH);
        // Queued audit rows commit at once: their writers hold nothing else, and keeping the
        // batch open for the next one in line costs a thread wake-up per hand-over.
        let now = audit_only || full || self.queued.load(Ordering::SeqCst) == 0;
        let committed = if st.batch.is_some() && now {
            Some(self.finish(st))
        } else {
            None
        };
        drop(held);
        match (committed, wait_on) {
            (Some(r), _) => r.map_err(StoreError::Commit),
            (None, Some(o)) => o.wait(),
            (None, None) => Err(StoreError::Commit("the transaction was lost".into())),
        }
    }

    /// Makes the audit rows of an operation that took no connection durable: queued for the
    /// next commit, written by the first of the waiting operations to take the connection.
    fn commit_audit(&self, rows: Vec<AuditRow>) -> Result<(), StoreError> {
        let (outcome, lead) = {
            let mut q = self.audit_queue.lock().unwrap_or_else(|e| e.into_inner());
            q.rows.extend(rows);
            let lead = !q.claimed;
            q.claimed = true;
            (q.outcome.clone(), lead)
        };
        if !lead {
            return outcome.wait();
        }
        // Not counted in `queued`: an operation's batch does not stay open for a writer of
        // queued rows, who would only add them to it.
        let mut held = self.hold_unqueued();
        let (rows, outcome) = {
            let mut q = self.audit_queue.lock().unwrap_or_else(|e| e.into_inner());
            q.claimed = false;
            (std::mem::take(&mut q.rows), std::mem::take(&mut q.outcome))
        };
        if let Err(e) = self.enter(&mut held.st) {
            outcome.set(Err(e.to_string()));
            return Err(e);
        }
        let res = rows.iter().try_for_each(|r| insert_audit(&held.st.conn, r));
        self.end(held, res, Some(outcome))
    }
}

impl ObjectStore for SqlCipherStore {
    fn attach(&self, uid: &str, material: &[u8], derived: Arc<dyn std::any::Any + Send + Sync>) {
        self.cache().attach(uid, material, Derived(Some(derived)));
    }

    fn transact(
        &self,
        f: &mut dyn FnMut(&mut dyn StoreTx) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let mut tx = SqlTx {
            store: self,
            held: None,
            dirty: false,
            queued_audit: Vec::new(),
        };
        let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&mut tx)));
        let SqlTx {
            held,
            dirty,
            queued_audit,
            ..
        } = tx;
        let Some(mut held) = held else {
            // The operation needed no connection.
            return match ran {
                Err(panic) => std::panic::resume_unwind(panic),
                Ok(Err(e)) => Err(e),
                Ok(Ok(())) if queued_audit.is_empty() => Ok(()),
                Ok(Ok(())) => self.commit_audit(queued_audit),
            };
        };
        if dirty && let Some(b) = held.st.batch.as_mut() {
            b.dirty = true;
        }
        match ran {
            Ok(res) => self.end(held, res, None),
            Err(panic) => {
                let _ = self.end(held, Err(StoreError::Aborted("panic".into())), None);
                std::panic::resume_unwind(panic)
            }
        }
    }
}

/// One operation's view of the store: the connection is taken, and a savepoint opened, at
/// its first need (see [`SqlCipherStore`]).
struct SqlTx<'s> {
    store: &'s SqlCipherStore,
    held: Option<Held<'s>>,
    /// Whether the open transaction wrote objects, grants or metadata.
    dirty: bool,
    /// Audit rows written before the connection was taken.
    queued_audit: Vec<AuditRow>,
}

impl SqlTx<'_> {
    /// The connection, taken and inside this operation's savepoint, and the dirty flag.
    fn conn(&mut self) -> Result<(&Connection, &mut bool), StoreError> {
        if self.held.is_none() {
            let mut held = self.store.hold();
            self.store.enter(&mut held.st)?;
            self.dirty = held.st.batch.as_ref().is_some_and(|b| b.dirty);
            let queued = std::mem::take(&mut self.queued_audit);
            // From here on, the savepoint is the operation's: a failure rolls it back.
            self.held = Some(held);
            if let Some(h) = &self.held {
                for row in &queued {
                    insert_audit(&h.st.conn, row)?;
                }
            }
        }
        match &self.held {
            Some(h) => Ok((&h.st.conn, &mut self.dirty)),
            None => Err(StoreError::Commit("no connection".into())),
        }
    }

    /// Before any write of an object: its cached copy goes, and reads stop filling the cache
    /// until the transaction ends.
    fn wrote_object(&mut self, uid: &str) -> Result<&Connection, StoreError> {
        let store = self.store;
        let (conn, dirty) = self.conn()?;
        *dirty = true;
        store.cache().forget_object(uid);
        Ok(conn)
    }

    /// Before any write of a grant.
    fn wrote_grants(&mut self) -> Result<&Connection, StoreError> {
        let store = self.store;
        let (conn, dirty) = self.conn()?;
        *dirty = true;
        store.cache().forget_grants();
        Ok(conn)
    }
}

fn write_names(conn: &Connection, obj: &StoredObject) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM names WHERE uid = ?1")?
        .execute(params![obj.uid])?;
    let mut stmt = conn.prepare_cached("INSERT OR IGNORE INTO names(uid, name) VALUES (?1, ?2)")?;
    for n in &obj.names {
        stmt.execute(params![obj.uid, n])?;
    }
    Ok(())
}

impl StoreTx for SqlTx<'_> {
    fn insert(&mut self, obj: &StoredObject) -> Result<(), StoreError> {
        let conn = self.wrote_object(&obj.uid)?;
        let material: Option<&[u8]> = obj.material.as_ref().map(|m| m.as_slice());
        let res = conn.prepare_cached(
            "INSERT INTO objects(uid, object_type, state, algorithm, owner, attributes, material, created_at, seq)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, (SELECT COALESCE(MAX(seq), 0) + 1 FROM objects))",
        )?.execute(
            params![
                obj.uid,
                obj.object_type,
                obj.state,
                obj.algorithm,
                obj.owner,
                obj.attributes,
                material,
                obj.created_at
            ],
        );
        match res {
            Ok(_) => {}
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::ConstraintViolation =>
            {
                return Err(StoreError::Conflict(obj.uid.clone()));
            }
            Err(e) => return Err(e.into()),
        }
        write_names(conn, obj)
    }

    fn get(&mut self, uid: &str) -> Result<Option<StoredObject>, StoreError> {
        let store = self.store;
        if let Some(obj) = store.cache().object(uid) {
            return Ok(Some(obj));
        }
        let (conn, dirty) = self.conn()?;
        let mut stmt = conn.prepare_cached(
            "SELECT uid, object_type, state, algorithm, owner, attributes, material, created_at
             FROM objects WHERE uid = ?1",
        )?;
        let obj = stmt
            .query_row(params![uid], |r| {
                Ok(StoredObject {
                    uid: r.get(0)?,
                    object_type: r.get(1)?,
                    state: r.get(2)?,
                    algorithm: r.get(3)?,
                    owner: r.get(4)?,
                    names: Vec::new(),
                    attributes: r.get(5)?,
                    material: r.get::<_, Option<Vec<u8>>>(6)?.map(Zeroizing::new),
                    created_at: r.get(7)?,
                    derived: Derived::default(),
                })
            })
            .optional()?;
        let Some(mut obj) = obj else {
            return Ok(None);
        };
        let mut names =
            conn.prepare_cached("SELECT name FROM names WHERE uid = ?1 ORDER BY rowid")?;
        obj.names = names
            .query_map(params![uid], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        if !*dirty {
            store.cache().put_object(&obj);
        }
        Ok(Some(obj))
    }

    fn update(&mut self, obj: &StoredObject) -> Result<(), StoreError> {
        let conn = self.wrote_object(&obj.uid)?;
        let material: Option<&[u8]> = obj.material.as_ref().map(|m| m.as_slice());
        let n = conn
            .prepare_cached(
                "UPDATE objects SET object_type = ?2, state = ?3, algorithm = ?4, owner = ?5,
                 attributes = ?6, material = ?7 WHERE uid = ?1",
            )?
            .execute(params![
                obj.uid,
                obj.object_type,
                obj.state,
                obj.algorithm,
                obj.owner,
                obj.attributes,
                material
            ])?;
        if n == 0 {
            return Err(StoreError::MissingObject(obj.uid.clone()));
        }
        write_names(conn, obj)
    }

    fn locate(&mut self, q: &LocateQuery) -> Result<Vec<String>, StoreError> {
        let mut sql = String::from("SELECT o.uid FROM objects o WHERE 1 = 1");
        let mut args: Vec<rusqlite::types::Value> = Vec::new();
        let mut add = |clause: &str, v: rusqlite::types::Value| {
            args.push(v);
            let _ = write!(sql, " AND {clause} ?{}", args.len());
        };
        if let Some(t) = q.object_type {
            add("o.object_type =", i64::from(t).into());
        }
        if let Some(s) = q.state {
            add("o.state =", i64::from(s).into());
        }
        if let Some(a) = q.algorithm {
            add("o.algorithm =", i64::from(a).into());
        }
        if let Some(owner) = &q.owner {
            add("o.owner =", owner.clone().into());
        }
        if let Some(name) = &q.name {
            add(
                "o.uid IN (SELECT uid FROM names WHERE name =",
                name.clone().into(),
            );
            sql.push(')');
        }
        if let Some(user) = &q.visible_to {
            args.push(user.clone().into());
            let n = args.len();
            let _ = write!(
                sql,
                " AND (o.owner = ?{n} OR o.uid IN (SELECT uid FROM grants WHERE user IN (?{n}, '*')))"
            );
        }
        sql.push_str(" ORDER BY o.seq DESC");
        let limit = q
            .max
            .map_or(-1i64, |m| i64::try_from(m).unwrap_or(i64::MAX));
        let offset = i64::try_from(q.offset).unwrap_or(i64::MAX);
        let _ = write!(sql, " LIMIT {limit} OFFSET {offset}");
        let (conn, _) = self.conn()?;
        let mut stmt = conn.prepare(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(args.iter()), |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

fn grant_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Grant> {
    Ok(Grant {
        uid: r.get(0)?,
        user: r.get(1)?,
        right: r.get(2)?,
    })
}

fn grants_where(conn: &Connection, clause: &str, arg: &str) -> Result<Vec<Grant>, StoreError> {
    let sql =
        format!("SELECT uid, user, right FROM grants WHERE {clause} ORDER BY uid, user, right");
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params![arg], grant_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

impl crate::AccessTx for SqlTx<'_> {
    fn meta(&mut self, key: &str) -> Result<Option<String>, StoreError> {
        let store = self.store;
        if let Some(v) = store.cache().meta(key) {
            return Ok(v);
        }
        let (conn, dirty) = self.conn()?;
        let v: Option<String> = conn
            .prepare_cached("SELECT value FROM meta WHERE key = ?1")?
            .query_row(params![key], |r| r.get(0))
            .optional()?;
        if !*dirty {
            store.cache().put_meta(key, v.clone());
        }
        Ok(v)
    }

    fn grant(&mut self, g: &Grant) -> Result<(), StoreError> {
        self.wrote_grants()?.execute(
            "INSERT OR IGNORE INTO grants(uid, user, right) VALUES (?1, ?2, ?3)",
            params![g.uid, g.user, g.right],
        )?;
        Ok(())
    }

    fn revoke(&mut self, g: &Grant) -> Result<bool, StoreError> {
        let n = self.wrote_grants()?.execute(
            "DELETE FROM grants WHERE uid = ?1 AND user = ?2 AND right = ?3",
            params![g.uid, g.user, g.right],
        )?;
        Ok(n > 0)
    }

    fn grants_on(&mut self, uid: &str) -> Result<Vec<Grant>, StoreError> {
        let store = self.store;
        if let Some(g) = store.cache().grants_on(uid) {
            return Ok(g);
        }
        let (conn, dirty) = self.conn()?;
        let g = grants_where(conn, "uid = ?1", uid)?;
        if !*dirty {
            store.cache().put_grants(uid, &g);
        }
        Ok(g)
    }

    fn grants_to(&mut self, user: &str) -> Result<Vec<Grant>, StoreError> {
        grants_where(self.conn()?.0, "user IN (?1, '*')", user)
    }

    fn owned_by(&mut self, user: &str) -> Result<Vec<String>, StoreError> {
        let (conn, _) = self.conn()?;
        let mut stmt =
            conn.prepare_cached("SELECT uid FROM objects WHERE owner = ?1 ORDER BY seq DESC")?;
        let rows = stmt.query_map(params![user], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn audit(&mut self, row: &AuditRow) -> Result<(), StoreError> {
        // The audit trail is not cached, and writing it changes nothing the cache holds.
        if self.held.is_none() {
            self.queued_audit.push(row.clone());
            return Ok(());
        }
        insert_audit(self.conn()?.0, row)
    }

    fn audit_list(&mut self, f: &AuditFilter) -> Result<Vec<AuditRow>, StoreError> {
        let mut sql =
            String::from("SELECT time, user, operation, object, result FROM audit WHERE 1 = 1");
        let mut args: Vec<rusqlite::types::Value> = Vec::new();
        let mut add = |clause: &str, v: rusqlite::types::Value| {
            args.push(v);
            let _ = write!(sql, " AND {clause} ?{}", args.len());
        };
        if let Some(u) = &f.user {
            add("user =", u.clone().into());
        }
        if let Some(o) = &f.operation {
            add("operation =", o.clone().into());
        }
        if let Some(o) = &f.object {
            add("object =", o.clone().into());
        }
        if let Some(t) = f.since {
            add("time >=", t.into());
        }
        let limit = f
            .limit
            .map_or(-1i64, |m| i64::try_from(m).unwrap_or(i64::MAX));
        let _ = write!(sql, " ORDER BY seq DESC LIMIT {limit}");
        let (conn, _) = self.conn()?;
        let mut stmt = conn.prepare(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(args.iter()), |r| {
            Ok(AuditRow {
                time: r.get(0)?,
                user: r.get(1)?,
                operation: r.get(2)?,
                object: r.get(3)?,
                result: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(uid: &str, name: &str) -> StoredObject {
        StoredObject {
            uid: uid.into(),
            object_type: 2,
            state: 1,
            algorithm: Some(3),
            owner: "alice".into(),
            names: vec![name.into()],
            attributes: b"{}".to_vec(),
            material: Some(Zeroizing::new(vec![0xAB; 32])),
            created_at: 1,
            derived: Derived::default(),
        }
    }

    fn insert(store: &SqlCipherStore, o: &StoredObject) -> Result<(), StoreError> {
        store.transact(&mut |tx| tx.insert(o))
    }

    #[test]
    fn grants_visibility_and_audit() {
        let dir = tempfile::tempdir().unwrap();
        let s = SqlCipherStore::create(&dir.path().join("g.db"), &[3u8; 32], "g").unwrap();
        insert(&s, &obj("k1", "a")).unwrap();
        insert(&s, &obj("k2", "b")).unwrap();
        let g = |uid: &str, user: &str, right: &str| Grant {
            uid: uid.into(),
            user: user.into(),
            right: right.into(),
        };
        s.transact(&mut |tx| {
            // The default group grant.
            assert_eq!(tx.grants_on("*")?, vec![g("*", "*", "create")]);
            tx.grant(&g("k1", "bob", "decrypt"))?;
            tx.grant(&g("k1", "bob", "decrypt"))?;
            tx.grant(&g("k2", "*", "get"))?;
            let vis = |tx: &mut dyn StoreTx, u: &str| {
                tx.locate(&LocateQuery {
                    visible_to: Some(u.into()),
                    ..Default::default()
                })
            };
            assert_eq!(vis(tx, "bob")?, vec!["k2".to_string(), "k1".to_string()]);
            assert_eq!(vis(tx, "carol")?, vec!["k2".to_string()]);
            assert_eq!(vis(tx, "alice")?.len(), 2);
            assert_eq!(tx.grants_to("bob")?.len(), 3);
            assert!(tx.revoke(&g("k1", "bob", "decrypt"))?);
            assert!(!tx.revoke(&g("k1", "bob", "decrypt"))?);
            assert_eq!(vis(tx, "bob")?, vec!["k2".to_string()]);
            assert_eq!(
                tx.owned_by("alice")?,
                vec!["k2".to_string(), "k1".to_string()]
            );
            for (i, u) in ["alice", "bob", "alice"].iter().enumerate() {
                tx.audit(&AuditRow {
                    time: i64::try_from(i).unwrap_or(0) + 10,
                    user: (*u).into(),
                    operation: "Get".into(),
                    object: Some("k1".into()),
                    result: "ok".into(),
                })?;
            }
            let rows = tx.audit_list(&AuditFilter {
                user: Some("alice".into()),
                ..Default::default()
            })?;
            assert_eq!(
                rows.iter().map(|r| r.time).collect::<Vec<_>>(),
                vec![12, 10]
            );
            let rows = tx.audit_list(&AuditFilter {
                since: Some(11),
                limit: Some(1),
                ..Default::default()
            })?;
            assert_eq!(rows.len(), 1);
            assert_eq!(rows[0].time, 12);
            Ok(())
        })
        .unwrap();
    }

    #[test]
    fn meta_set_get_replace_and_persist() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("g.db");
        let key = [7u8; 32];
        {
            let s = SqlCipherStore::create(&path, &key, "g1").unwrap();
            assert_eq!(s.get_meta(crate::ADMIN_META_KEY).unwrap(), None);
            s.set_meta(crate::ADMIN_META_KEY, "alice").unwrap();
            assert_eq!(
                s.get_meta(crate::ADMIN_META_KEY).unwrap().as_deref(),
                Some("alice")
            );
            s.set_meta(crate::ADMIN_META_KEY, "bob").unwrap();
            assert_eq!(
                s.get_meta(crate::ADMIN_META_KEY).unwrap().as_deref(),
                Some("bob")
            );
            assert_eq!(s.get_meta("group_id").unwrap().as_deref(), Some("g1"));
        }
        let s = SqlCipherStore::open(&path, &key).unwrap();
        assert_eq!(
            s.get_meta(crate::ADMIN_META_KEY).unwrap().as_deref(),
            Some("bob")
        );
    }

    #[test]
    fn create_open_and_wrong_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("g.db");
        let key = [7u8; 32];
        let s = SqlCipherStore::create(&path, &key, "gid").unwrap();
        insert(&s, &obj("u1", "k1")).unwrap();
        drop(s);
        let header = std::fs::read(&path).unwrap();
        assert!(!header.starts_with(b"SQLite format 3"));
        assert!(matches!(
            SqlCipherStore::open(&path, &[8u8; 32]),
            Err(StoreError::WrongKey)
        ));
        let s = SqlCipherStore::open(&path, &key).unwrap();
        assert_eq!(s.group_id().unwrap(), "gid");
        let mut got = None;
        s.transact(&mut |tx| {
            got = tx.get("u1")?;
            Ok(())
        })
        .unwrap();
        assert_eq!(got, Some(obj("u1", "k1")));
        assert!(matches!(
            SqlCipherStore::open(&dir.path().join("none.db"), &key),
            Err(StoreError::NotFound)
        ));
    }

    #[test]
    fn locate_filters_and_orders_newest_first() {
        let dir = tempfile::tempdir().unwrap();
        let s = SqlCipherStore::create(&dir.path().join("g.db"), &[1u8; 32], "g").unwrap();
        insert(&s, &obj("a", "x")).unwrap();
        insert(&s, &obj("b", "y")).unwrap();
        let mut c = obj("c", "x");
        c.state = 2;
        insert(&s, &c).unwrap();
        assert!(matches!(
            insert(&s, &obj("a", "z")),
            Err(StoreError::Conflict(_))
        ));
        let mut found = vec![];
        s.transact(&mut |tx| {
            found.push(tx.locate(&LocateQuery::default())?);
            found.push(tx.locate(&LocateQuery {
                name: Some("x".into()),
                ..Default::default()
            })?);
            found.push(tx.locate(&LocateQuery {
                name: Some("x".into()),
                state: Some(1),
                ..Default::default()
            })?);
            found.push(tx.locate(&LocateQuery {
                offset: 1,
                max: Some(1),
                ..Default::default()
            })?);
            Ok(())
        })
        .unwrap();
        assert_eq!(found[0], vec!["c", "b", "a"]);
        assert_eq!(found[1], vec!["c", "a"]);
        assert_eq!(found[2], vec!["a"]);
        assert_eq!(found[3], vec!["b"]);
    }

    #[test]
    fn failed_transaction_rolls_back() {
        let dir = tempfile::tempdir().unwrap();
        let s = SqlCipherStore::create(&dir.path().join("g.db"), &[1u8; 32], "g").unwrap();
        let res = s.transact(&mut |tx| {
            tx.insert(&obj("a", "x"))?;
            Err(StoreError::Aborted("no".into()))
        });
        assert!(res.is_err());
        let mut got = Some(obj("z", "z"));
        s.transact(&mut |tx| {
            got = tx.get("a")?;
            Ok(())
        })
        .unwrap();
        assert_eq!(got, None);
    }

    fn read(s: &SqlCipherStore, uid: &str) -> Option<StoredObject> {
        let mut got = None;
        s.transact(&mut |tx| {
            got = tx.get(uid)?;
            Ok(())
        })
        .unwrap();
        got
    }

    #[test]
    fn concurrent_operations_share_commits_and_fail_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("g.db");
        let s = SqlCipherStore::create(&path, &[4u8; 32], "g").unwrap();
        let threads = 8;
        let per_thread = 40;
        std::thread::scope(|scope| {
            for t in 0..threads {
                let s = &s;
                scope.spawn(move || {
                    for i in 0..per_thread {
                        let uid = format!("t{t}-{i}");
                        let fail = i % 5 == 4;
                        let res = s.transact(&mut |tx| {
                            tx.insert(&obj(&uid, "n"))?;
                            if fail {
                                return Err(StoreError::Aborted("refused".into()));
                            }
                            Ok(())
                        });
                        assert_eq!(res.is_ok(), !fail, "{uid}: {res:?}");
                    }
                });
            }
        });
        drop(s);
        // What reopening finds is what was answered Ok: every success, no failure.
        let s = SqlCipherStore::open(&path, &[4u8; 32]).unwrap();
        let mut all = Vec::new();
        s.transact(&mut |tx| {
            all = tx.locate(&LocateQuery::default())?;
            Ok(())
        })
        .unwrap();
        assert_eq!(all.len(), threads * per_thread * 4 / 5);
        assert!(all.iter().all(|u| !u.ends_with('4') && !u.ends_with('9')));
    }

    #[test]
    fn cached_objects_and_grants_follow_every_write() {
        let dir = tempfile::tempdir().unwrap();
        let s = SqlCipherStore::create(&dir.path().join("g.db"), &[5u8; 32], "g").unwrap();
        insert(&s, &obj("k", "n")).unwrap();
        assert_eq!(read(&s, "k").unwrap().state, 1);
        assert!(s.cached_bytes() > 0, "a committed read fills the cache");
        // An update (revoke, destroy, attribute change) replaces what the cache serves.
        let mut revoked = obj("k", "n");
        revoked.state = 3;
        revoked.material = None;
        s.transact(&mut |tx| tx.update(&revoked)).unwrap();
        assert_eq!(read(&s, "k"), Some(revoked.clone()));
        // A write that rolls back leaves the committed state visible, and the reads made
        // after it in its own transaction see it without filling the cache.
        let res = s.transact(&mut |tx| {
            tx.update(&obj("k", "m"))?;
            assert_eq!(tx.get("k")?.unwrap().names, vec!["m".to_string()]);
            Err(StoreError::Aborted("no".into()))
        });
        assert!(res.is_err());
        assert_eq!(read(&s, "k"), Some(revoked));
        // Grants: a cached decision does not outlive a grant or its revocation.
        let g = Grant {
            uid: "k".into(),
            user: "bob".into(),
            right: "decrypt".into(),
        };
        let grants = |s: &SqlCipherStore| {
            let mut out = Vec::new();
            s.transact(&mut |tx| {
                out = tx.grants_on("k")?;
                Ok(())
            })
            .unwrap();
            out
        };
        assert!(grants(&s).is_empty());
        s.transact(&mut |tx| tx.grant(&g)).unwrap();
        assert_eq!(grants(&s), vec![g.clone()]);
        s.transact(&mut |tx| tx.revoke(&g).map(|_| ())).unwrap();
        assert!(grants(&s).is_empty());
        // Metadata set outside a transaction.
        s.transact(&mut |tx| tx.meta(crate::ADMIN_META_KEY).map(|_| ()))
            .unwrap();
        s.set_meta(crate::ADMIN_META_KEY, "carol").unwrap();
        let mut admin = None;
        s.transact(&mut |tx| {
            admin = tx.meta(crate::ADMIN_META_KEY)?;
            Ok(())
        })
        .unwrap();
        assert_eq!(admin.as_deref(), Some("carol"));
    }

    #[test]
    fn a_change_by_another_connection_drops_the_cache() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("g.db");
        let a = SqlCipherStore::create(&path, &[6u8; 32], "g").unwrap();
        insert(&a, &obj("k", "n")).unwrap();
        assert_eq!(read(&a, "k").unwrap().state, 1);
        let b = SqlCipherStore::open(&path, &[6u8; 32]).unwrap();
        let mut destroyed = obj("k", "n");
        destroyed.state = 6;
        destroyed.material = None;
        b.transact(&mut |tx| tx.update(&destroyed)).unwrap();
        // The next transaction of `a` that takes the connection notices the other commit.
        let mut got = None;
        a.transact(&mut |tx| {
            tx.locate(&LocateQuery::default())?;
            got = tx.get("k")?;
            Ok(())
        })
        .unwrap();
        assert_eq!(got, Some(destroyed.clone()));
        assert_eq!(read(&a, "k"), Some(destroyed));
    }

    #[test]
    fn cached_reads_take_no_connection_and_their_audit_rows_are_durable() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("g.db");
        let s = SqlCipherStore::create(&path, &[8u8; 32], "g").unwrap();
        insert(&s, &obj("k", "n")).unwrap();
        read(&s, "k").unwrap();
        let row = |i: i64| AuditRow {
            time: i,
            user: "alice".into(),
            operation: "Encrypt".into(),
            object: Some("k".into()),
            result: "ok".into(),
        };
        // A cached read answers while another thread holds the connection.
        std::thread::scope(|scope| {
            let held = s.hold_idle();
            let (done, answered) = std::sync::mpsc::channel();
            let s = &s;
            scope.spawn(move || {
                let r = read(s, "k");
                let _ = done.send(r);
            });
            let got = answered.recv_timeout(std::time::Duration::from_secs(10));
            drop(held);
            assert_eq!(got.unwrap().unwrap().uid, "k");
        });
        std::thread::scope(|scope| {
            for t in 0..4 {
                let s = &s;
                scope.spawn(move || {
                    for i in 0..25 {
                        s.transact(&mut |tx| {
                            // While the connection is held elsewhere, this read still answers.
                            assert!(tx.get("k")?.is_some());
                            tx.audit(&row(t * 100 + i))
                        })
                        .unwrap();
                    }
                });
            }
            // Meanwhile, the connection is busy with other work.
            let held = s.hold_idle();
            std::thread::sleep(std::time::Duration::from_millis(20));
            drop(held);
        });
        drop(s);
        let s = SqlCipherStore::open(&path, &[8u8; 32]).unwrap();
        let mut rows = Vec::new();
        s.transact(&mut |tx| {
            rows = tx.audit_list(&AuditFilter::default())?;
            Ok(())
        })
        .unwrap();
        assert_eq!(rows.len(), 100);
    }

    #[test]
    fn a_panicking_operation_rolls_back_alone_and_the_store_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        let s = SqlCipherStore::create(&dir.path().join("g.db"), &[2u8; 32], "g").unwrap();
        insert(&s, &obj("kept", "n")).unwrap();
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _ = s.transact(&mut |tx| {
                tx.insert(&obj("lost", "n"))?;
                panic!("an operation bug");
            });
        }));
        assert!(panicked.is_err(), "the panic reaches the caller");
        assert_eq!(read(&s, "lost"), None);
        assert!(read(&s, "kept").is_some());
        insert(&s, &obj("after", "n")).unwrap();
        assert!(read(&s, "after").is_some());
    }

    #[test]
    fn rekey_keeps_the_cache_honest() {
        let dir = tempfile::tempdir().unwrap();
        let s = SqlCipherStore::create(&dir.path().join("g.db"), &[6u8; 32], "g").unwrap();
        insert(&s, &obj("k", "n")).unwrap();
        read(&s, "k").unwrap();
        s.rekey(&[7u8; 32]).unwrap();
        assert_eq!(s.cached_bytes(), 0);
        assert_eq!(read(&s, "k"), Some(obj("k", "n")));
    }
}
