//! Checkpoints off the writing connection.
//!
//! A checkpoint copies the pages of the WAL into the database file. SQLite runs one on the
//! connection whose commit takes the log past `wal_autocheckpoint` pages: on the group's one
//! writing connection, every ~1,000 pages, a copy of every page written since and two `fsync`s
//! while every transaction of the group waited (7.5% of the server's CPU during Creates, and
//! the tail of their latency: BENCHMARKS.md, tenth round). Here the writer's WAL hook
//! ([`on_commit`], which replaces SQLite's) notes how many pages the log holds, and once
//! [`TRIGGER_PAGES`] more were written a [`Checkpointer`] runs a PASSIVE checkpoint on a
//! connection of its own, on the blocking pool: SQLite lets it copy while the writer goes on
//! appending, and the writer starts the log over once everything in it was copied. The
//! writer checkpoints on its own only past [`BACKSTOP_PAGES`] (a checkpointer that failed,
//! fell behind or never found the log quiet, a store used outside a runtime), and then copies
//! only what the checkpointer had not.
//!
//! Durability is SQLite's: the checkpointer's connection runs `synchronous=FULL`, so the WAL is
//! synced before its pages are copied and the database file after, before the log is reused.
//! It opens the file for each checkpoint (an open connection would hold two descriptors of the
//! group between checkpoints), with the group's key; a rekey waits for a running checkpoint
//! and hands the next one the new key. At most [`AT_ONCE`] run in the process at a time, so
//! their descriptors (two each) stay within the server's reserve (docs/server.md, "open-file
//! budget"); a group that finds them all busy tries again at its next commit.

use super::schema;
use crate::StoreError;
use rusqlite::{Connection, OpenFlags};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use zeroize::Zeroizing;

/// Pages written to the WAL between two background checkpoints (2 MiB of log): few enough
/// that a page read finds the log's index small, enough that a checkpoint's open and `fsync`s
/// are shared by many commits.
pub(super) const TRIGGER_PAGES: i64 = 500;

/// Pages in the WAL past which the writing connection checkpoints on its own (SQLite's
/// automatic checkpoint is at 1,000): 16 MiB of log at most.
pub(super) const BACKSTOP_PAGES: i64 = 4_000;

/// Background checkpoints running at once in the process, all groups together.
const AT_ONCE: usize = 4;

static RUNNING: AtomicUsize = AtomicUsize::new(0);

std::thread_local! {
    /// The pages in the log after the last commit on this thread, as the WAL hook saw them.
    static WAL_PAGES: std::cell::Cell<Option<i64>> = const { std::cell::Cell::new(None) };
}

/// The writing connection's WAL hook, called by SQLite on the committing thread once a commit
/// is in the log: notes the log's pages for [`taken_pages`], and past [`BACKSTOP_PAGES`]
/// checkpoints here, as SQLite's own hook does past 1,000. A failed checkpoint is not the
/// commit's failure (SQLite's hook ignores it too): the next commit tries again.
pub(super) fn on_commit(
    wal: &rusqlite::hooks::Wal,
    pages: std::ffi::c_int,
) -> rusqlite::Result<()> {
    let pages = i64::from(pages);
    WAL_PAGES.set(Some(pages));
    if pages >= BACKSTOP_PAGES {
        let _ = wal.checkpoint();
    }
    Ok(())
}

/// The pages the WAL hook noted on this thread since the last call (`None`: no commit wrote
/// to the log).
pub(super) fn taken_pages() -> Option<i64> {
    WAL_PAGES.take()
}

/// The background checkpoints of one group's file.
pub(super) struct Checkpointer {
    path: PathBuf,
    /// The group's key, held through a checkpoint and through a rekey.
    key: Mutex<Zeroizing<[u8; 32]>>,
    /// The log's pages after the last commit, and the count at which the next checkpoint
    /// starts.
    pages: AtomicI64,
    next_at: AtomicI64,
    running: AtomicBool,
}

impl Checkpointer {
    pub(super) fn new(path: PathBuf, key: &[u8; 32]) -> Self {
        Self {
            path,
            key: Mutex::new(Zeroizing::new(*key)),
            pages: AtomicI64::new(0),
            next_at: AtomicI64::new(TRIGGER_PAGES),
            running: AtomicBool::new(false),
        }
    }

    /// Notes the log's `pages` after a commit of the writing connection (which holds it: one
    /// caller at a time); once [`TRIGGER_PAGES`] were written since the last checkpoint began,
    /// starts one on the runtime's blocking pool unless one is running (outside a runtime the
    /// writer's backstop does the work).
    pub(super) fn committed(self: &Arc<Self>, pages: i64) {
        if pages < self.pages.swap(pages, Ordering::Relaxed) {
            // The log started over.
            self.next_at.store(TRIGGER_PAGES, Ordering::Relaxed);
        }
        if pages < self.next_at.load(Ordering::Relaxed) {
            return;
        }
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            return;
        };
        // This group's own flag first: while its checkpoint runs, the commits past the trigger
        // touch nothing shared by every group.
        if self.running.swap(true, Ordering::AcqRel) {
            return;
        }
        if RUNNING.fetch_add(1, Ordering::AcqRel) >= AT_ONCE {
            RUNNING.fetch_sub(1, Ordering::AcqRel);
            self.running.store(false, Ordering::Release);
            return;
        }
        self.next_at.store(pages + TRIGGER_PAGES, Ordering::Relaxed);
        let me = self.clone();
        drop(rt.spawn_blocking(move || {
            me.run();
            me.running.store(false, Ordering::Release);
            RUNNING.fetch_sub(1, Ordering::AcqRel);
        }));
    }

    fn run(&self) {
        let key = self.key.lock().unwrap_or_else(|e| e.into_inner());
        if let Err(e) = checkpoint(&self.path, &key) {
            // The writer's own checkpoint remains; nothing is lost by a skipped one.
            tracing::debug!(error = %e, "a background checkpoint failed");
        }
    }

    /// Runs `rekey` with no checkpoint under way; once it succeeded, checkpoints use `key`.
    pub(super) fn rekeying<R>(
        &self,
        key: &[u8; 32],
        rekey: impl FnOnce() -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        let mut held = self.key.lock().unwrap_or_else(|e| e.into_inner());
        let r = rekey();
        if r.is_ok() {
            **held = *key;
        }
        r
    }
}

/// One PASSIVE checkpoint of the file at `path` on a connection of its own.
fn checkpoint(path: &std::path::Path, key: &[u8; 32]) -> Result<(), StoreError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    schema::apply_key(&conn, key)?;
    conn.execute_batch("PRAGMA synchronous = FULL;")?;
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))?;
    Ok(())
}
