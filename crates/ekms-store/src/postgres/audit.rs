//! Group commit of audit rows: the audit rows of transactions that wrote nothing else, from
//! every group of a pool, written together by one statement and one commit.
//!
//! A read served without a database transaction (an Encrypt with a cached key) still owes its
//! audit row, durable before its answer. Committing each row alone costs a round trip and a
//! synchronous commit per request; here the rows wait in a queue, and a writer, while fewer
//! than [`MAX_WRITERS`] batches are being written, takes every queued row and writes them in
//! one `INSERT` (one synchronous commit), while the next rows gather behind it; it goes on
//! until the queue is empty. Inside [`crate::ticket::deferring`] (the server's requests) a
//! transaction leaves its rows and a ticket and gives its thread back: the first that finds
//! no writer coming leaves the committer too, a writer run on the blocking pool. Outside it, a
//! thread writes batches itself or waits. Either way the answer waits for the commit of its
//! own rows, so no answer goes out before its audit row is on disk (PostgreSQL's
//! `synchronous_commit`, as configured by the operator).

use super::PgPool;
use crate::StoreError;
use crate::ticket::{self, Outcome, Ticket, shared};
use postgres::types::Type;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// The most rows one statement carries: bounds the latency a long queue adds to its first row.
const MAX_ROWS: usize = 1024;

/// The most batches written at once. More than one, so that the rows arriving while a batch
/// waits for its commit to reach the disk need not wait for it too: PostgreSQL flushes
/// concurrent commits together. Few, since each holds a pooled connection.
const MAX_WRITERS: usize = 3;

/// One sealed audit row: its group and its sealed bytes.
pub(super) type SealedRow = (String, Vec<u8>);

/// The rows of one transaction and the outcome of their commit.
struct Entry {
    rows: Vec<SealedRow>,
    outcome: Arc<Outcome>,
}

/// The queue of a pool (see the module documentation).
#[derive(Default)]
pub(super) struct AuditQueue {
    state: Mutex<QueueState>,
    /// Signalled when a batch ends: a writer's place is free, or an outcome settled.
    settled: Condvar,
}

#[derive(Default)]
struct QueueState {
    /// Rows not yet taken by a writer, in arrival order.
    waiting: Vec<Entry>,
    /// Threads writing batches now.
    writers: usize,
    /// Whether a committer was handed out that has not started yet: it will take the waiting
    /// rows, so no other is handed out meanwhile.
    scheduled: bool,
}

impl AuditQueue {
    /// Makes `rows` durable. Inside [`ticket::deferring`] it returns at once, leaving a
    /// ticket (with a committer when no writer will otherwise take the rows); outside, it
    /// returns once a commit holding them has returned, having written batches itself while
    /// fewer than [`MAX_WRITERS`] were being written. A writer waits at most `wait` for a
    /// connection.
    pub(super) fn commit(
        self: &Arc<Self>,
        pool: &PgPool,
        wait: Duration,
        rows: Vec<SealedRow>,
    ) -> Result<(), StoreError> {
        let outcome = Arc::new(Outcome::default());
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.waiting.push(Entry {
            rows,
            outcome: outcome.clone(),
        });
        if ticket::deferred() {
            // Running writers drain the queue before they stop; otherwise one is needed.
            let committer = (!state.scheduled && state.writers < MAX_WRITERS).then(|| {
                state.scheduled = true;
                let (queue, pool) = (self.clone(), pool.clone());
                Box::new(move || {
                    let mut state = queue.state.lock().unwrap_or_else(|e| e.into_inner());
                    state.scheduled = false;
                    drop(queue.drain(state, &pool, wait));
                }) as ticket::Committer
            });
            drop(state);
            if ticket::defer(Ticket::new(outcome.clone(), committer)) {
                return Ok(());
            }
            state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        }
        loop {
            if let Some(r) = outcome.get() {
                return r;
            }
            state = if state.writers < MAX_WRITERS && !state.waiting.is_empty() {
                self.drain(state, pool, wait)
            } else {
                // Its rows are in a batch being written, or enough batches are.
                self.settled.wait(state).unwrap_or_else(|e| e.into_inner())
            };
        }
    }

    /// Writes batches of the waiting rows while there are some and fewer than [`MAX_WRITERS`]
    /// are being written, settling the outcome of each; returns the lock.
    fn drain<'q>(
        &'q self,
        mut state: std::sync::MutexGuard<'q, QueueState>,
        pool: &PgPool,
        wait: Duration,
    ) -> std::sync::MutexGuard<'q, QueueState> {
        while state.writers < MAX_WRITERS && !state.waiting.is_empty() {
            state.writers += 1;
            let batch = take_batch(&mut state.waiting);
            drop(state);
            let result = write(pool, wait, &batch);
            for entry in &batch {
                entry
                    .outcome
                    .set(result.as_ref().map(|_| ()).map_err(shared));
            }
            state = self.state.lock().unwrap_or_else(|e| e.into_inner());
            state.writers -= 1;
            if let Err(e @ StoreError::Unavailable(_)) = &result {
                // The rows queued meanwhile would meet the same outage after this batch's
                // wait: they fail now, so that no request waits for two batches' timeouts.
                for entry in state.waiting.drain(..) {
                    entry.outcome.set(Err(shared(e)));
                }
            }
            self.settled.notify_all();
        }
        state
    }
}

/// The first entries of the queue, up to [`MAX_ROWS`] rows (at least one entry).
fn take_batch(waiting: &mut Vec<Entry>) -> Vec<Entry> {
    let mut rows = 0;
    let mut n = 0;
    for t in waiting.iter() {
        rows += t.rows.len();
        n += 1;
        if rows >= MAX_ROWS {
            break;
        }
    }
    waiting.drain(..n).collect()
}

/// Writes the rows of `batch` in one statement, in order. A statement refused by the database
/// (a group deleted meanwhile: its rows' foreign key fails) is tried again entry by entry, so
/// that one group's failure is not another's (each entry's outcome is then settled here).
fn write(pool: &PgPool, wait: Duration, batch: &[Entry]) -> Result<(), StoreError> {
    if crate::failpoint::fails("audit-commit-fails") {
        return Err(StoreError::Commit(
            "failpoint audit-commit-fails: the audit commit failed".into(),
        ));
    }
    let rows: Vec<SealedRow> = batch.iter().flat_map(|t| t.rows.clone()).collect();
    match insert(pool, wait, &rows) {
        Err(StoreError::Postgres(_)) if batch.len() > 1 => {
            for entry in batch {
                let result = insert(pool, wait, &entry.rows).map_err(|e| shared(&e));
                entry.outcome.set(result);
            }
            Ok(())
        }
        r => r,
    }
}

/// One statement, committed on its own. A connection found closed by the database before the
/// statement ran is replaced and the statement sent again ([`PgPool::with_first`]); a failure
/// after the database received it could, at worst, write the rows twice: an audit row twice
/// is better than an answer whose row is missing.
fn insert(pool: &PgPool, wait: Duration, rows: &[SealedRow]) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    let (groups, sealed): (Vec<&str>, Vec<&[u8]>) =
        rows.iter().map(|(g, s)| (g.as_str(), s.as_slice())).unzip();
    pool.with_first_within(wait, |c| {
        c.execute_prepared(
            "INSERT INTO ekms_audit(group_id, sealed)
             SELECT * FROM UNNEST($1::text[], $2::bytea[])",
            &[(&groups, Type::TEXT_ARRAY), (&sealed, Type::BYTEA_ARRAY)],
        )?;
        Ok(())
    })
    .map(|_| ())
}
