//! Group commit: how the transactions of one group share the database connection and its
//! commits.
//!
//! One connection serves every request of the group. A transaction of the trait (one KMIP
//! operation) runs in a savepoint (`ekms_op`) of the connection's open SQLite transaction, the
//! batch; when it ends and no other transaction is waiting for the connection, the batch
//! commits, durably (WAL, `synchronous=FULL`), and every transaction of it returns. A
//! transaction therefore returns Ok only once its writes are on disk (inside `deferring`, see
//! below, with a ticket that settles then), and while requests queue
//! up, one `fsync` serves many of them. A transaction that rolls back undoes its savepoint and
//! leaves the others' work alone; a failed commit fails every transaction of the batch.
//!
//! A transaction that wrote objects, grants or metadata takes the group's next version inside
//! its savepoint, so the versions of a batch's transactions are consecutive, and a rolled-back
//! or uncommitted one leaves no gap behind.
//!
//! Inside [`crate::ticket::deferring`] a transaction that leaves its batch open for the next in
//! line does not wait for that commit on its thread: it returns with a ticket, which the caller
//! awaits before answering (the thread goes back to its pool instead of sleeping and being
//! woken once per transaction: Create +20-25% on the binary socket, BENCHMARKS.md).
//!
//! A transaction takes the connection only when it needs it (see [`super::tx`]); the audit
//! rows of one that needed nothing else are queued here and written by a committer that takes
//! the connection for them. Outside [`crate::ticket::deferring`] the transaction waits for
//! that commit (writing the queue itself); inside it, it returns at once and leaves a ticket,
//! the first to find the queue unclaimed also the committer, which runs on another thread.

use super::State;
use super::cache::ReadCache;
use super::schema;
use super::tx::insert_audit;
use crate::ticket::{self, Outcome, Ticket};
use crate::{AuditRow, GroupState, StoreError};
use rusqlite::Connection;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// The most transactions one commit carries: bounds what a long queue adds to the latency of
/// the first transaction of a batch.
const MAX_BATCH: usize = 256;

/// The most commits of queued audit rows a committer makes in one turn on its pool thread:
/// then it queues its next turn behind the pool's other work, so that groups with a steady
/// stream of cached reads (as many as the pool has threads) never hold every blocking thread.
const COMMITS_PER_TURN: usize = 32;

/// The open SQLite transaction and the trait transactions waiting for its commit.
pub(super) struct Batch {
    /// Transactions that ended Ok in this batch and wait for its commit.
    pub(super) ops: usize,
    /// Whether the batch wrote objects, grants or metadata: then reads do not fill the cache,
    /// which must only hold committed state.
    pub(super) dirty: bool,
    /// The group state the batch's last writing transaction took, published at commit.
    state: Option<GroupState>,
    outcome: Arc<Outcome>,
    /// Queued audit rows written in this batch, whose writers wait on these.
    also: Vec<Arc<Outcome>>,
}

impl Batch {
    /// Hands `result` to every transaction waiting on the batch.
    fn settle(&self, result: &Result<(), String>) {
        let result = || result.clone().map_err(StoreError::Commit);
        self.outcome.set(result());
        for o in &self.also {
            o.set(result());
        }
    }
}

/// Audit rows of transactions that did not take the connection, waiting for a commit.
#[derive(Default)]
pub(super) struct AuditQueue {
    rows: Vec<AuditRow>,
    outcome: Arc<Outcome>,
    /// Whether a committer will take the connection for the queued rows: one is running or
    /// scheduled. It clears the claim when it finds the queue empty.
    claimed: bool,
}

/// The store's state, shared by its handle and the committers of its queued audit rows.
pub struct Shared {
    pub(super) state: Mutex<State>,
    /// Threads about to take `state`: while any is, a finished transaction leaves the batch
    /// open for it to join.
    pub(super) queued: AtomicUsize,
    pub(super) cache: Mutex<ReadCache>,
    audit_queue: Mutex<AuditQueue>,
    /// The audit rows against the group's cap ([`crate::retention`]).
    pub(super) audit_count: crate::retention::AuditCount,
    /// The group state of the last commit this store knows of (its own, or another
    /// connection's seen when a batch began), so stating it reads no page.
    pub(super) committed: Mutex<GroupState>,
    /// The read-only connection that answers a Locate on the async worker.
    pub(super) reader: super::reader::Reader,
    /// The group's lane ([`crate::lane`]): while jobs wait in it, a transaction that can leave
    /// a ticket leaves the batch open for them.
    pub(super) lane: Arc<crate::lane::Lane>,
    /// Copies the WAL into the file off this connection ([`super::checkpoint`]).
    pub(super) checkpointer: Arc<super::checkpoint::Checkpointer>,
    /// Tests: each commit of queued audit rows queues one of them again (a stream of rows that
    /// never ends).
    #[cfg(test)]
    pub(super) refill: std::sync::atomic::AtomicBool,
}

/// SQLite's `data_version`: a commit by another connection changes it.
pub(super) fn data_version(conn: &Connection) -> Result<i64, StoreError> {
    Ok(conn
        .prepare_cached("PRAGMA data_version")?
        .query_row([], |r| r.get(0))?)
}

pub(super) fn run(conn: &Connection, sql: &str) -> Result<(), StoreError> {
    conn.prepare_cached(sql)?.execute([])?;
    Ok(())
}

/// The connection, held. Whoever holds it must, before letting go, commit the open batch
/// unless another thread is queued to join it or a job waits in the group's lane (whose
/// runner commits it once no job is left); the drop does so on every path.
pub(super) struct Held<'s> {
    store: &'s Shared,
    pub(super) st: MutexGuard<'s, State>,
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        if self.st.batch.is_some()
            && self.store.queued.load(Ordering::SeqCst) == 0
            && self.store.lane.waiting() == 0
        {
            let _ = self.store.finish(&mut self.st);
        }
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        // A batch left open for a lane's next job when the store closes before that job
        // reopened the group: committed (its transactions wait for it) rather than lost.
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let _ = self.finish(&mut st);
    }
}

impl Shared {
    pub(super) fn new(
        state: State,
        committed: GroupState,
        cache: ReadCache,
        audit_count: crate::retention::AuditCount,
        reader: super::reader::Reader,
        lane: Arc<crate::lane::Lane>,
        checkpointer: super::checkpoint::Checkpointer,
    ) -> Self {
        Self {
            state: Mutex::new(state),
            queued: AtomicUsize::new(0),
            cache: Mutex::new(cache),
            audit_queue: Mutex::default(),
            audit_count,
            committed: Mutex::new(committed),
            reader,
            lane,
            checkpointer: Arc::new(checkpointer),
            #[cfg(test)]
            refill: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// Commits the open batch unless a thread is queued to join it: the lane's `drained`
    /// hook, once no job is left to join it.
    pub(super) fn commit_open(&self) {
        drop(self.hold_unqueued());
    }

    pub(super) fn cache(&self) -> MutexGuard<'_, ReadCache> {
        self.cache.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Notes a committed group state: kept if newer than the one known.
    pub(super) fn publish(&self, state: GroupState) {
        let mut known = self.committed.lock().unwrap_or_else(|e| e.into_inner());
        if state.version >= known.version {
            *known = state;
        }
    }

    /// Takes the connection as the next in line.
    pub(super) fn hold(&self) -> Held<'_> {
        self.queued.fetch_add(1, Ordering::SeqCst);
        // A panic while holding the lock cannot leave SQLite inconsistent (transactions run in
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
    pub(super) fn hold_idle(&self) -> Held<'_> {
        let mut held = self.hold();
        if held.st.batch.is_some() {
            // Its transactions get the outcome through the batch; the caller's own work does
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
            // Another connection committed: its state is the group's now.
            self.cache().clear();
            st.data_version = version;
            match schema::read_state(&st.conn) {
                Ok(s) => self.publish(s),
                Err(e) => {
                    let _ = st.conn.execute_batch("ROLLBACK");
                    return Err(e);
                }
            }
        }
        st.batch = Some(Batch {
            ops: 0,
            dirty: false,
            state: None,
            outcome: Arc::default(),
            also: Vec::new(),
        });
        Ok(())
    }

    /// Opens the savepoint of one transaction (or of one lot of queued audit rows) in the open
    /// batch, opening a batch if none is.
    pub(super) fn enter(&self, st: &mut State) -> Result<(), StoreError> {
        self.begin(st)?;
        run(&st.conn, "SAVEPOINT ekms_op")
    }

    /// Ends the open batch: commits it if any transaction of it succeeded (rolls it back
    /// otherwise) and hands the outcome to the transactions waiting on it.
    fn finish(&self, st: &mut State) -> Result<(), String> {
        let Some(batch) = st.batch.take() else {
            return Ok(());
        };
        let sql = if batch.ops == 0 { "ROLLBACK" } else { "COMMIT" };
        let start = std::time::Instant::now();
        let _ = super::checkpoint::taken_pages();
        let result = run(&st.conn, sql).map_err(|e| e.to_string());
        self.cache().batch_ended();
        if result.is_ok() && batch.ops > 0 {
            crate::observe::committed(start.elapsed(), batch.ops);
            if let Some(pages) = super::checkpoint::taken_pages() {
                self.checkpointer.committed(pages);
            }
        }
        if let (Ok(()), Some(s)) = (&result, batch.state) {
            self.publish(s);
        }
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
    /// rolls a transaction back): its transactions' writes are lost and they must say so.
    fn abandon(&self, st: &mut State, why: &str) {
        if let Some(batch) = st.batch.take() {
            batch.settle(&Err(why.to_string()));
        }
        let mut cache = self.cache();
        cache.clear();
        cache.batch_ended();
    }

    /// Ends the savepoint of a transaction that held the connection (kept if `keep`, after
    /// taking the group's next version if it `wrote`; rolled back otherwise), then commits the
    /// batch or leaves it to the next in line, and returns once the transaction's writes are
    /// durable (inside `deferring`, at once, with a ticket for the batch's commit): the version
    /// they got, `None` if it wrote nothing or rolled back. A write after a failed commit of the
    /// same `deferring` scope is refused ([`ticket::scope_failed`]).
    /// `rows_outcome` is the outcome of queued audit rows written in the savepoint, settled
    /// with the batch.
    pub(super) fn end(
        &self,
        mut held: Held<'_>,
        keep: bool,
        wrote: bool,
        rows_outcome: Option<Arc<Outcome>>,
    ) -> Result<Option<u64>, StoreError> {
        let st = &mut *held.st;
        let audit_only = rows_outcome.is_some();
        let lost = "the database rolled the transaction back";
        if st.conn.is_autocommit() {
            // The database rolled the whole transaction back (I/O error, disk full).
            self.abandon(st, lost);
            if let Some(a) = &rows_outcome {
                a.set(Err(StoreError::Commit(lost.into())));
            }
            return Err(StoreError::Commit(lost.into()));
        }
        let mut failure = None;
        let mut version = None;
        let mut state = None;
        if keep && wrote {
            if ticket::scope_failed() {
                // An earlier transaction of this request returned before its batch failed:
                // what this one writes may be built on what that batch rolled back.
                failure = Some(StoreError::Commit(
                    "an earlier step of this request was not committed".into(),
                ));
            } else {
                match schema::next_version(&st.conn) {
                    Ok(s) => {
                        version = Some(s.version);
                        state = Some(s);
                    }
                    Err(e) => failure = Some(e),
                }
            }
        }
        let kept = keep && failure.is_none() && run(&st.conn, "RELEASE ekms_op").is_ok();
        let mut wait_on = None;
        if kept {
            if let Some(b) = st.batch.as_mut() {
                b.ops += 1;
                if state.is_some() {
                    b.state = state;
                }
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
                self.abandon(st, "the transaction could not be rolled back");
            }
            if let Some(a) = &rows_outcome {
                a.set(Err(StoreError::Commit(
                    "the queued audit rows could not be written".into(),
                )));
            }
            return match (keep, failure) {
                (false, _) => Ok(None),
                (true, Some(e)) => Err(e),
                (true, None) => Err(StoreError::Commit("the savepoint could not be kept".into())),
            };
        }
        let full = st.batch.as_ref().is_some_and(|b| b.ops >= MAX_BATCH);
        // Queued audit rows commit at once: their writers hold nothing else, and keeping the
        // batch open for the next one in line costs a thread wake-up per hand-over.
        // A job waiting in the group's lane will join the batch on this thread, right after
        // this one; only a transaction that returns with a ticket may leave it to that job
        // (one that waited here would wait for a job queued behind it).
        let lane_next = || ticket::deferred() && (self.lane.waiting() > 0 || self.lane.linger());
        let now = audit_only || full || (self.queued.load(Ordering::SeqCst) == 0 && !lane_next());
        let committed = if st.batch.is_some() && now {
            Some(self.finish(st))
        } else {
            None
        };
        drop(held);
        match (committed, wait_on) {
            (Some(r), _) => r.map(|()| version).map_err(StoreError::Commit),
            // Inside `deferring` the caller awaits the batch's commit through a ticket, so this
            // thread goes back to its pool instead of sleeping until the next in line commits.
            (None, Some(o)) if ticket::defer(Ticket::new(o.clone(), None)) => Ok(version),
            (None, Some(o)) => o.wait_blocking().map(|()| version),
            (None, None) => Err(StoreError::Commit("the transaction was lost".into())),
        }
    }

    /// Makes the audit rows of a transaction that took no connection durable: queued for a
    /// committer. Inside [`ticket::deferring`] this returns at once, leaving a ticket (with the
    /// committer if none has claimed the queue); outside, it writes the queue on this thread
    /// once (unless another writer took its rows meanwhile) and returns once they are on disk.
    pub(super) fn commit_audit(self: &Arc<Self>, rows: Vec<AuditRow>) -> Result<(), StoreError> {
        let deferred = ticket::deferred();
        let (outcome, lead) = {
            let mut q = self.audit_queue.lock().unwrap_or_else(|e| e.into_inner());
            q.rows.extend(rows);
            let lead = deferred && !q.claimed;
            q.claimed |= lead;
            (q.outcome.clone(), lead)
        };
        if deferred {
            let committer = lead.then(|| {
                let store = self.clone();
                Box::new(move || store.commit_queued_audit()) as ticket::Committer
            });
            if ticket::defer(Ticket::new(outcome.clone(), committer)) {
                return Ok(());
            }
        }
        // Whoever wrote the rows first settled the outcome; a writer finding none writes none.
        self.write_queued_audit(false);
        outcome.wait_blocking()
    }

    /// The committer of queued audit rows: commits them while they keep coming, at most
    /// [`COMMITS_PER_TURN`] times in one turn, then (the queue still claimed) queues its next
    /// turn on the runtime's blocking pool, or goes on here outside a runtime.
    fn commit_queued_audit(self: Arc<Self>) {
        loop {
            for _ in 0..COMMITS_PER_TURN {
                if !self.write_queued_audit(true) {
                    return;
                }
            }
            if let Ok(rt) = tokio::runtime::Handle::try_current() {
                drop(rt.spawn_blocking(move || self.commit_queued_audit()));
                return;
            }
        }
    }

    /// Takes the connection, then every queued row, and commits them; the outcome of their
    /// commit settles the tickets of their transactions. Whether it wrote any. The committer
    /// (`claimed`) goes on while rows keep coming: the rows queued during a commit are written
    /// by the next one at once, without waking another thread, and it gives up its claim only
    /// when it finds the queue empty; another writer leaves the claim alone.
    fn write_queued_audit(&self, committer: bool) -> bool {
        // Not counted in `queued`: a transaction's batch does not stay open for a writer of
        // queued rows, who would only add them to it.
        let mut held = self.hold_unqueued();
        let (rows, outcome) = {
            let mut q = self.audit_queue.lock().unwrap_or_else(|e| e.into_inner());
            if q.rows.is_empty() {
                if committer {
                    q.claimed = false;
                }
                return false;
            }
            let taken = (std::mem::take(&mut q.rows), std::mem::take(&mut q.outcome));
            #[cfg(test)]
            if self.refill.load(Ordering::SeqCst) {
                q.rows.extend(taken.0.first().cloned());
            }
            taken
        };
        if crate::failpoint::fails("audit-commit-fails") {
            outcome.set(Err(StoreError::Commit(
                "failpoint audit-commit-fails: the audit commit failed".into(),
            )));
            return true;
        }
        if let Err(e) = self.enter(&mut held.st) {
            outcome.set(Err(e));
            return true;
        }
        let written = rows.iter().try_for_each(|r| insert_audit(&held.st.conn, r));
        let keep = written.is_ok();
        let ended = self.end(held, keep, false, Some(outcome.clone()));
        // `end` settled the outcome on every path but the insert's own failure, reported here.
        if let Err(e) = written.and(ended.map(|_| ())) {
            outcome.set(Err(e));
        }
        true
    }
}
