//! Commit tickets: waiting for an audit commit without holding a thread.
//!
//! A transaction that wrote nothing but audit rows (a read answered from the cache) owes its
//! rows a durable commit before its answer goes out. Outside [`deferring`], the engines wait
//! for that commit on the calling thread, as every transaction does for its own. Inside it,
//! such a transaction returns at once with its rows queued and leaves a [`Ticket`] in the
//! scope: the caller must not answer before [`Tickets::wait`] (awaitable, for the async
//! runtime) or [`Tickets::wait_blocking`] returned Ok, and must fail the answer otherwise.
//! On SQLCipher a transaction that leaves its batch open for the next in line also returns
//! with a ticket there, for the batch's commit, instead of waiting on its thread; so "Ok"
//! inside a scope means "done, durable once the tickets settle Ok". What such a transaction
//! read may still be rolled back with its batch: a later write in the same scope is refused
//! once a ticket of the scope has failed ([`scope_failed`]).
//!
//! The commit itself runs on a blocking thread: the transaction that found the queue
//! unclaimed leaves, with its ticket, the committer that writes the queued rows (its own and
//! those queued meanwhile) and settles every ticket they belong to. [`Tickets::wait`] starts
//! it with `tokio::task::spawn_blocking`, so no runtime thread ever runs a commit or waits on
//! a `Condvar`, and one commit wakes only the tasks waiting on it. A dropped [`Tickets`]
//! still starts its committers: other requests' rows may be in their batch.
//!
//! Both engines defer. On SQLCipher the committer goes on while rows keep coming (it leaves
//! its claim only when it finds the queue empty), so under load one committer thread runs
//! back to back commits and each request costs its task one wake-up, not a thread hand-off.
//! Measured on a quiet machine, this and answering cached reads on the async worker
//! ([`without_blocking`]) cut the server's CPU per HTTPS Encrypt from ~160 to ~100 µs
//! (BENCHMARKS.md); an earlier measurement on a busy machine had pointed the other way.

use crate::StoreError;
use std::cell::RefCell;
use std::sync::{Arc, Condvar, Mutex};

/// Writes queued audit rows and settles their tickets; runs on a blocking thread.
pub type Committer = Box<dyn FnOnce() + Send + 'static>;

/// How the commit of some queued rows ended, for everyone waiting on it.
#[derive(Default)]
pub struct Outcome {
    result: Mutex<Option<Result<(), StoreError>>>,
    /// Threads waiting outside [`deferring`].
    done: Condvar,
    /// Tasks waiting through [`Tickets::wait`].
    notify: tokio::sync::Notify,
}

impl Outcome {
    /// Settles the outcome (the first result set counts) and wakes its waiters.
    pub(crate) fn set(&self, result: Result<(), StoreError>) {
        {
            let mut slot = self.result.lock().unwrap_or_else(|e| e.into_inner());
            if slot.is_some() {
                return;
            }
            *slot = Some(result);
        }
        self.done.notify_all();
        self.notify.notify_waiters();
    }

    pub(crate) fn get(&self) -> Option<Result<(), StoreError>> {
        let slot = self.result.lock().unwrap_or_else(|e| e.into_inner());
        slot.as_ref()
            .map(|r| r.as_ref().map(|_| ()).map_err(shared))
    }

    /// Blocks the calling thread until the outcome is settled.
    pub(crate) fn wait_blocking(&self) -> Result<(), StoreError> {
        let mut slot = self.result.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(r) = slot.as_ref() {
                return r.as_ref().map(|_| ()).map_err(shared);
            }
            slot = self.done.wait(slot).unwrap_or_else(|e| e.into_inner());
        }
    }

    async fn wait(&self) -> Result<(), StoreError> {
        loop {
            let notified = self.notify.notified();
            tokio::pin!(notified);
            // Registered before the check: a settlement in between is not missed.
            notified.as_mut().enable();
            if let Some(r) = self.get() {
                return r;
            }
            notified.await;
        }
    }
}

/// A commit's failure as each transaction it carried reports it: the database unavailable
/// stays so (the request is answered 503), any other failure is a failed commit.
pub(crate) fn shared(e: &StoreError) -> StoreError {
    match e {
        StoreError::Unavailable(why) => StoreError::Unavailable(why.clone()),
        StoreError::Commit(why) => StoreError::Commit(why.clone()),
        e => StoreError::Commit(format!("the audit rows were not written: {e}")),
    }
}

/// The pending commit of one transaction's queued audit rows.
pub struct Ticket {
    outcome: Arc<Outcome>,
    committer: Option<Committer>,
}

impl Ticket {
    pub(crate) fn new(outcome: Arc<Outcome>, committer: Option<Committer>) -> Self {
        Self { outcome, committer }
    }
}

std::thread_local! {
    static SCOPE: RefCell<Option<Tickets>> = const { RefCell::new(None) };
}

/// Whether the calling thread runs inside [`deferring`].
pub(crate) fn deferred() -> bool {
    SCOPE.with_borrow(Option::is_some)
}

/// Hands `ticket` to the enclosing [`deferring`] scope; false (the ticket dropped) if there
/// is none.
pub(crate) fn defer(ticket: Ticket) -> bool {
    SCOPE.with_borrow_mut(|scope| match scope {
        Some(tickets) => {
            tickets.pending.push(ticket);
            true
        }
        None => false,
    })
}

/// Whether a commit this [`deferring`] scope waits on has already failed. A transaction that
/// read in a batch returns before that batch commits; if the batch then fails, what it read
/// may never have existed, so nothing may be written from it: a writing transaction checks
/// this before it keeps its writes (false outside a scope).
pub(crate) fn scope_failed() -> bool {
    SCOPE.with_borrow(|scope| {
        scope.as_ref().is_some_and(|tickets| {
            tickets
                .pending
                .iter()
                .any(|t| matches!(t.outcome.get(), Some(Err(_))))
        })
    })
}

/// Restores the enclosing scope when a [`deferring`] call ends, a panic included.
struct Restore(Option<Tickets>);

impl Drop for Restore {
    fn drop(&mut self) {
        let outer = self.0.take();
        // The tickets of a panicking `f` are dropped here, which starts their committers.
        drop(SCOPE.replace(outer));
    }
}

/// Runs `f`, collecting the tickets of the audit commits its transactions left pending (see
/// the module documentation): the caller answers only once they are settled. Nested calls
/// collect separately.
pub fn deferring<R>(f: impl FnOnce() -> R) -> (R, Tickets) {
    let restore = Restore(SCOPE.replace(Some(Tickets::default())));
    let r = f();
    let tickets = SCOPE.replace(None).unwrap_or_default();
    drop(restore);
    (r, tickets)
}

std::thread_local! {
    /// Inside [`without_blocking`]: whether a step was refused.
    static NO_BLOCKING: std::cell::Cell<Option<bool>> = const { std::cell::Cell::new(None) };
}

/// Runs `f` on the calling thread, an async runtime's worker, with blocking refused: a step
/// that would block (a transaction taking its database connection, a group opened from disk;
/// each calls [`refuse_blocking`] first) fails instead, before it changed anything. `None`
/// when a step was refused, whatever `f` made of the failure: the caller then runs the work
/// again on the blocking pool. Audit rows still go to the queue (run it inside [`deferring`]).
pub fn without_blocking<R>(f: impl FnOnce() -> R) -> Option<R> {
    struct Reset(Option<bool>);
    impl Drop for Reset {
        fn drop(&mut self) {
            NO_BLOCKING.set(self.0);
        }
    }
    let reset = Reset(NO_BLOCKING.replace(Some(false)));
    let r = f();
    let refused = NO_BLOCKING.get() == Some(true);
    drop(reset);
    (!refused).then_some(r)
}

/// Whether the calling thread runs inside [`without_blocking`] (on an async worker).
pub fn on_worker() -> bool {
    NO_BLOCKING.get().is_some()
}

/// Inside [`without_blocking`]: notes the refusal and returns true, and the caller fails the
/// step that would block; false elsewhere.
pub fn refuse_blocking() -> bool {
    let inside = NO_BLOCKING.get().is_some();
    if inside {
        NO_BLOCKING.set(Some(true));
    }
    inside
}

/// Inside [`without_blocking`], once a step was refused: true, and the caller fails its step
/// too (with [`refused`]), blocking or not. A refused run is thrown away and runs again on the
/// blocking pool, so nothing after the refusal may leave a trace: the failure the operation
/// made of the refusal must not be audited, say, or the run again would add a second row.
pub fn already_refused() -> bool {
    NO_BLOCKING.get() == Some(true)
}

/// On the async worker ([`on_worker`]), for a step that cannot be done there whether or not it
/// would block (a Locate the read-only connection does not answer, say): notes the refusal and
/// returns the step's failure; the run goes to the blocking pool.
pub fn refuse() -> StoreError {
    refuse_blocking();
    refused()
}

/// The failure of a step refused by [`refuse_blocking`] (never answered: the work runs again).
pub(crate) fn refused() -> StoreError {
    StoreError::Aborted("this step needs a blocking thread".into())
}

/// Work that waits for the commits of its [`deferring`] scope: run with their outcome (Ok once
/// all are durable, else the first failure), or with Ok when the scope left none pending or its
/// tickets were dropped unawaited ([`when_settled`]).
pub type Settled = Box<dyn FnOnce(Result<(), &StoreError>) + Send + 'static>;

/// Runs `f` once the commits of the enclosing [`deferring`] scope settle, with their outcome:
/// what an answer says only then (an operation counted as a success, say) waits for the
/// failure that may void it. Outside a scope nothing is pending: `f` runs now, with Ok.
pub fn when_settled(f: impl FnOnce(Result<(), &StoreError>) + Send + 'static) {
    let f: Settled = Box::new(f);
    let unscoped = SCOPE.with_borrow_mut(|scope| match scope {
        Some(tickets) => {
            tickets.settled.push(f);
            None
        }
        None => Some(f),
    });
    if let Some(f) = unscoped {
        f(Ok(()));
    }
}

/// The tickets a [`deferring`] call collected.
#[derive(Default)]
pub struct Tickets {
    pending: Vec<Ticket>,
    settled: Vec<Settled>,
}

impl Tickets {
    /// Whether no commit is pending.
    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    /// Adds `other`'s tickets to these.
    pub fn extend(&mut self, mut other: Tickets) {
        self.pending.append(&mut other.pending);
        self.settled.append(&mut other.settled);
    }

    /// Waits, on the calling blocking thread, for every commit, running the committers here
    /// first (a ticket may wait on another one's committer).
    pub fn wait_blocking(mut self) -> Result<(), StoreError> {
        for committer in self.pending.iter_mut().filter_map(|t| t.committer.take()) {
            committer();
        }
        let mut first = Ok(());
        for t in std::mem::take(&mut self.pending) {
            let r = t.outcome.wait_blocking();
            if first.is_ok() {
                first = r;
            }
        }
        run_settled(
            std::mem::take(&mut self.settled),
            first.as_ref().map(|_| ()),
        );
        first
    }

    /// Starts the committers on the blocking pool now, and returns the wait for every commit:
    /// Ok once all are durable, the first failure otherwise. Needs a Tokio runtime.
    pub fn wait(mut self) -> impl std::future::Future<Output = Result<(), StoreError>> + Send {
        start_committers(&mut self.pending);
        let outcomes: Vec<Arc<Outcome>> =
            self.pending.drain(..).map(|t| t.outcome.clone()).collect();
        // Held by the wait: given up before the commits settle, its drop runs them as
        // recorded, as for tickets never awaited.
        let mut after = Tickets {
            pending: Vec::new(),
            settled: std::mem::take(&mut self.settled),
        };
        async move {
            let mut first = Ok(());
            for o in outcomes {
                let r = o.wait().await;
                if first.is_ok() {
                    first = r;
                }
            }
            run_settled(
                std::mem::take(&mut after.settled),
                first.as_ref().map(|_| ()),
            );
            first
        }
    }
}

fn run_settled(settled: Vec<Settled>, outcome: Result<(), &StoreError>) {
    for f in settled {
        f(outcome);
    }
}

/// Starts each committer on the runtime's blocking pool, or on this thread outside a runtime.
fn start_committers(tickets: &mut [Ticket]) {
    for committer in tickets.iter_mut().filter_map(|t| t.committer.take()) {
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => drop(rt.spawn_blocking(committer)),
            Err(_) => committer(),
        }
    }
}

impl Drop for Tickets {
    fn drop(&mut self) {
        // Rows of other requests may wait on these committers.
        start_committers(&mut self.pending);
        // Not awaited (nothing was pending, or the answer is not going out): as recorded.
        run_settled(std::mem::take(&mut self.settled), Ok(()));
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    /// A `when_settled` callback that notes what it was given.
    fn noting(
        seen: &Arc<Mutex<Vec<Result<(), String>>>>,
    ) -> impl FnOnce(Result<(), &StoreError>) + Send + 'static {
        let seen = seen.clone();
        move |r| seen.lock().unwrap().push(r.map_err(|e| e.to_string()))
    }

    #[test]
    fn work_after_the_commits_runs_with_their_outcome() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        // Outside a scope: nothing is pending, it runs now.
        when_settled(noting(&seen));
        assert_eq!(*seen.lock().unwrap(), [Ok(())]);
        // Inside: once the scope's commits settle, with the first failure.
        let ((), tickets) = deferring(|| {
            let failed = Arc::new(Outcome::default());
            failed.set(Err(StoreError::Commit("disk".into())));
            assert!(defer(Ticket::new(failed, None)));
            when_settled(noting(&seen));
        });
        assert_eq!(seen.lock().unwrap().len(), 1, "not before the wait");
        assert!(tickets.wait_blocking().is_err());
        assert_eq!(
            seen.lock().unwrap()[1],
            Err("the transaction was not committed: disk".to_string())
        );
        // Tickets dropped unawaited: as recorded.
        let ((), tickets) = deferring(|| when_settled(noting(&seen)));
        assert_eq!(seen.lock().unwrap().len(), 2);
        drop(tickets);
        assert_eq!(seen.lock().unwrap()[2], Ok(()));
        // A wait given up before its commits settle (the client went away): as recorded too.
        let ((), tickets) = deferring(|| {
            assert!(defer(Ticket::new(Arc::new(Outcome::default()), None)));
            when_settled(noting(&seen));
        });
        drop(tickets.wait());
        assert_eq!(seen.lock().unwrap().get(3), Some(&Ok(())));
    }

    #[test]
    fn a_refused_step_makes_the_whole_run_refused() {
        assert_eq!(without_blocking(|| 1), Some(1));
        assert!(!refuse_blocking());
        let r = without_blocking(|| {
            // Swallowed by the work: the run is refused all the same.
            let _ = refuse_blocking();
            2
        });
        assert_eq!(r, None);
        assert!(!refuse_blocking());
    }

    #[test]
    fn after_a_refusal_every_step_is_refused() {
        assert!(!already_refused());
        let r = without_blocking(|| {
            let before = already_refused();
            let _ = refuse_blocking();
            (before, already_refused())
        });
        assert_eq!(r, None);
        let seen = std::cell::Cell::new((true, false));
        let _ = without_blocking(|| {
            let before = already_refused();
            let _ = refuse_blocking();
            seen.set((before, already_refused()));
        });
        assert_eq!(seen.get(), (false, true));
        assert!(!already_refused());
    }

    #[test]
    fn outside_a_scope_nothing_is_deferred() {
        assert!(!deferred());
        assert!(!defer(Ticket::new(Arc::default(), None)));
    }

    #[test]
    fn inside_a_scope_the_ticket_is_collected_and_its_failure_reported() {
        let outcome = Arc::new(Outcome::default());
        let o = outcome.clone();
        let committer: Committer = Box::new(move || o.set(Err(StoreError::Commit("disk".into()))));
        let (r, tickets) = deferring(|| {
            assert!(deferred());
            defer(Ticket::new(outcome, Some(committer)))
        });
        assert!(r);
        assert!(!deferred());
        assert!(!tickets.is_empty());
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let waited = rt.block_on(tickets.wait());
        assert!(matches!(waited, Err(StoreError::Commit(w)) if w == "disk"));
    }
}
