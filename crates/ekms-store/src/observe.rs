//! What the engines report of their commits to whoever watches (the server's metrics): how
//! long each commit took and how many transactions it made durable together (the SQLCipher
//! group commit shares one commit among several; PostgreSQL commits one). One observer per
//! process, set once; without one, a report costs one atomic load.

use std::sync::OnceLock;
use std::time::Duration;

/// Called after each successful commit with its duration and its number of transactions.
pub type CommitObserver = fn(took: Duration, transactions: usize);

static OBSERVER: OnceLock<CommitObserver> = OnceLock::new();

/// Sets the process's commit observer; false if one was set already (it stays).
pub fn set_commit_observer(observer: CommitObserver) -> bool {
    OBSERVER.set(observer).is_ok()
}

/// Reports one commit to the observer, if any.
pub(crate) fn committed(took: Duration, transactions: usize) {
    if let Some(f) = OBSERVER.get() {
        f(took, transactions);
    }
}
