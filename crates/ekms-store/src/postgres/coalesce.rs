//! One version read for many requests: the concurrent requests of one group on one node share
//! the query that reads the group's key slots and version ([`super::PgPool::entry`]), without
//! ever serving a request a read that began before it arrived.
//!
//! **The guarantee**: a request uses only a read that *started* after the request arrived, so
//! it sees every commit (of any node) that was answered before it arrived, exactly as if it had
//! run the query itself. **The mechanism**, per group: if no read is in flight, the arriving
//! request runs one; if one is in flight, it started before this request arrived and cannot
//! serve it: the request waits for it to end, and then joins the next read, which the first
//! waiter to wake starts for all those waiting. Under load the group's requests so go in
//! rounds, one read per round, each request waiting at most for the end of the read in flight
//! when it arrived and then for one read of its own round.
//!
//! A read that fails because the database is unavailable fails every request waiting on it
//! (those that arrived before it ended): an error serves no state, and during an outage a
//! request is answered after at most the read in flight plus its own, not after a queue of
//! them. A request waiting on a read that failed otherwise runs its own read, for its own
//! error. Each request still checks its group secret against the slots it receives: what is
//! shared is the bytes read, never a verdict.

use crate::StoreError;
use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

/// See the module documentation: the reads of every group of a pool, by group id.
pub(super) struct Coalescer<T> {
    /// The groups with a request reading now; a group's entry goes when its last request does.
    groups: Mutex<HashMap<String, Arc<Flight<T>>>>,
}

impl<T> Default for Coalescer<T> {
    fn default() -> Self {
        Self {
            groups: Mutex::new(HashMap::new()),
        }
    }
}

/// The reads of one group: numbered from 1 in the order they start, one at a time.
struct Flight<T> {
    state: Mutex<State<T>>,
    /// Signalled when a read ends.
    ended: Condvar,
}

struct State<T> {
    /// The number of the last read started.
    started: u64,
    /// Whether read `started` is in flight.
    running: bool,
    /// The number of the last read ended, and what it read.
    ended: u64,
    outcome: Outcome<T>,
}

/// What a read ended with, as the requests waiting on it may take it.
enum Outcome<T> {
    None,
    Read(T),
    Unavailable(String),
    /// Any other error, which only the request that ran the read returns.
    Failed,
}

fn lock<V>(m: &Mutex<V>) -> MutexGuard<'_, V> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl<T: Clone> Coalescer<T> {
    /// What `read` reads for `group`, from a read that started after this call began: this
    /// caller's own `read`, or one another caller started meanwhile.
    pub(super) fn read(
        &self,
        group: &str,
        read: impl FnOnce() -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let flight = lock(&self.groups)
            .entry(group.to_string())
            .or_insert_with(|| {
                Arc::new(Flight {
                    state: Mutex::new(State {
                        started: 0,
                        running: false,
                        ended: 0,
                        outcome: Outcome::None,
                    }),
                    ended: Condvar::new(),
                })
            })
            .clone();
        let out = flight.join(read);
        let mut groups = lock(&self.groups);
        // The map's reference and this one: no other request holds the group's reads.
        if Arc::strong_count(&flight) == 2 {
            groups.remove(group);
        }
        out
    }
}

/// Ends read `number` when dropped, even if the read panicked (then as [`Outcome::Failed`]):
/// the requests waiting on it are never left waiting.
struct Running<'f, T> {
    flight: &'f Flight<T>,
    number: u64,
    outcome: Outcome<T>,
}

impl<T> Drop for Running<'_, T> {
    fn drop(&mut self) {
        let mut s = lock(&self.flight.state);
        s.running = false;
        s.ended = self.number;
        s.outcome = std::mem::replace(&mut self.outcome, Outcome::Failed);
        drop(s);
        self.flight.ended.notify_all();
    }
}

impl<T: Clone> Flight<T> {
    fn join(&self, read: impl FnOnce() -> Result<T, StoreError>) -> Result<T, StoreError> {
        let mut s = lock(&self.state);
        // A read in flight now started before this request: the first it may use is the next.
        let first_usable = s.started + 1;
        let ended_on_arrival = s.ended;
        loop {
            if s.ended >= first_usable
                || (s.ended > ended_on_arrival && matches!(s.outcome, Outcome::Unavailable(_)))
            {
                return match &s.outcome {
                    Outcome::Read(t) => Ok(t.clone()),
                    Outcome::Unavailable(why) => Err(StoreError::Unavailable(why.clone())),
                    Outcome::None | Outcome::Failed => {
                        drop(s);
                        read()
                    }
                };
            }
            if !s.running {
                // No read in flight and none usable ended: this request starts the next.
                s.started += 1;
                s.running = true;
                let mut running = Running {
                    flight: self,
                    number: s.started,
                    outcome: Outcome::Failed,
                };
                drop(s);
                let out = read();
                running.outcome = match &out {
                    Ok(t) => Outcome::Read(t.clone()),
                    Err(StoreError::Unavailable(why)) => Outcome::Unavailable(why.clone()),
                    Err(_) => Outcome::Failed,
                };
                return out;
            }
            s = self.ended.wait(s).unwrap_or_else(|e| e.into_inner());
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use std::sync::Barrier;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::time::Duration;

    /// Many concurrent requests of one group share reads (fewer reads than requests), and
    /// every request gets a read that started after it arrived: a logical clock ticks when a
    /// request arrives and when a read starts, and each read answers the tick it started at.
    #[test]
    fn requests_share_reads_that_started_after_they_arrived() {
        const THREADS: usize = 16;
        const ROUNDS: usize = 50;
        let coalescer = Coalescer::<u64>::default();
        let clock = AtomicU64::new(0);
        let reads = AtomicU64::new(0);
        let start = Barrier::new(THREADS);
        std::thread::scope(|s| {
            for _ in 0..THREADS {
                s.spawn(|| {
                    start.wait();
                    for _ in 0..ROUNDS {
                        let arrived = clock.fetch_add(1, Ordering::SeqCst);
                        let started = coalescer
                            .read("g", || {
                                reads.fetch_add(1, Ordering::SeqCst);
                                let at = clock.fetch_add(1, Ordering::SeqCst);
                                std::thread::sleep(Duration::from_millis(2));
                                Ok(at)
                            })
                            .unwrap();
                        assert!(
                            started > arrived,
                            "a request that arrived at {arrived} was served a read started at {started}"
                        );
                    }
                });
            }
        });
        let reads = reads.load(Ordering::SeqCst);
        let requests = (THREADS * ROUNDS) as u64;
        assert!(
            reads < requests / 2,
            "{reads} reads for {requests} concurrent requests"
        );
        assert!(
            coalescer.groups.lock().unwrap().is_empty(),
            "an idle group keeps no entry"
        );
    }

    /// A request alone runs its own read each time; groups do not share reads.
    #[test]
    fn a_lone_request_reads_and_groups_are_apart() {
        let coalescer = Coalescer::<&str>::default();
        assert_eq!(coalescer.read("a", || Ok("a1")).unwrap(), "a1");
        assert_eq!(coalescer.read("a", || Ok("a2")).unwrap(), "a2");
        assert_eq!(coalescer.read("b", || Ok("b1")).unwrap(), "b1");
    }

    /// The requests waiting on a read that finds the database unavailable get its error; a
    /// request waiting on a read that failed otherwise runs its own read; a read that panics
    /// leaves no one waiting.
    #[test]
    fn failures_are_shared_only_when_the_store_is_unavailable() {
        for (error, own_read_expected) in [
            (StoreError::Unavailable("down".into()), false),
            (StoreError::Commit("odd".into()), true),
        ] {
            let coalescer = Coalescer::<u8>::default();
            let leader_in = Barrier::new(2);
            let error = Mutex::new(Some(error));
            std::thread::scope(|s| {
                let leader = s.spawn(|| {
                    coalescer.read("g", || {
                        leader_in.wait();
                        std::thread::sleep(Duration::from_millis(50));
                        Err(error.lock().unwrap().take().unwrap())
                    })
                });
                leader_in.wait();
                // Arrives while the leader's read is in flight.
                let own = AtomicU64::new(0);
                let waiter = coalescer.read("g", || {
                    own.fetch_add(1, Ordering::SeqCst);
                    Ok(7)
                });
                assert!(leader.join().unwrap().is_err());
                if own_read_expected {
                    // The next read (this waiter's own) started after it arrived.
                    assert_eq!(waiter.unwrap(), 7);
                    assert_eq!(own.load(Ordering::SeqCst), 1);
                } else {
                    assert!(matches!(waiter, Err(StoreError::Unavailable(ref w)) if w == "down"));
                    assert_eq!(own.load(Ordering::SeqCst), 0);
                }
            });
        }
        let coalescer = Coalescer::<u8>::default();
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            coalescer.read("g", || panic!("a read that panics"))
        }));
        assert!(panicked.is_err());
        assert_eq!(coalescer.read("g", || Ok(1)).unwrap(), 1);
    }
}
