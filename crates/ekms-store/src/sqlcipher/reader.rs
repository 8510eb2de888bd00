//! The read-only connection: a second connection to the group's file that answers a Locate on
//! the async worker while the group's one writing connection ([`super::commit`]) is busy with
//! other transactions or their commits.
//!
//! Why: a Locate reads a few index pages and writes only its audit row, which goes to the
//! audit queue as a cached Get's does. Taking the writing connection for its query meant a
//! hand-off to a blocking thread and waiting for whichever commit held the connection (the
//! audit committer holds it through its `fsync`). In WAL mode a second connection reads the
//! last committed state while the writer writes or commits, so a Locate runs on the worker
//! like a Get.
//!
//! What it may answer, and why that is right:
//! - only the statement of a Locate by name ([`crate::StoreTx::locate`]: the names index
//!   bounds what it reads), inside [`crate::ticket::without_blocking`] (on the worker), in a
//!   transaction that has not taken the writing connection; anything that would write
//!   refuses on the worker anyway, so a transaction that used the reader never writes. The
//!   objects the Locate then checks come from the read cache (or the step is refused), which
//!   holds committed state at least as new as the statement's: an object renamed since is
//!   checked as it is now (and the server checks again, on the object as read, that the
//!   caller still sees it);
//! - one statement is one read transaction: it sees every commit that returned before it
//!   began, so a client finds what it was told was created; writes of batches not yet
//!   committed were not answered yet and may be seen or not, as for any concurrent request;
//! - what it reads never fills the read cache: it may be older than the cache's entries;
//! - at most [`MAX_ROWS`] candidates, and a statement that runs longer than [`BUDGET`] is
//!   interrupted (SQLite's progress handler): such a Locate runs on the blocking pool as
//!   before, so a worker is never held long, whatever the filter or the group's size.
//!
//! The reader's lock is held only for one statement, or for a moment by an open or a rekey
//! (never during them), so a worker waits for it as briefly as for the read cache's.
//!
//! Opened lazily: the first Locate tried on the worker finds it closed, runs on the blocking
//! pool, and that thread opens it (an open reads and checks page 1). Closed when the group's
//! key changes ([`super::SqlCipherStore::rekey`]) and with the store. It costs the group two
//! more descriptors (its file and `-wal`; the `-shm` mapping is shared) and a page cache of
//! at most [`CACHE_KIB`] KiB.

use super::schema;
use crate::StoreError;
use rusqlite::{Connection, OpenFlags};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

/// The most candidates a Locate answered by the reader may have: each is then read from the
/// cache and matched on the worker, as a cached Get is.
pub(super) const MAX_ROWS: usize = 8;

/// The longest a statement may run on the reader (on the worker) before it is interrupted.
const BUDGET: Duration = Duration::from_micros(250);

/// SQLite virtual machine steps between two checks of [`BUDGET`].
const STEPS_PER_CHECK: i32 = 1000;

/// The reader's page cache, in KiB (the writer has 2 MiB): enough for the index pages a Locate
/// by name reads.
const CACHE_KIB: i64 = 512;

/// The reader connection of a group, open or not yet.
pub(super) struct Reader {
    slot: Mutex<Slot>,
    /// A Locate on the worker found it closed: the next transaction on a blocking thread
    /// opens it.
    wanted: AtomicBool,
}

struct Slot {
    path: PathBuf,
    key: Zeroizing<[u8; 32]>,
    conn: Option<Open>,
    /// A rekey is under way: nothing opens the reader meanwhile.
    rekeying: bool,
    /// Bumped by every rekey: an open that began before one is thrown away.
    generation: u64,
}

/// The open reader and the deadline its progress handler checks.
struct Open {
    conn: Connection,
    clock: Instant,
    /// Microseconds after `clock` past which the running statement is interrupted.
    deadline: Arc<AtomicU64>,
}

impl Reader {
    pub(super) fn new(path: PathBuf, key: &[u8; 32]) -> Self {
        Self {
            slot: Mutex::new(Slot {
                path,
                key: Zeroizing::new(*key),
                conn: None,
                rekeying: false,
                generation: 0,
            }),
            wanted: AtomicBool::new(false),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Slot> {
        // Nothing a panic interrupts leaves the slot inconsistent.
        self.slot.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// On the worker: the uids `sql` (a Locate's statement) selects with `args`, read in one
    /// statement (so from one committed state), or `None` when the reader is not open yet
    /// (then wanted), the statement fails or outruns [`BUDGET`], or it finds more than
    /// [`MAX_ROWS`] candidates.
    pub(super) fn locate(&self, sql: &str, args: &[rusqlite::types::Value]) -> Option<Vec<String>> {
        let slot = self.lock();
        let Some(open) = slot.conn.as_ref() else {
            self.wanted.store(true, Ordering::Relaxed);
            return None;
        };
        let deadline = open.clock.elapsed().saturating_add(BUDGET);
        open.deadline.store(
            u64::try_from(deadline.as_micros()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
        super::tx::query_uids(&open.conn, sql, args)
            .ok()
            .filter(|uids| uids.len() <= MAX_ROWS)
    }

    /// On a blocking thread: opens the reader if a Locate wanted it. A failure leaves it
    /// closed (Locate goes on using the writing connection) and is not the caller's.
    pub(super) fn open_if_wanted(&self) {
        // Every transaction off the worker passes here: a load keeps the flag's cache line
        // shared between threads until a Locate wants the reader.
        if !self.wanted.load(Ordering::Relaxed) || !self.wanted.swap(false, Ordering::Relaxed) {
            return;
        }
        let (path, key, generation) = {
            let slot = self.lock();
            if slot.conn.is_some() || slot.rekeying {
                return;
            }
            (slot.path.clone(), slot.key.clone(), slot.generation)
        };
        let Ok(open) = connect(&path, &key) else {
            return;
        };
        let mut slot = self.lock();
        if slot.conn.is_none() && !slot.rekeying && slot.generation == generation {
            slot.conn = Some(open);
        }
    }

    /// Runs `rekey`, which changes the group's key to `key`, with the reader closed (nothing
    /// opens it meanwhile, nor with the old key after); once it succeeded, the next reader
    /// opens with `key`; after a failure, none does.
    pub(super) fn rekeying<R>(
        &self,
        key: &[u8; 32],
        rekey: impl FnOnce() -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        {
            let mut slot = self.lock();
            slot.conn = None;
            slot.rekeying = true;
            slot.generation += 1;
        }
        let r = rekey();
        // After a failure (or a panic) the file's key is unknown here: the reader stays closed
        // for this store, and the group's next open has one again.
        if r.is_ok() {
            let mut slot = self.lock();
            slot.rekeying = false;
            *slot.key = *key;
        }
        r
    }

    /// Whether the reader is open (for tests).
    #[cfg(test)]
    pub(super) fn is_open(&self) -> bool {
        self.lock().conn.is_some()
    }
}

fn connect(path: &std::path::Path, key: &[u8; 32]) -> Result<Open, StoreError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    schema::apply_key(&conn, key)?;
    schema::configure_reader(&conn, CACHE_KIB)?;
    let clock = Instant::now();
    let deadline = Arc::new(AtomicU64::new(u64::MAX));
    let past = deadline.clone();
    conn.progress_handler(
        STEPS_PER_CHECK,
        Some(move || {
            u64::try_from(clock.elapsed().as_micros()).unwrap_or(u64::MAX)
                > past.load(Ordering::Relaxed)
        }),
    );
    Ok(Open {
        conn,
        clock,
        deadline,
    })
}
