//! Group commit of audit rows: the audit rows of transactions that wrote nothing else, from
//! every group of a pool, written together by one statement and one commit.
//!
//! A read served without a database transaction (an Encrypt with a cached key) still owes its
//! audit row, durable before its answer. Committing each row alone costs a round trip and a
//! synchronous commit per request; here the rows wait in a queue, and a waiting thread that
//! finds fewer than [`MAX_WRITERS`] batches being written takes every queued row and writes
//! them in one `INSERT` (one synchronous commit), while the next rows gather behind it. Every thread returns only
//! once the commit of its own rows has returned, so no answer goes out before its audit row is
//! on disk (PostgreSQL's `synchronous_commit`, as configured by the operator).

use super::PgPool;
use crate::StoreError;
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

/// The rows of one transaction and, once written, the outcome of their commit.
struct Ticket {
    rows: Vec<SealedRow>,
    outcome: Option<Result<(), StoreError>>,
}

/// The queue of a pool (see the module documentation).
#[derive(Default)]
pub(super) struct AuditQueue {
    state: Mutex<QueueState>,
    settled: Condvar,
}

#[derive(Default)]
struct QueueState {
    /// Tickets not yet taken by a writer, in arrival order.
    waiting: Vec<Arc<Mutex<Ticket>>>,
    /// Threads writing a batch now.
    writers: usize,
}

impl AuditQueue {
    /// Makes `rows` durable: returns once a commit holding them has returned. A thread that
    /// writes a batch waits at most `wait` for a connection.
    pub(super) fn commit(
        &self,
        pool: &PgPool,
        wait: Duration,
        rows: Vec<SealedRow>,
    ) -> Result<(), StoreError> {
        let mine = Arc::new(Mutex::new(Ticket {
            rows,
            outcome: None,
        }));
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.waiting.push(mine.clone());
        loop {
            if let Some(outcome) = lock(&mine).outcome.take() {
                return outcome;
            }
            let queued = state.waiting.iter().any(|t| Arc::ptr_eq(t, &mine));
            if !queued || state.writers >= MAX_WRITERS {
                // Its rows are in a batch being written, or enough batches are.
                state = self.settled.wait(state).unwrap_or_else(|e| e.into_inner());
                continue;
            }
            // This thread writes the queued rows, its own among them.
            state.writers += 1;
            let batch = take_batch(&mut state.waiting);
            drop(state);
            let result = write(pool, wait, &batch);
            for ticket in &batch {
                let mut t = lock(ticket);
                if t.outcome.is_none() {
                    t.outcome = Some(result.as_ref().map(|_| ()).map_err(shared));
                }
            }
            state = self.state.lock().unwrap_or_else(|e| e.into_inner());
            state.writers -= 1;
            if let Err(e @ StoreError::Unavailable(_)) = &result {
                // The rows queued meanwhile would meet the same outage after this batch's
                // wait: they fail now, so that no request waits for two batches' timeouts.
                for ticket in state.waiting.drain(..) {
                    lock(&ticket).outcome = Some(Err(shared(e)));
                }
            }
            self.settled.notify_all();
        }
    }
}

/// The failure of a batch, as each of its transactions reports it: the database unavailable
/// stays so (the request is answered 503), any other failure is a failed commit.
fn shared(e: &StoreError) -> StoreError {
    match e {
        StoreError::Unavailable(why) => StoreError::Unavailable(why.clone()),
        e => StoreError::Commit(format!("the audit rows were not written: {e}")),
    }
}

fn lock(t: &Mutex<Ticket>) -> std::sync::MutexGuard<'_, Ticket> {
    t.lock().unwrap_or_else(|e| e.into_inner())
}

/// The first tickets of the queue, up to [`MAX_ROWS`] rows (at least one ticket).
fn take_batch(waiting: &mut Vec<Arc<Mutex<Ticket>>>) -> Vec<Arc<Mutex<Ticket>>> {
    let mut rows = 0;
    let mut n = 0;
    for t in waiting.iter() {
        rows += lock(t).rows.len();
        n += 1;
        if rows >= MAX_ROWS {
            break;
        }
    }
    waiting.drain(..n).collect()
}

/// Writes the rows of `batch` in one statement, in order. A statement refused by the database
/// (a group deleted meanwhile: its rows' foreign key fails) is tried again ticket by ticket,
/// so that one group's failure is not another's.
fn write(pool: &PgPool, wait: Duration, batch: &[Arc<Mutex<Ticket>>]) -> Result<(), StoreError> {
    let rows: Vec<SealedRow> = batch.iter().flat_map(|t| lock(t).rows.clone()).collect();
    match insert(pool, wait, &rows) {
        Err(StoreError::Postgres(_)) if batch.len() > 1 => {
            for ticket in batch {
                let rows = lock(ticket).rows.clone();
                let result = insert(pool, wait, &rows).map_err(|e| shared(&e));
                lock(ticket).outcome = Some(result);
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
        c.execute(
            "INSERT INTO ekms_audit(group_id, sealed)
             SELECT * FROM UNNEST($1::text[], $2::bytea[])",
            &[&groups, &sealed],
        )?;
        Ok(())
    })
    .map(|_| ())
}
